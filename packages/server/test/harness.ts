/**
 * Test harness: a real Engage (HTTP on a loopback port + worker) on a fresh database, a real
 * webhook receiver, and `eventually` to wait for a condition (polling the real system, never a
 * fixed sleep). Engage logs into `logs` (a LogCapture), not stdout: a failed test prints them.
 */
import http from 'node:http';
import { loadConfig, type Config } from '../src/config.ts';
import { startEngage, type Engage } from '../src/engage.ts';
import { createTestDatabase } from './db.ts';
import { LogCapture } from './log-capture.ts';
import { closeServer, listenOnLoopback, readBody } from './loopback.ts';

export const TEST_API_KEY = 'engk_test_bootstrap_key_0123456789';
export const TEST_SECRET = 'test-secret-0123456789abcdef';

export function testEnv(databaseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    ENGAGE_SECRET: TEST_SECRET,
    ENGAGE_BOOTSTRAP_API_KEY: TEST_API_KEY,
    ENGAGE_ALLOW_PRIVATE_WEBHOOKS: 'true',
    ENGAGE_SIMULATOR_RECEIPT_DELAY_MS: '20',
    ENGAGE_WEBHOOK_RETRY_SCHEDULE_MS: '50,100,200',
    ENGAGE_BROADCAST_POLL_MS: '100',
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

export interface TestEngage extends Engage {
  url: string;
  config: Config;
  /** Everything this Engage logged (at LOG_LEVEL, warn unless the test says otherwise). */
  logs: LogCapture;
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export async function startTestEngage(opts: { env?: Record<string, string>; worker?: boolean; api?: boolean; databaseUrl?: string; quietHoursPolicy?: 'US_TCPA' | 'NONE' } = {}): Promise<TestEngage> {
  const database = opts.databaseUrl ? null : await createTestDatabase();
  const databaseUrl = opts.databaseUrl ?? database!.url;
  const config = loadConfig(testEnv(databaseUrl, opts.env));
  const logs = new LogCapture();
  const engage = await startEngage(config, { api: opts.api ?? true, worker: opts.worker ?? true, logDestination: logs });
  // Tests run at any hour of the real day: the bootstrap workspace sends under the campaign
  // schedule alone unless a test asks for a quiet-hours policy (core/quiet-hours.test.ts and
  // broadcast/rules.test.ts test the policies with an injected clock).
  if (opts.quietHoursPolicy !== 'US_TCPA') await engage.ctx.db.updateTable('workspaces').set({ quiet_hours_policy: 'NONE' }).execute();
  // PUBLIC_URL must point at the real port, known only after listening.
  if (engage.url) engage.ctx.config.publicUrl = engage.url;
  const url = engage.url ?? '';
  return Object.assign(engage, {
    url,
    config,
    logs,
    async api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
      const init: RequestInit = { method, headers: { 'x-api-key': TEST_API_KEY, ...headers } };
      if (body !== undefined) {
        if (typeof body === 'string') init.body = body;
        else {
          init.body = JSON.stringify(body);
          (init.headers as Record<string, string>)['content-type'] = 'application/json';
        }
      }
      const res = await fetch(url + path, init);
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* not JSON: keep the text */
      }
      return { status: res.status, body: parsed as any };
    },
    async close() {
      await engage.stop();
      await database?.drop();
    },
  });
}

/** Polls `check` until it returns a non-undefined value (or throws the last error at the deadline). */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface ReceivedWebhook {
  path: string;
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: any;
}

/** A real HTTP webhook receiver on loopback that records every request. */
export class Receiver {
  readonly received: ReceivedWebhook[] = [];
  private server = http.createServer((req, res) => {
    void readBody(req).then((raw) => {
      let body: any = null;
      try {
        body = JSON.parse(raw);
      } catch {
        body = null;
      }
      const status = this.respond({ path: req.url ?? '/', body });
      this.attempts.push({ path: req.url ?? '/', eventType: body?.eventType ?? null, status });
      if (status < 300) {
        this.received.push({ path: req.url ?? '/', headers: req.headers, raw, body });
      } else this.rejected++;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'try again');
    });
  });
  rejected = 0;
  /** Every request, accepted or not, in arrival order. */
  readonly attempts: { path: string; eventType: string | null; status: number }[] = [];
  /** Decides the status of each request; default 200. */
  respond: (req: { path: string; body: any }) => number = () => 200;
  url = '';

  async start(): Promise<this> {
    this.url = await listenOnLoopback(this.server);
    return this;
  }

  ofType(eventType: string): ReceivedWebhook[] {
    return this.received.filter((r) => r.body?.eventType === eventType);
  }

  waitFor(eventType: string, count = 1, timeoutMs = 10_000): Promise<ReceivedWebhook[]> {
    return eventually(() => (this.ofType(eventType).length >= count ? this.ofType(eventType) : undefined), timeoutMs, `${count} ${eventType} webhook(s)`);
  }

  stop(): Promise<void> {
    return closeServer(this.server);
  }
}
