/**
 * One attempt at one delivery, shared by the live streams (deliver.task.ts) and the replay lane
 * (replay.task.ts): checks the endpoint's health, signs with every valid workspace secret, posts,
 * logs the attempt (headers, status, body excerpt, duration) and settles the delivery.
 */
import type { Dispatcher } from 'undici';
import type { AppContext } from '../context.ts';
import { deriveConversationKey } from '../conversations/keys.ts';
import { endpointsFor } from '../events/payload.ts';
import { signingSecrets } from '../workspaces/webhook-secret.ts';
import { demoReceiverDispatcher, isDemoReceiverUrl } from './demo-receiver.ts';
import { acquireAttemptSlot, endpointDisabled, recordFailure, recordSuccess } from './endpoint-health.ts';
import { postWebhook } from './post.ts';
import { signatureHeaders } from './signing.ts';

export interface DeliveryRow {
  id: string;
  url: string;
  attempts: number;
  event_id: string;
  event_type: string;
  payload: unknown;
  lead_id: string | null;
  campaign_id: string | null;
  workspace_id: number;
  webhook_secret: string;
  previous_webhook_secret: string | null;
  previous_webhook_secret_expires: Date | null;
}

export type AttemptOutcome =
  | { kind: 'delivered' }
  | { kind: 'failed' }
  | { kind: 'retry'; at: Date }
  /** The endpoint is failing and another attempt to it is in flight: look again at `at`. */
  | { kind: 'busy'; at: Date };

/** Selects what an attempt needs; callers add their own where/order/limit. */
export function deliveryQuery(ctx: AppContext) {
  return ctx.db
    .selectFrom('webhook_deliveries')
    .innerJoin('events', 'events.id', 'webhook_deliveries.event_id')
    .innerJoin('workspaces', 'workspaces.id', 'events.workspace_id')
    .select([
      'webhook_deliveries.id', 'webhook_deliveries.url', 'webhook_deliveries.attempts', 'webhook_deliveries.next_attempt_at', 'webhook_deliveries.stream',
      'events.id as event_id', 'events.event_type', 'events.payload', 'events.lead_id', 'events.campaign_id', 'events.workspace_id',
      'workspaces.webhook_secret', 'workspaces.previous_webhook_secret', 'workspaces.previous_webhook_secret_expires',
    ]);
}

/** Delay before retry number `attempts` (1-based), with ±10 % jitter so a receiver's failures do not come back in lockstep. */
export function retryDelay(schedule: number[], attempts: number, retryAfterMs: number | null, random = Math.random): number {
  const base = schedule[attempts - 1]! * (0.9 + 0.2 * random());
  // A receiver's Retry-After (429/503) is honoured, up to a day.
  return Math.round(Math.max(base, Math.min(retryAfterMs ?? 0, 86_400_000)));
}

/** Attempts in flight from this process, per receiver URL. */
const inFlightByUrl = new Map<string, number>();

export async function attemptDelivery(
  ctx: AppContext,
  d: DeliveryRow,
  opts: { dispatcher: Dispatcher; /** Replays get one attempt: a failure is final. */ single?: boolean },
): Promise<AttemptOutcome> {
  const schedule = ctx.config.webhookRetryScheduleMs;
  const ref = d.campaign_id ? { campaignId: d.campaign_id, workspaceId: d.workspace_id, url: d.url } : null;
  let leased = false;
  if (ref) {
    const disabled = await endpointDisabled(ctx.db, ref.campaignId, ref.url);
    if (disabled) {
      await ctx.db.updateTable('webhook_deliveries').set({ status: 'FAILED', last_error: `endpoint disabled: ${disabled.reason ?? ''}`.slice(0, 500), finished: ctx.now() }).where('id', '=', d.id).execute();
      return { kind: 'failed' };
    }
  }
  // However healthy it looked so far, one receiver never holds more than a few of this process's
  // delivery slots: a receiver that has just become slow (no failure recorded yet) would
  // otherwise take them all and delay everyone else's webhooks until its attempts time out.
  if ((inFlightByUrl.get(d.url) ?? 0) >= ctx.config.webhookEndpointConcurrency) return { kind: 'busy', at: new Date(ctx.now().getTime() + 500) };
  // Taken at once, before anything is awaited: otherwise concurrent attempts could all pass the
  // check above before any of them counted itself (seen as three attempts in flight with a limit
  // of two on a loaded machine, endpoint-health.test.ts).
  inFlightByUrl.set(d.url, (inFlightByUrl.get(d.url) ?? 0) + 1);
  let attempt: Awaited<ReturnType<typeof postWebhook>>;
  let now: Date;
  let headers: Record<string, string>;
  try {
    if (ref) {
      const slot = await acquireAttemptSlot(ctx, ref, ctx.config.webhookTimeoutMs + 1000, (inFlightByUrl.get(d.url) ?? 0) > 1);
      if (!slot.ok) return { kind: 'busy', at: slot.at };
      leased = slot.leased;
    }
    now = ctx.now();
    const stored = d.payload as { eventType: string; data: unknown };
    let endpoints = null;
    if (d.lead_id) {
      const lead = await ctx.db.selectFrom('leads').select(['id', 'conversation_key_version']).where('id', '=', d.lead_id).executeTakeFirstOrThrow();
      // Registered by emitEvent (or by a rotation); the current version is the one that opens.
      endpoints = endpointsFor(ctx.config.publicUrl, deriveConversationKey(ctx.config.secret, lead.id, lead.conversation_key_version));
    }
    const body = JSON.stringify({ eventType: stored.eventType, data: stored.data, endpoints });
    headers = {
      ...signatureHeaders(signingSecrets(d, now), `msg_${d.event_id}`, now, body),
      'x-event-type': d.event_type,
      'x-event-origin': ctx.config.publicUrl,
    };
    // The demo workspace's built-in receiver is this Engage at its PUBLIC_URL (often loopback):
    // exactly that URL, for exactly that workspace, passes the private-address guard.
    const own = !ctx.config.allowPrivateWebhooks && isDemoReceiverUrl(ctx.config, d.workspace_id, d.url);
    attempt = await postWebhook(d.url, body, headers, {
      dispatcher: own ? demoReceiverDispatcher() : opts.dispatcher, timeoutMs: ctx.config.webhookTimeoutMs, allowPrivate: own || ctx.config.allowPrivateWebhooks,
    });
  } finally {
    const left = (inFlightByUrl.get(d.url) ?? 1) - 1;
    if (left > 0) inFlightByUrl.set(d.url, left);
    else inFlightByUrl.delete(d.url);
  }
  const attempts = d.attempts + 1;
  const after = ctx.now();
  await ctx.db
    .insertInto('webhook_attempts')
    .values({
      delivery_id: d.id, attempted_at: now, request_headers: JSON.stringify({ 'content-type': 'application/json', ...headers }),
      response_status: attempt.status, response_body_excerpt: attempt.responseExcerpt, duration_ms: attempt.durationMs, error: attempt.error,
    })
    .execute();

  if (attempt.ok) {
    await ctx.db.updateTable('webhook_deliveries').set({ status: 'DELIVERED', attempts, last_status: attempt.status, last_error: null, finished: after }).where('id', '=', d.id).execute();
    if (ref) await recordSuccess(ctx, ref, leased);
    return { kind: 'delivered' };
  }
  const error = attempt.error ?? `HTTP ${attempt.status}: ${(attempt.responseExcerpt ?? '').slice(0, 200)}`;
  const disabled = ref ? await recordFailure(ctx, ref, leased, attempt.status, error) : false;
  if (disabled || opts.single || attempts > schedule.length) {
    ctx.log.warn({ url: d.url, event: d.event_id, attempts, error }, 'webhook delivery failed for good');
    await ctx.db.updateTable('webhook_deliveries').set({ status: 'FAILED', attempts, last_status: attempt.status, last_error: error, finished: after }).where('id', '=', d.id).execute();
    return { kind: 'failed' };
  }
  const next = new Date(after.getTime() + retryDelay(schedule, attempts, attempt.retryAfterMs));
  ctx.log.info({ url: d.url, event: d.event_id, attempts, error, retryAt: next }, 'webhook delivery failed; will retry');
  await ctx.db.updateTable('webhook_deliveries').set({ attempts, last_status: attempt.status, last_error: error, next_attempt_at: next }).where('id', '=', d.id).execute();
  return { kind: 'retry', at: next };
}
