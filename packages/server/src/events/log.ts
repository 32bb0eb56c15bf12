/**
 * The event log: every event a workspace emitted, with its deliveries and their attempts, and
 * redelivery of one event or of every failed one in a time range (through the replay lane).
 */
import { sql } from 'kysely';
import type { AppContext } from '../context.ts';
import { addJob } from '../db/jobs.ts';
import { iso } from '../core/time.ts';
import { ApiError, notFound } from '../http/errors.ts';
import { queueReplayJob } from '../webhooks/replay.task.ts';
import { streamOf } from './outbox.ts';

export type DeliveryStatus = 'PENDING' | 'DELIVERED' | 'FAILED';

export interface EventFilter {
  campaignId?: string;
  eventType?: string;
  status?: DeliveryStatus;
  from?: Date;
  to?: Date;
  limit: number;
  cursor?: string;
}

interface DeliveryRowView {
  id: string; event_id: string; url: string; status: string; attempts: number; last_status: number | null; last_error: string | null; next_attempt_at: Date;
}

const deliveryView = (d: DeliveryRowView) => ({
  id: Number(d.id), url: d.url, status: d.status, attempts: d.attempts, lastStatus: d.last_status, lastError: d.last_error,
  nextAttemptAt: d.status === 'PENDING' ? iso(d.next_attempt_at) : null,
});

const deliveryColumns = ['id', 'event_id', 'url', 'status', 'attempts', 'last_status', 'last_error', 'next_attempt_at'] as const;

export async function listEvents(ctx: AppContext, workspaceId: number, f: EventFilter) {
  let q = ctx.db.selectFrom('events').select(['id', 'event_type', 'campaign_id', 'lead_id', 'created']).where('workspace_id', '=', workspaceId);
  if (f.campaignId) q = q.where('campaign_id', '=', f.campaignId);
  if (f.eventType) q = q.where('event_type', '=', f.eventType);
  if (f.from) q = q.where('created', '>=', f.from);
  if (f.to) q = q.where('created', '<', f.to);
  if (f.cursor) q = q.where('id', '<', f.cursor);
  if (f.status) {
    const status = f.status;
    q = q.where(({ exists, selectFrom }) =>
      exists(selectFrom('webhook_deliveries as d').select('d.id').whereRef('d.event_id', '=', 'events.id').where('d.status', '=', status)));
  }
  const events = await q.orderBy('id', 'desc').limit(f.limit).execute();
  const deliveries = events.length
    ? await ctx.db.selectFrom('webhook_deliveries').select(deliveryColumns).where('event_id', 'in', events.map((e) => e.id)).orderBy('id').execute()
    : [];
  return {
    events: events.map((e) => ({
      id: e.id, eventType: e.event_type, campaignId: e.campaign_id, leadId: e.lead_id, created: iso(e.created),
      deliveries: deliveries.filter((d) => d.event_id === e.id).map(deliveryView),
    })),
    nextCursor: events.length === f.limit ? events[events.length - 1]!.id : null,
  };
}

export async function getEvent(ctx: AppContext, workspaceId: number, id: string) {
  const e = await ctx.db.selectFrom('events').selectAll().where('id', '=', id).where('workspace_id', '=', workspaceId).executeTakeFirst();
  if (!e) throw notFound('event');
  const deliveries = await ctx.db.selectFrom('webhook_deliveries').select(deliveryColumns).where('event_id', '=', e.id).orderBy('id').execute();
  const attempts = deliveries.length
    ? await ctx.db.selectFrom('webhook_attempts').selectAll().where('delivery_id', 'in', deliveries.map((d) => d.id)).orderBy('id').execute()
    : [];
  return {
    id: e.id, eventType: e.event_type, campaignId: e.campaign_id, leadId: e.lead_id, created: iso(e.created), payload: e.payload,
    deliveries: deliveries.map((d) => ({
      ...deliveryView(d),
      attemptLog: attempts.filter((a) => a.delivery_id === d.id).map((a) => ({
        attemptedAt: iso(a.attempted_at), requestHeaders: a.request_headers, responseStatus: a.response_status,
        responseBodyExcerpt: a.response_body_excerpt, durationMs: a.duration_ms, error: a.error,
      })),
    })),
  };
}

/**
 * Sends one event again to each URL it was delivered (or failed) to, as a new delivery at the end
 * of its conversation's stream. Returns the new deliveries' ids.
 */
export async function redeliverEvent(ctx: AppContext, workspaceId: number, id: string): Promise<number[]> {
  const e = await ctx.db.selectFrom('events').select(['id', 'lead_id', 'workspace_id']).where('id', '=', id).where('workspace_id', '=', workspaceId).executeTakeFirst();
  if (!e) throw notFound('event');
  const urls = await ctx.db.selectFrom('webhook_deliveries').select('url').distinct().where('event_id', '=', e.id).execute();
  if (urls.length === 0) throw new ApiError(409, 'CONFLICT', 'this event has no webhook URL to deliver to', 'id');
  const now = ctx.now();
  return ctx.db.transaction().execute(async (trx) => {
    const ids: number[] = [];
    for (const { url } of urls) {
      const stream = e.lead_id ? streamOf(e.lead_id, url) : `event:${e.id}:${url}`;
      const row = await trx.insertInto('webhook_deliveries')
        .values({ event_id: e.id, stream, url, next_attempt_at: now, created: now, workspace_id: e.workspace_id })
        .returning('id').executeTakeFirstOrThrow();
      ids.push(Number(row.id));
      await addJob(trx, 'deliver-webhooks', { stream }, { jobKey: `wh:${stream}`, jobKeyMode: 'preserve_run_at', queueName: `wh:${stream}` });
    }
    return ids;
  });
}

/**
 * Queues every delivery of the range that failed (and was not delivered since) into the replay
 * lane, which sends at most `replayRatePerSecond` per second. Returns how many were queued.
 */
export async function redeliverFailed(ctx: AppContext, workspaceId: number, r: { from: Date; to: Date; campaignId?: string }): Promise<number> {
  const now = ctx.now();
  return ctx.db.transaction().execute(async (trx) => {
    const campaignFilter = r.campaignId ? sql`AND e.campaign_id = ${r.campaignId}` : sql``;
    const result = await sql<{ n: number }>`
      WITH failed AS (
        SELECT DISTINCT d.event_id, d.url, e.lead_id
        FROM events e JOIN webhook_deliveries d ON d.event_id = e.id
        WHERE e.workspace_id = ${workspaceId} AND e.created >= ${r.from} AND e.created < ${r.to} ${campaignFilter}
          AND d.status = 'FAILED'
          AND NOT EXISTS (SELECT 1 FROM webhook_deliveries o WHERE o.event_id = d.event_id AND o.url = d.url AND o.status IN ('PENDING', 'DELIVERED'))
      ), ins AS (
        INSERT INTO webhook_deliveries (event_id, stream, url, next_attempt_at, created, lane, workspace_id)
        SELECT event_id, 'replay:' || coalesce(lead_id, event_id) || ':' || md5(url), url, ${now}, ${now}, 'REPLAY', ${workspaceId}
        FROM failed ORDER BY event_id
        RETURNING 1
      )
      SELECT count(*)::int AS n FROM ins`.execute(trx);
    const n = result.rows[0]?.n ?? 0;
    if (n > 0) await queueReplayJob(trx, workspaceId);
    return n;
  });
}
