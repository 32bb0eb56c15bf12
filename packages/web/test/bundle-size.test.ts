/**
 * The widget's JavaScript budget: everything the widget page loads (its entry and every chunk it
 * imports, statically or lazily) must be at most 60 KB gzipped, and none of it may be the
 * console's code. Measured on the real build (the global setup builds when sources changed).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DIST } from '../build.ts';

interface ManifestChunk { file: string; src?: string; isEntry?: boolean; imports?: string[]; dynamicImports?: string[]; css?: string[] }
const manifest = () => JSON.parse(readFileSync(path.join(DIST, '.vite', 'manifest.json'), 'utf8')) as Record<string, ManifestChunk>;

/** The entry's chunk keys and every chunk reachable from it. */
function closure(m: Record<string, ManifestChunk>, entry: string): string[] {
  const seen = new Set<string>();
  const visit = (key: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    for (const k of [...(m[key]?.imports ?? []), ...(m[key]?.dynamicImports ?? [])]) visit(k);
  };
  visit(entry);
  return [...seen];
}

const gzipped = (file: string) => gzipSync(readFileSync(path.join(DIST, file))).length;

describe('widget bundle', () => {
  it('loads at most 60 KB of gzipped JavaScript, none of it from the console', () => {
    const m = manifest();
    expect(m['engage.html']?.isEntry).toBe(true);
    const chunks = closure(m, 'engage.html');
    const js = chunks.map((k) => m[k]!.file).filter((f) => f.endsWith('.js'));
    expect(js.length).toBeGreaterThan(0);
    const total = js.reduce((sum, f) => sum + gzipped(f), 0);
    expect(total).toBeLessThanOrEqual(60 * 1024);
    // No console module is part of the widget: the console's entry and its own sources stay out.
    expect(chunks).not.toContain('index.html');
    const sources = chunks.map((k) => m[k]!.src ?? k);
    expect(sources.filter((s) => s.includes('src/console/'))).toEqual([]);
    // And the page references only those chunks.
    const html = readFileSync(path.join(DIST, 'engage.html'), 'utf8');
    for (const src of html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)) expect(js).toContain(src[1]);
  });

  it('keeps the console out of the widget page and the widget out of the console page', () => {
    const widget = readFileSync(path.join(DIST, 'engage.html'), 'utf8');
    const consolePage = readFileSync(path.join(DIST, 'index.html'), 'utf8');
    const m = manifest();
    const consoleFiles = 'index.html' in m ? closure(m, 'index.html').map((k) => m[k]!.file).filter((f) => !closure(m, 'engage.html').map((c) => m[c]!.file).includes(f)) : [];
    for (const f of consoleFiles) expect(widget).not.toContain(f);
    expect(consolePage).not.toContain(m['engage.html']!.file);
  });
});
