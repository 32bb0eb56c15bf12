/**
 * `npm run bench`: Engage's benchmarks, each against a baseline measured in the same run on the
 * same machine, reported as ratios (docs/benchmarks.md).
 *
 * 1. Starts its own PostgreSQL (embedded in a temp dir, or the server named by
 *    BENCH_DATABASE_URL) and creates a fresh database for the run.
 * 2. Starts a real Engage (API + worker) on it, and a bare Fastify route on another port.
 * 3. Lead load: `POST /api/public/engage/lead/load` vs the bare route, from a load generator in a
 *    child process (bench/load.ts).
 * 4. Broadcast: 2,000 leads of an ACTIVE, always-open campaign sent through the simulator, vs
 *    2,000 single-row UPDATEs of the same rows, one transaction each, on the same database.
 * 5. Conversation: `GET /api/public/engage/conversation?key=` vs a bare route answering the same
 *    JSON.
 * 6. Prints the table, writes docs/benchmarks.md (keeping other benchmarks' marked sections),
 *    stops everything.
 *
 * `npm run bench -- import` runs bench/import.ts (the list import) instead;
 * `npm run bench -- broadcast` runs bench/broadcast.ts (a million-lead broadcast) instead;
 * `npm run bench -- events` runs bench/events.ts (receipts in, webhooks out, replies; issue 19) instead.
 */
import { execFileSync, fork } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../packages/server/src/config.ts';
import { startEngage, type Engage } from '../packages/server/src/engage.ts';
import { benchDatabase } from './db.ts';
import { waitFor } from './wait.ts';
import { startFloor, type FloorServer } from './floor.ts';
import type { LoadJob, LoadMessage, LoadResult } from './load.ts';
import { cpuMeter, percentile, type CpuReport } from './stats.ts';
import { API_KEY, BENCH_DIR, REPO, SECRET } from './paths.ts';

const LEAD_LOAD_PATH = '/api/public/engage/lead/load';

const CONNECTIONS = 10;
const DURATION_S = 10;
const WARMUP_S = 2;
const BROADCAST_LEADS = 2_000;
/** Phone indexes (bench/leads.ts) of the broadcast's leads, far from the lead-load runs'. */
const BROADCAST_PHONE_START = 5_000_000;
const ALWAYS_OPEN = Object.fromEntries(
  ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: 0, end: 1440 }]]),
);

const log = (msg: string) => console.log(`[bench] ${msg}`);

async function api<T = Record<string, unknown>>(base: string, method: string, p: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, headers: { 'x-api-key': API_KEY } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const res = await fetch(base + p, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p} answered ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** Runs bench/load.ts in a child process; the CPU meter covers the measured part only. */
function runLoad(job: LoadJob): Promise<{ result: LoadResult; cpu: CpuReport }> {
  return new Promise((resolve, reject) => {
    // fork keeps process.execArgv, i.e. tsx's loader, so the child runs TypeScript too.
    const child = fork(path.join(BENCH_DIR, 'load.ts'), [JSON.stringify(job)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let stopMeter: (() => CpuReport) | null = null;
    let done: { result: LoadResult; cpu: CpuReport } | null = null;
    child.on('message', (m: LoadMessage) => {
      if (m.type === 'start') stopMeter = cpuMeter();
      else done = { result: m.result, cpu: stopMeter ? stopMeter() : cpuMeter()() };
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0 && done) resolve(done);
      else reject(new Error(`load generator exited with ${signal ?? code} before reporting`));
    });
  });
}

interface Row {
  name: string;
  opsPerS: number;
  unit: string;
  p50: number;
  p99: number;
  /** Engage's ops/s ÷ the baseline's; null on a baseline row. */
  ratio: number | null;
  cpu: CpuReport | null;
}

interface Machine {
  nproc: string;
  memGiB: string;
  cpuModel: string;
  node: string;
  os: string;
  postgres: string;
  postgresSettings: string;
  database: string;
  /** Machine busy share in the second before the run, and the load average then. */
  busyBefore: number;
  loadBefore: string;
}

const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
const fmtMs = (n: number) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n.toFixed(1)) : '–');
const fmtPct = (n: number) => `${Math.round(n * 100)}%`;

function table(rows: Row[]): string {
  const lines = [
    '| measurement | ops/s | p50 (ms) | p99 (ms) | ratio to baseline | CPU: bench process · machine |',
    '|---|--:|--:|--:|--:|--:|',
  ];
  for (const r of rows) {
    const cpu = r.cpu ? `${fmtPct(r.cpu.thisProcess)} · ${fmtPct(r.cpu.machine)}` : '–';
    lines.push(`| ${r.name} | ${fmtInt(r.opsPerS)} ${r.unit} | ${fmtMs(r.p50)} | ${fmtMs(r.p99)} | ${r.ratio === null ? 'baseline' : r.ratio.toFixed(3)} | ${cpu} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async () => {
    while (cleanups.length) {
      try {
        await cleanups.pop()!();
      } catch (err) {
        console.error('[bench] cleanup step failed:', err);
      }
    }
  };
  let interrupted = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      if (interrupted) return;
      interrupted = true;
      log(`${sig}: stopping`);
      void cleanup().finally(() => process.exit(130));
    });
  }

  try {
    const started = Date.now();
    // Other processes on the machine skew every number: measure how busy it is before we start.
    const quiet = cpuMeter();
    await new Promise((r) => setTimeout(r, 1000));
    const busyBefore = quiet().machine;
    const loadBefore = os.loadavg().map((l) => l.toFixed(2)).join(', ');
    if (busyBefore > 0.15) log(`warning: the machine was ${fmtPct(busyBefore)} busy before the run; results will be noisy`);
    // 1. PostgreSQL and a fresh database.
    const { databaseUrl, dbName, kind: databaseKind, tmp } = await benchDatabase('run', log, cleanups);
    log(`database ${dbName} created`);

    // 2. Engage (API + worker) and the bare Fastify floor.
    const config = loadConfig({
      DATABASE_URL: databaseUrl,
      PORT: '0',
      HOST: '127.0.0.1',
      ENGAGE_DATA_DIR: tmp,
      ENGAGE_SECRET: SECRET,
      ENGAGE_BOOTSTRAP_API_KEY: API_KEY,
      LOG_LEVEL: 'warn',
    });
    const engage: Engage = await startEngage(config, { api: true, worker: true });
    cleanups.push(() => engage.stop());
    if (!engage.url) throw new Error('Engage has no HTTP address');
    engage.ctx.config.publicUrl = engage.url;
    const base = engage.url;
    const floor: FloorServer = await startFloor();
    cleanups.push(() => floor.close());
    log(`Engage at ${base}, bare Fastify at ${floor.url}`);

    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    cleanups.push(() => db.end());
    const one = async <T>(text: string, values: unknown[] = []): Promise<T> => (await db.query(text, values)).rows[0] as T;

    const rows: Row[] = [];
    const notes: string[] = [];

    // 3. Lead load vs the bare route.
    const campA = await api<{ id: string }>(base, 'POST', '/api/public/engage/campaigns', {
      name: 'bench: lead load', messages: { outgoingMessage: 'Hello {{First Name}}' },
    });
    const job = (url: string): LoadJob => ({
      url, method: 'POST', path: LEAD_LOAD_PATH, apiKey: API_KEY, campaignId: campA.id, connections: CONNECTIONS, durationS: DURATION_S, warmupS: WARMUP_S, phoneStart: 0,
    });
    log(`lead load: bare Fastify, ${CONNECTIONS} connections, ${WARMUP_S} s warm-up + ${DURATION_S} s`);
    const floorRun = await runLoad(job(floor.url));
    log(`lead load: Engage, ${CONNECTIONS} connections, ${WARMUP_S} s warm-up + ${DURATION_S} s`);
    const engageRun = await runLoad(job(base));
    for (const [who, r] of [['bare Fastify', floorRun.result], ['Engage', engageRun.result]] as const) {
      if (r.non2xx || r.errors || r.timeouts) notes.push(`${who} lead load: ${r.non2xx} non-2xx (${JSON.stringify(r.statusCodes)}), ${r.errors} errors, ${r.timeouts} timeouts.`);
    }
    const loaded = await one<{ leads: number; phones: number }>(
      'SELECT count(*)::int AS leads, count(DISTINCT phone)::int AS phones FROM leads WHERE campaign_id = $1', [campA.id],
    );
    const answered = engageRun.result.ok + engageRun.result.warmupOk;
    notes.push(
      `Lead load: Engage answered ${fmtInt(answered)} loads with 2xx (warm-up included) and stored ${fmtInt(loaded.leads)} leads with ` +
      `${fmtInt(loaded.phones)} distinct phones (more leads than answers: requests still in flight when the load generator stopped).`,
    );
    if (loaded.leads < answered || loaded.phones !== loaded.leads) throw new Error(`lead load check failed: ${JSON.stringify({ answered, ...loaded })}`);
    const leadLoadOps = engageRun.result.ok / engageRun.result.seconds;
    const floorOps = floorRun.result.ok / floorRun.result.seconds;
    rows.push(
      { name: 'Lead load: Engage `POST /api/public/engage/lead/load`', opsPerS: leadLoadOps, unit: 'req/s', p50: engageRun.result.p50, p99: engageRun.result.p99, ratio: leadLoadOps / floorOps, cpu: engageRun.cpu },
      { name: '↳ baseline: bare Fastify 5 route, same JSON body', opsPerS: floorOps, unit: 'req/s', p50: floorRun.result.p50, p99: floorRun.result.p99, ratio: null, cpu: floorRun.cpu },
    );

    // 4. Broadcast throughput vs one UPDATE per row, one transaction each.
    const campB = await api<{ id: string }>(base, 'POST', '/api/public/engage/campaigns', {
      name: 'bench: broadcast', schedule: ALWAYS_OPEN,
      messages: { outgoingMessage: 'Hi {{First Name}}, this is the Engage benchmark. Reply STOP to opt out.' },
    });
    await api(base, 'POST', `/api/public/engage/campaigns/${campB.id}/approve`);
    log(`broadcast: loading ${fmtInt(BROADCAST_LEADS)} leads into a READY campaign`);
    const loadB = await runLoad({
      url: base, method: 'POST', path: LEAD_LOAD_PATH, apiKey: API_KEY, campaignId: campB.id, connections: CONNECTIONS, durationS: 60, warmupS: 0, amount: BROADCAST_LEADS, phoneStart: BROADCAST_PHONE_START,
    });
    const pendingB = await one<{ n: number }>(`SELECT count(*)::int AS n FROM leads WHERE campaign_id = $1 AND status = 'PENDING'`, [campB.id]);
    if (pendingB.n !== BROADCAST_LEADS) throw new Error(`expected ${BROADCAST_LEADS} pending leads, found ${pendingB.n} (${JSON.stringify(loadB.result.statusCodes)})`);

    log('broadcast: activating; waiting until every lead has left PENDING/SENDING');
    const meter = cpuMeter();
    const t0 = performance.now();
    const activatedAt = new Date();
    await api(base, 'POST', `/api/public/engage/campaigns/${campB.id}/activate`);
    await waitFor('the broadcast', 120_000, async () => {
      const r = await one<{ n: number }>(`SELECT count(*)::int AS n FROM leads WHERE campaign_id = $1 AND status IN ('PENDING', 'SENDING')`, [campB.id]);
      return r.n === 0 ? true : undefined;
    });
    const broadcastS = (performance.now() - t0) / 1000;
    const broadcastCpu = meter();
    const statuses = (await db.query<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM leads WHERE campaign_id = $1 GROUP BY status ORDER BY status', [campB.id],
    )).rows;
    // Per-message time: the gap between consecutive hand-offs (lead.sent) of the one sequential sender.
    const sent = (await db.query<{ ms: number }>(
      `SELECT extract(epoch FROM sent) * 1000 AS ms FROM leads WHERE campaign_id = $1 AND sent IS NOT NULL ORDER BY sent`, [campB.id],
    )).rows.map((r) => Number(r.ms));
    const gaps = Float64Array.from(sent.slice(1).map((v, i) => v - sent[i]!)).sort();
    const firstSendMs = sent.length ? sent[0]! - activatedAt.getTime() : NaN;
    const broadcastOps = BROADCAST_LEADS / broadcastS;
    notes.push(
      `Broadcast: ${fmtInt(BROADCAST_LEADS)} leads left PENDING/SENDING in ${broadcastS.toFixed(2)} s ` +
      `(lead statuses then: ${statuses.map((s) => `${s.status} ${s.n}`).join(', ')}); the first hand-off came ${fmtInt(firstSendMs)} ms after activation.`,
    );

    log('broadcast: waiting for the simulator receipts (SENT, DELIVERED) to drain');
    const drained = await waitFor('the delivery receipts', 120_000, async () => {
      const r = await one<{ n: number }>(
        `SELECT count(*)::int AS n FROM messages m JOIN leads l ON l.id = m.lead_id WHERE l.campaign_id = $1 AND m.kind = 'BROADCAST' AND m.status = 'DELIVERED'`, [campB.id],
      );
      return r.n >= BROADCAST_LEADS ? (performance.now() - t0) / 1000 : undefined;
    }, 100);
    notes.push(
      `Broadcast: every message had its final simulator receipt (DELIVERED) ${drained.toFixed(1)} s after activation ` +
      `(2 receipt jobs per message, ${fmtInt(config.simulatorReceiptDelayMs)} ms receipt delay).`,
    );

    log(`baseline: ${fmtInt(BROADCAST_LEADS)} single-row UPDATEs, one transaction each`);
    await db.query('CREATE TABLE bench_floor_leads (LIKE leads INCLUDING ALL)');
    await db.query(
      `INSERT INTO bench_floor_leads SELECT * FROM leads WHERE campaign_id = $1`, [campB.id],
    );
    await db.query(`UPDATE bench_floor_leads SET status = 'PENDING', sent = NULL, result = NULL, claimed_at = NULL, broadcast_message_id = NULL`);
    await db.query('VACUUM ANALYZE bench_floor_leads');
    const ids = (await db.query<{ id: string }>('SELECT id FROM bench_floor_leads ORDER BY id')).rows.map((r) => r.id);
    const floorMeter = cpuMeter();
    const lat: number[] = [];
    const f0 = performance.now();
    for (const id of ids) {
      const s = performance.now();
      const r = await db.query({
        name: 'bench-floor-update',
        text: `UPDATE bench_floor_leads SET status = 'QUEUED', sent = now() WHERE id = $1 AND status = 'PENDING'`,
        values: [id],
      });
      lat.push(performance.now() - s);
      if (r.rowCount !== 1) throw new Error(`baseline UPDATE of ${id} changed ${r.rowCount} rows`);
    }
    const floorS = (performance.now() - f0) / 1000;
    const floorUpdCpu = floorMeter();
    await db.query('DROP TABLE bench_floor_leads');
    const updOps = ids.length / floorS;
    const latSorted = Float64Array.from(lat).sort();
    rows.push(
      { name: `Broadcast: ${fmtInt(BROADCAST_LEADS)} leads PENDING → QUEUED through the simulator (p50/p99: time per message)`, opsPerS: broadcastOps, unit: 'msg/s', p50: percentile(gaps, 50), p99: percentile(gaps, 99), ratio: broadcastOps / updOps, cpu: broadcastCpu },
      { name: `↳ baseline: ${fmtInt(ids.length)} single-row UPDATEs of the same rows, one transaction each`, opsPerS: updOps, unit: 'rows/s', p50: percentile(latSorted, 50), p99: percentile(latSorted, 99), ratio: null, cpu: floorUpdCpu },
    );

    // 5. Reading a conversation vs a bare route answering the same JSON.
    const lead = await one<{ id: string; phone: string; from_number: string }>(
      'SELECT id, phone, from_number FROM leads WHERE campaign_id = $1 ORDER BY id LIMIT 1', [campB.id],
    );
    await api(base, 'POST', '/api/simulator/messages', { from: lead.phone, to: lead.from_number, text: 'Yes, tell me more please' });
    const { endpoints } = await api<{ endpoints: { conversationEndpoint: string } }>(base, 'POST', `/api/public/engage/leads/${lead.id}/conversation-key`);
    const convUrl = new URL(endpoints.conversationEndpoint);
    const convPath = convUrl.pathname + convUrl.search;
    const conv = await waitFor('the reply in the conversation', 30_000, async () => {
      const c = await api<{ data: { messages: unknown[] } }>(base, 'GET', convPath);
      return c.data.messages.length >= 2 ? c : undefined;
    }, 50);
    floor.setConversation(conv);
    const convBytes = Buffer.byteLength(JSON.stringify(conv));
    const getJob = (url: string): LoadJob => ({
      url, method: 'GET', path: convPath, apiKey: API_KEY, campaignId: campB.id, connections: CONNECTIONS, durationS: DURATION_S, warmupS: WARMUP_S, phoneStart: 0,
    });
    log(`conversation: bare Fastify, ${CONNECTIONS} connections, ${WARMUP_S} s warm-up + ${DURATION_S} s`);
    const floorGet = await runLoad(getJob(floor.url));
    log(`conversation: Engage, ${CONNECTIONS} connections, ${WARMUP_S} s warm-up + ${DURATION_S} s`);
    const engageGet = await runLoad(getJob(base));
    for (const [who, r] of [['bare Fastify', floorGet.result], ['Engage', engageGet.result]] as const) {
      if (r.non2xx || r.errors || r.timeouts) notes.push(`${who} conversation GET: ${r.non2xx} non-2xx (${JSON.stringify(r.statusCodes)}), ${r.errors} errors, ${r.timeouts} timeouts.`);
    }
    notes.push(`Conversation: the answer is ${fmtInt(convBytes)} bytes of JSON (${conv.data.messages.length} messages).`);
    const getOps = engageGet.result.ok / engageGet.result.seconds;
    const floorGetOps = floorGet.result.ok / floorGet.result.seconds;
    rows.push(
      { name: 'Conversation: Engage `GET /api/public/engage/conversation?key=`', opsPerS: getOps, unit: 'req/s', p50: engageGet.result.p50, p99: engageGet.result.p99, ratio: getOps / floorGetOps, cpu: engageGet.cpu },
      { name: '↳ baseline: bare Fastify 5 route answering the same JSON', opsPerS: floorGetOps, unit: 'req/s', p50: floorGet.result.p50, p99: floorGet.result.p99, ratio: null, cpu: floorGet.cpu },
    );

    // 6. Report.
    const settings = (await db.query<{ name: string; setting: string; unit: string | null }>(
      `SELECT name, setting, unit FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers', 'max_connections', 'wal_level') ORDER BY name`,
    )).rows.map((s) => `${s.name}=${s.setting}${s.unit && s.unit !== 's' ? ` (${s.unit})` : ''}`).join(', ');
    const machine: Machine = {
      nproc: execFileSync('nproc', { encoding: 'utf8' }).trim(),
      memGiB: (os.totalmem() / 2 ** 30).toFixed(1),
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      node: process.version,
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      postgres: (await one<{ version: string }>('SELECT version()')).version,
      postgresSettings: settings,
      database: databaseKind,
      busyBefore,
      loadBefore,
    };
    const md = report(new Date(), machine, table(rows), notes, (Date.now() - started) / 1000);
    console.log('\n' + table(rows) + '\n');
    for (const n of notes) console.log(`- ${n}`);
    const doc = path.join(REPO, 'docs', 'benchmarks.md');
    await writeFile(doc, md + (await keptSections(doc)));
    log(`wrote docs/benchmarks.md (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  } finally {
    log('stopping');
    await cleanup();
  }
}

/**
 * Sections other benchmarks keep in docs/benchmarks.md between `<!-- name:start -->` and
 * `<!-- name:end -->` (e.g. bench/import.ts's): carried over when this run rewrites the file.
 */
async function keptSections(doc: string): Promise<string> {
  const text = await readFile(doc, 'utf8').catch(() => '');
  const blocks = [...text.matchAll(/<!-- ([\w-]+):start -->[\s\S]*?<!-- \1:end -->/g)].map((m) => m[0]);
  return blocks.map((b) => `\n${b}\n`).join('');
}

function report(date: Date, m: Machine, tableMd: string, notes: string[], seconds: number): string {
  return `# Benchmarks

Written by \`npm run bench\` (bench/run.ts), which rewrites this file and keeps other benchmarks'
marked sections. Every Engage measurement comes with a baseline measured in the same run on the
same machine and database; compare the **ratios** between runs and machines, not the absolute
numbers.

## Last run

- Date: ${date.toISOString()} (the run took ${seconds.toFixed(0)} s)
- Machine: ${m.nproc} cores (\`nproc\`), ${m.memGiB} GiB memory, ${m.cpuModel}; network: loopback only
- OS: ${m.os}
- Node.js: ${m.node}
- PostgreSQL: ${m.postgres} — ${m.database}
- PostgreSQL settings: ${m.postgresSettings}
- Before the run: the machine was ${fmtPct(m.busyBefore)} busy (load average ${m.loadBefore})${m.busyBefore > 0.15 ? ' — other processes shared the machine, so this run is noisy' : ''}

${tableMd}

${notes.map((n) => `- ${n}`).join('\n')}

## What each row measures

Everything runs on the one machine: PostgreSQL, one Node process holding Engage (API + worker,
\`LOG_LEVEL=warn\`, default tuning) and the bare Fastify server, and the load generator
(autocannon, in a child process so it has its own event loop). "CPU" is the CPU time of the Node
process holding the servers per second of wall time (100% = one core) and the busy share of the
whole machine during the measured part.

- **Lead load** — \`POST /api/public/engage/lead/load\` with ${CONNECTIONS} connections for
  ${DURATION_S} s after a ${WARMUP_S} s warm-up, every request a new lead with a unique, valid
  NANP phone (+1 212 555 XXXX, then other exchanges), a name and a ZIP, into a campaign in DRAFT
  (so nothing is sent meanwhile). Each load authenticates the API key, reads the campaign and
  its list, normalises and enriches the phone, and commits the lead in one transaction (advisory
  locks, suppression check, upsert of the list, insert of the lead). Latencies are the load generator's, per request. **Baseline**: a bare
  Fastify 5 route on another port that parses the same JSON body and answers 200 with a reply of
  the same shape — the framework floor, with no validation, authentication or database.
- **Broadcast** — ${BROADCAST_LEADS.toLocaleString('en-US')} leads are loaded (through the API,
  not timed) into an approved campaign whose schedule is open every minute of every day; the
  clock starts at \`activate\` and stops when no lead is PENDING or SENDING any more, i.e. every
  lead has been claimed, handed to the built-in SMS simulator and recorded QUEUED (or later, as
  receipts arrive). The simulator's delivery receipts run meanwhile as background jobs, as in
  production. p50/p99 are the time per message: the gap between consecutive hand-offs of the
  worker's one sequential sender (millisecond timestamps, so 1 ms resolution), claims of a batch
  of 50 included. **Baseline**: the same rows copied into a table with the same columns and
  indexes, then updated PENDING → QUEUED one row at a time, each UPDATE its own transaction,
  sequentially from one connection — the per-message floor of a design that commits every lead's
  state change before and after calling the provider. The latencies are per UPDATE round trip.
- **Conversation** — \`GET /api/public/engage/conversation?key=\` for one lead of the broadcast
  that replied once (the broadcast and the reply), with ${CONNECTIONS} connections for
  ${DURATION_S} s after a ${WARMUP_S} s warm-up, the same URL every time. Each read resolves the
  key (SHA-256, one query), registers the key if new and reads the campaign, lead and messages.
  **Baseline**: a bare Fastify 5 route that answers the same JSON object (Engage's answer for that
  key, fetched once) — the framework's cost of serialising and sending the same bytes.
`;
}

// `npm run bench -- import` runs the list-import benchmark (bench/import.ts) instead; `-- replay` the event replay (bench/replay.ts).
const which =
  process.argv[2] === 'import' ? import('./import.ts').then((m) => m.benchImport())
  : process.argv[2] === 'broadcast' ? import('./broadcast.ts').then((m) => m.benchBroadcast())
  : process.argv[2] === 'replay' ? import('./replay.ts').then((m) => m.benchReplay())
  : process.argv[2] === 'events' ? import('./events.ts').then((m) => m.benchEvents())
  : main();
which.then(
  () => {
    process.exitCode = 0;
  },
  (err: unknown) => {
    console.error('[bench] failed:', err);
    process.exitCode = 1;
  },
).finally(() => {
  // Everything has been stopped; should a handle still be open, do not hang on it.
  setTimeout(() => {
    console.error('[bench] still running 5 s after stopping; exiting. Open resources:', process.getActiveResourcesInfo());
    process.exit(process.exitCode ?? 1);
  }, 5000).unref();
});
