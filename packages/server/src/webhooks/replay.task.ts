/**
 * The replay lane: deliveries queued by a bulk redeliver (`POST /events/redeliver`) are sent by
 * this task at most `replayRatePerSecond` per second per workspace, in one worker slot, so a replay
 * of thousands of events never starves live deliveries. Each run takes the oldest pending replay of
 * each conversation stream (order within a conversation is kept), sends them a few at a time, and
 * reschedules itself one second after it started. A replay gets one attempt; a failure is final
 * (it can be replayed again).
 */
import type { Task } from 'graphile-worker';
import { sql } from 'kysely';
import type { AppContext } from '../context.ts';
import { addJob } from '../db/jobs.ts';
import type { DbOrTrx } from '../db/pool.ts';
import { createWebhookDispatcher } from './address-guard.ts';
import { attemptDelivery, deliveryQuery } from './attempt.ts';

/** Replay attempts in flight at once within one run. */
const PARALLEL = 8;

export function queueReplayJob(db: DbOrTrx, workspaceId: number, runAt?: Date): Promise<void> {
  return addJob(db, 'replay-webhooks', { workspaceId }, { jobKey: `replay:${workspaceId}`, queueName: `replay:${workspaceId}`, ...(runAt ? { runAt } : {}) });
}

export function replayWebhooksTask(ctx: AppContext): Task {
  const dispatcher = createWebhookDispatcher({ allowPrivate: ctx.config.allowPrivateWebhooks });
  return async (payload) => {
    const workspaceId = (payload as { workspaceId?: unknown } | null)?.workspaceId;
    if (typeof workspaceId !== 'number') throw new Error('replay-webhooks: payload.workspaceId must be a number');
    const started = Date.now();
    const rate = Math.max(1, Math.floor(ctx.config.replayRatePerSecond));
    // The oldest pending replay of each stream.
    const heads = await ctx.db
      .selectFrom('webhook_deliveries')
      .select(sql<string>`DISTINCT ON (stream) id`.as('id'))
      .where('workspace_id', '=', workspaceId)
      .where('lane', '=', 'REPLAY')
      .where('status', '=', 'PENDING')
      .orderBy('stream')
      .orderBy('id')
      .limit(rate)
      .execute();
    if (heads.length === 0) return;
    const rows = await deliveryQuery(ctx).where('webhook_deliveries.id', 'in', heads.map((h) => h.id)).orderBy('webhook_deliveries.id').execute();
    let next = 0;
    const worker = async () => {
      while (next < rows.length) {
        const d = rows[next++]!;
        await attemptDelivery(ctx, d, { dispatcher, single: true });
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, rows.length) }, worker));
    await queueReplayJob(ctx.db, workspaceId, new Date(Math.max(Date.now(), started + 1000)));
  };
}
