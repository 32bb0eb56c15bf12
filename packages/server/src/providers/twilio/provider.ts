/**
 * Twilio Programmable Messaging: sending through the Messages API
 * (`POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded, HTTP basic auth with the
 * Account SID and auth token). Callbacks (inbound, status) are in routes.ts.
 */
import type { Dispatcher } from 'undici';
import type { AppContext } from '../../context.ts';
import { providerKey, webhookUrls, type ProviderCredential, type TwilioCredential } from '../credentials.ts';
import { callProvider, failureFromError, failureFromResponse, providerAgent } from '../http-errors.ts';
import type { ProviderFamily } from '../registry.ts';
import type { SendRequest, SendResult, SentMessage, SentQuery, SmsProvider } from '../types.ts';
import { TWILIO_ERRORS, twilioDelivery } from './tables.ts';

/** Twilio's limit for `ValidityPeriod`, seconds. */
const MAX_VALIDITY_S = 36_000;

/**
 * Reconciling an interrupted send (`findSent`): how much earlier than our claim Twilio's
 * `date_created` may be (its clock against ours; it has whole seconds), and how many pages of 50
 * of the phone's messages from the number are read at most.
 */
const FIND_SKEW_MS = 60_000;
const FIND_MAX_PAGES = 5;

export interface TwilioAdapterOptions {
  /** Base URL of the REST API, e.g. https://api.twilio.com (config.twilioApiUrl). */
  apiUrl: string;
  /** Deadline of one API call, ms. */
  timeoutMs: number;
  /** The public status callback URL of this credential; read at every send (PUBLIC_URL may change in tests). */
  statusCallbackUrl: () => string;
  dispatcher: Dispatcher;
  /** The clock. Default `new Date()`. */
  now?: () => Date;
}

/**
 * The form a send posts. `From` is always our number (sticky sender: the lead's replies must reach
 * the number it was texted from); `MessagingServiceSid` is added when the credential has one, and
 * Twilio then sends from `From`, which must be in the service's sender pool.
 */
export function twilioSendForm(cred: TwilioCredential, req: SendRequest, statusCallback: string, now: Date): URLSearchParams | { expired: true } {
  const form = new URLSearchParams();
  form.set('To', req.to);
  form.set('From', req.from);
  if (cred.messagingServiceSid) form.set('MessagingServiceSid', cred.messagingServiceSid);
  form.set('Body', req.body);
  form.set('StatusCallback', statusCallback);
  if (req.validUntil) {
    const seconds = Math.floor((req.validUntil.getTime() - now.getTime()) / 1000);
    if (seconds < 1) return { expired: true };
    form.set('ValidityPeriod', String(Math.min(seconds, MAX_VALIDITY_S)));
  }
  return form;
}

/** The Messages API's answer: the Message resource (201), or `{ code, message, more_info, status }`. */
interface TwilioAnswer {
  sid?: unknown;
  code?: unknown;
  message?: unknown;
}

/** A page of `GET …/Messages.json`: Message resources newest first, and the next page's path. */
interface TwilioMessagePage {
  messages?: { sid?: unknown; body?: unknown; direction?: unknown; date_created?: unknown; status?: unknown; error_code?: unknown; error_message?: unknown }[];
  next_page_uri?: unknown;
}

export function createTwilioProvider(cred: TwilioCredential, opts: TwilioAdapterOptions): SmsProvider {
  const now = opts.now ?? (() => new Date());
  const url = `${opts.apiUrl}/2010-04-01/Accounts/${encodeURIComponent(cred.accountSid)}/Messages.json`;
  const authorization = 'Basic ' + Buffer.from(`${cred.accountSid}:${cred.authToken}`, 'utf8').toString('base64');
  return {
    name: providerKey('twilio', cred.id),
    // Twilio's Messages API has no idempotency key: a repeated create texts twice.
    idempotentSend: false,
    async send(req: SendRequest): Promise<SendResult> {
      const form = twilioSendForm(cred, req, opts.statusCallbackUrl(), now());
      if ('expired' in form) return { ok: false, retryable: true, code: 'WINDOW_CLOSED', message: "the lead's sending window closed before the send" };
      let res;
      try {
        res = await callProvider(opts.dispatcher, url, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: form.toString(),
          timeoutMs: opts.timeoutMs,
        });
      } catch (err) {
        return failureFromError(err);
      }
      let json: TwilioAnswer | null = null;
      try {
        json = JSON.parse(res.text) as TwilioAnswer;
      } catch {
        json = null;
      }
      if (res.status >= 200 && res.status < 300) {
        if (typeof json?.sid === 'string' && json.sid) return { ok: true, providerMessageId: json.sid };
        return { ok: false, retryable: false, code: 'BAD_RESPONSE', message: 'Twilio accepted the message but its answer has no sid', maybeSent: true };
      }
      const code = typeof json?.code === 'number' || typeof json?.code === 'string' ? String(json.code) : null;
      const message = typeof json?.message === 'string' ? json.message : null;
      return failureFromResponse(res, { code, message }, TWILIO_ERRORS, now());
    },
    /**
     * Twilio's Messages API has no field for our reference, so a send is found by what it was: the
     * phone's messages from our number (`To`, `From` filters, newest first), outbound, with the
     * same body, created since the claim.
     */
    async findSent(q: SentQuery): Promise<SentMessage[]> {
      const found: SentMessage[] = [];
      let next: string | null = `${url}?${new URLSearchParams({ To: q.to, From: q.from, PageSize: '50' }).toString()}`;
      for (let page = 0; next && page < FIND_MAX_PAGES; page += 1) {
        const res = await callProvider(opts.dispatcher, next, { method: 'GET', headers: { authorization, accept: 'application/json' }, timeoutMs: opts.timeoutMs });
        if (res.status !== 200) throw new Error(`Twilio answered ${res.status} to the message list: ${res.text.slice(0, 200)}`);
        const json = JSON.parse(res.text) as TwilioMessagePage;
        let older = false;
        for (const m of json.messages ?? []) {
          const created = typeof m.date_created === 'string' ? Date.parse(m.date_created) : NaN;
          if (created < q.since.getTime() - FIND_SKEW_MS) {
            older = true;
            continue;
          }
          if (typeof m.sid !== 'string' || typeof m.direction !== 'string' || !m.direction.startsWith('outbound') || m.body !== q.body) continue;
          const errorCode = typeof m.error_code === 'number' || (typeof m.error_code === 'string' && m.error_code) ? String(m.error_code) : null;
          const errorMessage = typeof m.error_message === 'string' ? m.error_message : null;
          found.push({ id: m.sid, ...twilioDelivery(typeof m.status === 'string' ? m.status : '', errorCode, errorMessage) });
        }
        next = !older && typeof json.next_page_uri === 'string' && json.next_page_uri ? opts.apiUrl + json.next_page_uri : null;
      }
      return found;
    },
  };
}

/** Twilio adapters for a running Engage: one per credential, sharing one connection pool. */
export function twilioFamily(ctx: Pick<AppContext, 'config' | 'now'>): ProviderFamily {
  const dispatcher = providerAgent(ctx.config.providerTimeoutMs);
  return {
    kind: 'twilio',
    idempotentSend: false,
    findsSent: true,
    create(credential: ProviderCredential): SmsProvider {
      if (credential.kind !== 'twilio') throw new Error('twilioFamily: not a Twilio credential');
      return createTwilioProvider(credential, {
        apiUrl: ctx.config.twilioApiUrl,
        timeoutMs: ctx.config.providerTimeoutMs,
        statusCallbackUrl: () => webhookUrls(ctx.config.publicUrl, 'twilio', credential.id).status!,
        dispatcher,
        now: ctx.now,
      });
    },
  };
}
