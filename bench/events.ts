/**
 * `npm run bench -- events`: the event path as an integrator sees it (issue 19, "Must be shown").
 *
 * A campaign of BENCH_EVENTS_LEADS leads (default 20,000; the issue's recorded run is 1,000,000)
 * with every webhook on (deliveryResult, conversationStarted, incomingMessage, disposition, optOut,
 * optIn), all pointed at one loopback receiver (bench/events-receiver.ts, a child process) that
 * answers 200 at once or after BENCH_RECEIVER_DELAY_MS and records every event's `webhook-id`, type,
 * lead and arrival time. Sent through the built-in simulator with `npm start` defaults otherwise:
 * `engage api` (also the simulated carrier: the worker sends over loopback HTTP, ENGAGE_SIMULATOR_URL)
 * and `engage worker` as child processes, simulator receipts on (200 ms apart).
 *
 * NOT YET what the issue asks for receipts: the simulator has no HTTP carrier mode for receipts —
 * they are graphile-worker jobs (`simulator-receipt`, two per message) that the worker runs, not
 * signed HTTP callbacks. So `receiptsPerSecond` is receipts applied per second as the database
 * shows them, and `callbackP99Ms` is null.
 *
 * Measured:
 * - the broadcast (activate → no lead PENDING/SENDING): `sendPerSecond`;
 * - the receipts (activate → the last lead's final status, `leads.result`): `receiptsPerSecond`;
 * - right after the broadcast, during the drain, a wave of BENCH_EVENTS_REPLIES replies (default
 *   min(5,000, leads/4)) through `POST /api/simulator/messages`, 64 at a time: `inboundPerSecond`,
 *   `inboundP99Ms` (answer latency) and `replyToWebhookMs` (post → its ConversationStarted at the
 *   receiver);
 * - the DeliveryResult webhooks at the receiver: `deliveryResultsPerSecond` (first → last arrival),
 *   `lastDeliveryResultLagSeconds` (after the broadcast finished), `duplicates` (a `webhook-id`
 *   again), `outOfOrder` (an event of a conversation arriving after a later one of the same
 *   conversation, "later" = the order Engage queued them in, webhook_deliveries.id);
 * - once everything drained, BENCH_EVENTS_IDLE_REPLIES (default 200) replies one at a time (the
 *   next once the previous one's event arrived): `idleReplyToWebhookMs`;
 * - baseline, same run, worker stopped: bare HTTP POSTs of the recorded DeliveryResult bodies and
 *   headers to the same receiver (at `/baseline`), BENCH_EVENTS_BASELINE_CONCURRENCY (default a
 *   fixed 16) in flight over keep-alive connections: `baseline.perSecond`;
 *   `ratio` = deliveryResultsPerSecond / baseline.perSecond.
 *
 * Writes bench/results/events.json (events-receiver-<ms>ms.json with a delayed receiver, so both
 * runs are kept). It does not edit docs/benchmarks.md: it prints a table row for it.
 * Environment: BENCH_DATABASE_URL, BENCH_EVENTS_LEADS, BENCH_EVENTS_REPLIES, BENCH_EVENTS_IDLE_REPLIES,
 * BENCH_RECEIVER_DELAY_MS, BENCH_EVENTS_BASELINE_CONCURRENCY, BENCH_EVENTS_BASELINE_MAX (posts,
 * default 100,000), BENCH_EVENTS_TIMEOUT_S (the drain's deadline; default grows with the leads).
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Pool } from 'undici';
import { migrate } from '../packages/server/src/db/migrate.ts';
import { benchDatabase } from './db.ts';
import type { Arrival, KeptBody, ReceiverCall, ReceiverMessage, ReceiverOptions, ReceiverRequest, ReceiverStats } from './events-receiver.ts';
import { benchPhone } from './leads.ts';
import { cpuMeter, percentile, processCpuMeter } from './stats.ts';
import { waitFor } from './wait.ts';
import { API_KEY, BENCH_DIR, BIN, SECRET } from './paths.ts';


const LEADS = Number(process.env.BENCH_EVENTS_LEADS ?? 20_000);
const REPLIES = Math.min(LEADS, Number(process.env.BENCH_EVENTS_REPLIES ?? Math.min(5_000, Math.floor(LEADS / 4))));
const IDLE_REPLIES = Math.min(LEADS - REPLIES, Number(process.env.BENCH_EVENTS_IDLE_REPLIES ?? 200));
const IDLE_GAP_MS = 20;
const IDLE_TIMEOUT_S = 300;
const RECEIVER_DELAY_MS = Number(process.env.BENCH_RECEIVER_DELAY_MS ?? 0);
const WAVE_CONCURRENCY = 64;
const BASELINE_CONCURRENCY = Number(process.env.BENCH_EVENTS_BASELINE_CONCURRENCY ?? 16);
const BASELINE_MAX = Number(process.env.BENCH_EVENTS_BASELINE_MAX ?? 100_000);
/** DeliveryResult bodies the receiver keeps for the baseline (cycled when there are more posts). */
const BODIES_KEPT = 20_000;
/** Today's worst case is ~50 DeliveryResults/s at once and ~2 / 200 ms with a slow receiver; twice that. */
const DRAIN_TIMEOUT_S = Number(process.env.BENCH_EVENTS_TIMEOUT_S ?? Math.round(300 + LEADS * (0.04 + (RECEIVER_DELAY_MS / 1000) * 1.0)));
const SAMPLE_MS = LEADS > 100_000 ? 5_000 : 1_000;
const TIMELINE_KEPT = 120;
const ALWAYS = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: 0, end: 1440 }]]));
const WEBHOOK_KEYS = ['deliveryResult', 'conversationStarted', 'incomingMessage', 'disposition', 'optOut', 'optIn'] as const;
const CONVERSATION_EVENTS = new Set(['ConversationStarted', 'NewMessage']);

const log = (msg: string) => console.log(`[bench events] ${msg}`);
/** Epoch ms with sub-millisecond resolution; the receiver uses the same clock. */
const nowMs = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number, digits = 1) => (Number.isFinite(n) ? Number(n.toFixed(digits)) : null);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

interface Pct { count: number; p50: number | null; p99: number | null; max: number | null }
function pct(samples: number[]): Pct {
  const s = Float64Array.from(samples).sort();
  return { count: s.length, p50: round(percentile(s, 50)), p99: round(percentile(s, 99)), max: round(s[s.length - 1] ?? NaN) };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Ends a child process: SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
async function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** `engage api|worker` as `npm start` runs it; its output is kept for the error message should it die. */
function startEngageProcess(command: 'api' | 'worker', env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['--max-semi-space-size=32', BIN, command], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', (d: Buffer) => {
    keep(d);
    process.stderr.write(`[engage ${command}] ${d.toString()}`);
  });
  return { child, output: () => out };
}

/** The receiver child process and its IPC requests, each with a deadline. */
async function startReceiver(opts: ReceiverOptions): Promise<{ child: ChildProcess; url: string; stats: () => Promise<ReceiverStats>; dump: (dir: string) => Promise<void> }> {
  const child = fork(path.join(BENCH_DIR, 'events-receiver.ts'), [JSON.stringify(opts)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let seq = 0;
  const pending = new Map<number, (m: ReceiverMessage) => void>();
  let onReady: ((url: string) => void) | null = null;
  child.on('message', (m: ReceiverMessage) => {
    if (m.type === 'ready') onReady?.(m.url);
    else {
      pending.get(m.seq)?.(m);
      pending.delete(m.seq);
    }
  });
  const call = (req: ReceiverCall, timeoutMs: number) =>
    new Promise<ReceiverMessage>((resolve, reject) => {
      const s = ++seq;
      const timer = setTimeout(() => {
        pending.delete(s);
        reject(new Error(`the receiver did not answer ${req.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(s, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      child.send({ ...req, seq: s } satisfies ReceiverRequest);
    });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the receiver did not start within 30 s')), 30_000);
    onReady = (u) => {
      clearTimeout(timer);
      resolve(u);
    };
    child.once('exit', (code) => reject(new Error(`the receiver exited with ${code} before it was ready`)));
  }).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  return {
    child,
    url,
    stats: async () => ((await call({ type: 'stats' }, 10_000)) as Extract<ReceiverMessage, { type: 'stats' }>).stats,
    dump: async (dir) => {
      await call({ type: 'dump', dir }, 300_000);
    },
  };
}

interface Sample {
  /** Seconds since activate. */
  t: number;
  leads: Record<string, number>;
  /** Jobs due now (run_at ≤ now) by task, and all jobs. */
  jobsDue: Record<string, number>;
  jobsTotal: number;
  webhookDeliveriesPending: number;
  received: Record<string, number>;
}

export async function benchEvents(): Promise<void> {
  const stops: (() => Promise<unknown>)[] = [];
  let stopping: Promise<void> | null = null;
  const cleanup = () => {
    stopping ??= (async () => {
      while (stops.length) await stops.pop()!().catch((err: unknown) => console.error('[bench events] cleanup step failed:', err));
    })();
    return stopping;
  };
  const onSignal = (sig: NodeJS.Signals) => {
    log(`${sig}: stopping`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await run(stops);
  } finally {
    log('stopping');
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function run(stops: (() => Promise<unknown>)[]): Promise<void> {
  const startedAt = new Date();
  if (!(LEADS >= 1) || !(REPLIES >= 0) || !(IDLE_REPLIES >= 0) || !(RECEIVER_DELAY_MS >= 0) || !(BASELINE_CONCURRENCY >= 1)) {
    throw new Error('BENCH_EVENTS_* settings must be non-negative numbers (leads and baseline concurrency ≥ 1)');
  }
  const quiet = cpuMeter();
  await sleep(1000);
  const busyBefore = quiet().machine;
  const loadBefore = os.loadavg().map((l) => l.toFixed(2)).join(', ');
  log(`${fmt(LEADS)} leads, ${fmt(REPLIES)} replies during the drain, ${fmt(IDLE_REPLIES)} idle replies, receiver answers after ${RECEIVER_DELAY_MS} ms; ` +
    `machine ${Math.round(busyBefore * 100)}% busy before (load average ${loadBefore})`);

  // 1. Database, receiver, `engage api`.
  const { databaseUrl, kind: databaseKind, version: pgVersion, tmp } = await benchDatabase('events', log, stops);
  await migrate(databaseUrl);
  const dataDir = path.join(tmp, 'data');
  const dumpDir = path.join(tmp, 'receiver');
  await mkdir(dataDir, { recursive: true });
  await mkdir(dumpDir, { recursive: true });

  const receiver = await startReceiver({ delayMs: RECEIVER_DELAY_MS, bodiesKept: BODIES_KEPT });
  stops.push(() => stopChild(receiver.child, 5_000));
  const hook = `${receiver.url}/events`;
  log(`receiver at ${receiver.url}`);

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const common = {
    DATABASE_URL: databaseUrl, ENGAGE_SECRET: SECRET, ENGAGE_BOOTSTRAP_API_KEY: API_KEY, LOG_LEVEL: 'warn',
    ENGAGE_DATA_DIR: dataDir, PUBLIC_URL: base, ENGAGE_ALLOW_PRIVATE_WEBHOOKS: 'true',
  };
  const apiProc = startEngageProcess('api', { ...common, PORT: String(port), HOST: '127.0.0.1' });
  stops.push(() => stopChild(apiProc.child));
  await waitFor('`engage api` to answer /health', 60_000, async () => {
    if (apiProc.child.exitCode !== null) throw new Error(`engage api exited with ${apiProc.child.exitCode}: ${apiProc.output()}`);
    try {
      return (await fetch(`${base}/health`)).ok ? true : undefined;
    } catch {
      return undefined;
    }
  }, 100);
  log(`\`engage api\` at ${base}`);

  const api = async <T = Record<string, unknown>>(method: string, p: string, body?: unknown): Promise<T> => {
    const res = await fetch(base + p, { method, headers: { 'x-api-key': API_KEY, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : null, signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  };

  const db = new pg.Pool({ connectionString: databaseUrl, max: 3 });
  db.on('error', () => undefined);
  stops.push(() => db.end());
  const q = async <T extends pg.QueryResultRow>(text: string, values: unknown[] = []) => (await db.query<T>(text, values)).rows;

  // 2. The campaign: every webhook on, all to the receiver; leads written with SQL (setup, not measured).
  await api('PATCH', '/api/public/engage/workspace', { quietHoursPolicy: 'NONE' });
  const webhooks = Object.fromEntries(WEBHOOK_KEYS.map((k) => [k, hook]));
  const campaign = await api<{ id: string }>('POST', '/api/public/engage/campaigns', {
    name: 'Events bench', schedule: ALWAYS, webhooks,
    messages: { outgoingMessage: 'Hi {{FirstName}} - this is the Engage events benchmark. Reply to talk, or STOP to opt out.' },
  });
  const campaignId = campaign.id;
  await api('POST', `/api/public/engage/campaigns/${campaignId}/approve`);
  const ws = (await q<{ id: number }>('SELECT id FROM workspaces LIMIT 1'))[0]!.id;
  const listId = randomBytes(12).toString('hex');
  await q(`INSERT INTO lists (id, workspace_id, campaign_id, name) VALUES ($1, $2, $3, 'events bench')`, [listId, ws, campaignId]);
  log(`seeding ${fmt(LEADS)} leads`);
  for (let i = 0; i < LEADS; i += 100_000) {
    const phones = Array.from({ length: Math.min(100_000, LEADS - i) }, (_, k) => benchPhone(4_000_000 + i + k));
    await q(
      `INSERT INTO leads (id, workspace_id, campaign_id, list_id, phone, time_zone, zip, state, lead_data)
       SELECT substr(md5(p), 1, 24), $1, $2, $3, p, 'America/New_York', '10001', 'NY', json_build_object('FirstName', 'Ada', 'Phone', p)
       FROM unnest($4::text[]) AS p`,
      [ws, campaignId, listId, phones],
    );
  }
  await q('ANALYZE leads');
  const postmaster = await (async () => {
    const pid = (await q<{ pid: number }>('SELECT pg_backend_pid() AS pid'))[0]!.pid;
    try {
      return Number(execFileSync('ps', ['-o', 'ppid=', '-p', String(pid)], { encoding: 'utf8' }).trim()) || null;
    } catch {
      return null;
    }
  })();

  // 3. `engage worker`: sends over HTTP to the simulated carrier in `engage api`, runs receipts and webhooks.
  const workerProc = startEngageProcess('worker', { ...common, ENGAGE_SIMULATOR_URL: base });
  stops.push(() => stopChild(workerProc.child));
  await sleep(3000); // its start-up is not measured
  if (workerProc.child.exitCode !== null) throw new Error(`engage worker exited with ${workerProc.child.exitCode}: ${workerProc.output()}`);

  const timeline: Sample[] = [];
  let sampling = true;
  const sampleOnce = async (t0: number) => {
    const [leads, jobs, pending, received] = await Promise.all([
      q<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM leads WHERE campaign_id = $1 GROUP BY status', [campaignId]),
      q<{ task: string; due: number; n: number }>('SELECT task_identifier AS task, count(*) FILTER (WHERE run_at <= now())::int AS due, count(*)::int AS n FROM graphile_worker.jobs GROUP BY 1'),
      q<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'PENDING'`),
      receiver.stats(),
    ]);
    timeline.push({
      t: round((nowMs() - t0) / 1000)!,
      leads: Object.fromEntries(leads.map((r) => [r.status, r.n])),
      jobsDue: Object.fromEntries(jobs.map((r) => [r.task, r.due])),
      jobsTotal: jobs.reduce((a, r) => a + r.n, 0),
      webhookDeliveriesPending: pending[0]!.n,
      received: { ...received.byType },
    });
  };

  // 4. Broadcast.
  const loadAtActivate = os.loadavg().map((l) => l.toFixed(2)).join(', ');
  const machineMeter = cpuMeter();
  // Only this run's PostgreSQL counts (another one on the machine, e.g. a test suite's, is not ours).
  const split = processCpuMeter({ worker: workerProc.child.pid!, api: apiProc.child.pid!, receiver: receiver.child.pid!, coordinator: process.pid }, postmaster ?? undefined);
  const t0 = nowMs();
  await api('POST', `/api/public/engage/campaigns/${campaignId}/activate`);
  const sampler = (async () => {
    while (sampling) {
      await sampleOnce(t0).catch((err: unknown) => log(`sample failed: ${(err as Error).message}`));
      const last = timeline.at(-1);
      if (last && timeline.length % Math.max(1, Math.round(10_000 / SAMPLE_MS)) === 0) {
        log(`t=${last.t}s leads ${JSON.stringify(last.leads)} jobs due ${JSON.stringify(last.jobsDue)} received ${JSON.stringify(last.received)}`);
      }
      await sleep(SAMPLE_MS);
    }
  })();
  stops.push(async () => {
    sampling = false;
    await sampler;
  });
  await waitFor('the broadcast (no lead PENDING or SENDING)', (300 + LEADS / 100) * 1000, async () => {
    if (workerProc.child.exitCode !== null) throw new Error(`engage worker exited with ${workerProc.child.exitCode}: ${workerProc.output()}`);
    const left = await q(`SELECT 1 FROM leads WHERE campaign_id = $1 AND status IN ('PENDING', 'SENDING') LIMIT 1`, [campaignId]);
    return left.length === 0 ? true : undefined;
  }, 100);
  const broadcastEnd = nowMs();
  const broadcastSeconds = (broadcastEnd - t0) / 1000;
  log(`broadcast: ${fmt(LEADS)} leads handed to the simulator in ${broadcastSeconds.toFixed(1)} s`);

  // 5. The reply wave, during the drain.
  const repliers = await q<{ id: string; phone: string; from_number: string }>(
    'SELECT id, phone, from_number FROM leads WHERE campaign_id = $1 AND from_number IS NOT NULL ORDER BY id LIMIT $2', [campaignId, REPLIES + IDLE_REPLIES],
  );
  if (repliers.length < REPLIES + IDLE_REPLIES) throw new Error(`only ${repliers.length} sent leads to reply from`);
  const inbound = new Pool(base, { connections: WAVE_CONCURRENCY, keepAliveTimeout: 30_000, headersTimeout: 60_000, bodyTimeout: 60_000 });
  stops.push(() => inbound.close());
  interface Reply { token: string; lead: string; postAt: number; answerMs: number; status: number }
  const postReply = async (r: { id: string; phone: string; from_number: string }, token: string): Promise<Reply> => {
    const postAt = nowMs();
    let status = 0;
    try {
      const res = await inbound.request({
        path: '/api/simulator/messages', method: 'POST', headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ from: r.phone, to: r.from_number, text: token }),
      });
      await res.body.text();
      status = res.statusCode;
    } catch {
      status = -1;
    }
    return { token, lead: r.id, postAt, answerMs: nowMs() - postAt, status };
  };
  log(`reply wave: ${fmt(REPLIES)} replies, ${WAVE_CONCURRENCY} at a time`);
  const wave: Reply[] = [];
  let next = 0;
  const waveStart = nowMs();
  await Promise.all(Array.from({ length: WAVE_CONCURRENCY }, async () => {
    for (;;) {
      const i = next++;
      if (i >= REPLIES) return;
      wave.push(await postReply(repliers[i]!, `Sounds good, tell me more (wave ${i})`));
    }
  }));
  const waveSeconds = (nowMs() - waveStart) / 1000;
  const waveOk = wave.filter((r) => r.status === 201).length;
  log(`reply wave: ${fmt(waveOk)} of ${fmt(REPLIES)} accepted in ${waveSeconds.toFixed(1)} s`);

  // 6. The drain: every lead final, every DeliveryResult and every wave reply's event at the receiver.
  let drainTimedOut = false;
  let lastDbCheck = 0;
  try {
    await waitFor('the drain (receipts, DeliveryResults, the wave\'s ConversationStarted)', DRAIN_TIMEOUT_S * 1000, async () => {
      if (workerProc.child.exitCode !== null) throw new Error(`engage worker exited with ${workerProc.child.exitCode}: ${workerProc.output()}`);
      const s = await receiver.stats();
      const conv = (s.byType.ConversationStarted ?? 0) + (s.byType.NewMessage ?? 0);
      if ((s.byType.DeliveryResult ?? 0) >= LEADS && conv >= waveOk) return true;
      // Should some lead end without a DeliveryResult, the database says when nothing is left.
      if (performance.now() - lastDbCheck > 5_000) {
        lastDbCheck = performance.now();
        const open = await q(`SELECT 1 FROM leads WHERE campaign_id = $1 AND status NOT IN ('DELIVERED', 'UNDELIVERED', 'FAILED') LIMIT 1`, [campaignId]);
        const pend = await q(`SELECT 1 FROM webhook_deliveries WHERE status = 'PENDING' LIMIT 1`);
        if (open.length === 0 && pend.length === 0 && conv >= waveOk) return true;
      }
      return undefined;
    }, 250);
  } catch (err) {
    if (!/timed out/.test((err as Error).message)) throw err;
    drainTimedOut = true;
    log(`warning: ${(err as Error).message}; reporting what arrived`);
  }
  const drainEnd = nowMs();
  sampling = false;
  await sampler;
  const drainCpu = { machine: round(machineMeter().machine, 2), cores: Object.fromEntries(Object.entries(split.stop().cores).map(([k, v]) => [k, round(v, 2)])) };
  log(`drain over ${((drainEnd - t0) / 1000).toFixed(1)} s after activation; CPU ${JSON.stringify(drainCpu)}`);

  // 7. Idle replies: nothing due in the job queue, nothing pending; one reply at a time, each sent
  // once the previous one's event reached the receiver (then a 20 ms pause), so the replies never
  // queue behind each other, whatever the receiver's speed.
  const idle: Reply[] = [];
  if (!drainTimedOut && IDLE_REPLIES > 0) {
    await waitFor('an idle job queue', 120_000, async () => {
      const due = await q<{ n: number }>('SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE run_at <= now()');
      const pend = await q<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'PENDING'`);
      return due[0]!.n === 0 && pend[0]!.n === 0 ? true : undefined;
    }, 250);
    await sleep(1000);
    log(`idle replies: ${IDLE_REPLIES}, one at a time`);
    const conv = (s: ReceiverStats) => (s.byType.ConversationStarted ?? 0) + (s.byType.NewMessage ?? 0);
    let expected = conv(await receiver.stats());
    const idleDeadline = performance.now() + IDLE_TIMEOUT_S * 1000;
    for (let i = 0; i < IDLE_REPLIES; i++) {
      if (performance.now() > idleDeadline) {
        log(`warning: the idle replies took longer than ${IDLE_TIMEOUT_S} s; stopped after ${i}`);
        break;
      }
      const r = await postReply(repliers[REPLIES + i]!, `Sounds good, tell me more (idle ${i})`);
      idle.push(r);
      if (r.status === 201) {
        expected++;
        const arrived = await waitFor(`idle reply ${i}'s event`, 30_000, async () => (conv(await receiver.stats()) >= expected ? true : undefined), 10)
          .catch((err: unknown) => log(`warning: ${(err as Error).message}`));
        if (!arrived) break;
      }
      await sleep(IDLE_GAP_MS);
    }
  }

  // 8. What the receiver saw; what Engage queued.
  await receiver.dump(dumpDir);
  const arrivals = (await readFile(path.join(dumpDir, 'arrivals.ndjson'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Arrival);
  const bodies = (await readFile(path.join(dumpDir, 'bodies.ndjson'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as KeptBody);
  const queued = await q<{ event_id: string; delivery_id: string; lead_id: string | null; event_type: string; status: string; created_ms: number; first_attempt_ms: number | null; attempts: number }>(
    `SELECT d.event_id, d.id::text AS delivery_id, e.lead_id, e.event_type, d.status,
            extract(epoch FROM e.created) * 1000 AS created_ms,
            (SELECT extract(epoch FROM min(a.attempted_at)) * 1000 FROM webhook_attempts a WHERE a.delivery_id = d.id) AS first_attempt_ms,
            d.attempts
     FROM webhook_deliveries d JOIN events e ON e.id = d.event_id WHERE e.campaign_id = $1`,
    [campaignId],
  );
  const byEvent = new Map(queued.map((r) => [r.event_id, r]));
  const attemptMs = await q<{ p50: number; p99: number; n: number }>(
    `SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50, percentile_disc(0.99) WITHIN GROUP (ORDER BY duration_ms) AS p99, count(*)::int AS n FROM webhook_attempts`,
  );
  const leadStatus = Object.fromEntries((await q<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM leads WHERE campaign_id = $1 GROUP BY status', [campaignId])).map((r) => [r.status, r.n]));
  const lastResult = (await q<{ ms: number | null; n: number }>(`SELECT extract(epoch FROM max(result)) * 1000 AS ms, count(result)::int AS n FROM leads WHERE campaign_id = $1`, [campaignId]))[0]!;
  const pgFull = (await q<{ v: string }>('SELECT version() AS v'))[0]!.v;
  // Row writes to graphile-worker's tables during the run (fresh database; PostgreSQL's statistics
  // lag by up to a second or so): how much job-queue churn the items cost.
  await sleep(2000);
  const jobTables = Object.fromEntries((await q<{ relname: string; ins: number; upd: number; del: number }>(
    `SELECT relname, n_tup_ins::int AS ins, n_tup_upd::int AS upd, n_tup_del::int AS del FROM pg_stat_all_tables
     WHERE schemaname = 'graphile_worker' AND relname IN ('_private_jobs', '_private_job_queues')`,
  )).map((r) => [r.relname, { inserts: r.ins, updates: r.upd, deletes: r.del }]));

  // 9. Baseline: the worker stopped, bare POSTs of the recorded DeliveryResult bodies to the same receiver.
  await stopChild(workerProc.child);
  const drArrivals = arrivals.filter((a) => a.type === 'DeliveryResult');
  const posts = Math.min(Math.max(drArrivals.length, 1_000), BASELINE_MAX);
  let baseline: { posts: number; seconds: number; perSecond: number; concurrency: number; errors: number } | null = null;
  if (bodies.length > 0) {
    log(`baseline: ${fmt(posts)} bare POSTs of the recorded DeliveryResult bodies (${fmt(bodies.length)} distinct), ${BASELINE_CONCURRENCY} in flight`);
    const bare = new Pool(receiver.url, { connections: BASELINE_CONCURRENCY, keepAliveTimeout: 30_000 });
    stops.push(() => bare.close());
    let n = 0;
    let errors = 0;
    const b0 = nowMs();
    await Promise.all(Array.from({ length: BASELINE_CONCURRENCY }, async () => {
      for (;;) {
        const i = n++;
        if (i >= posts) return;
        const b = bodies[i % bodies.length]!;
        const res = await bare.request({ path: '/baseline', method: 'POST', headers: { ...b.headers, 'content-type': 'application/json' }, body: b.body, headersTimeout: 30_000, bodyTimeout: 30_000 });
        await res.body.text();
        if (res.statusCode !== 200) errors++;
      }
    }));
    const seconds = (nowMs() - b0) / 1000;
    const seen = (await receiver.stats()).baseline;
    if (seen !== posts) log(`warning: the receiver counted ${seen} baseline posts of ${posts}`);
    baseline = { posts, seconds: round(seconds, 2)!, perSecond: Math.round(posts / seconds), concurrency: BASELINE_CONCURRENCY, errors };
  }

  // 10. The numbers.
  const seen = new Set<string>();
  let duplicates = 0;
  let outOfOrder = 0;
  let unknownEvents = 0;
  const maxDeliveryOfLead = new Map<string, bigint>();
  /** Reply token → the first ConversationStarted / NewMessage carrying it: when, and which event. */
  const firstByText = new Map<string, { at: number; eventId: string }>();
  const firstArrivalOfEvent = new Map<string, number>();
  for (const a of arrivals) {
    if (seen.has(a.id)) {
      duplicates++;
      continue;
    }
    seen.add(a.id);
    const eventId = a.id.replace(/^msg_/, '');
    firstArrivalOfEvent.set(eventId, a.at);
    const row = byEvent.get(eventId);
    if (!row) {
      unknownEvents++;
    } else if (a.lead) {
      const d = BigInt(row.delivery_id);
      const max = maxDeliveryOfLead.get(a.lead);
      if (max !== undefined && d < max) outOfOrder++;
      else maxDeliveryOfLead.set(a.lead, d);
    }
    if (a.text !== undefined && CONVERSATION_EVENTS.has(a.type) && !firstByText.has(a.text)) firstByText.set(a.text, { at: a.at, eventId });
  }
  const drSorted = drArrivals.map((a) => a.at).sort((a, b) => a - b);
  const drFirst = drSorted[0] ?? NaN;
  const drLast = drSorted.at(-1) ?? NaN;
  const drDistinct = new Set(drArrivals.map((a) => a.id)).size;
  const deliveryResultsPerSecond = drDistinct > 1 ? drDistinct / ((drLast - drFirst) / 1000) : NaN;
  const firstDrOfLead = new Map<string, number>();
  for (const a of drArrivals) if (a.lead && !firstDrOfLead.has(a.lead)) firstDrOfLead.set(a.lead, a.at);

  const latencies = (replies: Reply[]) => {
    const all: number[] = [];
    const afterOwnDr: number[] = [];
    const behindOwnDr: number[] = [];
    let missing = 0;
    for (const r of replies) {
      if (r.status !== 201) continue;
      const at = firstByText.get(r.token)?.at;
      if (at === undefined) {
        missing++;
        continue;
      }
      all.push(at - r.postAt);
      // Its conversation's DeliveryResult had not reached the receiver when the lead replied: the
      // ConversationStarted queues behind it in the conversation's stream.
      const dr = firstDrOfLead.get(r.lead);
      (dr !== undefined && dr < r.postAt ? afterOwnDr : behindOwnDr).push(at - r.postAt);
    }
    return { all, afterOwnDr, behindOwnDr, missing };
  };
  const waveLat = latencies(wave);
  const idleLat = latencies(idle);
  // Where a reply's time goes: post → event committed (events.created) → first attempt → at the receiver.
  const breakdown = (replies: Reply[]) => {
    const commit: number[] = [];
    const queuedMs: number[] = [];
    const http: number[] = [];
    for (const r of replies) {
      const hit = firstByText.get(r.token);
      const ev = hit ? byEvent.get(hit.eventId) : undefined;
      if (!hit || !ev || ev.first_attempt_ms === null) continue;
      const at = hit.at;
      commit.push(Number(ev.created_ms) - r.postAt);
      queuedMs.push(Number(ev.first_attempt_ms) - Number(ev.created_ms));
      http.push(at - Number(ev.first_attempt_ms));
    }
    return { postToEventCreated: pct(commit), eventCreatedToFirstAttempt: pct(queuedMs), firstAttemptToArrival: pct(http) };
  };
  const drQueued = queued.filter((r) => r.event_type === 'DeliveryResult' && r.first_attempt_ms !== null).map((r) => Number(r.first_attempt_ms) - Number(r.created_ms));
  const answer = pct(wave.map((r) => r.answerMs));
  const finalLeads = (leadStatus.DELIVERED ?? 0) + (leadStatus.UNDELIVERED ?? 0) + (leadStatus.FAILED ?? 0);
  const receiptsSeconds = lastResult.ms === null ? NaN : (Number(lastResult.ms) - t0) / 1000;
  const receivedByType: Record<string, number> = {};
  for (const a of arrivals) receivedByType[a.type] = (receivedByType[a.type] ?? 0) + 1;

  const result = {
    name: `Events: ${fmt(LEADS)}-lead campaign, every webhook to one loopback receiver (${RECEIVER_DELAY_MS ? `answers after ${RECEIVER_DELAY_MS} ms` : 'answers at once'}), ${fmt(REPLIES)} replies during the drain`,
    date: startedAt.toISOString(),
    messages: LEADS,
    sendPerSecond: Math.round(LEADS / broadcastSeconds),
    receiptsPerSecond: Number.isFinite(receiptsSeconds) ? Math.round((2 * finalLeads) / receiptsSeconds) : null,
    callbackP99Ms: null,
    inboundPerSecond: Math.round(waveOk / waveSeconds),
    inboundP99Ms: answer.p99,
    deliveryResultsPerSecond: round(deliveryResultsPerSecond),
    lastDeliveryResultLagSeconds: round((drLast - broadcastEnd) / 1000),
    baseline: { perSecond: baseline?.perSecond ?? null },
    ratio: baseline ? round(deliveryResultsPerSecond / baseline.perSecond, 3) : null,
    duplicates,
    outOfOrder,
    replyToWebhookMs: { p50: pct(waveLat.all).p50, p99: pct(waveLat.all).p99 },
    idleReplyToWebhookMs: { p50: pct(idleLat.all).p50, p99: pct(idleLat.all).p99 },
    complete: !drainTimedOut,
    notes: [
      'Receipts are NOT yet signed HTTP callbacks: the simulator has no HTTP carrier mode for receipts. They are graphile-worker jobs ' +
        '(simulator-receipt, two per message, queued by the simulated carrier in `engage api`, run by `engage worker`). receiptsPerSecond = ' +
        '2 × leads with a final status ÷ (activate → the last lead\'s final status, leads.result); callbackP99Ms = null until receipts arrive over HTTP.',
      `Sends go over loopback HTTP to the simulated carrier in \`engage api\` (ENGAGE_SIMULATOR_URL); everything else at \`npm start\` defaults.`,
      `Baseline: ${baseline ? `${fmt(baseline.posts)} bare POSTs of ${fmt(bodies.length)} recorded DeliveryResult bodies (with their webhook headers), cycled, a fixed ${baseline.concurrency} in flight over keep-alive connections (undici Pool), from the coordinator, with \`engage worker\` stopped` : 'none (no DeliveryResult arrived)'}. ` +
        `Engage's own concurrency to one receiver URL is ENGAGE_WEBHOOK_ENDPOINT_CONCURRENCY (default 2) per worker process, one worker process here.`,
      'outOfOrder: arrivals of an event of a conversation after an event of the same conversation that Engage queued later (webhook_deliveries.id). duplicates: arrivals of a webhook-id already received.',
      ...(drainTimedOut ? [`The drain did not finish within ${DRAIN_TIMEOUT_S} s (BENCH_EVENTS_TIMEOUT_S): the numbers cover what arrived.`] : []),
    ],
    detail: {
      broadcastSeconds: round(broadcastSeconds, 2),
      lastLeadFinalLagSeconds: lastResult.ms === null ? null : round((Number(lastResult.ms) - broadcastEnd) / 1000),
      leadStatuses: leadStatus,
      reply: {
        wave: { replies: REPLIES, accepted: waveOk, concurrency: WAVE_CONCURRENCY, seconds: round(waveSeconds, 2), startedSecondsAfterBroadcast: round((waveStart - broadcastEnd) / 1000, 2), answerMs: answer, statusCodes: countBy(wave.map((r) => r.status)) },
        waveToWebhookMs: pct(waveLat.all),
        waveToWebhookMsWhenOwnDeliveryResultAlreadyArrived: pct(waveLat.afterOwnDr),
        waveToWebhookMsWhenOwnDeliveryResultStillPending: pct(waveLat.behindOwnDr),
        waveEventsMissing: waveLat.missing,
        waveBreakdownMs: breakdown(wave),
        idle: { replies: IDLE_REPLIES, sent: idle.length, oneAtATimeGapMs: IDLE_GAP_MS, accepted: idle.filter((r) => r.status === 201).length, answerMs: pct(idle.map((r) => r.answerMs)), toWebhookMs: pct(idleLat.all), missing: idleLat.missing, breakdownMs: breakdown(idle) },
      },
      deliveryResults: {
        received: drDistinct, firstArrivalSecondsAfterActivate: round((drFirst - t0) / 1000), lastArrivalSecondsAfterActivate: round((drLast - t0) / 1000),
        eventCreatedToFirstAttemptMs: pct(drQueued),
      },
      eventsQueued: countBy(queued.map((r) => r.event_type)),
      deliveriesByStatus: countBy(queued.map((r) => r.status)),
      deliveryAttemptsBeyondFirst: queued.reduce((a, r) => a + Math.max(0, r.attempts - 1), 0),
      eventsReceived: receivedByType,
      eventsReceivedNotQueued: unknownEvents,
      eventsQueuedNotReceived: queued.filter((r) => !firstArrivalOfEvent.has(r.event_id)).length,
      engageAttemptDurationMs: attemptMs[0] ?? null,
      jobTables: {
        ...jobTables,
        /** Jobs inserted beyond one per simulator receipt (2 per lead) and one per queued event: reschedules. */
        jobInsertsBeyondOnePerItem: (jobTables._private_jobs?.inserts ?? 0) - 2 * LEADS - queued.length,
      },
      baseline,
      cpuDuringDrain: drainCpu,
      /** Sampled every SAMPLE_MS; at most TIMELINE_KEPT evenly spaced samples are kept (the last always). */
      timeline: thin(timeline, TIMELINE_KEPT),
    },
    settings: {
      leads: LEADS, replies: REPLIES, idleReplies: IDLE_REPLIES, receiverDelayMs: RECEIVER_DELAY_MS, waveConcurrency: WAVE_CONCURRENCY,
      baselineConcurrency: BASELINE_CONCURRENCY, baselineMaxPosts: BASELINE_MAX, drainTimeoutS: DRAIN_TIMEOUT_S, sampleMs: SAMPLE_MS,
      engage: 'npm start defaults (ENGAGE_WEBHOOK_CONCURRENCY 8, ENGAGE_WEBHOOK_ENDPOINT_CONCURRENCY 2, simulator receipts on, 200 ms receipt delay, sender 3 lanes × 200) + ENGAGE_SIMULATOR_URL, ENGAGE_ALLOW_PRIVATE_WEBHOOKS=true, LOG_LEVEL=warn',
      processes: '`engage api` (API + simulated carrier), `engage worker`, the receiver, this coordinator (reply wave, baseline), PostgreSQL',
    },
    machine: {
      nproc: Number(execFileSync('nproc', { encoding: 'utf8' }).trim()),
      cpu: os.cpus()[0]?.model ?? 'unknown',
      memGiB: round(os.totalmem() / 2 ** 30),
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      node: process.version,
      postgres: `${pgVersion} (${databaseKind})`,
      postgresVersion: pgFull,
      busyBefore: round(busyBefore, 2),
      loadBefore,
      loadAtActivate,
      loadAfter: os.loadavg().map((l) => l.toFixed(2)).join(', '),
    },
  };
  await mkdir(path.join(BENCH_DIR, 'results'), { recursive: true });
  const file = RECEIVER_DELAY_MS ? `events-receiver-${RECEIVER_DELAY_MS}ms.json` : 'events.json';
  await writeFile(path.join(BENCH_DIR, 'results', file), JSON.stringify(result, null, 2) + '\n');
  const { detail: _detail, notes, ...headline } = result;
  log(`wrote bench/results/${file}`);
  console.log(JSON.stringify(headline, null, 2));
  for (const n of notes) console.log(`- ${n}`);
  console.log('\nRow for docs/benchmarks.md:\n' + docRow(result));
}

/** At most `n` evenly spaced items of `items`, the last one included. */
export function thin<T>(items: T[], n: number): T[] {
  if (items.length <= n) return items;
  const step = (items.length - 1) / (n - 1);
  return Array.from({ length: n }, (_, i) => items[Math.round(i * step)]!);
}

function countBy(values: (string | number)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[String(v)] = (out[String(v)] ?? 0) + 1;
  return out;
}

/** One markdown table row of the headline numbers (the header is in docs/benchmarks.md). */
function docRow(r: {
  messages: number; settings: { receiverDelayMs: number; replies: number }; sendPerSecond: number; receiptsPerSecond: number | null; inboundPerSecond: number; inboundP99Ms: number | null;
  deliveryResultsPerSecond: number | null; lastDeliveryResultLagSeconds: number | null; baseline: { perSecond: number | null }; ratio: number | null; duplicates: number; outOfOrder: number;
  replyToWebhookMs: { p50: number | null; p99: number | null }; idleReplyToWebhookMs: { p50: number | null; p99: number | null };
}): string {
  const v = (x: number | null) => (x === null ? '–' : x.toLocaleString('en-US'));
  return `| ${v(r.messages)} leads, receiver ${r.settings.receiverDelayMs} ms, ${v(r.settings.replies)} replies | ${v(r.sendPerSecond)} | ${v(r.receiptsPerSecond)} | – | ${v(r.inboundPerSecond)} / ${v(r.inboundP99Ms)} | ` +
    `${v(r.deliveryResultsPerSecond)} | ${v(r.lastDeliveryResultLagSeconds)} | ${v(r.baseline.perSecond)} | ${v(r.ratio)} | ${r.duplicates} / ${r.outOfOrder} | ` +
    `${v(r.replyToWebhookMs.p50)} / ${v(r.replyToWebhookMs.p99)} | ${v(r.idleReplyToWebhookMs.p50)} / ${v(r.idleReplyToWebhookMs.p99)} |`;
}
