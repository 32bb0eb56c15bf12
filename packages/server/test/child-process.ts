/**
 * Real child processes for tests (the `engage` CLI, the example receiver): collect their output,
 * wait for a line matching a pattern, and stop them with a signal, awaiting the exit code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { eventually } from './harness.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface Child {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout (or stderr with `stream: 'stderr'`). */
  waitFor(pattern: RegExp, timeoutMs?: number, stream?: 'stdout' | 'stderr'): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or the signal's name) once the process ended. */
  exited: Promise<number | string>;
  /** Sends `signal` and awaits the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

/** Runs an entry point with Node: a `.ts` one through tsx (the example receiver), a `.js` one as is (bin/engage.js). */
export function runTs(entry: string, args: string[], opts: { env?: Record<string, string>; cwd?: string; input?: string } = {}): Child {
  const loader = entry.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const proc = spawn(process.execPath, [...loader, entry, ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString('utf8')));
  if (opts.input !== undefined) proc.stdin!.end(opts.input);
  const exited = new Promise<number | string>((resolve) => proc.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern, timeoutMs = 20_000, stream = 'stdout') {
      return eventually(() => (stream === 'stdout' ? out : err).match(pattern) ?? undefined, timeoutMs, `${pattern} in ${stream}\n--- stdout:\n${out}\n--- stderr:\n${err}`);
    },
    async stop(signal = 'SIGINT') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}
