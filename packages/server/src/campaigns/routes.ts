import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import { authenticate } from '../auth/api-keys.ts';
import type { AppContext } from '../context.ts';
import { CampaignCreateSchema, CampaignIdParamsSchema, CampaignPatchSchema, CampaignSchema } from './schema.ts';
import type { CampaignCreate, CampaignPatch } from './schema.ts';
import { createCampaign, getCampaign, listCampaigns, transitionCampaign, updateCampaign, type CampaignAction } from './service.ts';
import { campaignView, campaignViews } from './view.ts';
import { ErrorSchema } from '../http/schemas.ts';
import { IdempotencyHeadersSchema, idempotent } from '../http/idempotency.ts';

const BASE = '/api/public/engage/campaigns';
const tags = ['Campaigns'];
const security = [{ apiKey: [] }];

export function campaignRoutes(ctx: AppContext) {
  return async (app: FastifyInstance) => {
    app.get<{ Querystring: { limit?: number; cursor?: string } }>(BASE, {
      schema: {
        tags, security, summary: 'List campaigns', description: 'Newest first. Page with `cursor` = the last id of the previous page.',
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })), cursor: Type.Optional(Type.String({ pattern: '^[0-9a-f]{24}$' })) }),
        response: { 200: Type.Object({ campaigns: Type.Array(CampaignSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }), 401: ErrorSchema },
      },
    }, async (req) => {
      const who = await authenticate(ctx, req);
      const limit = req.query.limit ?? 50;
      const rows = await listCampaigns(ctx.db, who.workspaceId, limit, req.query.cursor);
      return { campaigns: await campaignViews(ctx.db, rows), nextCursor: rows.length === limit ? rows[rows.length - 1]!.id : null };
    });

    app.post<{ Body: CampaignCreate }>(BASE, {
      schema: {
        tags, security, summary: 'Create a campaign', description: 'Created in `DRAFT`. Dispositions get UUIDs.',
        body: CampaignCreateSchema, headers: IdempotencyHeadersSchema, response: { 201: CampaignSchema, 400: ErrorSchema, 401: ErrorSchema, 422: ErrorSchema },
      },
    }, async (req, reply) => {
      const who = await authenticate(ctx, req);
      return idempotent(ctx, req, reply, `ws:${who.workspaceId}`, async () => {
        const row = await createCampaign(ctx, who, req.body);
        return reply.status(201).send(await campaignView(ctx.db, row));
      });
    });

    app.get<{ Params: { id: string } }>(`${BASE}/:id`, {
      schema: { tags, security, summary: 'Get a campaign', params: CampaignIdParamsSchema, response: { 200: CampaignSchema, 401: ErrorSchema, 404: ErrorSchema } },
    }, async (req) => {
      const who = await authenticate(ctx, req);
      return campaignView(ctx.db, await getCampaign(ctx.db, who.workspaceId, req.params.id));
    });

    app.patch<{ Params: { id: string }; Body: CampaignPatch }>(`${BASE}/:id`, {
      schema: {
        tags, security, summary: 'Update a campaign',
        description: 'Objects (`messages`, `webhooks`, `notifications`) merge; arrays and `schedule` replace. While `ACTIVE`, only `name` may change (409 `CAMPAIGN_ACTIVE`).',
        params: CampaignIdParamsSchema, body: CampaignPatchSchema,
        response: { 200: CampaignSchema, 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema },
      },
    }, async (req) => {
      const who = await authenticate(ctx, req);
      return campaignView(ctx.db, await updateCampaign(ctx, who, req.params.id, req.body));
    });

    const actions: [CampaignAction, string][] = [
      ['submit', 'DRAFT → PENDING_APPROVAL'],
      ['approve', 'DRAFT or PENDING_APPROVAL → READY; needs a broadcast message and a sender source'],
      ['activate', 'READY or PAUSED → ACTIVE; refused unless approved'],
      ['pause', 'ACTIVE → PAUSED; nothing more is sent until activated again'],
      ['complete', 'ACTIVE, PAUSED or READY → COMPLETED; no more broadcasts, conversations go on'],
    ];
    for (const [action, description] of actions) {
      app.post<{ Params: { id: string } }>(`${BASE}/:id/${action}`, {
        schema: {
          tags, security, summary: `${action[0]!.toUpperCase()}${action.slice(1)} a campaign`, description, params: CampaignIdParamsSchema,
          response: { 200: CampaignSchema, 401: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema, 422: ErrorSchema },
        },
      }, async (req) => {
        const who = await authenticate(ctx, req);
        return campaignView(ctx.db, await transitionCampaign(ctx, who, req.params.id, action));
      });
    }
  };
}
