/**
 * Delivers one stream's webhooks (one conversation → one receiver URL) strictly in order: the
 * oldest pending delivery is attempted; on success the next follows; on failure the stream waits
 * out the retry delay (so a later event never overtakes an earlier one) and the job reschedules
 * itself. A delivery that exhausted its attempts is marked FAILED and no longer holds up the stream.
 */
import type { Task } from 'graphile-worker';
import type { AppContext } from '../context.ts';
import { addJob } from '../db/jobs.ts';
import { endpointsFor } from '../events/payload.ts';
import { deriveConversationKey } from '../conversations/keys.ts';
import { createWebhookDispatcher } from './address-guard.ts';
import { postWebhook } from './post.ts';
import { signatureHeaders } from './signing.ts';

/** Stops a single job from monopolising a worker when a stream has a long backlog. */
const MAX_PER_RUN = 100;

export function deliverWebhooksTask(ctx: AppContext): Task {
  const dispatcher = createWebhookDispatcher({ allowPrivate: ctx.config.allowPrivateWebhooks });
  const schedule = ctx.config.webhookRetryScheduleMs;

  return async (payload) => {
    const stream = (payload as { stream?: unknown } | null)?.stream;
    if (typeof stream !== 'string') throw new Error('deliver-webhooks: payload.stream must be a string');
    for (let i = 0; i < MAX_PER_RUN; i++) {
      const d = await ctx.db
        .selectFrom('webhook_deliveries')
        .innerJoin('events', 'events.id', 'webhook_deliveries.event_id')
        .innerJoin('workspaces', 'workspaces.id', 'events.workspace_id')
        .select([
          'webhook_deliveries.id', 'webhook_deliveries.url', 'webhook_deliveries.attempts', 'webhook_deliveries.next_attempt_at',
          'events.id as event_id', 'events.event_type', 'events.payload', 'events.lead_id', 'workspaces.webhook_secret',
        ])
        .where('webhook_deliveries.stream', '=', stream)
        .where('webhook_deliveries.status', '=', 'PENDING')
        .orderBy('webhook_deliveries.id')
        .limit(1)
        .executeTakeFirst();
      if (!d) return;
      const now = ctx.now();
      if (d.next_attempt_at > now) {
        await addJob(ctx.db, 'deliver-webhooks', { stream }, { jobKey: `wh:${stream}`, queueName: `wh:${stream}`, runAt: d.next_attempt_at });
        return;
      }

      const stored = d.payload as { eventType: string; data: unknown };
      let endpoints = null;
      if (d.lead_id) {
        const lead = await ctx.db.selectFrom('leads').select(['id', 'conversation_key_version']).where('id', '=', d.lead_id).executeTakeFirstOrThrow();
        // Registered by emitEvent (or by a rotation); the current version is the one that opens.
        endpoints = endpointsFor(ctx.config.publicUrl, deriveConversationKey(ctx.config.secret, lead.id, lead.conversation_key_version));
      }
      const body = JSON.stringify({ eventType: stored.eventType, data: stored.data, endpoints });
      const headers = {
        ...signatureHeaders([d.webhook_secret], `msg_${d.event_id}`, now, body),
        'x-event-type': d.event_type,
        'x-event-origin': ctx.config.publicUrl,
      };
      const attempt = await postWebhook(d.url, body, headers, { dispatcher, timeoutMs: ctx.config.webhookTimeoutMs, allowPrivate: ctx.config.allowPrivateWebhooks });
      const attempts = d.attempts + 1;
      const after = ctx.now();
      if (attempt.ok) {
        await ctx.db.updateTable('webhook_deliveries').set({ status: 'DELIVERED', attempts, last_status: attempt.status, last_error: null, finished: after }).where('id', '=', d.id).execute();
        continue;
      }
      const error = attempt.error ?? `HTTP ${attempt.status}: ${(attempt.responseExcerpt ?? '').slice(0, 200)}`;
      if (attempts > schedule.length) {
        ctx.log.warn({ url: d.url, event: d.event_id, attempts, error }, 'webhook delivery failed for good');
        await ctx.db.updateTable('webhook_deliveries').set({ status: 'FAILED', attempts, last_status: attempt.status, last_error: error, finished: after }).where('id', '=', d.id).execute();
        continue;
      }
      // A receiver's Retry-After is honoured, up to a day.
      const delay = Math.max(schedule[attempts - 1]!, Math.min(attempt.retryAfterMs ?? 0, 86_400_000));
      const next = new Date(after.getTime() + delay);
      ctx.log.info({ url: d.url, event: d.event_id, attempts, error, retryInMs: delay }, 'webhook delivery failed; will retry');
      await ctx.db.updateTable('webhook_deliveries').set({ attempts, last_status: attempt.status, last_error: error, next_attempt_at: next }).where('id', '=', d.id).execute();
      await addJob(ctx.db, 'deliver-webhooks', { stream }, { jobKey: `wh:${stream}`, queueName: `wh:${stream}`, runAt: next });
      return;
    }
    // Backlog left: continue in a fresh job so other streams get their turn.
    await addJob(ctx.db, 'deliver-webhooks', { stream }, { jobKey: `wh:${stream}`, queueName: `wh:${stream}` });
  };
}
