/**
 * What the code under test prints stays out of the test run's output: Engage's log lines go to a
 * LogCapture (test/log-capture.ts), child processes' stdout and stderr into strings
 * (test/child-process.ts). Each of them registers here, and test/setup.ts prints what they wrote
 * during a test once that test has failed, so a failure still comes with its logs.
 */

interface Source {
  label: string;
  /** Everything written so far; it only ever grows. */
  text: () => string;
  /** How much of `text()` was there when the current test started. */
  mark: number;
}

let sources: Source[] = [];

/** Keeps `text` (output of the code under test) to be shown if the test writing it fails. */
export function showOnFailure(label: string, text: () => string): void {
  sources.push({ label, text, mark: 0 });
}

/** A test starts: what was written before it is not its output. */
export function markTestStart(): void {
  for (const s of sources) s.mark = s.text().length;
}

/** What every source wrote since the current test started, each under its label; '' if nothing. */
export function outputSinceTestStart(): string {
  const parts: string[] = [];
  for (const s of sources) {
    const text = s.text().slice(s.mark).trimEnd();
    if (text) parts.push(`──── ${s.label} ────\n${text}`);
  }
  return parts.join('\n');
}

/** A test file is done: its sources go (each test file runs in a fresh module graph anyway). */
export function forgetSources(): void {
  sources = [];
}
