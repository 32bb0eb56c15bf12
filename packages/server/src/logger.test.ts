/**
 * The logger: JSON or pino-pretty (chosen by LOG_FORMAT, else by whether stdout is a terminal),
 * at LOG_LEVEL, and in both formats an API key, a conversation key or a secret never reaches the
 * output — checked in memory and through real processes writing to their stdout.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureOutput } from '../test/child-process.ts';
import { eventually } from '../test/harness.ts';
import { ConfigError, loadConfig } from './config.ts';
import { createLogger, resolveLogFormat } from './logger.ts';

const API_KEY = 'engk_live_do_not_log_me_0123456789';
const CONVERSATION_KEY = 'ck_do_not_log_me_either';
const SECRET = 'whsec_never_in_a_log';
const SECRETS = [API_KEY, CONVERSATION_KEY, SECRET];

/** A request as Fastify's serializers and our handlers hand it to the logger. */
const REQUEST = {
  req: { method: 'POST', url: '/api/public/engage/lead/load', headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' }, query: { key: CONVERSATION_KEY } },
  credential: { name: 'Main', secret: SECRET },
  campaign: { id: 'c1', webhook_secret: SECRET },
};

const env = (extra: Record<string, string>) => ({ ENGAGE_SECRET: 'logger-test-secret-0123456789', DATABASE_URL: 'postgres://127.0.0.1/none', ...extra });

function memory(): { write(line: string): void; text(): string } {
  const chunks: string[] = [];
  return { write: (line) => void chunks.push(line), text: () => chunks.join('') };
}

describe('the format', () => {
  it('is pretty at a terminal and JSON elsewhere, unless LOG_FORMAT says which', () => {
    expect(resolveLogFormat(null, true)).toBe('pretty');
    expect(resolveLogFormat(null, false)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
  });

  it('LOG_FORMAT and LOG_LEVEL are validated with the rest of the configuration', () => {
    expect(loadConfig(env({})).logFormat).toBeNull();
    expect(loadConfig(env({ LOG_FORMAT: 'json' })).logFormat).toBe('json');
    expect(loadConfig(env({ LOG_FORMAT: 'Pretty' })).logFormat).toBe('pretty');
    expect(() => loadConfig(env({ LOG_FORMAT: 'yaml' }))).toThrow(new ConfigError('LOG_FORMAT must be json or pretty, got "yaml"'));
    expect(loadConfig(env({})).logLevel).toBe('info');
    expect(loadConfig(env({ LOG_LEVEL: 'debug' })).logLevel).toBe('debug');
    expect(() => loadConfig(env({ LOG_LEVEL: 'verbose' }))).toThrow(ConfigError);
  });
});

describe('redaction', () => {
  it('JSON: the keys and secrets are [Redacted], the rest of the request is there', () => {
    const out = memory();
    createLogger({ logLevel: 'info', logFormat: 'json' }, out).info(REQUEST, 'request');
    const line = JSON.parse(out.text());
    expect(line.req).toMatchObject({ method: 'POST', headers: { 'x-api-key': '[Redacted]', 'content-type': 'application/json' }, query: { key: '[Redacted]' } });
    expect(line.credential).toEqual({ name: 'Main', secret: '[Redacted]' });
    expect(line.campaign).toEqual({ id: 'c1', webhook_secret: '[Redacted]' });
    for (const s of SECRETS) expect(out.text()).not.toContain(s);
  });

  it('pretty: the same fields are [Redacted] in the human-readable lines', async () => {
    const out = memory();
    createLogger({ logLevel: 'info', logFormat: 'pretty' }, out).info(REQUEST, 'request');
    const text = await eventually(() => out.text() || undefined);
    expect(text).toMatch(/INFO.*: request\n/);
    expect(text).toMatch(/"x-api-key": "\[Redacted\]"/);
    expect(text).toMatch(/"key": "\[Redacted\]"/);
    for (const s of SECRETS) expect(text).not.toContain(s);
  });
});

const CONFIG = fileURLToPath(new URL('./config.ts', import.meta.url));
const LOGGER = fileURLToPath(new URL('./logger.ts', import.meta.url));

let tmp: string;
let script: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'engage-logger-'));
  // A file, not `node -e`: a transport's worker thread would inherit `-e` and run the script again.
  script = path.join(tmp, 'log.mjs');
  await writeFile(script, `
    const { loadConfig } = await import(${JSON.stringify(CONFIG)});
    const { createLogger } = await import(${JSON.stringify(LOGGER)});
    const log = createLogger(loadConfig(process.env));
    log.info(${JSON.stringify(REQUEST)}, 'request');
    log.warn('careful');
    process.exit(0);
  `);
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

/** A process that makes its logger from its environment, logs REQUEST at info and a warning, and exits at once. */
async function logFromProcess(extra: Record<string, string>): Promise<string> {
  // stdout is a pipe, not a terminal.
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { PATH: process.env.PATH ?? '', ...env(extra) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = captureOutput(child, 'logging process');
  const [code] = await once(child, 'exit');
  expect(code).toBe(0);
  expect(output.stderr()).toBe('');
  return output.stdout();
}

describe('a process logging to its stdout', () => {
  it('writes JSON when stdout is not a terminal, redacted, at LOG_LEVEL', async () => {
    const [out, warnOnly] = await Promise.all([logFromProcess({ LOG_LEVEL: 'info' }), logFromProcess({ LOG_LEVEL: 'warn' })]);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.level, l.msg])).toEqual([[30, 'request'], [40, 'careful']]);
    expect(lines[0].req.headers['x-api-key']).toBe('[Redacted]');
    for (const s of SECRETS) expect(out).not.toContain(s);
    expect(warnOnly).toMatch(/^\{"level":40,.*"msg":"careful"\}\n$/);
  });

  it('writes pino-pretty lines with LOG_FORMAT=pretty (flushed before exit), redacted, at LOG_LEVEL', async () => {
    const [out, warnOnly] = await Promise.all([logFromProcess({ LOG_FORMAT: 'pretty', LOG_LEVEL: 'info' }), logFromProcess({ LOG_FORMAT: 'pretty', LOG_LEVEL: 'warn' })]);
    expect(out).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: request\n/);
    expect(out).toMatch(/\n\[\d\d:\d\d:\d\d\.\d{3}\] WARN: careful\n$/);
    expect(out).toContain('"x-api-key": "[Redacted]"');
    expect(out).not.toContain('{"level"');
    for (const s of SECRETS) expect(out).not.toContain(s);
    expect(warnOnly).toMatch(/^\[[\d:.]+\] WARN: careful\n$/);
  });
});
