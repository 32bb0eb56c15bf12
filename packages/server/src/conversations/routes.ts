import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { authenticate } from '../auth/api-keys.ts';
import type { AppContext } from '../context.ts';
import { conversationData, endpointsFor } from '../events/payload.ts';
import { notFound } from '../http/errors.ts';
import { IdempotencyHeadersSchema, idempotent } from '../http/idempotency.ts';
import { ErrorSchema } from '../http/schemas.ts';
import type { LeadRow } from '../leads/view.ts';
import { sendAgentMessage, setDisposition } from './agent.ts';
import { leadForKey, rotateConversationKey } from './keys.ts';

const KeyQuery = Type.Object({ key: Type.Optional(Type.String({ maxLength: 200 })) });
const tags = ['Conversation endpoints'];
const keyAuth = [{ conversationKey: [] }];

export function conversationRoutes(ctx: AppContext) {
  /** `key` is the caller's key, just resolved to this lead: it is the current one. */
  async function conversation(lead: LeadRow, key: string) {
    return { data: await conversationData(ctx.db, lead), endpoints: endpointsFor(ctx.config.publicUrl, key) };
  }

  return async (app: FastifyInstance) => {
    app.get<{ Querystring: { key?: string } }>('/api/public/engage/conversation', {
      schema: {
        tags, security: keyAuth, summary: 'Get the conversation',
        description: 'The whole conversation: the same `data` and `endpoints` as a webhook, with all messages and the current lead state.',
        querystring: KeyQuery, response: { 401: ErrorSchema },
      },
    }, async (req) => conversation(await leadForKey(ctx.db, req.query.key), req.query.key!));

    app.post<{ Querystring: { key?: string }; Body: { message?: unknown } | undefined }>('/api/public/engage/conversation/send', {
      schema: {
        tags, security: keyAuth, summary: 'Send a message to the lead',
        description: 'Form (`application/x-www-form-urlencoded`) or JSON with one field, `message`. Sent from the conversation\'s number; returns the stored message. 409 `OPTED_OUT` when the lead opted out or is do-not-contact.',
        querystring: KeyQuery, headers: IdempotencyHeadersSchema, response: { 400: ErrorSchema, 401: ErrorSchema, 409: ErrorSchema, 422: ErrorSchema },
      },
    }, async (req, reply) => {
      const lead = await leadForKey(ctx.db, req.query.key);
      return idempotent(ctx, req, reply, `lead:${lead.id}`, () => sendAgentMessage(ctx, lead, req.body?.message));
    });

    app.post<{ Querystring: { key?: string }; Body: { disposition?: unknown } | undefined }>('/api/public/engage/conversation/disposition', {
      schema: {
        tags, security: keyAuth, summary: 'Set the final disposition',
        description: 'Form or JSON with one field, `disposition`: one of the campaign\'s disposition names. Fires `Disposition`; 422 `UNKNOWN_DISPOSITION` lists the valid names.',
        querystring: KeyQuery, headers: IdempotencyHeadersSchema, response: { 400: ErrorSchema, 401: ErrorSchema, 422: ErrorSchema },
      },
    }, async (req, reply) => {
      const lead = await leadForKey(ctx.db, req.query.key);
      return idempotent(ctx, req, reply, `lead:${lead.id}`, async () => conversation(await setDisposition(ctx, lead, req.body?.disposition, 'endpoint'), req.query.key!));
    });

    app.post<{ Params: { id: string } }>('/api/public/engage/leads/:id/conversation-key', {
      schema: {
        tags: ['Leads'], security: [{ apiKey: [] }], summary: "Rotate a lead's conversation key",
        description: 'Revokes the current key (its URLs answer 401 from now on) and returns the endpoints with the new key.',
        params: Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{24}$' }) }), response: { 401: ErrorSchema, 404: ErrorSchema },
      },
    }, async (req) => {
      const who = await authenticate(ctx, req);
      const lead = await ctx.db.selectFrom('leads').select('id').where('id', '=', req.params.id).where('workspace_id', '=', who.workspaceId).executeTakeFirst();
      if (!lead) throw notFound('lead');
      return { endpoints: endpointsFor(ctx.config.publicUrl, await rotateConversationKey(ctx, lead.id)) };
    });
  };
}
