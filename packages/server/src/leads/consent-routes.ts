/**
 * Suppressions (opt-outs, do-not-contact) and the consent ledger behind them: list, add, lift,
 * the history of one phone, and a CSV export of a date range.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { authenticate } from '../auth/api-keys.ts';
import type { AppContext } from '../context.ts';
import { normalizePhone } from '../core/phone.ts';
import { badRequest, notFound } from '../http/errors.ts';
import { ErrorSchema } from '../http/schemas.ts';
import { consentCsv, consentHistory, listSuppressions, recordConsent } from './consent.ts';

const security = [{ apiKey: [] }];
const tags = ['Consent'];
const KindSchema = Type.Union([Type.Literal('OPT_OUT'), Type.Literal('DNC')]);
const SuppressionSchema = Type.Object({ phone: Type.String(), kind: KindSchema, source: Type.String(), created: Type.String() });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const RecordSchema = Type.Object({
  id: Type.Integer(), phone: Type.String(), kind: KindSchema, action: Type.Union([Type.Literal('ADD'), Type.Literal('REMOVE')]),
  source: Type.String(), detail: Nullable(Type.String()), messageId: Nullable(Type.String()), created: Type.String(),
});
const ListQuery = Type.Object({
  phone: Type.Optional(Type.String({ maxLength: 40 })), kind: Type.Optional(KindSchema),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })), cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,18}$' })),
});
const AddBody = Type.Object({ phone: Type.String({ minLength: 1, maxLength: 40 }), kind: KindSchema }, { additionalProperties: false });

function phoneParam(field: string, value: string): string {
  const phone = normalizePhone(value);
  if (!phone) throw badRequest(field, `"${value.slice(0, 40)}" is not a phone number`);
  return phone;
}

function dateParam(field: string, value: string): Date {
  const d = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(d.getTime())) throw badRequest(field, `${field} must be an ISO-8601 date or time`);
  return d;
}

export function consentRoutes(ctx: AppContext) {
  return async (app: FastifyInstance) => {
    app.get<{ Querystring: Static<typeof ListQuery> }>('/api/public/engage/suppressions', {
      schema: {
        tags, security, summary: 'Phones the workspace must not text',
        description: 'Newest first; page with `cursor` = `nextCursor`. `source`: KEYWORD, AGENT, API, IMPORT or PROVIDER. Derived from the consent ledger (`GET /consent`).',
        querystring: ListQuery,
        response: { 200: Type.Object({ suppressions: Type.Array(SuppressionSchema), nextCursor: Nullable(Type.String()) }), 400: ErrorSchema, 401: ErrorSchema },
      },
    }, async (req) => {
      const who = await authenticate(ctx, req);
      const q = req.query;
      return listSuppressions(ctx.db, who.workspaceId, {
        ...(q.phone ? { phone: phoneParam('phone', q.phone) } : {}), ...(q.kind ? { kind: q.kind } : {}),
        ...(q.cursor ? { cursor: Number(q.cursor) } : {}), limit: q.limit ?? 100,
      });
    });

    app.post<{ Body: Static<typeof AddBody> }>('/api/public/engage/suppressions', {
      schema: {
        tags, security, summary: 'Suppress a phone',
        description: '`kind`: `OPT_OUT` or `DNC`. Recorded in the consent ledger with source `API` (or `AGENT` from the console). 201 with the suppression, also when it already existed.',
        body: AddBody, response: { 201: SuppressionSchema, 400: ErrorSchema, 401: ErrorSchema },
      },
    }, async (req, reply) => {
      const who = await authenticate(ctx, req);
      const phone = phoneParam('phone', req.body.phone);
      const source = who.via === 'session' ? 'AGENT' : 'API';
      await recordConsent(ctx.db, { workspaceId: who.workspaceId, phone, kind: req.body.kind, action: 'ADD', source, detail: who.userId ? `user:${who.userId}` : null, messageId: null });
      const row = await ctx.db.selectFrom('suppressions').select(['phone', 'kind', 'source', 'created']).where('workspace_id', '=', who.workspaceId).where('phone', '=', phone).where('kind', '=', req.body.kind).executeTakeFirstOrThrow();
      return reply.status(201).send({ phone: row.phone, kind: row.kind, source: row.source, created: row.created.toISOString() });
    });

    app.delete<{ Params: { phone: string }; Querystring: { kind?: 'OPT_OUT' | 'DNC' } }>('/api/public/engage/suppressions/:phone', {
      schema: {
        tags, security, summary: 'Lift a suppression',
        description: 'Lifts the `kind` given (both when omitted), recorded in the consent ledger. 204; 404 when the phone was not suppressed.',
        params: Type.Object({ phone: Type.String({ maxLength: 40 }) }), querystring: Type.Object({ kind: Type.Optional(KindSchema) }),
        response: { 204: Type.Null(), 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema },
      },
    }, async (req, reply) => {
      const who = await authenticate(ctx, req);
      const phone = phoneParam('phone', req.params.phone);
      const source = who.via === 'session' ? 'AGENT' : 'API';
      const kinds = req.query.kind ? [req.query.kind] : (['OPT_OUT', 'DNC'] as const);
      const lifted = await ctx.db.transaction().execute(async (trx) => {
        let any = false;
        for (const kind of kinds) {
          if (await recordConsent(trx, { workspaceId: who.workspaceId, phone, kind, action: 'REMOVE', source, detail: who.userId ? `user:${who.userId}` : null, messageId: null })) any = true;
        }
        return any;
      });
      if (!lifted) throw notFound('suppression');
      return reply.status(204).send();
    });

    app.get<{ Querystring: { phone: string } }>('/api/public/engage/consent', {
      schema: {
        tags, security, summary: "A phone's consent ledger",
        description: 'Every opt-out, opt-in and do-not-contact change of the phone, oldest first: `action` ADD/REMOVE, `source`, the `messageId` that caused it.',
        querystring: Type.Object({ phone: Type.String({ minLength: 1, maxLength: 40 }) }),
        response: { 200: Type.Object({ phone: Type.String(), records: Type.Array(RecordSchema) }), 400: ErrorSchema, 401: ErrorSchema },
      },
    }, async (req) => {
      const who = await authenticate(ctx, req);
      const phone = phoneParam('phone', req.query.phone);
      return { phone, records: await consentHistory(ctx.db, who.workspaceId, phone) };
    });

    app.get<{ Querystring: { from: string; to: string } }>('/api/public/engage/consent/export.csv', {
      schema: {
        tags, security, summary: 'Export the consent ledger as CSV',
        description: 'Records created in [`from`, `to`) (ISO-8601 dates or times), oldest first. Columns: id, created, phone, kind, action, source, messageId, detail.',
        querystring: Type.Object({ from: Type.String({ minLength: 1, maxLength: 40 }), to: Type.String({ minLength: 1, maxLength: 40 }) }),
        response: { 400: ErrorSchema, 401: ErrorSchema },
      },
    }, async (req, reply) => {
      const who = await authenticate(ctx, req);
      const from = dateParam('from', req.query.from);
      const to = dateParam('to', req.query.to);
      if (to <= from) throw badRequest('to', 'to must be after from');
      const name = `consent-${from.toISOString().slice(0, 10)}-${to.toISOString().slice(0, 10)}.csv`;
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name}"`)
        .send(Readable.from(consentCsv(ctx.db, who.workspaceId, from, to)));
    });
  };
}
