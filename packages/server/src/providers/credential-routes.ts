/**
 * The operator's side of provider credentials (X-API-KEY): create, list, show, delete — answers
 * carry masked hints and the webhook URLs to paste into the provider's console, never a secret —
 * and a sender source that sends through a credential.
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { authenticate, requireManager } from '../auth/api-keys.ts';
import { CredentialSenderSourceCreateSchema, SenderSourceSchema } from '../campaigns/sender-sources.routes.ts';
import { createSenderSource, type SenderSourceType } from '../campaigns/sender-sources.ts';
import type { AppContext } from '../context.ts';
import { iso } from '../core/time.ts';
import { ApiError, badRequest, notFound } from '../http/errors.ts';
import { ErrorSchema } from '../http/schemas.ts';
import { createCredential, deleteCredential, getCredentialView, listCredentials, updateCredential, type CredentialInput, type CredentialView } from './credentials.ts';

const tags = ['Provider credentials'];
const security = [{ apiKey: [] }];
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const CreateSchema = Type.Object(
  {
    provider: Type.Union([Type.Literal('twilio'), Type.Literal('telnyx')]),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    accountSid: Type.Optional(Type.String({ pattern: '^AC[0-9a-fA-F]{32}$', description: 'Twilio: the Account SID (AC…)' })),
    authToken: Type.Optional(Type.String({ minLength: 16, maxLength: 128, description: 'Twilio: the auth token (secret; stored encrypted, never returned)' })),
    messagingServiceSid: Type.Optional(Nullable(Type.String({ pattern: '^MG[0-9a-fA-F]{32}$', description: 'Twilio: optional Messaging Service SID (MG…)' }))),
    lookupLineType: Type.Optional(Type.Boolean({
      description: "Twilio: look up each lead's line type (Lookup v2 line_type_intelligence, billed by Twilio) before its broadcast; landlines and other non-SMS lines end FAILED unsent. Default false.",
    })),
    apiKey: Type.Optional(Type.String({ minLength: 8, maxLength: 256, description: 'Telnyx: the API key (secret; stored encrypted, never returned)' })),
    publicKey: Type.Optional(Type.String({ minLength: 40, maxLength: 64, description: 'Telnyx: the account public key (base64) that verifies webhooks' })),
    messagingProfileId: Type.Optional(Nullable(Type.String({ format: 'uuid', description: 'Telnyx: optional messaging profile id' }))),
  },
  { additionalProperties: false },
);

const CredentialSchema = Type.Object({
  id: Type.String(),
  provider: Type.String(),
  name: Type.String(),
  settings: Type.Record(Type.String(), Type.Union([Type.String(), Type.Boolean(), Type.Null()]), { description: 'Non-secret settings: account ids and switches (`lookupLineType`)' }),
  secretHints: Type.Record(Type.String(), Type.String()),
  providerKey: Type.String({ description: 'The `provider` of a sender source that sends through this credential' }),
  webhookUrls: Type.Record(Type.String(), Type.String(), { description: 'Paste these into the provider console' }),
  created: Type.String(),
  updated: Type.String(),
});

const out = (v: CredentialView) => ({ ...v, created: iso(v.created), updated: iso(v.updated) });

const OTHER_FIELDS = { twilio: ['apiKey', 'publicKey', 'messagingProfileId'], telnyx: ['accountSid', 'authToken', 'messagingServiceSid', 'lookupLineType'] } as const;

const UpdateSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    lookupLineType: Type.Optional(Type.Boolean({ description: 'Twilio only: see the create request' })),
  },
  { additionalProperties: false },
);

/** The body as one provider's input; 400 naming the field when one is missing or belongs to the other provider. */
function toInput(b: Static<typeof CreateSchema>): CredentialInput {
  const name = b.name.trim();
  if (!name) throw badRequest('name', 'must not be blank');
  for (const f of OTHER_FIELDS[b.provider]) if (b[f] !== undefined) throw badRequest(f, `not a ${b.provider} setting`);
  if (b.provider === 'twilio') {
    if (!b.accountSid) throw badRequest('accountSid', 'required for twilio');
    if (!b.authToken) throw badRequest('authToken', 'required for twilio');
    return { provider: 'twilio', name, accountSid: b.accountSid, authToken: b.authToken, messagingServiceSid: b.messagingServiceSid ?? null, lookupLineType: b.lookupLineType ?? false };
  }
  if (!b.apiKey) throw badRequest('apiKey', 'required for telnyx');
  if (!b.publicKey) throw badRequest('publicKey', 'required for telnyx');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b.publicKey) || Buffer.from(b.publicKey, 'base64').length !== 32) {
    throw badRequest('publicKey', 'must be the base64 ed25519 public key (32 bytes) from the Telnyx portal');
  }
  return { provider: 'telnyx', name, apiKey: b.apiKey, publicKey: b.publicKey, messagingProfileId: b.messagingProfileId ?? null };
}

export function credentialRoutes(ctx: AppContext) {
  return async (app: FastifyInstance) => {
    const base = '/api/public/engage/provider-credentials';

    app.post<{ Body: Static<typeof CreateSchema> }>(base, {
      schema: {
        tags, security, summary: 'Add a Twilio or Telnyx account',
        description: 'Secrets are stored encrypted with ENGAGE_SECRET and never returned: answers show a masked hint. Paste `webhookUrls` into the provider console.',
        body: CreateSchema, response: { 201: CredentialSchema, 400: ErrorSchema, 401: ErrorSchema, 409: ErrorSchema },
      },
    }, async (req, reply) => {
      const who = await authenticate(ctx, req);
      const created = await createCredential(ctx, who.workspaceId, toInput(req.body));
      if (!created) throw new ApiError(409, 'CONFLICT', `name: this workspace already has a ${req.body.provider} credential named "${req.body.name.trim()}"`, 'name');
      return reply.status(201).send(out(created));
    });

    app.get(base, {
      schema: { tags, security, summary: "The workspace's provider credentials", response: { 200: Type.Object({ credentials: Type.Array(CredentialSchema) }), 401: ErrorSchema } },
    }, async (req) => {
      const who = await authenticate(ctx, req);
      return { credentials: (await listCredentials(ctx, who.workspaceId)).map(out) };
    });

    app.get<{ Params: { id: string } }>(`${base}/:id`, {
      schema: { tags, security, summary: 'One provider credential', response: { 200: CredentialSchema, 401: ErrorSchema, 404: ErrorSchema } },
    }, async (req) => {
      const who = await authenticate(ctx, req);
      const v = await getCredentialView(ctx, who.workspaceId, req.params.id);
      if (!v) throw notFound('provider credential');
      return out(v);
    });

    app.patch<{ Params: { id: string }; Body: Static<typeof UpdateSchema> }>(`${base}/:id`, {
      schema: {
        tags, security, summary: "Rename a provider credential or switch its line type lookup",
        description: 'Secrets and account ids cannot change: delete the credential and add it again. Needs an owner or admin.',
        body: UpdateSchema, response: { 200: CredentialSchema, 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema },
      },
    }, async (req) => {
      const who = await authenticate(ctx, req);
      requireManager(who);
      const current = await getCredentialView(ctx, who.workspaceId, req.params.id);
      if (!current) throw notFound('provider credential');
      const name = req.body.name?.trim();
      if (name === '') throw badRequest('name', 'must not be blank');
      if (req.body.lookupLineType !== undefined && current.provider !== 'twilio') throw badRequest('lookupLineType', `not a ${current.provider} setting`);
      const updated = await updateCredential(ctx, who.workspaceId, req.params.id, { ...(name ? { name } : {}), ...(req.body.lookupLineType !== undefined ? { lookupLineType: req.body.lookupLineType } : {}) });
      if (updated === null) throw notFound('provider credential');
      if (updated === 'conflict') throw new ApiError(409, 'CONFLICT', `name: this workspace already has a ${current.provider} credential named "${name}"`, 'name');
      ctx.providers.forget(req.params.id);
      return out(updated);
    });

    app.delete<{ Params: { id: string } }>(`${base}/:id`, {
      schema: { tags, security, summary: 'Delete a provider credential no sender source uses', response: { 204: Type.Null(), 401: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema } },
    }, async (req, reply) => {
      const who = await authenticate(ctx, req);
      const outcome = await deleteCredential(ctx.db, who.workspaceId, req.params.id);
      if (outcome === 'not-found') throw notFound('provider credential');
      if (outcome === 'in-use') throw new ApiError(409, 'CONFLICT', 'a sender source sends through this credential; delete or move it first');
      ctx.providers.forget(req.params.id);
      return reply.status(204).send();
    });

    // Kept beside the credential it uses; the logic is the sender sources service's.
    app.post<{ Params: { id: string }; Body: Static<typeof CredentialSenderSourceCreateSchema> }>(`${base}/:id/sender-sources`, {
      schema: {
        tags, security, summary: 'Create a sender source that sends through this credential',
        description:
          'The same as `POST /api/public/engage/sender-sources` with `provider` = this credential. The numbers must be SMS-capable numbers ' +
          'of the provider account, not yet used by any sender source. `mps` defaults to 1 segment per second.',
        body: CredentialSenderSourceCreateSchema, response: { 201: SenderSourceSchema, 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema },
      },
    }, async (req, reply) => {
      const who = await authenticate(ctx, req);
      requireManager(who);
      const cred = await getCredentialView(ctx, who.workspaceId, req.params.id);
      if (!cred) throw notFound('provider credential');
      const b = req.body;
      const view = await createSenderSource(ctx, who.workspaceId, { ...b, senderSourceType: b.senderSourceType as SenderSourceType, provider: cred.providerKey });
      return reply.status(201).send(view);
    });
  };
}
