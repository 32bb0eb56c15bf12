/**
 * `npm run bench -- replay`: a replay of 10,000 failed webhook deliveries
 * (`POST /api/public/engage/events/redeliver`) while live conversations keep texting, with the
 * live events' delivery latency measured before the replay (the baseline, same run) and during it.
 *
 * Setup: Engage (API + worker) runs in this process against a fresh database (embedded
 * PostgreSQL, or BENCH_DATABASE_URL). 1,000 conversations of a "replay" campaign each get 10
 * NewMessage events whose deliveries FAILED — written with SQL, the state a receiver that was down
 * for a while leaves behind — and 50 conversations of a "live" campaign are ready to text.
 * One loopback receiver answers both campaigns' webhooks with 200 at once.
 *
 * Live traffic: every 50 ms one of the live leads texts our number (`POST /api/simulator/messages`,
 * the real inbound pipeline) with a unique token; its latency is from that request to the
 * receiver getting the NewMessage carrying the token. Baseline: 10 s of live traffic with no
 * replay. During: the same traffic from the replay request until every replayed delivery was
 * received.
 *
 * Writes bench/results/replay.json and its section of docs/benchmarks.md (between
 * `<!-- replay-benchmark:… -->` markers, which bench/run.ts keeps).
 * Environment: BENCH_DATABASE_URL, BENCH_REPLAY_EVENTS (default 10,000), BENCH_REPLAY_RATE
 * (replayed deliveries per second, ENGAGE_REPLAY_RATE_PER_SECOND; default 200), BENCH_NO_DOC=1.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../packages/server/src/config.ts';
import { startEngage } from '../packages/server/src/engage.ts';
import { benchDatabase } from './db.ts';
import { percentile } from './stats.ts';
import { API_KEY, BENCH_DIR, REPO, SECRET } from './paths.ts';

const EVENTS = Number(process.env.BENCH_REPLAY_EVENTS ?? 10_000);
const RATE = Number(process.env.BENCH_REPLAY_RATE ?? 200);
const CONVERSATIONS = 1_000;
const LIVE_LEADS = 50;
const LIVE_EVERY_MS = 50;
const BASELINE_S = 10;
const ALWAYS = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: 0, end: 1440 }]]));
const log = (msg: string) => console.log(`[bench replay] ${msg}`);

interface Stats { count: number; p50: number; p99: number; max: number }
function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const r = (n: number) => Math.round(n * 10) / 10;
  return { count: s.length, p50: r(percentile(s, 50)), p99: r(percentile(s, 99)), max: r(s[s.length - 1] ?? NaN) };
}

export async function benchReplay(): Promise<void> {
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const benchDb = await benchDatabase('replay', log, stops);
    const { databaseUrl, tmp } = benchDb;
    const pgLabel = benchDb.kind;
    const pgVersion = benchDb.version;

    // The receiver: records when each live token and each replayed event arrived.
    const liveArrived = new Map<string, number>();
    let replayed = 0;
    const receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const at = performance.now();
        if (req.url === '/replay') replayed++;
        else {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: { messages: { message: string }[] } };
          const token = body.data.messages.at(-1)?.message ?? '';
          if (!liveArrived.has(token)) liveArrived.set(token, at);
        }
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    stops.push(() => new Promise<void>((r) => (receiver.closeAllConnections(), receiver.close(() => r()))));
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

    await mkdir(path.join(tmp, 'data'));
    const config = loadConfig({
      DATABASE_URL: databaseUrl, PORT: '0', HOST: '127.0.0.1', ENGAGE_DATA_DIR: path.join(tmp, 'data'),
      ENGAGE_SECRET: SECRET, ENGAGE_BOOTSTRAP_API_KEY: API_KEY, LOG_LEVEL: 'warn',
      ENGAGE_ALLOW_PRIVATE_WEBHOOKS: 'true', ENGAGE_REPLAY_RATE_PER_SECOND: String(RATE),
    });
    const engage = await startEngage(config, { api: true, worker: true });
    stops.push(() => engage.stop());
    const base = engage.url!;
    // PUBLIC_URL must point at the real port, known only after listening.
    engage.ctx.config.publicUrl = base;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the bench reads a few known fields of Engage's JSON
    const api = async <T = Record<string, any>>(method: string, p: string, body?: unknown): Promise<T> => {
      const res = await fetch(base + p, { method, headers: { 'x-api-key': API_KEY, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : null });
      const json = (await res.json()) as T;
      if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const db = engage.ctx.db;
    const ourNumber = ((await api('GET', '/api/public/engage/sender-sources')).senderSources[0].numbers as string[])[0]!;

    log('setting up the live conversations');
    const campaign = async (name: string, url: string) =>
      (await api('POST', '/api/public/engage/campaigns', { name, schedule: ALWAYS, messages: { outgoingMessage: 'Hello {{First Name}}' }, webhooks: { conversationStarted: url, incomingMessage: url } })).id as string;
    const liveCampaign = await campaign('Live', `${hook}/live`);
    const replayCampaign = await campaign('Replay', `${hook}/replay`);
    const livePhones: string[] = [];
    for (let i = 0; i < LIVE_LEADS; i++) {
      const phone = `+1212555${String(1000 + i)}`;
      const r = await api('POST', '/api/public/engage/lead/load', { campaignId: liveCampaign, fields: [{ name: 'Phone', value: phone }, { name: 'First Name', value: `Live ${i}` }] });
      await db.updateTable('leads').set({ from_number: ourNumber, status: 'SENT', sent: new Date() }).where('id', '=', r.leadId).execute();
      livePhones.push(phone);
    }

    log(`writing ${EVENTS.toLocaleString('en-US')} failed deliveries over ${CONVERSATIONS.toLocaleString('en-US')} conversations`);
    const seed = await api('POST', '/api/public/engage/lead/load', { campaignId: replayCampaign, fields: [{ name: 'Phone', value: '+13125550000' }, { name: 'First Name', value: 'Seed' }] });
    const sample = await api('POST', `/api/public/engage/leads/${seed.leadId}/conversation-key`);
    const conversation = await (await fetch(sample.endpoints.conversationEndpoint)).json() as { data: unknown };
    const payload = JSON.stringify({ eventType: 'NewMessage', data: conversation.data });
    const ws = (await api('GET', '/api/public/engage/workspace')).id as number;
    const c = new pg.Client({ connectionString: databaseUrl });
    await c.connect();
    try {
      await c.query(
        `INSERT INTO leads (id, workspace_id, campaign_id, list_id, phone, status, from_number, sent, lead_data)
         SELECT 'f1' || lpad(to_hex(g), 22, '0'), $1, $2, $3, '+1312556' || lpad(g::text, 4, '0'), 'SENT', $4, now(), '{"First Name":"Replay"}'
         FROM generate_series(1, $5::int) g`,
        [ws, replayCampaign, seed.listId, ourNumber, CONVERSATIONS],
      );
      await c.query(
        `INSERT INTO events (id, workspace_id, campaign_id, lead_id, event_type, payload, created)
         SELECT 'f2' || lpad(to_hex(g), 22, '0'), $1, $2, 'f1' || lpad(to_hex(1 + g % $4::int), 22, '0'), 'NewMessage', $3::json,
                now() - interval '1 hour' + g * interval '1 ms'
         FROM generate_series(1, $5::int) g`,
        [ws, replayCampaign, payload, CONVERSATIONS, EVENTS],
      );
      await c.query(
        `INSERT INTO webhook_deliveries (event_id, stream, url, status, attempts, last_status, last_error, next_attempt_at, created, finished, workspace_id)
         SELECT id, lead_id || ':down', $1, 'FAILED', 8, 503, 'HTTP 503: down', created, created, now(), workspace_id
         FROM events WHERE campaign_id = $2 AND id LIKE 'f2%'`,
        [`${hook}/replay`, replayCampaign],
      );
    } finally {
      await c.end();
    }

    // Live traffic: one text every LIVE_EVERY_MS, round-robin over the live leads.
    const sentAt = new Map<string, number>();
    let seq = 0;
    let running = true;
    const inFlight = new Set<Promise<unknown>>();
    const traffic = (async () => {
      while (running) {
        const token = `live-${seq}`;
        const phone = livePhones[seq++ % livePhones.length]!;
        sentAt.set(token, performance.now());
        const p = fetch(`${base}/api/simulator/messages`, { method: 'POST', headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' }, body: JSON.stringify({ from: phone, to: ourNumber, text: token }) }).then((r) => r.arrayBuffer());
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
        await new Promise((r) => setTimeout(r, LIVE_EVERY_MS));
      }
    })();
    const window = (from: number, to: number) => {
      const out: number[] = [];
      for (const [token, t0] of sentAt) {
        if (t0 < from || t0 >= to) continue;
        const t1 = liveArrived.get(token);
        if (t1 !== undefined) out.push(t1 - t0);
      }
      return out;
    };
    const waitFor = async (cond: () => boolean, timeoutMs: number) => {
      const end = performance.now() + timeoutMs;
      while (!cond()) {
        if (performance.now() > end) throw new Error('timed out');
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    log('warm-up (2 s), then the baseline: live traffic alone');
    await new Promise((r) => setTimeout(r, 2000));
    const b0 = performance.now();
    await new Promise((r) => setTimeout(r, BASELINE_S * 1000));
    const b1 = performance.now();

    log('replay');
    const loadBefore = os.loadavg().map((l) => l.toFixed(2)).join(', ');
    const r0 = performance.now();
    const queued = (await api('POST', '/api/public/engage/events/redeliver', { from: new Date(Date.now() - 2 * 3600_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString(), campaignId: replayCampaign })).queued as number;
    await waitFor(() => replayed >= queued, 30 * 60_000);
    const r1 = performance.now();
    running = false;
    await traffic;
    await Promise.all(inFlight);
    // Let the last live events arrive.
    await waitFor(() => [...sentAt.keys()].every((t) => liveArrived.has(t)), 30_000).catch(() => undefined);

    const baseline = stats(window(b0, b1));
    const during = stats(window(r0, r1));
    const seconds = (r1 - r0) / 1000;
    const delivered = await db.selectFrom('webhook_deliveries').select((eb) => eb.fn.countAll<number>().as('n')).where('lane', '=', 'REPLAY').where('status', '=', 'DELIVERED').executeTakeFirstOrThrow();
    const result = {
      name: `Replay of ${queued.toLocaleString('en-US')} failed deliveries while live conversations text`,
      date: new Date().toISOString(),
      queued, replayedDelivered: Number(delivered.n), replaySeconds: Math.round(seconds * 10) / 10, replayPerSecond: Math.round(queued / seconds),
      replayRateSetting: RATE, conversations: CONVERSATIONS,
      live: { intervalMs: LIVE_EVERY_MS, baseline, duringReplay: during },
      ratioP99: Math.round((during.p99 / baseline.p99) * 100) / 100,
      machine: { nproc: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', memGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10, node: process.version, postgres: pgVersion, postgresMode: pgLabel, loadBefore },
    };
    log(JSON.stringify(result, null, 2));
    await mkdir(path.join(BENCH_DIR, 'results'), { recursive: true });
    await writeFile(path.join(BENCH_DIR, 'results', 'replay.json'), JSON.stringify(result, null, 2) + '\n');
    if (process.env.BENCH_NO_DOC !== '1') await writeSection(result);
  } finally {
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => console.error('[bench replay] cleanup:', err));
  }
}

async function writeSection(r: {
  date: string; queued: number; replaySeconds: number; replayPerSecond: number; replayRateSetting: number; conversations: number;
  live: { intervalMs: number; baseline: Stats; duringReplay: Stats }; ratioP99: number;
  machine: { nproc: number; cpu: string; memGiB: number; node: string; postgres: string; postgresMode: string; loadBefore: string };
}): Promise<void> {
  const doc = path.join(REPO, 'docs', 'benchmarks.md');
  let text = await readFile(doc, 'utf8').catch(() => '# Benchmarks\n');
  const start = '<!-- replay-benchmark:start -->';
  const end = '<!-- replay-benchmark:end -->';
  const { baseline: b, duringReplay: d } = r.live;
  const section = [
    start,
    `## Event replay (\`npm run bench -- replay\`, ${r.date})`,
    '',
    '| measurement | events | p50 (ms) | p99 (ms) | max (ms) | ratio (p99) |',
    '|---|--:|--:|--:|--:|--:|',
    `| Live events during a replay of ${r.queued.toLocaleString('en-US')} failed deliveries (${r.replayPerSecond}/s over ${r.replaySeconds} s) | ${d.count} | ${d.p50} | ${d.p99} | ${d.max} | ${r.ratioP99} |`,
    `| ↳ baseline: the same live traffic, no replay (${BASELINE_S} s) | ${b.count} | ${b.p50} | ${b.p99} | ${b.max} | baseline |`,
    '',
    `- Live latency: a lead texts (\`POST /api/simulator/messages\`, one every ${r.live.intervalMs} ms over ${LIVE_LEADS} conversations) → the receiver has the NewMessage webhook. ` +
      `The replay: \`POST /api/public/engage/events/redeliver\` over ${r.conversations.toLocaleString('en-US')} conversations × ${r.queued / r.conversations} failed deliveries, ` +
      `\`ENGAGE_REPLAY_RATE_PER_SECOND=${r.replayRateSetting}\`, until the receiver had every one. Engage (API + worker, default tuning otherwise) runs in the benchmark process; one loopback receiver answers 200 at once.`,
    `- Machine: ${r.machine.nproc} cores, ${r.machine.memGiB} GiB, ${r.machine.cpu}; Node.js ${r.machine.node}; ${r.machine.postgres.split(',')[0]} — ${r.machine.postgresMode}. Load average when the replay started: ${r.machine.loadBefore} (other processes make a run noisy).`,
    end,
  ].join('\n');
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  text = i >= 0 && j > i ? text.slice(0, i) + section + text.slice(j + end.length) : `${text.trimEnd()}\n\n${section}\n`;
  await writeFile(doc, text);
}
