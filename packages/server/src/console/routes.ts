/**
 * Console-only read models and actions under `/api/console/`: live campaign counts, a campaign's
 * dashboard, the inbox and conversation assignment. Session or API key, like the public API.
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { authenticate } from '../auth/api-keys.ts';
import { getCampaign } from '../campaigns/service.ts';
import type { AppContext } from '../context.ts';
import { ErrorSchema } from '../http/schemas.ts';
import { assignConversation, listConversations, openConversation } from './inbox.ts';
import { campaignCounts, campaignDashboard } from './stats.ts';

const tags = ['Console'];
const security: Record<string, string[]>[] = [{ apiKey: [] }, { consoleSession: [] }];
const Id = Type.String({ pattern: '^[0-9a-f]{24}$' });
const InboxQuery = Type.Object({
  campaignId: Type.Optional(Id),
  needsReply: Type.Optional(Type.Boolean()),
  disposition: Type.Optional(Type.String({ maxLength: 100 })),
  assignee: Type.Optional(Type.String({ maxLength: 20 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000, default: 0 })),
});
const AssigneeBody = Type.Object({ userId: Type.Union([Type.String({ maxLength: 20 }), Type.Null()]) }, { additionalProperties: false });

export function consoleRoutes(ctx: AppContext) {
  return async (app: FastifyInstance) => {
    app.get('/api/console/campaign-counts', {
      schema: {
        tags, security, summary: 'Live lead counts of every campaign',
        description: 'Per campaign: leads, pending, queued (handed to the provider), sent, delivered, failed, suppressed, replies, optOuts, dispositioned.',
        response: { 401: ErrorSchema },
      },
    }, async (req) => {
      const who = await authenticate(ctx, req);
      return { campaigns: await campaignCounts(ctx.db, who.workspaceId) };
    });

    app.get<{ Params: { id: string } }>('/api/console/campaigns/:id/dashboard', {
      schema: {
        tags, security, summary: "A campaign's dashboard",
        description: 'Delivery funnel, reply / opt-out / delivery rates, dispositions, and hourly (or daily) activity.',
        params: Type.Object({ id: Id }), response: { 401: ErrorSchema, 404: ErrorSchema },
      },
    }, async (req) => {
      const who = await authenticate(ctx, req);
      const campaign = await getCampaign(ctx.db, who.workspaceId, req.params.id);
      return campaignDashboard(ctx.db, who.workspaceId, campaign.id, ctx.now());
    });

    app.get<{ Querystring: Static<typeof InboxQuery> }>('/api/console/conversations', {
      schema: {
        tags, security, summary: 'The inbox: conversations, newest activity first',
        description: 'Leads who texted back. Filters: `campaignId`, `needsReply`, `disposition` (a name or `none`), `assignee` (`me`, `none` or a user id).',
        querystring: InboxQuery, response: { 400: ErrorSchema, 401: ErrorSchema },
      },
    }, async (req) => {
      const who = await authenticate(ctx, req);
      const q = req.query;
      return {
        conversations: await listConversations(ctx.db, who.workspaceId, who.userId, {
          campaignId: q.campaignId, needsReply: q.needsReply, disposition: q.disposition, assignee: q.assignee, limit: q.limit ?? 50, offset: q.offset ?? 0,
        }),
      };
    });

    app.get<{ Params: { leadId: string } }>('/api/console/conversations/:leadId', {
      schema: {
        tags, security, summary: 'Open a conversation',
        description: "The conversation's current key and endpoints (the console then uses the conversation endpoints, like the widget) and its assignee.",
        params: Type.Object({ leadId: Id }), response: { 401: ErrorSchema, 404: ErrorSchema },
      },
    }, async (req, reply) => {
      const who = await authenticate(ctx, req);
      reply.header('cache-control', 'no-store');
      return openConversation(ctx, who.workspaceId, req.params.leadId);
    });

    app.put<{ Params: { leadId: string }; Body: Static<typeof AssigneeBody> }>('/api/console/conversations/:leadId/assignee', {
      schema: {
        tags, security, summary: 'Assign a conversation to an agent', description: '`userId` of an active user of the workspace, or null to unassign.',
        params: Type.Object({ leadId: Id }), body: AssigneeBody, response: { 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema },
      },
    }, async (req) => {
      const who = await authenticate(ctx, req);
      return { assignee: await assignConversation(ctx, who.workspaceId, req.params.leadId, req.body.userId, who.userId) };
    });
  };
}
