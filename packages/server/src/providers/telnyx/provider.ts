/**
 * Telnyx Messaging v2: sending with `POST /v2/messages` (JSON, `Authorization: Bearer <API key>`).
 * Each send names its webhook URL, so delivery events of this credential's messages come back to
 * this credential's route whatever the messaging profile says. Webhooks are in routes.ts.
 */
import type { Dispatcher } from 'undici';
import type { AppContext } from '../../context.ts';
import { providerKey, webhookUrls, type ProviderCredential, type TelnyxCredential } from '../credentials.ts';
import { callProvider, failureFromError, failureFromResponse, providerAgent } from '../http-errors.ts';
import type { ProviderFamily } from '../registry.ts';
import type { SendRequest, SendResult, SmsProvider } from '../types.ts';
import { TELNYX_ERRORS } from './tables.ts';

export interface TelnyxAdapterOptions {
  /** Base URL of the API, e.g. https://api.telnyx.com (config.telnyxApiUrl). */
  apiUrl: string;
  /** Deadline of one API call, ms. */
  timeoutMs: number;
  /** The public webhook URL of this credential; read at every send. */
  webhookUrl: () => string;
  dispatcher: Dispatcher;
  /** The clock. Default `new Date()`. */
  now?: () => Date;
}

export function telnyxSendBody(cred: TelnyxCredential, req: SendRequest, webhookUrl: string): Record<string, string> {
  return {
    from: req.from,
    to: req.to,
    text: req.body,
    ...(cred.messagingProfileId ? { messaging_profile_id: cred.messagingProfileId } : {}),
    webhook_url: webhookUrl,
  };
}

interface TelnyxAnswer {
  data?: { id?: unknown };
  errors?: { code?: unknown; title?: unknown; detail?: unknown }[];
}

export function createTelnyxProvider(cred: TelnyxCredential, opts: TelnyxAdapterOptions): SmsProvider {
  const now = opts.now ?? (() => new Date());
  const url = `${opts.apiUrl}/v2/messages`;
  return {
    name: providerKey('telnyx', cred.id),
    // No idempotency key on /v2/messages: a repeated send texts twice.
    idempotentSend: false,
    async send(req: SendRequest): Promise<SendResult> {
      if (req.validUntil && req.validUntil.getTime() <= now().getTime()) {
        return { ok: false, retryable: true, code: 'WINDOW_CLOSED', message: "the lead's sending window closed before the send" };
      }
      let res;
      try {
        res = await callProvider(opts.dispatcher, url, {
          method: 'POST',
          headers: { authorization: `Bearer ${cred.apiKey}`, 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify(telnyxSendBody(cred, req, opts.webhookUrl())),
          timeoutMs: opts.timeoutMs,
        });
      } catch (err) {
        return failureFromError(err);
      }
      let json: TelnyxAnswer | null = null;
      try {
        json = JSON.parse(res.text) as TelnyxAnswer;
      } catch {
        json = null;
      }
      if (res.status >= 200 && res.status < 300) {
        const id = json?.data?.id;
        if (typeof id === 'string' && id) return { ok: true, providerMessageId: id };
        return { ok: false, retryable: false, code: 'BAD_RESPONSE', message: 'Telnyx accepted the message but its answer has no data.id', maybeSent: true };
      }
      const first = Array.isArray(json?.errors) ? json.errors[0] : undefined;
      const code = typeof first?.code === 'string' || typeof first?.code === 'number' ? String(first.code) : null;
      const message = [first?.title, first?.detail].filter((x): x is string => typeof x === 'string' && x !== '').join(': ') || null;
      return failureFromResponse(res, { code, message }, TELNYX_ERRORS, now());
    },
  };
}

/** Telnyx adapters for a running Engage: one per credential, sharing one connection pool. */
export function telnyxFamily(ctx: Pick<AppContext, 'config' | 'now'>): ProviderFamily {
  const dispatcher = providerAgent(ctx.config.providerTimeoutMs);
  return {
    kind: 'telnyx',
    idempotentSend: false,
    create(credential: ProviderCredential): SmsProvider {
      if (credential.kind !== 'telnyx') throw new Error('telnyxFamily: not a Telnyx credential');
      return createTelnyxProvider(credential, {
        apiUrl: ctx.config.telnyxApiUrl,
        timeoutMs: ctx.config.providerTimeoutMs,
        webhookUrl: () => webhookUrls(ctx.config.publicUrl, 'telnyx', credential.id).webhook!,
        dispatcher,
        now: ctx.now,
      });
    },
  };
}
