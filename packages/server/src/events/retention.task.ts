/**
 * Housekeeping, once an hour: events (with their deliveries and attempts) older than
 * `eventRetentionDays` and Idempotency-Keys older than 24 hours are deleted, in batches.
 * The job reschedules itself; startWorker queues the first one.
 */
import type { Task } from 'graphile-worker';
import type { AppContext } from '../context.ts';
import { addJob } from '../db/jobs.ts';
import type { DbOrTrx } from '../db/pool.ts';
import { IDEMPOTENCY_TTL_MS } from '../http/idempotency.ts';

const BATCH = 5000;
const EVERY_MS = 3600_000;

export function queueRetentionJob(db: DbOrTrx, runAt?: Date): Promise<void> {
  return addJob(db, 'engage-retention', {}, { jobKey: 'engage-retention', jobKeyMode: 'preserve_run_at', ...(runAt ? { runAt } : {}) });
}

/** Deletes expired events and keys; returns how many events went. */
export async function purgeExpired(ctx: AppContext): Promise<number> {
  const now = ctx.now().getTime();
  const eventsBefore = new Date(now - ctx.config.eventRetentionDays * 86_400_000);
  await ctx.db.deleteFrom('idempotency_keys').where('created', '<', new Date(now - IDEMPOTENCY_TTL_MS)).execute();
  let total = 0;
  for (;;) {
    const n = await ctx.db.transaction().execute(async (trx) => {
      const old = await trx
        .selectFrom('events').select('id')
        .where('created', '<', eventsBefore)
        .where(({ not, exists, selectFrom }) => not(exists(selectFrom('webhook_deliveries as d').select('d.id').whereRef('d.event_id', '=', 'events.id').where('d.status', '=', 'PENDING'))))
        .limit(BATCH)
        .execute();
      if (old.length === 0) return 0;
      const ids = old.map((o) => o.id);
      await trx.deleteFrom('webhook_deliveries').where('event_id', 'in', ids).execute();
      await trx.deleteFrom('events').where('id', 'in', ids).execute();
      return ids.length;
    });
    total += n;
    if (n < BATCH) return total;
  }
}

export function retentionTask(ctx: AppContext): Task {
  return async () => {
    const n = await purgeExpired(ctx);
    if (n > 0) ctx.log.info({ events: n }, 'expired events deleted');
    await queueRetentionJob(ctx.db, new Date(Date.now() + EVERY_MS));
  };
}
