/**
 * The one way an Engage process makes its logger: pino at `LOG_LEVEL`, JSON lines on stdout, or
 * pino-pretty's human-readable lines when stdout is a terminal (`LOG_FORMAT` overrides the guess).
 * Secrets are redacted by pino itself, before either format sees a line.
 */
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { Logger as WorkerLogger, type LogFunctionFactory as WorkerLogFunctionFactory } from 'graphile-worker';
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';
import type { Config } from './config.ts';

/** Fields that never reach a log line, in either format. */
export const REDACT_PATHS = ['req.headers["x-api-key"]', 'req.query.key', '*.secret', '*.webhook_secret'];

export type LogFormat = NonNullable<Config['logFormat']>;

/** `LOG_FORMAT` when set; else pretty for a person at a terminal, JSON for everything else. */
export function resolveLogFormat(format: Config['logFormat'], stdoutIsTTY = process.stdout.isTTY === true): LogFormat {
  return format ?? (stdoutIsTTY ? 'pretty' : 'json');
}

/** pino-pretty's settings: local wall-clock time; pid and hostname are noise on one's own terminal. */
export const PRETTY_OPTIONS = { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' };

/**
 * The process's logger. `destination` replaces stdout (tests capture lines in memory): JSON unless
 * `logFormat` says pretty.
 */
export function createLogger(config: Pick<Config, 'logLevel' | 'logFormat'>, destination?: DestinationStream): Logger {
  const options: LoggerOptions = { level: config.logLevel, redact: REDACT_PATHS };
  const format = destination ? (config.logFormat ?? 'json') : resolveLogFormat(config.logFormat);
  if (destination) {
    if (format === 'json') return pino(options, destination);
    // pino-pretty pipes into a stream; a bare DestinationStream only has write().
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (destination.write(chunk.toString('utf8')), done()) });
    return pino(options, pretty({ ...PRETTY_OPTIONS, colorize: false, destination: sink }));
  }
  if (format === 'json') return pino(options);
  // The transport formats in a worker thread, off the event loop, and is flushed on exit (process.exit too).
  const target = createRequire(import.meta.url).resolve('pino-pretty');
  return pino({ ...options, transport: { target, options: { ...PRETTY_OPTIONS, colorize: process.stdout.isTTY === true } } });
}

const WORKER_LEVELS = { error: 'error', warning: 'warn', info: 'debug', debug: 'trace' } as const;

/**
 * graphile-worker's logger, writing into `log`. Its info lines (every migration, every worker
 * start) are debug here; its warnings and errors (a failed job attempt, a lost connection) stay.
 */
export function workerLogger(log: Logger): WorkerLogger {
  const factory: WorkerLogFunctionFactory = (scope) => (level, message) => {
    const fields = { worker: scope.label, task: scope.taskIdentifier, jobId: scope.jobId };
    log[WORKER_LEVELS[level] ?? 'warn'](fields, message);
  };
  return new WorkerLogger(factory);
}
