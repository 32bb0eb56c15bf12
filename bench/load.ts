/**
 * The load generator, run in a child process (`fork` from run.ts) so that it does not share an
 * event loop with the servers it measures. Takes a `LoadJob` as JSON in argv[2], answers a
 * `LoadResult` over the IPC channel and exits.
 *
 * Latencies are recorded here from autocannon's `response` events (float milliseconds), since
 * autocannon's own histogram has a resolution of 1 ms — too coarse for a bare route.
 */
import autocannon, { type AutocannonInstance } from 'autocannon';
import { leadLoadBody } from './leads.ts';
import { percentile } from './stats.ts';

export interface LoadJob {
  url: string;
  /** POST: a new lead body per request (leads.ts); GET: the same request every time. */
  method: 'POST' | 'GET';
  path: string;
  apiKey: string;
  /** The campaign of the POSTed leads. */
  campaignId: string;
  connections: number;
  /** Measured run length, seconds (ignored when `amount` is set). */
  durationS: number;
  /** Unmeasured run first, seconds; 0 for none. */
  warmupS: number;
  /** Send exactly this many requests instead of running for `durationS`. */
  amount?: number;
  /** POST: index of the first phone (see leads.ts); consecutive after that, warm-up included. */
  phoneStart: number;
}

export interface LoadResult {
  /** Wall time of the measured run, seconds. */
  seconds: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** 2xx latencies, ms. */
  p50: number;
  p99: number;
  mean: number;
  /** Phones used, warm-up included. */
  phonesUsed: number;
  /** 2xx answers during the warm-up. */
  warmupOk: number;
  /** CPU time of this process during the measured run, seconds. */
  cpuSeconds: number;
}

async function runOnce(job: LoadJob, next: () => number, measure: boolean, durationS: number): Promise<LoadResult> {
  const latencies: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const instance: AutocannonInstance = autocannon({
    url: job.url,
    connections: job.connections,
    ...(job.amount !== undefined && measure ? { amount: job.amount } : { duration: durationS }),
    timeout: 30,
    requests: [
      job.method === 'POST'
        ? {
            method: 'POST',
            path: job.path,
            headers: { 'content-type': 'application/json', 'x-api-key': job.apiKey },
            setupRequest: (req) => ({ ...req, body: leadLoadBody(job.campaignId, next()) }),
          }
        : { method: 'GET', path: job.path },
    ],
  });
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status >= 200 && status < 300) latencies.push(ms);
  });
  const r = await instance;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const sorted = Float64Array.from(latencies).sort();
  return {
    seconds,
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats).map(([k, v]) => [k, v.count])),
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    mean: latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length),
    phonesUsed: 0,
    warmupOk: 0,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

export type LoadMessage = { type: 'start' } | { type: 'result'; result: LoadResult };

function send(m: LoadMessage): Promise<void> {
  return new Promise<void>((resolve, reject) => process.send!(m, (err: Error | null) => (err ? reject(err) : resolve())));
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as LoadJob;
  let counter = job.phoneStart;
  const next = () => counter++;
  const warmup = job.warmupS > 0 ? await runOnce(job, next, false, job.warmupS) : null;
  await send({ type: 'start' });
  const result = await runOnce(job, next, true, job.durationS);
  result.phonesUsed = counter - job.phoneStart;
  result.warmupOk = warmup?.ok ?? 0;
  await send({ type: 'result', result });
  process.disconnect();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
