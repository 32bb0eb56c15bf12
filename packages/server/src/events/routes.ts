/**
 * The event log API: list and inspect events with their deliveries and attempts, redeliver one,
 * replay every failed delivery of a time range, and see / re-enable disabled webhook endpoints.
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { authenticate, requireManager } from '../auth/api-keys.ts';
import type { AppContext } from '../context.ts';
import { iso } from '../core/time.ts';
import { badRequest, notFound } from '../http/errors.ts';
import { ErrorSchema } from '../http/schemas.ts';
import { enableEndpoint } from '../webhooks/endpoint-health.ts';
import { getEvent, listEvents, redeliverEvent, redeliverFailed, type DeliveryStatus } from './log.ts';

const tags = ['Events'];
const security = [{ apiKey: [] }];
const Id = Type.String({ pattern: '^[0-9a-f]{24}$' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const DeliveryStatusSchema = Type.Union([Type.Literal('PENDING'), Type.Literal('DELIVERED'), Type.Literal('FAILED')]);

const DeliverySchema = Type.Object({
  id: Type.Integer(), url: Type.String(), status: DeliveryStatusSchema, attempts: Type.Integer(),
  lastStatus: Nullable(Type.Integer()), lastError: Nullable(Type.String()), nextAttemptAt: Nullable(Type.String()),
});
const AttemptSchema = Type.Object({
  attemptedAt: Type.String(), requestHeaders: Type.Record(Type.String(), Type.String()), responseStatus: Nullable(Type.Integer()),
  responseBodyExcerpt: Nullable(Type.String()), durationMs: Type.Integer(), error: Nullable(Type.String()),
});
const EventSummary = {
  id: Type.String(), eventType: Type.String(), campaignId: Nullable(Type.String()), leadId: Nullable(Type.String()), created: Type.String(),
};
const EventListSchema = Type.Object({ events: Type.Array(Type.Object({ ...EventSummary, deliveries: Type.Array(DeliverySchema) })), nextCursor: Nullable(Type.String()) });
const EventDetailSchema = Type.Object({
  ...EventSummary, payload: Type.Unknown(),
  deliveries: Type.Array(Type.Object({ ...DeliverySchema.properties, attemptLog: Type.Array(AttemptSchema) })),
});
const ListQuery = Type.Object({
  campaignId: Type.Optional(Id), eventType: Type.Optional(Type.String({ maxLength: 64 })), status: Type.Optional(DeliveryStatusSchema),
  from: Type.Optional(Type.String({ maxLength: 40 })), to: Type.Optional(Type.String({ maxLength: 40 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })), cursor: Type.Optional(Id),
});
const RedeliverBody = Type.Object(
  { from: Type.String({ maxLength: 40 }), to: Type.String({ maxLength: 40 }), campaignId: Type.Optional(Id) },
  { additionalProperties: false },
);
const EndpointBody = Type.Object({ campaignId: Id, url: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false });

/** An ISO-8601 time from a query or body field, or a 400 naming it. */
function timeParam(field: string, value: string | undefined): Date | undefined {
  if (value === undefined || value === '') return undefined;
  const d = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(d.getTime())) throw badRequest(field, `${field} must be an ISO-8601 time, e.g. 2025-03-04T11:33:52.948Z`);
  return d;
}

export function eventRoutes(ctx: AppContext) {
  return async (app: FastifyInstance) => {
    app.get<{ Querystring: Static<typeof ListQuery> }>('/api/public/engage/events', {
      schema: {
        tags, security, summary: 'List events with their deliveries',
        description:
          'Newest first; page with `cursor` = `nextCursor`. Filters: `campaignId`, `eventType`, `status` (events with at least one delivery in that state), ' +
          '`from` (inclusive) and `to` (exclusive) ISO-8601 times. Events are kept `ENGAGE_EVENT_RETENTION_DAYS` (default 30). ' +
          'Besides the webhook event types, `EndpointDisabled` records a receiver URL that Engage stopped sending to (410 Gone or 5 days of failures).',
        querystring: ListQuery, response: { 200: EventListSchema, 400: ErrorSchema, 401: ErrorSchema },
      },
    }, async (req) => {
      const who = await authenticate(ctx, req);
      const q = req.query;
      return listEvents(ctx, who.workspaceId, {
        ...(q.campaignId ? { campaignId: q.campaignId } : {}), ...(q.eventType ? { eventType: q.eventType } : {}),
        ...(q.status ? { status: q.status as DeliveryStatus } : {}), ...(q.cursor ? { cursor: q.cursor } : {}),
        ...(q.from ? { from: timeParam('from', q.from)! } : {}), ...(q.to ? { to: timeParam('to', q.to)! } : {}),
        limit: q.limit ?? 50,
      });
    });

    app.get<{ Params: { id: string } }>('/api/public/engage/events/:id', {
      schema: {
        tags, security, summary: 'One event, its payload, deliveries and every attempt',
        description: '`payload` is the stored `{eventType, data}` (`endpoints` are added at delivery). Each delivery has its `attemptLog`: request headers, response status, the first 1 KB of the response body, duration and error.',
        params: Type.Object({ id: Id }), response: { 200: EventDetailSchema, 401: ErrorSchema, 404: ErrorSchema },
      },
    }, async (req) => getEvent(ctx, (await authenticate(ctx, req)).workspaceId, req.params.id));

    app.post<{ Params: { id: string } }>('/api/public/engage/events/:id/redeliver', {
      schema: {
        tags, security, summary: 'Redeliver one event',
        description: 'A new delivery to each URL the event went to, queued behind the earlier events of its conversation. 202 with the new delivery ids; 409 when the event had no webhook URL.',
        params: Type.Object({ id: Id }), response: { 202: Type.Object({ deliveryIds: Type.Array(Type.Integer()) }), 401: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema },
      },
    }, async (req, reply) => {
      const who = await authenticate(ctx, req);
      return reply.status(202).send({ deliveryIds: await redeliverEvent(ctx, who.workspaceId, req.params.id) });
    });

    app.post<{ Body: Static<typeof RedeliverBody> }>('/api/public/engage/events/redeliver', {
      schema: {
        tags, security, summary: 'Replay every failed delivery of a time range',
        description:
          'Queues each delivery of events created in [`from`, `to`) (optionally of one campaign) that FAILED and was not delivered since. ' +
          'The replay lane sends at most `ENGAGE_REPLAY_RATE_PER_SECOND` (default 50) per second per workspace, in one worker slot, so live deliveries keep flowing. ' +
          'A replayed delivery gets one attempt. 202 with `queued`.',
        body: RedeliverBody, response: { 202: Type.Object({ queued: Type.Integer() }), 400: ErrorSchema, 401: ErrorSchema },
      },
    }, async (req, reply) => {
      const who = await authenticate(ctx, req);
      const from = timeParam('from', req.body.from)!;
      const to = timeParam('to', req.body.to)!;
      if (to <= from) throw badRequest('to', 'to must be after from');
      const queued = await redeliverFailed(ctx, who.workspaceId, { from, to, ...(req.body.campaignId ? { campaignId: req.body.campaignId } : {}) });
      return reply.status(202).send({ queued });
    });

    app.get('/api/public/engage/webhook-endpoints', {
      schema: {
        tags, security, summary: 'Health of the webhook receiver URLs',
        description: 'One entry per campaign × URL that Engage has tried: the current run of failures, the last success, and whether it is disabled (and why).',
        response: { 401: ErrorSchema },
      },
    }, async (req) => {
      const who = await authenticate(ctx, req);
      const rows = await ctx.db.selectFrom('webhook_endpoints').selectAll().where('workspace_id', '=', who.workspaceId).orderBy('campaign_id').orderBy('url').execute();
      return {
        endpoints: rows.map((r) => ({
          campaignId: r.campaign_id, url: r.url, failingSince: iso(r.first_failure_at), consecutiveFailures: r.consecutive_failures,
          lastSuccess: iso(r.last_success_at), disabled: r.disabled_at !== null, disabledAt: iso(r.disabled_at), disabledReason: r.disabled_reason,
        })),
      };
    });

    app.post<{ Body: Static<typeof EndpointBody> }>('/api/public/engage/webhook-endpoints/enable', {
      schema: {
        tags, security, summary: 'Enable a disabled webhook URL again',
        description: 'Deliveries to it resume for new events; replay what it missed with `POST /events/redeliver`. 404 when it is not disabled.',
        body: EndpointBody, response: { 200: Type.Object({ enabled: Type.Boolean() }), 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema },
      },
    }, async (req) => {
      const who = await authenticate(ctx, req);
      requireManager(who);
      if (!(await enableEndpoint(ctx.db, who.workspaceId, req.body.campaignId, req.body.url))) throw notFound('disabled endpoint');
      return { enabled: true };
    });
  };
}
