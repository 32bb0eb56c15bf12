import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { authenticate } from '../../auth/api-keys.ts';
import type { AppContext } from '../../context.ts';
import { newId } from '../../core/ids.ts';
import { normalizePhone } from '../../core/phone.ts';
import { iso } from '../../core/time.ts';
import { receiveInbound } from '../../conversations/inbound.ts';
import { ApiError, badRequest } from '../../http/errors.ts';
import { ErrorSchema } from '../../http/schemas.ts';
import { simulatorPhonePage } from './phone-page.ts';
import { createSimulatorCarrier, SIMULATOR, SIMULATOR_CARRIER_PATH, simulatorCarrierToken } from './provider.ts';

const tags = ['Simulator'];
const security = [{ apiKey: [] }];

const SimMessageSchema = Type.Object({
  id: Type.String(), from: Type.String(), to: Type.String(), text: Type.String(),
  direction: Type.Union([Type.Literal('INBOUND'), Type.Literal('OUTBOUND')]), timestamp: Type.String(),
});
const SendSchema = Type.Object(
  { from: Type.String({ minLength: 1, maxLength: 40 }), to: Type.String({ minLength: 1, maxLength: 40 }), text: Type.String({ maxLength: 1600 }) },
  { additionalProperties: false },
);

const CarrierSendSchema = Type.Object(
  {
    reference: Type.String({ minLength: 1, maxLength: 64 }), from: Type.String({ minLength: 1, maxLength: 40 }),
    to: Type.String({ minLength: 1, maxLength: 40 }), body: Type.String({ maxLength: 1600 }),
  },
  { additionalProperties: false, examples: [{ reference: '01JD0000000000000000000000', from: '+12025550100', to: '+13125550199', body: 'Hi Ada' }] },
);

/**
 * The simulated phone `from` (E.164) texts Engage's number `to` (E.164): the text is kept in the
 * phone's history and enters the same inbound pipeline as a real provider's webhook. What
 * `POST /api/simulator/messages` does once it has checked the request; the demo seeding uses it too.
 */
export async function simulatedPhoneTexts(ctx: AppContext, m: { from: string; to: string; text: string }): Promise<{ id: string; at: Date }> {
  const now = ctx.now();
  const id = newId(now);
  await ctx.db.insertInto('simulator_messages').values({ id, reference: null, sender: m.from, recipient: m.to, body: m.text, direction: 'INBOUND', created: now }).execute();
  await receiveInbound(ctx, { provider: SIMULATOR, providerMessageId: `SM${id}`, from: m.from, to: m.to, text: m.text, receivedAt: now });
  return { id, at: now };
}

/**
 * The simulated phones' side. `direction` is as Engage sees it: OUTBOUND = Engage texted the
 * phone, INBOUND = the phone texted Engage. Only conversations with this workspace's numbers show.
 */
export function simulatorRoutes(ctx: AppContext) {
  return async (app: FastifyInstance) => {
    const carrier = createSimulatorCarrier(ctx, {
      receiptDelayMs: ctx.config.simulatorReceiptDelayMs, failureRate: ctx.config.simulatorFailureRate, latencyMs: ctx.config.simulatorLatencyMs,
      outOfOrderRate: ctx.config.simulatorOutOfOrderRate, receipts: ctx.config.simulatorReceipts,
    });
    const expected = Buffer.from(`Bearer ${simulatorCarrierToken(ctx.config.secret)}`);
    app.post<{ Body: Static<typeof CarrierSendSchema> }>(SIMULATOR_CARRIER_PATH, {
      schema: {
        tags, summary: "The simulated carrier's send API",
        description: 'What Engage workers call to send through the simulator over HTTP (ENGAGE_SIMULATOR_URL), as they would call a real carrier. Idempotent by `reference`: a repeated send answers the first one\'s id. Authorization: `Bearer` + a token derived from ENGAGE_SECRET.',
        body: CarrierSendSchema, response: { 201: Type.Object({ id: Type.String() }), 400: ErrorSchema, 401: ErrorSchema },
      },
    }, async (req, reply) => {
      const given = Buffer.from(req.headers.authorization ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new ApiError(401, 'UNAUTHORIZED', 'authorization: not the simulator carrier token');
      return reply.status(201).send({ id: await carrier.accept(req.body) });
    });

    app.get('/simulator', {
      schema: { tags, summary: "The simulator's phone page", description: "HTML: play a lead's phone with the simulator API (asks for a workspace API key)." },
    }, async (_req, reply) => {
      const nonce = randomBytes(16).toString('base64');
      return reply
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-security-policy', `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`)
        .header('referrer-policy', 'no-referrer')
        .header('cache-control', 'no-store')
        .send(simulatorPhonePage(nonce));
    });

    app.get<{ Querystring: { phone: string } }>('/api/simulator/messages', {
      schema: {
        tags, security, summary: "A simulated phone's messages",
        description: 'What the phone sent to and received from this workspace\'s numbers, oldest first.',
        querystring: Type.Object({ phone: Type.String({ minLength: 1, maxLength: 40 }) }),
        response: { 200: Type.Object({ messages: Type.Array(SimMessageSchema) }), 400: ErrorSchema, 401: ErrorSchema },
      },
    }, async (req) => {
      const who = await authenticate(ctx, req);
      const phone = normalizePhone(req.query.phone);
      if (!phone) throw badRequest('phone', 'not a valid phone number');
      const ours = ctx.db.selectFrom('sender_numbers').select('phone').where('workspace_id', '=', who.workspaceId);
      const rows = await ctx.db
        .selectFrom('simulator_messages')
        .selectAll()
        .where((eb) => eb.or([
          eb.and([eb('sender', '=', phone), eb('recipient', 'in', ours)]),
          eb.and([eb('recipient', '=', phone), eb('sender', 'in', ours)]),
        ]))
        .orderBy('created')
        .orderBy('id')
        .execute();
      return { messages: rows.map((m) => ({ id: m.id, from: m.sender, to: m.recipient, text: m.body, direction: m.direction, timestamp: iso(m.created) })) };
    });

    app.post<{ Body: Static<typeof SendSchema> }>('/api/simulator/messages', {
      schema: {
        tags, security, summary: 'Make a simulated phone text Engage',
        description: 'The phone `from` texts Engage\'s number `to`; the message enters the same inbound pipeline as a real provider webhook.',
        body: SendSchema, response: { 201: SimMessageSchema, 400: ErrorSchema, 401: ErrorSchema, 422: ErrorSchema },
      },
    }, async (req, reply) => {
      const who = await authenticate(ctx, req);
      const from = normalizePhone(req.body.from);
      if (!from) throw badRequest('from', 'not a valid phone number');
      const to = normalizePhone(req.body.to);
      if (!to) throw badRequest('to', 'not a valid phone number');
      const number = await ctx.db.selectFrom('sender_numbers').select('workspace_id').where('phone', '=', to).executeTakeFirst();
      if (number?.workspace_id !== who.workspaceId) throw new ApiError(422, 'UNPROCESSABLE', 'to: not one of this workspace\'s numbers', 'to');
      const { id, at } = await simulatedPhoneTexts(ctx, { from, to, text: req.body.text });
      return reply.status(201).send({ id, from, to, text: req.body.text, direction: 'INBOUND', timestamp: iso(at) });
    });
  };
}
