import { sql } from 'kysely';
import type { DbOrTrx } from './pool.ts';

export interface AddJobOptions {
  /** When to run; default now. */
  runAt?: Date;
  /** Jobs with one key are one job: a pending one is replaced, a running one is followed by a new one. */
  jobKey?: string;
  /** `replace` (default) moves run_at to this call's; `preserve_run_at` keeps the pending job's. */
  jobKeyMode?: 'replace' | 'preserve_run_at';
  /** Jobs in one queue run one at a time, in order. */
  queueName?: string;
  /** Default 25 (graphile-worker's). */
  maxAttempts?: number;
}

/**
 * Queues a graphile-worker job through SQL, so it commits or rolls back with the caller's
 * transaction (the outbox guarantee: no job without its cause, no cause without its job).
 */
export async function addJob(db: DbOrTrx, task: string, payload: unknown, opts: AddJobOptions = {}): Promise<void> {
  await sql`SELECT graphile_worker.add_job(
    ${task}, ${JSON.stringify(payload)}::json,
    queue_name => ${opts.queueName ?? null}::text,
    run_at => ${opts.runAt ?? null}::timestamptz,
    max_attempts => ${opts.maxAttempts ?? null}::int,
    job_key => ${opts.jobKey ?? null}::text,
    job_key_mode => ${opts.jobKeyMode ?? 'replace'}::text
  )`.execute(db);
}

/** Wakes broadcast senders in every process (they also poll, so a lost notification only delays). */
export async function notifyBroadcast(db: DbOrTrx): Promise<void> {
  await sql`SELECT pg_notify('engage_broadcast', '')`.execute(db);
}

export interface JobSpec {
  task: string;
  payload: unknown;
  runAt?: Date;
}

/** Queues many jobs in one statement (graphile-worker's add_jobs), in the caller's transaction. */
export async function addJobs(db: DbOrTrx, jobs: JobSpec[]): Promise<void> {
  if (jobs.length === 0) return;
  const rows = JSON.stringify(jobs.map((j) => ({ identifier: j.task, payload: j.payload, run_at: j.runAt?.toISOString() ?? null })));
  await sql`SELECT count(*) FROM graphile_worker.add_jobs(ARRAY(
    SELECT ROW(x.identifier, x.payload, NULL, x.run_at, NULL, NULL, NULL, NULL)::graphile_worker.job_spec
    FROM json_to_recordset(${rows}::json) AS x(identifier text, payload json, run_at timestamptz)))`.execute(db);
}
