import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { Type } from 'typebox';
import { authenticate } from '../auth/api-keys.ts';
import { getCampaign } from '../campaigns/service.ts';
import type { AppContext } from '../context.ts';
import { iso } from '../core/time.ts';
import { notifyBroadcast } from '../db/jobs.ts';
import { notFound } from '../http/errors.ts';
import { IdempotencyHeadersSchema, idempotent } from '../http/idempotency.ts';
import { ErrorSchema } from '../http/schemas.ts';
import { LeadLoadSchema, loadLead, type LeadLoad } from './load.ts';
import { leadView } from './view.ts';

const security = [{ apiKey: [] }];
const Id = Type.String({ pattern: '^[0-9a-f]{24}$' });

const LeadLoadResultSchema = Type.Object({
  status: Type.Union([Type.Literal('Accepted'), Type.Literal('Rejected')]),
  reason: Type.Union([Type.String(), Type.Null()]),
  message: Type.String(),
  leadId: Type.Union([Type.String(), Type.Null()]),
  listId: Type.Union([Type.String(), Type.Null()]),
});

export function leadRoutes(ctx: AppContext) {
  return async (app: FastifyInstance) => {
    app.post<{ Body: LeadLoad }>('/api/public/engage/lead/load', {
      schema: {
        tags: ['Leads'], security, summary: 'Load one lead',
        description:
          'Synchronous. The phone (field named Phone, or `type: "phone"`) is normalised to E.164; `deDupe` rejects a phone already in the campaign. ' +
          'The list `listName` (default "API Leads") is reused or created. Rejections answer 200 with `status: "Rejected"` and a `reason` ' +
          '(`DUPLICATE`, `INVALID_PHONE`, `OPTED_OUT`, `DNC`, `CAMPAIGN_INACTIVE`).',
        body: LeadLoadSchema, headers: IdempotencyHeadersSchema,
        response: { 200: LeadLoadResultSchema, 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema, 422: ErrorSchema },
      },
    }, async (req, reply) => {
      const who = await authenticate(ctx, req);
      return idempotent(ctx, req, reply, `ws:${who.workspaceId}`, () => loadLead(ctx, who, req.body));
    });

    app.get<{ Querystring: { campaignId?: string } }>('/api/public/engage/lists', {
      schema: { tags: ['Lists'], security, summary: 'List lead lists', querystring: Type.Object({ campaignId: Type.Optional(Id) }), response: { 401: ErrorSchema } },
    }, async (req) => {
      const who = await authenticate(ctx, req);
      let q = ctx.db
        .selectFrom('lists')
        .leftJoin('leads', (join) => join.onRef('leads.campaign_id', '=', 'lists.campaign_id').onRef('leads.list_id', '=', 'lists.id'))
        .select((eb) => ['lists.id', 'lists.campaign_id', 'lists.name', 'lists.list_status', 'lists.created', eb.fn.count<number>('leads.id').as('leads')])
        .where('lists.workspace_id', '=', who.workspaceId)
        .groupBy('lists.id')
        .orderBy('lists.id', 'desc');
      if (req.query.campaignId) q = q.where('lists.campaign_id', '=', req.query.campaignId);
      const rows = await q.execute();
      return {
        lists: rows.map((l) => ({ id: l.id, campaignId: l.campaign_id, name: l.name, listStatus: l.list_status, leads: Number(l.leads), created: iso(l.created) })),
      };
    });

    app.get<{ Params: { id: string } }>('/api/public/engage/campaigns/:id/lists', {
      schema: {
        tags: ['Lists'], security, summary: "A campaign's lists with counts",
        description: 'Oldest first. `leads` counts every lead of the list, `pending` those not sent yet.',
        params: Type.Object({ id: Id }), response: { 401: ErrorSchema, 404: ErrorSchema },
      },
    }, async (req) => {
      const who = await authenticate(ctx, req);
      const campaign = await getCampaign(ctx.db, who.workspaceId, req.params.id);
      const rows = await ctx.db
        .selectFrom('lists')
        .leftJoin('leads', (join) => join.onRef('leads.campaign_id', '=', 'lists.campaign_id').onRef('leads.list_id', '=', 'lists.id'))
        .select((eb) => [
          'lists.id', 'lists.name', 'lists.list_status', 'lists.created',
          eb.fn.count<number>('leads.id').as('leads'),
          sql<number>`count(*) FILTER (WHERE leads.status = 'PENDING')`.as('pending'),
        ])
        .where('lists.campaign_id', '=', campaign.id)
        .groupBy('lists.id')
        .orderBy('lists.id')
        .execute();
      return {
        lists: rows.map((l) => ({
          id: l.id, campaignId: campaign.id, name: l.name, listStatus: l.list_status, leads: Number(l.leads ?? 0), pending: Number(l.pending ?? 0), created: iso(l.created),
        })),
      };
    });

    for (const [action, status] of [['pause', 'PAUSED'], ['activate', 'ACTIVE']] as const) {
      app.post<{ Params: { id: string } }>(`/api/public/engage/lists/:id/${action}`, {
        schema: {
          tags: ['Lists'], security, summary: `${action === 'pause' ? 'Pause' : 'Activate'} a list`,
          description: action === 'pause' ? 'Nothing more is sent to the leads of a paused list.' : 'Sending to the list resumes where it stopped.',
          params: Type.Object({ id: Id }), response: { 401: ErrorSchema, 404: ErrorSchema },
        },
      }, async (req) => {
        const who = await authenticate(ctx, req);
        return ctx.db.transaction().execute(async (trx) => {
          const row = await trx.updateTable('lists').set({ list_status: status }).where('id', '=', req.params.id).where('workspace_id', '=', who.workspaceId).returningAll().executeTakeFirst();
          if (!row) throw notFound('list');
          if (status === 'ACTIVE') await notifyBroadcast(trx);
          return { id: row.id, campaignId: row.campaign_id, name: row.name, listStatus: row.list_status, created: iso(row.created) };
        });
      });
    }

    app.get<{ Params: { id: string }; Querystring: { limit?: number; cursor?: string } }>('/api/public/engage/lists/:id/leads', {
      schema: {
        tags: ['Lists'], security, summary: "A list's leads",
        description: 'Leads in the lead shape of the webhook payload, oldest first. Page with `cursor` = `nextCursor` of the previous page.',
        params: Type.Object({ id: Id }),
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })), cursor: Type.Optional(Id) }),
        response: { 401: ErrorSchema, 404: ErrorSchema },
      },
    }, async (req) => {
      const who = await authenticate(ctx, req);
      const list = await ctx.db.selectFrom('lists').select(['id', 'campaign_id']).where('id', '=', req.params.id).where('workspace_id', '=', who.workspaceId).executeTakeFirst();
      if (!list) throw notFound('list');
      const limit = req.query.limit ?? 100;
      // campaign first: leads_campaign_list (campaign_id, list_id, id) answers the page in id order
      let q = ctx.db.selectFrom('leads').selectAll().where('campaign_id', '=', list.campaign_id).where('list_id', '=', list.id).orderBy('id').limit(limit);
      if (req.query.cursor) q = q.where('id', '>', req.query.cursor);
      const rows = await q.execute();
      return { leads: rows.map((l) => leadView(l, who.orgId)), nextCursor: rows.length === limit ? rows[rows.length - 1]!.id : null };
    });

    app.get<{ Params: { id: string } }>('/api/public/engage/leads/:id', {
      schema: { tags: ['Leads'], security, summary: 'Get a lead', params: Type.Object({ id: Id }), response: { 401: ErrorSchema, 404: ErrorSchema } },
    }, async (req) => {
      const who = await authenticate(ctx, req);
      const lead = await ctx.db.selectFrom('leads').selectAll().where('id', '=', req.params.id).where('workspace_id', '=', who.workspaceId).executeTakeFirst();
      if (!lead) throw notFound('lead');
      return leadView(lead, who.orgId);
    });
  };
}
