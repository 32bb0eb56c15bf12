/**
 * Real child processes for tests (the `engage` CLI, the example receiver): collect their output,
 * wait for a line matching a pattern, and stop them with a signal, awaiting the exit code. Their
 * output is never printed, unless the test that ran them fails (test/output.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from './harness.ts';
import { showOnFailure } from './output.ts';

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

/**
 * Collects a child's piped stdout and stderr (spawned with `stdio: […, 'pipe', 'pipe']`), to be
 * shown if the test fails, under `label`.
 */
export function captureOutput(proc: ChildProcess, label: string): { stdout(): string; stderr(): string } {
  let out = '';
  let err = '';
  proc.stdout?.on('data', (c: Buffer) => (out += c.toString('utf8')));
  proc.stderr?.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const name = `${label} (pid ${proc.pid ?? '?'})`;
  showOnFailure(`${name} stdout`, () => out);
  showOnFailure(`${name} stderr`, () => err);
  return { stdout: () => out, stderr: () => err };
}

/** Runs an entry point with Node: a `.ts` one through tsx (the example receiver), a `.js` one as is (bin/engage.js). */
export function runTs(entry: string, args: string[], opts: { env?: Record<string, string>; cwd?: string; input?: string } = {}): Child {
  const loader = entry.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const proc = spawn(process.execPath, [...loader, entry, ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const output = captureOutput(proc, [path.basename(entry), ...args].join(' '));
  if (opts.input !== undefined) proc.stdin!.end(opts.input);
  const exited = new Promise<number | string>((resolve) => proc.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    proc,
    stdout: output.stdout,
    stderr: output.stderr,
    exited,
    waitFor(pattern, timeoutMs = 20_000, stream = 'stdout') {
      return eventually(() => output[stream]().match(pattern) ?? undefined, timeoutMs, `${pattern} in ${stream}\n--- stdout:\n${output.stdout()}\n--- stderr:\n${output.stderr()}`);
    },
    async stop(signal = 'SIGINT') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}
