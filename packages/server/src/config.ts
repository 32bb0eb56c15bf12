/**
 * The one place environment variables are read and validated.
 * Everything else receives a `Config` object.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Config {
  /** HTTP port. Default 3000. */
  port: number;
  /** Host to bind. Default 0.0.0.0. */
  host: string;
  /** Base of every URL put in webhooks and printed to the operator. Default http://localhost:PORT. */
  publicUrl: string;
  /** PostgreSQL connection string; null = embedded PostgreSQL in `dataDir`. */
  databaseUrl: string | null;
  /** Where embedded PostgreSQL and generated secrets live. Default ./.engage */
  dataDir: string;
  /** Secret used to derive conversation keys and encrypt provider credentials. Generated into dataDir when unset. */
  secret: string;
  /** On an empty database, create the first workspace with this API key. */
  bootstrapApiKey: string | null;
  /** Deliver webhooks to private/loopback addresses. Default false. */
  allowPrivateWebhooks: boolean;
  /** pino level. Default info. */
  logLevel: string;
  /** Delays between webhook delivery attempts, in ms. Default ≈ 3 days in total. */
  webhookRetryScheduleMs: number[];
  /** Per-attempt webhook timeout in ms. Default 10000. */
  webhookTimeoutMs: number;
  /** A claimed-but-unfinished send older than this is recovered. Default 120000. */
  sendLeaseMs: number;
  /** How often the broadcast sender polls when nothing woke it. Default 1000. */
  broadcastPollMs: number;
  /** Simulator: delay before each delivery receipt, ms. Default 200. */
  simulatorReceiptDelayMs: number;
  /** Simulator: fraction of messages that fail delivery (0..1). Default 0. */
  simulatorFailureRate: number;
  /** Simulator: how long its carrier API takes to answer a send, ms (ENGAGE_SIMULATOR_LATENCY_MS). Default 0. */
  simulatorLatencyMs: number;
  /** Simulator: fraction of messages whose final receipt comes before SENT (0..1, ENGAGE_SIMULATOR_OUT_OF_ORDER_RATE). Default 0. */
  simulatorOutOfOrderRate: number;
  /** Base URL of Twilio's REST API (ENGAGE_TWILIO_API_URL). Default https://api.twilio.com; tests point it at a local fake. */
  twilioApiUrl: string;
  /** Base URL of Telnyx's REST API (ENGAGE_TELNYX_API_URL). Default https://api.telnyx.com; tests point it at a local fake. */
  telnyxApiUrl: string;
  /** Deadline of one call to a real provider's API, ms (ENGAGE_PROVIDER_TIMEOUT_MS). Default 10000; keep it below sendLeaseMs. */
  providerTimeoutMs: number;
  /** Test-only fault injection: crash the process (exit 137) at this point of a send. */
  crashPoint: 'after-claim' | 'after-provider-send' | null;
}

/** Default webhook retry schedule: 5s, 30s, 2m, 10m, 30m, 1h, 2h, 4h, 8h, 12h ×5 ≈ 3.2 days. */
export const DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS = [
  5e3, 30e3, 120e3, 600e3, 1800e3, 3600e3, 7200e3, 14400e3, 28800e3,
  43200e3, 43200e3, 43200e3, 43200e3, 43200e3,
];

export class ConfigError extends Error {}

function baseUrl(env: Env, name: string, def: string): string {
  const raw = (env[name] || def).replace(/\/+$/, '');
  try {
    const u = new URL(raw);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('not http');
  } catch {
    throw new ConfigError(`${name} must be an absolute http(s) URL, got "${raw}"`);
  }
  return raw;
}

type Env = Record<string, string | undefined>;

/** A number setting (integers and fractions alike), at least `min`. */
function num(env: Env, name: string, def: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new ConfigError(`${name} must be a number ≥ ${min}, got "${raw}"`);
  return n;
}

function bool(env: Env, name: string, def: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

/** Reads the secret from the environment, else from (or newly into) `<dataDir>/secret`. */
function loadSecret(env: Env, dataDir: string): string {
  if (env.ENGAGE_SECRET) {
    if (env.ENGAGE_SECRET.length < 16) throw new ConfigError('ENGAGE_SECRET must be at least 16 characters');
    return env.ENGAGE_SECRET;
  }
  const file = path.join(dataDir, 'secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
}

export function loadConfig(env: Env = process.env): Config {
  const port = num(env, 'PORT', 3000);
  const dataDir = path.resolve(env.ENGAGE_DATA_DIR || './.engage');
  const publicUrl = (env.PUBLIC_URL || `http://localhost:${port}`).replace(/\/+$/, '');
  try {
    new URL(publicUrl);
  } catch {
    throw new ConfigError(`PUBLIC_URL must be an absolute URL, got "${publicUrl}"`);
  }
  const crash = env.ENGAGE_CRASH_POINT || null;
  if (crash !== null && crash !== 'after-claim' && crash !== 'after-provider-send') {
    throw new ConfigError(`ENGAGE_CRASH_POINT must be after-claim or after-provider-send, got "${crash}"`);
  }
  const schedule = env.ENGAGE_WEBHOOK_RETRY_SCHEDULE_MS
    ? env.ENGAGE_WEBHOOK_RETRY_SCHEDULE_MS.split(',').map((s) => {
        const n = Number(s.trim());
        if (!Number.isFinite(n) || n < 0) throw new ConfigError('ENGAGE_WEBHOOK_RETRY_SCHEDULE_MS must be comma-separated milliseconds');
        return n;
      })
    : DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS;
  const failureRate = num(env, 'ENGAGE_SIMULATOR_FAILURE_RATE', 0);
  if (failureRate > 1) throw new ConfigError('ENGAGE_SIMULATOR_FAILURE_RATE must be between 0 and 1');
  const outOfOrderRate = num(env, 'ENGAGE_SIMULATOR_OUT_OF_ORDER_RATE', 0);
  if (outOfOrderRate > 1) throw new ConfigError('ENGAGE_SIMULATOR_OUT_OF_ORDER_RATE must be between 0 and 1');
  return {
    port,
    host: env.HOST || '0.0.0.0',
    publicUrl,
    databaseUrl: env.DATABASE_URL || null,
    dataDir,
    secret: loadSecret(env, dataDir),
    bootstrapApiKey: env.ENGAGE_BOOTSTRAP_API_KEY || null,
    allowPrivateWebhooks: bool(env, 'ENGAGE_ALLOW_PRIVATE_WEBHOOKS', false),
    logLevel: env.LOG_LEVEL || 'info',
    webhookRetryScheduleMs: schedule,
    webhookTimeoutMs: num(env, 'ENGAGE_WEBHOOK_TIMEOUT_MS', 10_000, 1),
    sendLeaseMs: num(env, 'ENGAGE_SEND_LEASE_MS', 120_000, 1),
    broadcastPollMs: num(env, 'ENGAGE_BROADCAST_POLL_MS', 1000, 10),
    simulatorReceiptDelayMs: num(env, 'ENGAGE_SIMULATOR_RECEIPT_DELAY_MS', 200),
    simulatorFailureRate: failureRate,
    simulatorLatencyMs: num(env, 'ENGAGE_SIMULATOR_LATENCY_MS', 0),
    simulatorOutOfOrderRate: outOfOrderRate,
    twilioApiUrl: baseUrl(env, 'ENGAGE_TWILIO_API_URL', 'https://api.twilio.com'),
    telnyxApiUrl: baseUrl(env, 'ENGAGE_TELNYX_API_URL', 'https://api.telnyx.com'),
    providerTimeoutMs: num(env, 'ENGAGE_PROVIDER_TIMEOUT_MS', 10_000, 1),
    crashPoint: crash,
  };
}
