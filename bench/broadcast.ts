/**
 * `npm run bench -- broadcast`: the broadcast engine at scale (docs/benchmarks.md).
 *
 * A campaign of BENCH_BROADCAST_LEADS (default 1,000,000) leads on the simulator, no throttle,
 * sent end to end: claim, render, the provider call over loopback HTTP to the simulated carrier's
 * API (served by a separate `engage api` process, which stores every send, group-committed), and
 * the status write. Measured: messages handed to the provider per second, from `activate` until no
 * lead is PENDING or SENDING. Baseline, same run: the same number of bare HTTP calls to the same
 * simulator endpoint, from a load generator with the same number of requests in flight.
 * Writes bench/results/broadcast.json and the broadcast section of docs/benchmarks.md.
 *
 * Processes: PostgreSQL, `engage api` (the simulated carrier), `engage worker` (the sender) and
 * this coordinator, which also runs the baseline's load generator.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Pool } from 'undici';
import { migrate } from '../packages/server/src/db/migrate.ts';
import { SIMULATOR_CARRIER_PATH, simulatorCarrierToken } from '../packages/server/src/providers/simulator/provider.ts';
import { waitFor } from './wait.ts';
import { benchDatabase, withClient } from './db.ts';
import { benchPhone } from './leads.ts';
import { cpuMeter, percentile, processCpuMeter } from './stats.ts';
import { API_KEY, BIN, REPO, SECRET } from './paths.ts';

const LEADS = Number(process.env.BENCH_BROADCAST_LEADS ?? 1_000_000);
const LANES = Number(process.env.BENCH_SENDER_LANES ?? 3);
const BATCH = Number(process.env.BENCH_SENDER_BATCH ?? 400);
/** The simulator HTTP client's connections in the worker (createHttpSimulatorProvider's default). */
const CONNECTIONS = 64;

const log = (msg: string) => console.log(`[bench broadcast] ${msg}`);

function startProcess(command: 'api' | 'worker', env: Record<string, string>): { child: ChildProcess; ready: Promise<void> } {
  // BENCH_PROFILE=<dir>: write V8 CPU profiles of the API and the worker there.
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  // As `npm start` and `npm run engage` run it (docs/operations.md): a larger young generation, so
  // the sender's short-lived request objects die in fewer, cheaper scavenges (−15 % worker CPU).
  const child = spawn(process.execPath, ['--max-semi-space-size=32', ...profile, BIN, command], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/listening|worker (is )?running|started/i.test(out)) resolve();
    });
    child.on('exit', (code) => reject(new Error(`engage ${command} exited with ${code}: ${out.slice(-2000)}`)));
  });
  ready.catch(() => undefined);
  return { child, ready };
}

async function waitHealthy(base: string): Promise<void> {
  await waitFor('the API', 60_000, async () => {
    try {
      return (await fetch(`${base}/health`)).ok ? true : undefined;
    } catch {
      return undefined;
    }
  }, 100);
}

/** Inserts the campaign's leads with one INSERT … SELECT (setup, not measured). */
async function seedLeads(db: pg.Client, campaignId: string, workspaceId: number, listId: string, count: number): Promise<void> {
  const phones = Array.from({ length: count }, (_, i) => benchPhone(3_000_000 + i));
  const chunk = 100_000;
  for (let i = 0; i < count; i += chunk) {
    await db.query(
      `INSERT INTO leads (id, workspace_id, campaign_id, list_id, phone, time_zone, zip, state, lead_data)
       SELECT substr(md5(p), 1, 24), $1, $2, $3, p, 'America/New_York', '10001', 'NY', json_build_object('FirstName', 'Ada', 'Phone', p)
       FROM unnest($4::text[]) AS p`,
      [workspaceId, campaignId, listId, phones.slice(i, i + chunk)],
    );
  }
  await db.query('ANALYZE leads');
}

/** The baseline: `count` bare POSTs to the simulated carrier's endpoint, `inFlight` at a time. */
async function bareCalls(base: string, count: number, inFlight: number): Promise<number> {
  const pool = new Pool(base, { connections: CONNECTIONS, keepAliveTimeout: 10_000 });
  const authorization = `Bearer ${simulatorCarrierToken(SECRET)}`;
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      const res = await pool.request({
        path: SIMULATOR_CARRIER_PATH, method: 'POST', headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ reference: `baseline-${i}`, from: '+12025550100', to: benchPhone(6_000_000 + i), body: 'Hi Ada - this is the Engage demo. Reply to start a conversation, or STOP to opt out.' }),
      });
      await res.body.text();
      if (res.statusCode !== 201) throw new Error(`baseline call answered ${res.statusCode}`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = (performance.now() - t0) / 1000;
  await pool.close();
  return seconds;
}

/** p50 / p99 / max of a probe's latencies, ms. */
export interface Latency {
  requests: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * Issue 4's "the API stays responsive while a million-lead campaign sends": each probe in turn,
 * sequentially, then a pause of `everyMs`, until stopped; the latency of every request is kept.
 */
function startApiProbe(probes: Record<string, () => Promise<void>>, everyMs: number): { stop: () => Promise<Record<string, Latency>> } {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(probes).map((k) => [k, []]));
  let stopped = false;
  const running = (async () => {
    while (!stopped) {
      for (const [name, probe] of Object.entries(probes)) {
        const t = performance.now();
        await probe();
        samples[name]!.push(performance.now() - t);
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await running;
      return Object.fromEntries(Object.entries(samples).map(([name, v]) => {
        const sorted = Float64Array.from(v).sort();
        const ms = (x: number) => Number(x.toFixed(1));
        return [name, { requests: v.length, p50: ms(percentile(sorted, 50)), p99: ms(percentile(sorted, 99)), max: ms(sorted[sorted.length - 1] ?? NaN) }];
      }));
    },
  };
}

export async function benchBroadcast(): Promise<void> {
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const { adminUrl, databaseUrl, dbName, kind: databaseKind, version, tmp } = await benchDatabase('broadcast', log, stops);
    await migrate(databaseUrl);
    if (process.env.BENCH_PG_LOG) await withClient(adminUrl, (c) => c.query(`ALTER DATABASE ${dbName} SET log_min_duration_statement = 0`));

    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const base = `http://127.0.0.1:${port}`;
    const common = {
      DATABASE_URL: databaseUrl, ENGAGE_SECRET: SECRET, ENGAGE_BOOTSTRAP_API_KEY: API_KEY, LOG_LEVEL: 'warn',
      ENGAGE_DATA_DIR: path.join(tmp, 'data'), ENGAGE_SIMULATOR_RECEIPTS: 'false', PUBLIC_URL: base,
    };
    log('starting `engage api` (the simulated carrier)');
    const apiProc = startProcess('api', { ...common, PORT: String(port), HOST: '127.0.0.1' });
    stops.push(async () => {
      apiProc.child.kill('SIGTERM');
    });
    await waitHealthy(base);

    const api = async (method: string, p: string, body?: unknown) => {
      const res = await fetch(base + p, { method, headers: { 'x-api-key': API_KEY, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : null });
      const json = (await res.json()) as Record<string, unknown>;
      if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const always = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: 0, end: 1440 }]]));
    await api('PATCH', '/api/public/engage/workspace', { quietHoursPolicy: 'NONE' });
    const campaign = await api('POST', '/api/public/engage/campaigns', { name: 'Broadcast bench', schedule: always, messages: { outgoingMessage: 'Hi {{FirstName}} - this is the Engage demo. Reply to start a conversation, or STOP to opt out.' } });
    const campaignId = campaign.id as string;
    await api('POST', `/api/public/engage/campaigns/${campaignId}/approve`);
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    stops.push(() => db.end());
    const ws = (await db.query<{ id: number }>('SELECT id FROM workspaces LIMIT 1')).rows[0]!.id;
    const listId = randomBytes(12).toString('hex');
    await db.query(`INSERT INTO lists (id, workspace_id, campaign_id, name) VALUES ($1, $2, $3, 'bench')`, [listId, ws, campaignId]);
    log(`seeding ${LEADS.toLocaleString('en-US')} leads`);
    await seedLeads(db, campaignId, ws, listId, LEADS);

    // The API probes: a read of the sending campaign, and a lead load into another campaign (a
    // draft, so nothing more is sent): a transaction on the same tables the sender writes.
    const draft = await api('POST', '/api/public/engage/campaigns', { name: 'Probe campaign', schedule: always, messages: { outgoingMessage: 'Hi {{FirstName}}' } });
    let probePhone = 0;
    const probes = {
      'GET campaign': async () => {
        await api('GET', `/api/public/engage/campaigns/${campaignId}`);
      },
      'POST lead/load': async () => {
        const r = await api('POST', '/api/public/engage/lead/load', { campaignId: draft.id, fields: [{ name: 'Phone', value: benchPhone(8_000_000 + probePhone++) }, { name: 'FirstName', value: 'Probe' }] });
        if (r.status !== 'Accepted') throw new Error(`probe lead load: ${JSON.stringify(r)}`);
      },
    };
    log('API latency, nothing sending (10 s)');
    const idleProbe = startApiProbe(probes, 100);
    await new Promise((r) => setTimeout(r, 10_000));
    const apiIdle = await idleProbe.stop();

    log(`starting \`engage worker\` (${LANES} lanes × batches of ${BATCH}) and activating`);
    const workerProc = startProcess('worker', { ...common, ENGAGE_SIMULATOR_URL: base, ENGAGE_SENDER_LANES: String(LANES), ENGAGE_SENDER_BATCH: String(BATCH) });
    stops.push(async () => {
      workerProc.child.kill('SIGTERM');
    });
    await new Promise((r) => setTimeout(r, 2000)); // the worker's start-up is not measured
    const loadBefore = os.loadavg().map((l) => l.toFixed(2)).join(', ');
    const meter = cpuMeter();
    const split = processCpuMeter({ worker: workerProc.child.pid!, api: apiProc.child.pid!, coordinator: process.pid });
    const t0 = performance.now();
    await api('POST', `/api/public/engage/campaigns/${campaignId}/activate`);
    const sendingProbe = startApiProbe(probes, 100);
    let lastLog = t0;
    // Cheap completion check (partial indexes, LIMIT 1): counting a million rows four times a
    // second would load the database more than the sender does.
    await waitFor('the broadcast', 3_600_000, async () => {
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        const sent = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM simulator_messages`)).rows[0]!.n;
        log(`${sent.toLocaleString('en-US')} sent after ${((lastLog - t0) / 1000).toFixed(0)} s`);
      }
      const left = await db.query(`SELECT 1 FROM leads WHERE campaign_id = $1 AND status = 'PENDING' LIMIT 1`, [campaignId]);
      const inFlight = left.rowCount ? left : await db.query(`SELECT 1 FROM leads WHERE campaign_id = $1 AND status = 'SENDING' LIMIT 1`, [campaignId]);
      return inFlight.rowCount === 0 ? true : undefined;
    }, 100);
    const seconds = (performance.now() - t0) / 1000;
    const apiSending = await sendingProbe.stop();
    const cpu = meter();
    const { cores, postgresRoles } = split.stop();
    const outcome = (await db.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM leads WHERE campaign_id = $1 GROUP BY status`, [campaignId])).rows;
    const duplicates = (await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT recipient FROM simulator_messages WHERE direction = 'OUTBOUND' GROUP BY recipient HAVING count(*) > 1) d`,
    )).rows[0]!.n;
    const handed = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM simulator_messages WHERE direction = 'OUTBOUND'`)).rows[0]!.n;
    const rate = LEADS / seconds;
    log(`Engage: ${seconds.toFixed(1)} s, ${Math.round(rate).toLocaleString('en-US')} messages/s; leads ${JSON.stringify(outcome)}; ${handed} at the simulator; duplicates ${duplicates}; API latency idle ${JSON.stringify(apiIdle)}, sending ${JSON.stringify(apiSending)}; CPU machine ${Math.round(cpu.machine * 100)}%; cores used: ${coreSplit(cores)} (${coreSplit(postgresRoles)})`);
    workerProc.child.kill('SIGTERM');
    await new Promise((r) => workerProc.child.once('exit', r));

    log(`baseline: ${LEADS.toLocaleString('en-US')} bare calls to ${SIMULATOR_CARRIER_PATH}, ${LANES * BATCH} in flight`);
    const baseMeter = cpuMeter();
    const baseSplit = processCpuMeter({ api: apiProc.child.pid!, loadGenerator: process.pid });
    const baseSeconds = await bareCalls(base, LEADS, LANES * BATCH);
    const baseRate = LEADS / baseSeconds;
    const baseCpu = { machine: baseMeter().machine, ...baseSplit.stop() };
    log(`baseline: ${baseSeconds.toFixed(1)} s, ${Math.round(baseRate).toLocaleString('en-US')} calls/s; CPU machine ${Math.round(baseCpu.machine * 100)}%; cores used: ${coreSplit(baseCpu.cores)} (${coreSplit(baseCpu.postgresRoles)})`);

    const result = {
      name: `Broadcast: ${LEADS.toLocaleString('en-US')} leads through the simulator over loopback HTTP, no throttle`,
      messages: LEADS,
      seconds: Number(seconds.toFixed(2)),
      messagesPerSecond: Math.round(rate),
      baseline: { name: `${LEADS.toLocaleString('en-US')} bare HTTP calls to the simulator endpoint (${LANES * BATCH} in flight)`, callsPerSecond: Math.round(baseRate) },
      ratio: Number((rate / baseRate).toFixed(3)),
      duplicates,
      apiLatencyMs: { idle: apiIdle, sending: apiSending },
    };
    await mkdir(path.join(REPO, 'bench', 'results'), { recursive: true });
    await writeFile(path.join(REPO, 'bench', 'results', 'broadcast.json'), JSON.stringify(result, null, 2) + '\n');
    if (!process.env.BENCH_NO_DOC) {
      await writeSection(result, {
        lanes: LANES, batch: BATCH, cpuBusy: cpu.machine, cores, postgresRoles, baseCpu, loadBefore, postgres: `${version} (${databaseKind})`,
        cpuModel: os.cpus()[0]?.model ?? 'unknown', nproc: os.cpus().length, outcome,
      });
    }
    log(JSON.stringify(result));
  } finally {
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => console.error('[bench broadcast] cleanup failed:', err));
  }
}

/** `worker 0.62 · api 0.31 · …`: who used the machine's cores. */
function coreSplit(cores: Record<string, number>): string {
  const names: Record<string, string> = { worker: '`engage worker`', api: '`engage api` (carrier)', postgres: 'PostgreSQL (all processes)', coordinator: 'this coordinator', loadGenerator: 'the load generator (this coordinator)' };
  return Object.entries(cores).map(([k, v]) => `${names[k] ?? k} ${v.toFixed(2)}`).join(' · ');
}

async function writeSection(
  r: {
    messages: number; seconds: number; messagesPerSecond: number; baseline: { callsPerSecond: number }; ratio: number; duplicates: number;
    apiLatencyMs: { idle: Record<string, Latency>; sending: Record<string, Latency> };
  },
  m: {
    lanes: number; batch: number; cpuBusy: number; cores: Record<string, number>; postgresRoles: Record<string, number>;
    baseCpu: { machine: number; cores: Record<string, number>; postgresRoles: Record<string, number> }; loadBefore: string; postgres: string; cpuModel: string; nproc: number; outcome: { status: string; n: number }[];
  },
): Promise<void> {
  const doc = path.join(REPO, 'docs', 'benchmarks.md');
  const start = '<!-- broadcast-benchmark:start -->';
  const end = '<!-- broadcast-benchmark:end -->';
  const fmt = (n: number) => n.toLocaleString('en-US');
  const section = [
    start,
    '## Broadcast at scale (`npm run bench -- broadcast`)',
    '',
    `- Date: ${new Date().toISOString()}; machine: ${m.nproc} cores, ${m.cpuModel}; PostgreSQL ${m.postgres}; load average before: ${m.loadBefore}`,
    `- ${fmt(r.messages)} leads, one campaign always open, simulator unthrottled over loopback HTTP (\`engage api\` as the carrier, \`engage worker\` with ${m.lanes} lanes × batches of ${m.batch}); leads ended ${m.outcome.map((o) => `${o.status} ${fmt(o.n)}`).join(', ')}`,
    '',
    '| measurement | messages/s | seconds | ratio to baseline | duplicates |',
    '|---|--:|--:|--:|--:|',
    `| Engage: claim, render, provider call over HTTP, status write | ${fmt(r.messagesPerSecond)} | ${r.seconds} | ${r.ratio} | ${r.duplicates} |`,
    `| Baseline: bare HTTP calls to the same simulator endpoint | ${fmt(r.baseline.callsPerSecond)} | ${(r.messages / r.baseline.callsPerSecond).toFixed(2)} | – | – |`,
    '',
    `Machine busy during the broadcast: ${Math.round(m.cpuBusy * 100)}% of all cores; cores used (CPU seconds per second): ${coreSplit(m.cores)}; PostgreSQL's split: ${coreSplit(m.postgresRoles)}.`,
    '',
    `During the baseline: ${Math.round(m.baseCpu.machine * 100)}% of all cores; ${coreSplit(m.baseCpu.cores)}; PostgreSQL's split: ${coreSplit(m.baseCpu.postgresRoles)}.`,
    '',
    'The API meanwhile (one request of each kind, then 100 ms, over and over; `engage api` is also the carrier):',
    '',
    '| request | nothing sending: p50 / p99 / max (ms) | while sending: p50 / p99 / max (ms) | requests while sending |',
    '|---|--:|--:|--:|',
    ...Object.keys(r.apiLatencyMs.sending).map((k) => {
      const a = r.apiLatencyMs.idle[k]!;
      const b = r.apiLatencyMs.sending[k]!;
      return `| \`${k}\` | ${a.p50} / ${a.p99} / ${a.max} | ${b.p50} / ${b.p99} / ${b.max} | ${fmt(b.requests)} |`;
    }),
    '',
    'Targets (issue 4): ≥ 5,000 messages/s, ratio ≥ 0.5, 0 duplicates.',
    end,
  ].join('\n');
  const text = await readFile(doc, 'utf8').catch(() => '# Benchmarks\n');
  const re = new RegExp(`${start}[\\s\\S]*?${end}`);
  await writeFile(doc, re.test(text) ? text.replace(re, section) : `${text.trimEnd()}\n\n${section}\n`);
}
