/**
 * `npm run bench -- import`: a 1,000,000-row, 8-column CSV list through Engage's full import
 * (`POST /api/public/engage/list/load` over real HTTP, then the worker: parse, normalise, enrich,
 * dedupe, suppress, insert) against the floor of the same database — a raw `COPY` of the same file
 * into a plain table — measured in the same run.
 *
 * Writes bench/results/import.json as
 * `{name, rows, seconds, rowsPerSecond, baseline: {name, rowsPerSecond}, ratio, peakRssMb}` and
 * adds its section to docs/benchmarks.md (between `<!-- import-benchmark:… -->` markers, which
 * bench/run.ts keeps). Engage (API + worker) runs in this process, so the peak RSS sampled here
 * (every 20 ms) is theirs together; the file is generated, COPYed for the baseline and uploaded
 * by child processes (the upload as a browser or CRM would send it, from elsewhere). The clock runs
 * from the upload's first byte to the job's COMPLETED.
 *
 * Environment: BENCH_DATABASE_URL (a PostgreSQL server instead of an embedded one),
 * BENCH_IMPORT_ROWS (default 1,000,000; must not be a multiple of 7919), BENCH_NO_DOC=1 (leave
 * docs/benchmarks.md alone).
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, openAsBlob } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { loadConfig } from '../packages/server/src/config.ts';
import { startEmbeddedPostgres } from '../packages/server/src/db/embedded.ts';
import { startEngage } from '../packages/server/src/engage.ts';
import { importTuning } from '../packages/server/src/leads/import/load-file.ts';
import { parseProcessRequest } from '../packages/server/src/leads/import/options.ts';
import { parseFile } from '../packages/server/src/leads/import/parse-thread.ts';
import { FILTER_BYTES } from '../packages/server/src/leads/import/phone-filter.ts';
import { benchPhone } from './leads.ts';
import { processCpuMeter } from './stats.ts';
import { API_KEY, REPO, SECRET } from './paths.ts';

const ROWS = Number(process.env.BENCH_IMPORT_ROWS ?? 1_000_000);
const log = (msg: string) => console.log(`[bench import] ${msg}`);

const FIRST = ['Ada', 'Grace', 'Alan', 'Katherine', 'Linus', 'Margaret', 'Dennis', 'Barbara', 'Ken', 'Frances'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Johnson', 'Torvalds', 'Hamilton', 'Ritchie', 'Liskov', "O'Brien", 'Allen'];
const ZIPS = ['10001', '90210', '60601', '73301', '98101', '33101', '02134', '30301', '80202', '85001', '2134', '94105-1234', '', 'K1A 0B1'];
const CITIES = ['New York', 'Beverly Hills', 'Chicago', 'Austin', 'Seattle', 'Miami', 'Boston', 'Atlanta', 'Denver', 'Phoenix'];

/** Phone `i` written the ways spreadsheets write them. */
function phoneText(i: number): string {
  const e164 = benchPhone(i);
  const d = e164.slice(2);
  switch (i % 5) {
    case 0: return e164;
    case 1: return `(${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6)}`;
    case 2: return `${d.slice(0, 3)}-${d.slice(3, 6)}-${d.slice(6)}`;
    case 3: return `1${d}`;
    default: return `${d.slice(0, 3)}.${d.slice(3, 6)}.${d.slice(6)}`;
  }
}

/** The 8-column file: 0.5 % invalid phones, 0.5 % repeats of an earlier phone, quoted notes, five phone formats. */
export async function generateCsv(file: string, rows: number): Promise<number> {
  const out = createWriteStream(file);
  const write = (s: string) => (out.write(s) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r())));
  await write('Phone,First Name,Last Name,Email,Zip,City,Company,Notes\r\n');
  // Phones in no particular order, as in a real list: a bijection of 0…rows-1.
  const perm = (k: number) => (k * 7919 + 13) % rows;
  let buf = '';
  for (let i = 0; i < rows; i++) {
    const phone = i % 200 === 7 ? 'n/a' : i % 200 === 11 ? phoneText(perm(i - 5)) : phoneText(perm(i));
    const first = FIRST[i % FIRST.length]!;
    const last = LAST[(i >> 3) % LAST.length]!;
    const notes = i % 10 === 0 ? `"Met at booth ${i % 97}, said ""call me"", prefers texts"` : `row ${i}`;
    buf += `${phone},${first},${last},${first.toLowerCase()}.${i}@example.com,${ZIPS[i % ZIPS.length]},${CITIES[i % CITIES.length]},Acme ${i % 1000},${notes}\r\n`;
    if (buf.length > 1 << 16) {
      await write(buf);
      buf = '';
    }
  }
  await write(buf);
  await new Promise<void>((r, j) => out.end((err?: Error | null) => (err ? j(err) : r())));
  return (await stat(file)).size;
}

/** Runs this file in a child process (`generate …`, `rawcopy …` or `upload …`), so that work is not counted in Engage's RSS. */
function child(args: string[], onReady?: () => void): Promise<string> {
  return new Promise((resolve, reject) => {
    // fork keeps process.execArgv, i.e. tsx's loader, so the child runs TypeScript too.
    const c = fork(fileURLToPath(import.meta.url), args, { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    let out = '';
    c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    c.on('message', (m) => {
      if (m === 'ready') {
        onReady?.();
        c.send('go');
      }
    });
    c.on('error', reject);
    c.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`bench child ${args[0]} exited with ${code}: ${out}`))));
  });
}

async function generateInChild(file: string, rows: number): Promise<number> {
  await child(['generate', file, String(rows)]);
  return (await stat(file)).size;
}

/**
 * The operator's upload, from another process (a browser or CRM is not in Engage's memory either).
 * `onStart` runs once the child is up, just before it sends: the clock starts there.
 */
async function uploadInChild(base: string, campaignId: string, file: string, onStart: () => void): Promise<{ jobId: string }> {
  return JSON.parse(await child(['upload', base, campaignId, file], onStart)) as { jobId: string };
}

/** This process's memory, MB: the main thread's V8 heap, buffers outside it, and the rest of the RSS. */
function memoryParts(): { heap: number; buffers: number; rest: number } {
  const m = process.memoryUsage();
  const mb = (n: number) => Math.round(n / 1048576);
  return { heap: mb(m.heapTotal), buffers: mb(m.external), rest: mb(m.rss - m.heapTotal - m.external) };
}

const showParts = (p: ReturnType<typeof memoryParts>) => `heap ${p.heap} · buffers ${p.buffers} · rest ${p.rest} MB`;

/** The upload's `processRequest`: dedupe on, a header row, every column mapped. */
const PROCESS_REQUEST = JSON.stringify({
  deDupe: true, firstRowHeaders: true,
  mappedCols: ['Phone', 'First Name', 'Last Name', 'Email', 'Zip', 'City', 'Company', 'Notes'].map((columnId, columnIndex) => ({ columnIndex, columnId })),
});

/**
 * The import's JavaScript side alone, with no database: the same parsing thread reads the file,
 * normalises, enriches and writes every lead line as COPY text, chunk after chunk. Seconds.
 */
async function parseAlone(file: string, bytes: number): Promise<number> {
  const t0 = performance.now();
  const parsing = parseFile({
    file, options: parseProcessRequest(PROCESS_REQUEST), now: Date.now(), target: { workspaceId: 1, campaignId: 'c'.repeat(24), listId: 'l'.repeat(24) },
    chunkRows: importTuning.chunkRows, filter: new Uint32Array(new SharedArrayBuffer(FILTER_BYTES)),
  }, bytes);
  for (let step = await parsing.chunks.next(); !step.done; step = await parsing.chunks.next()) parsing.release(step.value.chunk);
  return (performance.now() - t0) / 1000;
}

async function upload(base: string, campaignId: string, file: string): Promise<void> {
  await new Promise<void>((resolve) => {
    process.once('message', () => resolve());
    process.send!('ready');
  });
  const form = new FormData();
  form.append('campaignId', campaignId);
  form.append('processRequest', PROCESS_REQUEST);
  form.append('file', await openAsBlob(file, { type: 'text/csv' }), 'leads.csv');
  const res = await fetch(`${base}/api/public/engage/list/load`, { method: 'POST', headers: { 'x-api-key': API_KEY }, body: form });
  const text = await res.text();
  if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${text}`);
  process.stdout.write(text);
  process.disconnect();
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = '/' + db;
  return u.toString();
}

/** Baseline: the file COPYed as-is into a plain 8-column table on the same database. */
async function rawCopy(databaseUrl: string, file: string): Promise<number> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    await c.query('CREATE TABLE bench_raw_copy (phone text, first text, last text, email text, zip text, city text, company text, notes text)');
    const t0 = performance.now();
    await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), c.query(copyFrom('COPY bench_raw_copy FROM STDIN WITH (FORMAT csv, HEADER true)')));
    const seconds = (performance.now() - t0) / 1000;
    await c.query('DROP TABLE bench_raw_copy');
    return seconds;
  } finally {
    await c.end();
  }
}

export async function benchImport(): Promise<void> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'engage-bench-import-'));
  await chmod(tmp, 0o755);
  const stops: (() => Promise<unknown>)[] = [() => rm(tmp, { recursive: true, force: true })];
  try {
    let adminUrl = process.env.BENCH_DATABASE_URL ?? '';
    if (!adminUrl) {
      log('starting embedded PostgreSQL');
      const embedded = await startEmbeddedPostgres(tmp, { persistent: false, ownProcessGroup: false });
      stops.push(() => embedded.stop());
      adminUrl = embedded.adminUrl;
    }
    const dbName = `engage_bench_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    stops.push(async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).finally(() => c.end());
    });
    const databaseUrl = withDatabase(adminUrl, dbName);

    const file = path.join(tmp, 'leads.csv');
    log(`generating ${ROWS.toLocaleString('en-US')} rows`);
    const bytes = await generateInChild(file, ROWS);
    log(`${(bytes / 1024 / 1024).toFixed(1)} MiB written`);

    const config = loadConfig({
      DATABASE_URL: databaseUrl, PORT: '0', HOST: '127.0.0.1', ENGAGE_DATA_DIR: path.join(tmp, 'data'),
      ENGAGE_SECRET: SECRET, ENGAGE_BOOTSTRAP_API_KEY: API_KEY, LOG_LEVEL: 'warn',
    });
    const engage = await startEngage(config, { api: true, worker: true });
    stops.push(() => engage.stop());
    const base = engage.url!;
    const api = async (method: string, p: string, body?: unknown) => {
      const res = await fetch(base + p, {
        method, headers: { 'x-api-key': API_KEY, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : null,
      });
      const json = (await res.json()) as Record<string, unknown>;
      if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };

    log('baseline: raw COPY of the file into a plain table');
    // From a child process too: the COPY's file buffers would stay in this process's RSS (freed, but
    // kept by the allocator), and the peak measured below is Engage's.
    const copySeconds = Number(await child(['rawcopy', databaseUrl, file]));
    const copyRate = ROWS / copySeconds;
    log(`raw COPY: ${copySeconds.toFixed(2)} s, ${Math.round(copyRate).toLocaleString('en-US')} rows/s`);

    const campaignId = (await api('POST', '/api/public/engage/campaigns', { name: 'Import bench' })).id as string;
    // Engage's start-up garbage is collected first (`npm run bench` runs with --expose-gc).
    global.gc?.();
    const rssBefore = process.memoryUsage.rss();
    let peakRss = rssBefore;
    const before = memoryParts();
    // Where the peak's memory is: this thread's heap, buffers (the chunks of COPY text), the rest
    // (the parsing thread's own heap and code, native allocations).
    let atPeak = before;
    const sampler = setInterval(() => {
      const rss = process.memoryUsage.rss();
      if (rss > peakRss) atPeak = memoryParts();
      peakRss = Math.max(peakRss, rss);
    }, 20);
    const loadBefore = os.loadavg().map((l) => l.toFixed(2)).join(', ');
    log('Engage: upload + import');
    const split = processCpuMeter({ engage: process.pid });
    let t0 = performance.now();
    const accepted = await uploadInChild(base, campaignId, file, () => {
      t0 = performance.now();
    });
    const uploadSeconds = (performance.now() - t0) / 1000;
    let summary: Record<string, unknown>;
    for (;;) {
      summary = await api('GET', `/api/public/engage/list/load/${accepted.jobId}`);
      if (summary.status !== 'PROCESSING') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    const cpu = split.stop();
    const cores = `Engage (API, worker and its parsing thread) ${cpu.cores.engage!.toFixed(2)} · PostgreSQL ${cpu.cores.postgres!.toFixed(2)}, ` +
      `its busiest backend ${cpu.busiestBackend.toFixed(2)} (the uploading child process not counted)`;
    if (summary.status !== 'COMPLETED') throw new Error(`import ended ${String(summary.status)}: ${String(summary.message)}`);
    const rowsPerSecond = ROWS / seconds;
    const peakRssMb = Math.round(peakRss / 1024 / 1024);
    log(`Engage: ${seconds.toFixed(2)} s (upload ${uploadSeconds.toFixed(2)} s), ${Math.round(rowsPerSecond).toLocaleString('en-US')} rows/s; ` +
      `accepted ${String(summary.accepted)}, rejected ${String(summary.rejected)} ${JSON.stringify(summary.reasons)}; peak RSS ${peakRssMb} MB (before: ${Math.round(rssBefore / 1048576)} MB; before → at the peak: ${showParts(before)} → ${showParts(atPeak)}); cores used: ${cores}`);

    log('the parsing thread alone (no database)');
    const parseSeconds = await parseAlone(file, bytes);
    log(`parsing alone: ${parseSeconds.toFixed(2)} s, ${Math.round(ROWS / parseSeconds).toLocaleString('en-US')} rows/s`);

    const result = {
      name: `List import: ${ROWS.toLocaleString('en-US')}-row 8-column CSV through POST /list/load and the worker`,
      rows: ROWS,
      seconds: Number(seconds.toFixed(3)),
      rowsPerSecond: Math.round(rowsPerSecond),
      baseline: { name: 'Raw COPY of the same file into a plain 8-column table', rowsPerSecond: Math.round(copyRate) },
      ratio: Number((rowsPerSecond / copyRate).toFixed(3)),
      peakRssMb,
    };
    await mkdir(path.join(REPO, 'bench', 'results'), { recursive: true });
    await writeFile(path.join(REPO, 'bench', 'results', 'import.json'), JSON.stringify(result, null, 2) + '\n');
    if (!process.env.BENCH_NO_DOC) await appendRow(result, { uploadSeconds, bytes, accepted: Number(summary.accepted), rejected: Number(summary.rejected), loadBefore, cores, parseSeconds });
    log(JSON.stringify(result));
  } finally {
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => console.error('[bench import] cleanup failed:', err));
  }
}

/** Adds (or replaces) the import section of docs/benchmarks.md. */
async function appendRow(
  r: { rows: number; seconds: number; rowsPerSecond: number; baseline: { rowsPerSecond: number }; ratio: number; peakRssMb: number },
  extra: { uploadSeconds: number; bytes: number; accepted: number; rejected: number; loadBefore: string; cores: string; parseSeconds: number },
): Promise<void> {
  const doc = path.join(REPO, 'docs', 'benchmarks.md');
  const start = '<!-- import-benchmark:start -->';
  const end = '<!-- import-benchmark:end -->';
  const fmt = (n: number) => n.toLocaleString('en-US');
  const section = [
    start,
    `## List import (\`npm run bench -- import\`, ${new Date().toISOString()})`,
    '',
    '| measurement | rows/s | seconds | ratio to baseline | peak RSS |',
    '|---|--:|--:|--:|--:|',
    `| List import: ${fmt(r.rows)}-row 8-column CSV, \`POST /api/public/engage/list/load\` → COMPLETED | ${fmt(r.rowsPerSecond)} | ${r.seconds.toFixed(2)} | ${r.ratio.toFixed(3)} | ${r.peakRssMb} MB |`,
    `| ↳ baseline: raw \`COPY\` of the same file into a plain 8-column table | ${fmt(r.baseline.rowsPerSecond)} | ${(r.rows / r.baseline.rowsPerSecond).toFixed(2)} | baseline | – |`,
    '',
    `- ${(extra.bytes / 1048576).toFixed(1)} MiB file; the upload (HTTP, streamed to the data dir) took ${extra.uploadSeconds.toFixed(2)} s of the total; ` +
      `${fmt(extra.accepted)} leads accepted, ${fmt(extra.rejected)} rejected (0.5 % invalid phones, 0.5 % repeated phones). ` +
      'Engage (API + worker) runs in the benchmark process; peak RSS is that process\'s, sampled every 20 ms (the file is generated, COPYed for the baseline and uploaded by child processes). ' +
      `Load average when the import started: ${extra.loadBefore} (2 cores; other processes make a run noisy). ` +
      `Cores used during the import (CPU seconds per second): ${extra.cores}. ` +
      `The parsing thread alone, with no database (read, normalise, enrich, write the COPY text), took ${extra.parseSeconds.toFixed(2)} s ` +
      `(${fmt(Math.round(r.rows / extra.parseSeconds))} rows/s). Where the time goes and what limits it: docs/lists.md.`,
    end,
  ].join('\n');
  let text = await readFile(doc, 'utf8').catch(() => '# Benchmarks\n');
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  text = i >= 0 && j > i ? text.slice(0, i) + section + text.slice(j + end.length) : `${text.trimEnd()}\n\n${section}\n`;
  await writeFile(doc, text);
}

// Run directly: `tsx bench/import.ts`; as its own child process: `… generate <file> <rows>`,
// `… rawcopy <databaseUrl> <file>` (prints the seconds) or `… upload <base> <campaignId> <file>`.
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const [, , role, a, b, c] = process.argv;
  const run = role === 'generate' ? generateCsv(a!, Number(b))
    : role === 'rawcopy' ? rawCopy(a!, b!).then((s) => void process.stdout.write(String(s)))
    : role === 'upload' ? upload(a!, b!, c!) : benchImport();
  run.catch((err: unknown) => {
    console.error('[bench import] failed:', err);
    process.exitCode = 1;
  });
}
