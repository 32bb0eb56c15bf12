/**
 * A pino destination in memory: a test's Engage logs here instead of stdout, so the run prints
 * results, and tests can assert on the lines that are the behaviour under test. A failed test
 * shows its lines, made readable (test/output.ts).
 */
import pino, { type Level } from 'pino';
import pretty from 'pino-pretty';
import { PRETTY_OPTIONS } from '../src/logger.ts';
import { eventually } from './harness.ts';
import { showOnFailure } from './output.ts';

export interface LogLine {
  level: number;
  time: number;
  msg?: string;
  [field: string]: unknown;
}

const prettify = pretty.prettyFactory({ ...PRETTY_OPTIONS, colorize: false });

export class LogCapture {
  private readonly raw: string[] = [];
  /** Lines before this one were cleared: `lines`, `text` and `find` no longer see them. */
  private from = 0;
  private readable = '';
  private readableUpTo = 0;

  constructor(label = 'Engage log') {
    showOnFailure(label, () => this.readableText());
  }

  /** pino's DestinationStream: one JSON line per call. */
  write(line: string): void {
    this.raw.push(line);
  }

  /** Every line so far, parsed. */
  get lines(): LogLine[] {
    return this.raw.slice(this.from).map((l) => JSON.parse(l) as LogLine);
  }

  /** Every line so far, as written. */
  text(): string {
    return this.raw.slice(this.from).join('');
  }

  /** The lines whose `msg` is (or matches) `msg`, at `level` if given. */
  find(msg: string | RegExp, level?: Level): LogLine[] {
    const value = level === undefined ? undefined : pino.levels.values[level];
    return this.lines.filter((l) => (typeof msg === 'string' ? l.msg === msg : msg.test(l.msg ?? '')) && (value === undefined || l.level === value));
  }

  /** Waits for a line like `find` finds (work logs as it happens, often after the API answered). */
  waitFor(msg: string | RegExp, level?: Level, timeoutMs = 10_000): Promise<LogLine> {
    return eventually(() => this.find(msg, level)[0], timeoutMs, `a log line ${String(msg)}${level ? ` at ${level}` : ''}`);
  }

  /** Forgets the lines so far (a test looks only at what its own steps log). */
  clear(): void {
    this.from = this.raw.length;
  }

  /** Every line ever written, cleared ones too, as pino-pretty shows them (for a failed test). */
  private readableText(): string {
    for (; this.readableUpTo < this.raw.length; this.readableUpTo++) this.readable += prettify(JSON.parse(this.raw[this.readableUpTo]!));
    return this.readable;
  }
}
