/**
 * Delivers one stream's webhooks (one conversation → one receiver URL) strictly in order: the
 * oldest pending delivery is attempted; on success the next follows; on failure the stream waits
 * out the retry delay (so a later event never overtakes an earlier one) and the job reschedules
 * itself. A delivery that exhausted its attempts is marked FAILED and no longer holds up the stream.
 * While its endpoint is failing, a stream whose endpoint already has an attempt in flight does not
 * wait in a worker slot: it reschedules itself (see endpoint-health.ts).
 */
import type { Task } from 'graphile-worker';
import type { AppContext } from '../context.ts';
import { addJob } from '../db/jobs.ts';
import { createWebhookDispatcher } from './address-guard.ts';
import { attemptDelivery, deliveryQuery } from './attempt.ts';

/** Stops a single job from monopolising a worker when a stream has a long backlog. */
const MAX_PER_RUN = 100;

export function deliverWebhooksTask(ctx: AppContext): Task {
  const dispatcher = createWebhookDispatcher({ allowPrivate: ctx.config.allowPrivateWebhooks });
  const reschedule = (stream: string, runAt?: Date) =>
    addJob(ctx.db, 'deliver-webhooks', { stream }, { jobKey: `wh:${stream}`, queueName: `wh:${stream}`, ...(runAt ? { runAt } : {}) });

  return async (payload) => {
    const stream = (payload as { stream?: unknown } | null)?.stream;
    if (typeof stream !== 'string') throw new Error('deliver-webhooks: payload.stream must be a string');
    for (let i = 0; i < MAX_PER_RUN; i++) {
      const d = await deliveryQuery(ctx)
        .where('webhook_deliveries.stream', '=', stream)
        .where('webhook_deliveries.status', '=', 'PENDING')
        .orderBy('webhook_deliveries.id')
        .limit(1)
        .executeTakeFirst();
      if (!d) return;
      if (d.next_attempt_at > ctx.now()) return reschedule(stream, d.next_attempt_at);
      const outcome = await attemptDelivery(ctx, d, { dispatcher });
      if (outcome.kind === 'retry' || outcome.kind === 'busy') return reschedule(stream, outcome.at);
    }
    // Backlog left: continue in a fresh job so other streams get their turn.
    await reschedule(stream);
  };
}
