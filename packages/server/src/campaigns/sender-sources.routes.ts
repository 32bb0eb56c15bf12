/**
 * The sender sources API (X-API-KEY): list, show, create, edit and delete a workspace's pools of
 * numbers and their throttles. Reading is open to every member; writing takes an owner or admin.
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { authenticate, requireManager } from '../auth/api-keys.ts';
import type { AppContext } from '../context.ts';
import { notFound } from '../http/errors.ts';
import { ErrorSchema } from '../http/schemas.ts';
import { SenderSourceTypeSchema } from './schema.ts';
import { createSenderSource, deleteSenderSource, getSenderSource, listSenderSources, updateSenderSource, type SenderSourceType } from './sender-sources.ts';

const BASE = '/api/public/engage/sender-sources';
const tags = ['Sender sources'];
const security = [{ apiKey: [] }];

const Limit = (what: string) =>
  Type.Union([Type.Number({ exclusiveMinimum: 0, maximum: 100_000 }), Type.Null()], {
    description: `${what}, in SMS segments per second (fractions allowed: 0.5 = one segment every two seconds); null = no limit.`,
  });
const NumberList = Type.Array(Type.String({ minLength: 1, maxLength: 40 }), {
  minItems: 1, maxItems: 1000,
  description: 'E.164 numbers (other common spellings of a number are normalised); a SHORT_CODE source may also list 3–8 digit short codes. Each number belongs to one sender source only.',
});

const EXAMPLE_VIEW = {
  id: '6f1c2d3e-4b5a-4978-8a6b-5c4d3e2f1a0b', name: 'Twilio 10DLC', senderSourceType: 'TEN_DLC', provider: 'twilio:8a5e0c4b-2d1f-4e3a-9b7c-6d5e4f3a2b1c',
  mps: 10, numberMps: 1, areaCodeMatch: true, numbers: ['+12125550100', '+13125550101'],
  created: '2025-03-04T11:33:52.948Z', updated: '2025-03-04T11:33:52.948Z',
};

export const SenderSourceSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Type.String(),
    senderSourceType: SenderSourceTypeSchema,
    provider: Type.String({ description: '`simulator`, or `<kind>:<credentialId>` (e.g. `twilio:…`) for a source that sends through a provider credential' }),
    mps: Limit('The whole source\'s limit'),
    numberMps: Limit('Each number\'s limit'),
    areaCodeMatch: Type.Boolean({ description: 'Prefer a number with the lead\'s area code when a lead gets its (sticky) number' }),
    numbers: Type.Array(Type.String(), { description: 'The pool, sorted' }),
    created: Type.String(),
    updated: Type.String(),
  },
  { examples: [EXAMPLE_VIEW] },
);

const SourceFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  senderSourceType: SenderSourceTypeSchema,
  mps: Type.Optional(Limit('The whole source\'s limit (default: 1 for a provider credential, none for the simulator)')),
  numberMps: Type.Optional(Limit('Each number\'s limit (default: none)')),
  areaCodeMatch: Type.Optional(Type.Boolean({ description: 'Prefer a number with the lead\'s area code (default: false)' })),
  numbers: NumberList,
};

const CreateSchema = Type.Object(
  {
    ...SourceFields,
    provider: Type.String({ minLength: 1, maxLength: 100, description: '`simulator`, or the id (or `providerKey`) of one of the workspace\'s provider credentials' }),
  },
  {
    additionalProperties: false,
    examples: [{ name: 'Twilio 10DLC', senderSourceType: 'TEN_DLC', provider: '8a5e0c4b-2d1f-4e3a-9b7c-6d5e4f3a2b1c', mps: 10, numberMps: 1, areaCodeMatch: true, numbers: ['+12125550100', '(312) 555-0101'] }],
  },
);

/** The body of `POST /provider-credentials/{id}/sender-sources`: the credential is in the path. */
export const CredentialSenderSourceCreateSchema = Type.Object(SourceFields, {
  additionalProperties: false,
  examples: [{ name: 'Twilio 10DLC', senderSourceType: 'TEN_DLC', mps: 10, numbers: ['+12125550100', '+12125550101'] }],
});

const PatchSchema = Type.Object(
  {
    name: Type.Optional(SourceFields.name),
    mps: SourceFields.mps,
    numberMps: SourceFields.numberMps,
    areaCodeMatch: SourceFields.areaCodeMatch,
    numbers: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 40 }), { minItems: 1, maxItems: 1000, description: 'Replaces the pool (same rules as on create); numbers left out are freed.' })),
    provider: Type.Optional(Type.String({ maxLength: 100, description: 'Cannot change; accepted only when it is the current provider' })),
    senderSourceType: Type.Optional(SenderSourceTypeSchema),
  },
  { additionalProperties: false, examples: [{ mps: 20, numberMps: null, numbers: ['+12125550100', '+12125550102'] }] },
);

const IdParams = Type.Object({ id: Type.String({ maxLength: 64, description: 'The sender source id (a UUID)' }) });

export function senderSourceRoutes(ctx: AppContext) {
  return async (app: FastifyInstance) => {
    app.get(BASE, {
      schema: {
        tags, security, summary: "The workspace's sender sources and their numbers",
        description: 'Every sender source of the workspace, oldest first, each with its pool of numbers and throttles.',
        response: { 200: Type.Object({ senderSources: Type.Array(SenderSourceSchema) }, { examples: [{ senderSources: [EXAMPLE_VIEW] }] }), 401: ErrorSchema },
      },
    }, async (req) => {
      const who = await authenticate(ctx, req);
      return { senderSources: await listSenderSources(ctx.db, who.workspaceId) };
    });

    app.get<{ Params: Static<typeof IdParams> }>(`${BASE}/:id`, {
      schema: {
        tags, security, summary: 'One sender source', description: "404 for an unknown id or another workspace's sender source.",
        params: IdParams, response: { 200: SenderSourceSchema, 401: ErrorSchema, 404: ErrorSchema },
      },
    }, async (req) => {
      const who = await authenticate(ctx, req);
      const view = await getSenderSource(ctx.db, who.workspaceId, req.params.id);
      if (!view) throw notFound('sender source');
      return view;
    });

    app.post<{ Body: Static<typeof CreateSchema> }>(BASE, {
      schema: {
        tags, security, summary: 'Create a sender source',
        description:
          'A pool of numbers sending through the simulator or one of the workspace\'s provider credentials. Numbers are normalised to E.164; ' +
          'a number listed twice is refused (400, field `numbers`), a number that belongs to another sender source too (409, field `numbers`, ' +
          'with the numbers in `error.numbers`). Give the answer\'s `id` to campaigns as `senderSourceId`.',
        body: CreateSchema, response: { 201: SenderSourceSchema, 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 409: ErrorSchema },
      },
    }, async (req, reply) => {
      const who = await authenticate(ctx, req);
      requireManager(who);
      const b = req.body;
      const view = await createSenderSource(ctx, who.workspaceId, { ...b, senderSourceType: b.senderSourceType as SenderSourceType });
      return reply.status(201).send(view);
    });

    app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof PatchSchema> }>(`${BASE}/:id`, {
      schema: {
        tags, security, summary: 'Edit a sender source',
        description:
          'Changes the name, throttles, area-code matching, or the pool (`numbers` replaces it: numbers left out are freed, and replies ' +
          'to them no longer reach this workspace). The provider and the type cannot change (400): create a new sender source instead.',
        params: IdParams, body: PatchSchema, response: { 200: SenderSourceSchema, 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema },
      },
    }, async (req) => {
      const who = await authenticate(ctx, req);
      requireManager(who);
      const b = req.body;
      return updateSenderSource(ctx, who.workspaceId, req.params.id, { ...b, senderSourceType: b.senderSourceType as SenderSourceType | undefined });
    });

    app.delete<{ Params: Static<typeof IdParams> }>(`${BASE}/:id`, {
      schema: {
        tags, security, summary: 'Delete a sender source',
        description: 'Frees its numbers. Refused (409) while a campaign uses it: give the campaign another `senderSourceId` first.',
        params: IdParams, response: { 204: Type.Null(), 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema },
      },
    }, async (req, reply) => {
      const who = await authenticate(ctx, req);
      requireManager(who);
      await deleteSenderSource(ctx.db, who.workspaceId, req.params.id);
      return reply.status(204).send();
    });
  };
}
