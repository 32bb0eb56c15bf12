/**
 * Twilio's webhooks into Engage, per credential:
 * - `POST /api/providers/twilio/{credentialId}/inbound` — a phone texted one of our numbers;
 *   answered with empty TwiML (Engage replies through the API, never through TwiML);
 * - `POST /api/providers/twilio/{credentialId}/status` — an outbound message changed status.
 * Both are refused (403, logged, nothing stored) unless `X-Twilio-Signature` is the credential's.
 * Registered inside the raw-body scope of providers/routes.ts: the body arrives as a string.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.ts';
import { receiveInbound } from '../../conversations/inbound.ts';
import { providerKey, type TwilioCredential } from '../credentials.ts';
import { applyReceiptPatiently } from '../receipts.ts';
import { calledUrl, invalidSignature, keptMedia, mediaType, numberAcceptsInbound, rawBody, refuse, webhookCredential } from '../webhook-support.ts';
import { CallbackError, inboundText, parseTwilioInbound, parseTwilioStatus } from './callbacks.ts';
import { parseForm, verifyTwilioSignature, type TwilioParams, type TwilioRequestBody } from './signature.ts';

export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

type Req = FastifyRequest<{ Params: { credentialId: string } }>;

/**
 * Loads the credential and checks the signature. Returns the credential and the form parameters,
 * or null after answering the refusal.
 */
async function verified(ctx: AppContext, req: Req, reply: FastifyReply, name: 'inbound' | 'status'): Promise<{ cred: TwilioCredential; params: TwilioParams } | null> {
  const { credentialId } = req.params;
  const cred = await webhookCredential(ctx, 'twilio', credentialId);
  if (cred?.kind !== 'twilio') {
    await refuse(ctx, req, reply, 'twilio', credentialId, { status: 404, code: 'NOT_FOUND', message: 'no such Twilio credential', reason: 'unknown credential' });
    return null;
  }
  const raw = rawBody(req);
  const type = mediaType(req);
  let body: TwilioRequestBody;
  if (type === 'application/x-www-form-urlencoded' || (type === '' && raw === '')) body = { kind: 'form', params: parseForm(raw) };
  else if (type === 'application/json') body = { kind: 'json', raw };
  else {
    await refuse(ctx, req, reply, 'twilio', credentialId, { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'expected application/x-www-form-urlencoded', reason: `content-type ${type}` });
    return null;
  }
  const signature = req.headers['x-twilio-signature'];
  const url = calledUrl(ctx, req, 'twilio', credentialId, name);
  if (!verifyTwilioSignature(cred.authToken, Array.isArray(signature) ? signature[0] : signature, url, body)) {
    await refuse(ctx, req, reply, 'twilio', credentialId, invalidSignature(signature ? 'signature mismatch' : 'no X-Twilio-Signature header'));
    return null;
  }
  let params: TwilioParams;
  if (body.kind === 'form') params = body.params;
  else {
    try {
      const parsed = JSON.parse(body.raw) as unknown;
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      params = Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
    } catch {
      await refuse(ctx, req, reply, 'twilio', credentialId, { status: 400, code: 'INVALID_REQUEST', message: 'the body is not a JSON object', reason: 'malformed JSON' });
      return null;
    }
  }
  if (params.AccountSid !== undefined && params.AccountSid !== cred.accountSid) {
    await refuse(ctx, req, reply, 'twilio', credentialId, invalidSignature('AccountSid of another account'));
    return null;
  }
  return { cred, params };
}

function malformed(ctx: AppContext, req: Req, reply: FastifyReply, err: unknown) {
  if (!(err instanceof CallbackError)) throw err;
  return refuse(ctx, req, reply, 'twilio', req.params.credentialId, { status: 400, code: 'INVALID_REQUEST', message: err.message, reason: `invalid ${err.field}` });
}

export function twilioWebhookRoutes(ctx: AppContext) {
  return async (app: FastifyInstance) => {
    const schema = { hide: true };

    app.post<{ Params: { credentialId: string } }>('/api/providers/twilio/:credentialId/inbound', { schema }, async (req, reply) => {
      const v = await verified(ctx, req, reply, 'inbound');
      if (!v) return reply;
      let m;
      try {
        m = parseTwilioInbound(v.params);
      } catch (err) {
        return malformed(ctx, req, reply, err);
      }
      if (!(await numberAcceptsInbound(ctx, v.cred.workspaceId, m.to))) {
        return refuse(ctx, req, reply, 'twilio', v.cred.id, { status: 422, code: 'UNPROCESSABLE', message: 'To is a number of another workspace', reason: 'number of another workspace' });
      }
      // Media URLs that are not kept (not http(s)) do not stand in for the text either.
      const media = keptMedia(m.media);
      const outcome = await receiveInbound(ctx, {
        provider: providerKey('twilio', v.cred.id), providerMessageId: m.messageSid, from: m.from, to: m.to, text: inboundText({ ...m, media }), receivedAt: ctx.now(), media,
      });
      ctx.log.info({ provider: 'twilio', credentialId: v.cred.id, messageSid: m.messageSid, outcome: outcome.kind, media: m.media.length }, 'twilio inbound message');
      return reply.status(200).type('text/xml').send(EMPTY_TWIML);
    });

    app.post<{ Params: { credentialId: string } }>('/api/providers/twilio/:credentialId/status', { schema }, async (req, reply) => {
      const v = await verified(ctx, req, reply, 'status');
      if (!v) return reply;
      let s;
      try {
        s = parseTwilioStatus(v.params);
      } catch (err) {
        return malformed(ctx, req, reply, err);
      }
      const log = { provider: 'twilio', credentialId: v.cred.id, messageSid: s.messageSid, twilioStatus: s.twilioStatus, errorCode: s.errorCode };
      if (s.status === null) {
        ctx.log.info(log, 'twilio status callback ignored: not an outbound delivery status');
      } else {
        const outcome = await applyReceiptPatiently(ctx, {
          provider: providerKey('twilio', v.cred.id), providerMessageId: s.messageSid, status: s.status, errorCode: s.errorCode, errorMessage: s.errorMessage,
        });
        // Twilio does not retry a status callback; an unknown one is answered 200 and left in the log.
        if (outcome === 'unknown') ctx.log.warn(log, 'twilio status callback for a message Engage does not know');
        else ctx.log.info({ ...log, outcome }, 'twilio status callback');
      }
      // Wiring this into suppression belongs to the broadcast issue (see docs/providers.md).
      if (s.suppress) ctx.log.warn(log, 'twilio reports the phone unsubscribed (21610)');
      return reply.status(200).type('text/xml').send(EMPTY_TWIML);
    });
  };
}
