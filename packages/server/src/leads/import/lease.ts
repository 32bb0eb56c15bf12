/**
 * Who is loading an import, and taking it over when that worker died.
 *
 * A worker runs an import under a lease: it claims the `list_imports` row (numbering the claim in
 * `attempts`) and renews `heartbeat` every third of `importLeaseMs`. Its import is one transaction
 * on one connection, so when its process dies PostgreSQL rolls everything back, and only the lease
 * says the import is still PROCESSING. graphile-worker would leave the job locked for four hours;
 * instead every worker process sweeps for PROCESSING imports whose heartbeat is older than the lease
 * and queues them again (a new job under the same key), and the next worker loads the file — still
 * on disk — from the start.
 *
 * The claim number fences a worker that was only slow: its renewals and its COMPLETED update name
 * its claim, so once taken over it stops at its next renewal and its transaction rolls back, and
 * the campaign lock (settle.ts) keeps the new run waiting until it has.
 */
import { sql } from 'kysely';
import type { AppContext } from '../../context.ts';
import type { DbOrTrx } from '../../db/pool.ts';
import { failImport } from './store.ts';

/** Claims after which an import that keeps losing its worker is failed instead of taken over again. */
export const IMPORT_MAX_CLAIMS = 5;

/** A worker's claim on an import; `claim` is the value of `attempts` it set. */
export interface ImportLease {
  claim: number;
  /** Aborted when the lease was lost (taken over, cancelled or finished elsewhere) or the worker is stopping. */
  signal: AbortSignal;
  /** True once a renewal found the lease gone. */
  lost(): boolean;
  /** Stops renewing; with `release`, clears the heartbeat so the next attempt may claim at once. */
  end(release: boolean): Promise<void>;
}

const stale = (leaseMs: number) => sql<boolean>`heartbeat < now() - make_interval(secs => ${leaseMs / 1000})`;

/**
 * Claims a PROCESSING import that no live worker holds (no heartbeat, or one older than the lease),
 * using the database's clock so that workers on several machines agree. Null: not PROCESSING, or
 * another worker holds it.
 */
export async function claimImport(db: DbOrTrx, id: string, leaseMs: number): Promise<number | null> {
  const row = await db
    .updateTable('list_imports')
    .set((eb) => ({ attempts: eb('attempts', '+', 1), heartbeat: sql`now()`, started: sql`now()`, processed: 0, bytes_processed: 0 }))
    .where('id', '=', id)
    .where('status', '=', 'PROCESSING')
    .where((eb) => eb.or([eb('heartbeat', 'is', null), stale(leaseMs)]))
    .returning('attempts')
    .executeTakeFirst();
  return row?.attempts ?? null;
}

/** Claims the import and keeps the claim alive until `end`. Null when it cannot be claimed. */
export async function holdImport(ctx: AppContext, id: string, stopping: AbortSignal | undefined): Promise<ImportLease | null> {
  const leaseMs = ctx.config.importLeaseMs;
  const claim = await claimImport(ctx.db, id, leaseMs);
  if (claim === null) return null;
  const abort = new AbortController();
  const onStop = () => abort.abort(new Error('the worker is stopping; the import will run again'));
  if (stopping?.aborted) onStop();
  stopping?.addEventListener('abort', onStop, { once: true });
  let lost = false;
  let renewing: Promise<unknown> = Promise.resolve();
  const renew = async () => {
    const r = await ctx.db
      .updateTable('list_imports')
      .set({ heartbeat: sql`now()` })
      .where('id', '=', id)
      .where('attempts', '=', claim)
      .where('status', '=', 'PROCESSING')
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0 && !lost) {
      lost = true;
      abort.abort(new Error(`import ${id}: the lease was lost`));
    }
  };
  const timer = setInterval(() => {
    renewing = renew().catch((err: unknown) => ctx.log.warn({ err, importId: id }, 'list import heartbeat failed'));
  }, Math.max(50, leaseMs / 3));
  return {
    claim,
    signal: abort.signal,
    lost: () => lost,
    async end(release) {
      clearInterval(timer);
      stopping?.removeEventListener('abort', onStop);
      await renewing;
      if (release && !lost) {
        await ctx.db.updateTable('list_imports').set({ heartbeat: null }).where('id', '=', id).where('attempts', '=', claim).execute();
      }
    },
  };
}

/**
 * Queues again every PROCESSING import whose worker stopped renewing its lease, or fails it after
 * IMPORT_MAX_CLAIMS claims (a file that kills its worker every time must not loop forever). Each
 * import is reset and re-queued in one transaction, and only one sweeping process gets it.
 * Returns the imports recovered.
 */
export async function recoverAbandonedImports(ctx: AppContext, queue: (db: DbOrTrx, importId: string) => Promise<void>): Promise<number> {
  const leaseMs = ctx.config.importLeaseMs;
  const candidates = await ctx.db.selectFrom('list_imports').select('id').where('status', '=', 'PROCESSING').where(stale(leaseMs)).execute();
  let recovered = 0;
  for (const { id } of candidates) {
    await ctx.db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('list_imports')
        .set({ heartbeat: null })
        .where('id', '=', id)
        .where('status', '=', 'PROCESSING')
        .where(stale(leaseMs))
        .returning('attempts')
        .executeTakeFirst();
      if (!row) return; // another process took it, or it finished meanwhile
      recovered++;
      if (row.attempts >= IMPORT_MAX_CLAIMS) {
        await failImport(trx, id, `the import was interrupted ${row.attempts} times (its worker stopped each time); nothing was loaded`, ctx.now());
      }
      ctx.log.warn({ importId: id, claims: row.attempts }, 'list import lost its worker; queued again');
      await queue(trx, id);
    });
  }
  return recovered;
}

/** Sweeps for abandoned imports every half lease (at most every 5 s) while the worker runs. */
export function startImportRecovery(ctx: AppContext, queue: (db: DbOrTrx, importId: string) => Promise<void>): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(() => recoverAbandonedImports(ctx, queue)).catch((err: unknown) => ctx.log.error({ err }, 'list import recovery failed'));
  }, Math.min(5_000, Math.max(50, ctx.config.importLeaseMs / 2)));
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
