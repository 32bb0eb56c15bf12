/**
 * Telnyx's webhook into Engage, per credential: `POST /api/providers/telnyx/{credentialId}/webhook`
 * receives `message.received` (inbound), `message.sent` and `message.finalized` (delivery status).
 * Refused (403, logged, nothing stored) unless `telnyx-signature-ed25519` verifies over
 * `{telnyx-timestamp}|{raw body}` with the credential's public key and the timestamp is recent.
 * Registered inside the raw-body scope of providers/routes.ts.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import { receiveInbound } from '../../conversations/inbound.ts';
import { providerKey } from '../credentials.ts';
import { applyReceiptPatiently } from '../receipts.ts';
import { invalidSignature, keptMedia, numberAcceptsInbound, rawBody, refuse, webhookCredential } from '../webhook-support.ts';
import { TelnyxCallbackError, parseTelnyxEvent, telnyxInboundText, type TelnyxEvent } from './callbacks.ts';
import { verifyTelnyxSignature } from './signature.ts';

const header = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export function telnyxWebhookRoutes(ctx: AppContext) {
  return async (app: FastifyInstance) => {
    app.post<{ Params: { credentialId: string } }>('/api/providers/telnyx/:credentialId/webhook', { schema: { hide: true } }, async (req, reply) => {
      const { credentialId } = req.params;
      const cred = await webhookCredential(ctx, 'telnyx', credentialId);
      if (cred?.kind !== 'telnyx') {
        return refuse(ctx, req, reply, 'telnyx', credentialId, { status: 404, code: 'NOT_FOUND', message: 'no such Telnyx credential', reason: 'unknown credential' });
      }
      const raw = rawBody(req);
      const verdict = verifyTelnyxSignature(
        cred.publicKey,
        { signature: header(req.headers['telnyx-signature-ed25519']), timestamp: header(req.headers['telnyx-timestamp']) },
        raw,
        ctx.now().getTime(),
      );
      if (!verdict.ok) return refuse(ctx, req, reply, 'telnyx', credentialId, invalidSignature(verdict.reason));

      let event: TelnyxEvent;
      try {
        event = parseTelnyxEvent(raw);
      } catch (err) {
        if (!(err instanceof TelnyxCallbackError)) throw err;
        return refuse(ctx, req, reply, 'telnyx', credentialId, { status: 400, code: 'INVALID_REQUEST', message: err.message, reason: `invalid ${err.field}` });
      }
      const log = { provider: 'telnyx', credentialId, eventId: event.eventId };

      if (event.kind === 'other') {
        ctx.log.info({ ...log, eventType: event.eventType }, 'telnyx webhook ignored: not a messaging event Engage uses');
        return reply.status(200).send({ ok: true });
      }
      if (event.kind === 'inbound') {
        if (!(await numberAcceptsInbound(ctx, cred.workspaceId, event.to))) {
          return refuse(ctx, req, reply, 'telnyx', credentialId, { status: 422, code: 'UNPROCESSABLE', message: 'the recipient is a number of another workspace', reason: 'number of another workspace' });
        }
        // Media URLs that are not kept (not http(s)) do not stand in for the text either.
        const media = keptMedia(event.media);
        const outcome = await receiveInbound(ctx, {
          provider: providerKey('telnyx', cred.id), providerMessageId: event.messageId, from: event.from, to: event.to,
          text: telnyxInboundText({ ...event, media }), receivedAt: event.receivedAt ?? ctx.now(), media,
        });
        ctx.log.info({ ...log, messageId: event.messageId, outcome: outcome.kind, media: event.media.length }, 'telnyx inbound message');
        return reply.status(200).send({ ok: true });
      }

      const slog = { ...log, eventType: event.eventType, messageId: event.messageId, telnyxStatus: event.telnyxStatus, errorCode: event.errorCode };
      if (event.status === null) {
        ctx.log.info(slog, 'telnyx status ignored: unknown recipient status');
      } else {
        const outcome = await applyReceiptPatiently(ctx, {
          provider: providerKey('telnyx', cred.id), providerMessageId: event.messageId, status: event.status,
          errorCode: event.errorCode, errorMessage: event.errorMessage, carrier: event.carrier,
        });
        if (outcome === 'unknown') ctx.log.warn(slog, 'telnyx status for a message Engage does not know');
        else ctx.log.info({ ...slog, outcome }, 'telnyx status');
      }
      // Wiring this into suppression belongs to the broadcast issue (see docs/providers.md).
      if (event.suppress) ctx.log.warn(slog, 'telnyx reports the phone opted out (40300)');
      return reply.status(200).send({ ok: true });
    });
  };
}
