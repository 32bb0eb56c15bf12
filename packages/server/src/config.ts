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
  /** TCP port of the embedded PostgreSQL on 127.0.0.1 (ENGAGE_EMBEDDED_PG_PORT). Default 0: a free port at each start. */
  embeddedPgPort: number;
  /** Secret used to derive conversation keys and encrypt provider credentials. Generated into dataDir when unset. */
  secret: string;
  /** On an empty database, create the first workspace with this API key. */
  bootstrapApiKey: string | null;
  /** Deliver webhooks to private/loopback addresses. Default false. */
  allowPrivateWebhooks: boolean;
  /** pino level (LOG_LEVEL). Default info. */
  logLevel: string;
  /**
   * How log lines are written (LOG_FORMAT): `json` (one JSON object a line, for log collectors) or
   * `pretty` (pino-pretty, for people). Default null: pretty when stdout is a terminal, else JSON.
   */
  logFormat: 'json' | 'pretty' | null;
  /** Delays between webhook delivery attempts, in ms (each ±10 % jitter). Default 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (≈ 28 h). */
  webhookRetryScheduleMs: number[];
  /** Webhook deliveries running at once per worker process (ENGAGE_WEBHOOK_CONCURRENCY). Default 8. */
  webhookConcurrency: number;
  /** Webhook attempts in flight per receiver URL per worker process (ENGAGE_WEBHOOK_ENDPOINT_CONCURRENCY). Default 2. */
  webhookEndpointConcurrency: number;
  /** An endpoint with only failures for this long is disabled (ENGAGE_WEBHOOK_DISABLE_AFTER_MS). Default 5 days. */
  webhookDisableAfterMs: number;
  /** Events (and their delivery attempts) older than this many days are deleted (ENGAGE_EVENT_RETENTION_DAYS). Default 30. */
  eventRetentionDays: number;
  /** Replayed deliveries sent per second per workspace (ENGAGE_REPLAY_RATE_PER_SECOND). Default 50. */
  replayRatePerSecond: number;
  /** Per-attempt webhook timeout in ms. Default 10000. */
  webhookTimeoutMs: number;
  /** A claimed-but-unfinished send older than this is recovered. Default 120000. */
  sendLeaseMs: number;
  /**
   * A list import whose worker has not renewed its lease for this long (the worker died) is taken
   * over by another worker and loaded again from the file (ENGAGE_IMPORT_LEASE_MS). Default 30000.
   */
  importLeaseMs: number;
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
  /**
   * Simulator: base URL of the simulated carrier's HTTP API (ENGAGE_SIMULATOR_URL, e.g. the API
   * process's own URL). Unset = the worker writes to the simulator's tables directly.
   */
  simulatorUrl: string | null;
  /** Simulator: whether it plays delivery receipts (ENGAGE_SIMULATOR_RECEIPTS). Default true; benchmarks turn them off. */
  simulatorReceipts: boolean;
  /** Broadcast: leads claimed per batch (ENGAGE_SENDER_BATCH). Default 200. */
  senderBatch: number;
  /** Broadcast: claim-and-send loops per worker process, each with one batch in flight (ENGAGE_SENDER_LANES). Default 3. */
  senderLanes: number;
  /** Broadcast: attempts of a send that fails with a retryable error before the lead is FAILED (ENGAGE_SEND_MAX_ATTEMPTS). Default 5. */
  sendMaxAttempts: number;
  /** Broadcast: first retry delay, doubled per attempt (ENGAGE_SEND_RETRY_BASE_MS). Default 30000. */
  sendRetryBaseMs: number;
  /** Base URL of Twilio's REST API (ENGAGE_TWILIO_API_URL). Default https://api.twilio.com; tests point it at a local fake. */
  twilioApiUrl: string;
  /** Base URL of Telnyx's REST API (ENGAGE_TELNYX_API_URL). Default https://api.telnyx.com; tests point it at a local fake. */
  telnyxApiUrl: string;
  /** Base URL of Twilio's Lookup API (ENGAGE_TWILIO_LOOKUP_URL). Default https://lookups.twilio.com; tests point it at a local fake. */
  twilioLookupUrl: string;
  /** Deadline of one call to a real provider's API, ms (ENGAGE_PROVIDER_TIMEOUT_MS). Default 10000; keep it below sendLeaseMs. */
  providerTimeoutMs: number;
  /**
   * Origins allowed to frame the agent widget (`/engage`), as CSP `frame-ancestors` sources
   * (ENGAGE_WIDGET_FRAME_ORIGINS, comma- or space-separated, e.g. `https://crm.example.com`).
   * Default `['*']`: any origin.
   */
  widgetFrameOrigins: string[];
  /** Test-only fault injection: crash the process (exit 137) at this point of a send. */
  crashPoint: 'after-claim' | 'after-provider-send' | null;
  /** SMTP server for conversation emails (SMTP_URL, e.g. smtp://user:pass@host:587 or smtps://…). Default null = email off. */
  smtpUrl: string | null;
  /** How often a worker looks for due automation timers (no-reply rules, follow-ups), ms (ENGAGE_AUTOMATION_POLL_MS). Default 15000. */
  automationPollMs: number;
}

/** Default webhook retry schedule (Svix's): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h ≈ 28 h; jittered at use. */
export const DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS = [5e3, 300e3, 1800e3, 7200e3, 18000e3, 36000e3, 36000e3];

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

function smtpUrl(env: Env): string | null {
  const raw = env.SMTP_URL?.trim();
  if (!raw) return null;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError('SMTP_URL must be a URL like smtp://user:pass@host:587');
  }
  if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') throw new ConfigError('SMTP_URL must start with smtp:// or smtps://');
  return raw;
}

/** A number setting (integers and fractions alike), at least `min`. */
function num(env: Env, name: string, def: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new ConfigError(`${name} must be a number ≥ ${min}, got "${raw}"`);
  return n;
}

/** A TCP port, 0 = unset. */
function tcpPort(env: Env, name: string): number {
  const n = num(env, name, 0);
  if (!Number.isInteger(n) || n > 65535) throw new ConfigError(`${name} must be a TCP port (1-65535), got "${env[name]}"`);
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

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function logLevel(env: Env): string {
  const raw = env.LOG_LEVEL?.trim().toLowerCase();
  if (!raw) return 'info';
  if (!LOG_LEVELS.includes(raw)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  return raw;
}

function logFormat(env: Env): Config['logFormat'] {
  const raw = env.LOG_FORMAT?.trim().toLowerCase();
  if (!raw) return null;
  if (raw !== 'json' && raw !== 'pretty') throw new ConfigError(`LOG_FORMAT must be json or pretty, got "${env.LOG_FORMAT}"`);
  return raw;
}

/** `*`, or origins like `https://crm.example.com`, `http://127.0.0.1:8080`, `https://*.example.com`. */
function frameOrigins(env: Env): string[] {
  const raw = (env.ENGAGE_WIDGET_FRAME_ORIGINS ?? '').trim();
  if (raw === '') return ['*'];
  const origins = raw.split(/[\s,]+/).filter(Boolean).map((o) => o.replace(/\/+$/, ''));
  for (const o of origins) {
    if (o !== '*' && !/^https?:\/\/(\*\.)?[a-z0-9.-]+(:\d{1,5})?$/i.test(o)) {
      throw new ConfigError(`ENGAGE_WIDGET_FRAME_ORIGINS: "${o}" is not an origin (scheme://host[:port]) or *`);
    }
  }
  return origins;
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
    embeddedPgPort: tcpPort(env, 'ENGAGE_EMBEDDED_PG_PORT'),
    secret: loadSecret(env, dataDir),
    bootstrapApiKey: env.ENGAGE_BOOTSTRAP_API_KEY || null,
    allowPrivateWebhooks: bool(env, 'ENGAGE_ALLOW_PRIVATE_WEBHOOKS', false),
    logLevel: logLevel(env),
    logFormat: logFormat(env),
    webhookRetryScheduleMs: schedule,
    webhookTimeoutMs: num(env, 'ENGAGE_WEBHOOK_TIMEOUT_MS', 10_000, 1),
    webhookConcurrency: num(env, 'ENGAGE_WEBHOOK_CONCURRENCY', 8, 1),
    webhookEndpointConcurrency: num(env, 'ENGAGE_WEBHOOK_ENDPOINT_CONCURRENCY', 2, 1),
    webhookDisableAfterMs: num(env, 'ENGAGE_WEBHOOK_DISABLE_AFTER_MS', 5 * 86_400_000, 1),
    eventRetentionDays: num(env, 'ENGAGE_EVENT_RETENTION_DAYS', 30, 1),
    replayRatePerSecond: num(env, 'ENGAGE_REPLAY_RATE_PER_SECOND', 50, 1),
    sendLeaseMs: num(env, 'ENGAGE_SEND_LEASE_MS', 120_000, 1),
    importLeaseMs: num(env, 'ENGAGE_IMPORT_LEASE_MS', 30_000, 100),
    broadcastPollMs: num(env, 'ENGAGE_BROADCAST_POLL_MS', 1000, 10),
    simulatorReceiptDelayMs: num(env, 'ENGAGE_SIMULATOR_RECEIPT_DELAY_MS', 200),
    simulatorFailureRate: failureRate,
    simulatorLatencyMs: num(env, 'ENGAGE_SIMULATOR_LATENCY_MS', 0),
    simulatorOutOfOrderRate: outOfOrderRate,
    simulatorUrl: env.ENGAGE_SIMULATOR_URL ? baseUrl(env, 'ENGAGE_SIMULATOR_URL', '') : null,
    simulatorReceipts: bool(env, 'ENGAGE_SIMULATOR_RECEIPTS', true),
    senderBatch: num(env, 'ENGAGE_SENDER_BATCH', 200, 1),
    senderLanes: num(env, 'ENGAGE_SENDER_LANES', 3, 1),
    sendMaxAttempts: num(env, 'ENGAGE_SEND_MAX_ATTEMPTS', 5, 1),
    sendRetryBaseMs: num(env, 'ENGAGE_SEND_RETRY_BASE_MS', 30_000, 1),
    twilioApiUrl: baseUrl(env, 'ENGAGE_TWILIO_API_URL', 'https://api.twilio.com'),
    telnyxApiUrl: baseUrl(env, 'ENGAGE_TELNYX_API_URL', 'https://api.telnyx.com'),
    twilioLookupUrl: baseUrl(env, 'ENGAGE_TWILIO_LOOKUP_URL', 'https://lookups.twilio.com'),
    providerTimeoutMs: num(env, 'ENGAGE_PROVIDER_TIMEOUT_MS', 10_000, 1),
    widgetFrameOrigins: frameOrigins(env),
    crashPoint: crash,
    smtpUrl: smtpUrl(env),
    automationPollMs: num(env, 'ENGAGE_AUTOMATION_POLL_MS', 15_000, 10),
  };
}
