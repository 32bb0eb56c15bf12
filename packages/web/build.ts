/**
 * Builds the web app (console + widget) into `dist/` when it is missing or older than its
 * sources. Run by the root `prepare` script (so `npm ci` leaves a built app), by `npm start`
 * (so a checkout that changed since is rebuilt, ~1 s) and by the test run's global setup
 * (so browser tests always drive the current code).
 *
 * Several processes may ask at once (parallel test runs, two engineers): a lock directory
 * serialises them, and each build goes to a fresh directory that replaces `dist/` by rename,
 * so a running server never serves half a build.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { build as viteBuild } from 'vite';

const WEB = path.dirname(fileURLToPath(import.meta.url));
export const DIST = path.join(WEB, 'dist');
const MANIFEST = path.join(DIST, '.vite', 'manifest.json');
const LOCK = path.join(WEB, '.build-lock');
const SOURCES = ['src', 'index.html', 'engage.html', 'vite.config.ts', 'package.json', path.join('..', 'server', 'src', 'core', 'segments.ts')];

function newestMtime(p: string): number {
  if (!existsSync(p)) return 0;
  const s = statSync(p);
  if (!s.isDirectory()) return s.mtimeMs;
  return readdirSync(p).reduce((max, name) => Math.max(max, newestMtime(path.join(p, name))), s.mtimeMs);
}

/** True when dist/ is missing or a source changed after the last build. */
export function webBuildIsStale(): boolean {
  if (!existsSync(MANIFEST)) return true;
  const built = statSync(MANIFEST).mtimeMs;
  return SOURCES.some((s) => newestMtime(path.join(WEB, s)) > built);
}

async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // A lock older than two minutes belongs to a build that died.
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > 120_000) rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`web build: lock ${LOCK} held too long`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** Builds when stale (or always with `force`). Returns whether it built. */
export async function ensureWebBuilt(opts: { force?: boolean; quiet?: boolean } = {}): Promise<boolean> {
  if (!opts.force && !webBuildIsStale()) return false;
  return withLock(async () => {
    if (!opts.force && !webBuildIsStale()) return false; // another process built it meanwhile
    let build: typeof viteBuild;
    try {
      ({ build } = await import('vite'));
    } catch {
      // Installed without devDependencies: keep whatever dist/ there is.
      console.warn('web build skipped: vite is not installed (npm ci --omit=dev?)');
      return false;
    }
    const out = path.join(WEB, `.dist-${process.pid}-${Date.now()}`);
    try {
      await build({
        configFile: path.join(WEB, 'vite.config.ts'),
        root: WEB,
        logLevel: opts.quiet ? 'warn' : 'info',
        build: { outDir: out, emptyOutDir: true },
      });
      const old = `${out}-old`;
      if (existsSync(DIST)) renameSync(DIST, old);
      renameSync(out, DIST);
      rmSync(old, { recursive: true, force: true });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
    return true;
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const force = process.argv.includes('--force');
  ensureWebBuilt({ force }).then(
    () => undefined,
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
