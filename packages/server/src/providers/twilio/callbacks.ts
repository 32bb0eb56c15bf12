/**
 * Twilio's two messaging callbacks, parsed from their form parameters into typed structures:
 * the incoming-message webhook and the outbound status callback. Unknown extra parameters
 * (Twilio adds some without notice) are ignored here; they still count for the signature.
 */
import { normalizePhone } from '../../core/phone.ts';
import type { DeliveryStatus } from '../types.ts';
import type { TwilioParams } from './signature.ts';
import { TWILIO_ERRORS, twilioDelivery } from './tables.ts';

export interface TwilioMedia {
  url: string;
  contentType: string | null;
}

export interface TwilioInbound {
  messageSid: string;
  accountSid: string;
  from: string;
  to: string;
  body: string;
  media: TwilioMedia[];
  /** Where Twilio located the sender (from the number's registration), when it knows. */
  fromGeo: { city: string | null; state: string | null; zip: string | null; country: string | null };
}

export interface TwilioStatus {
  messageSid: string;
  accountSid: string;
  /** Twilio's own word (`delivered`, `undelivered`…). */
  twilioStatus: string;
  /** Ours; null for a status that does not concern an outbound message (`received`…). */
  status: DeliveryStatus | null;
  errorCode: string | null;
  errorMessage: string | null;
  /** The error means the phone opted out at the carrier (21610): the phone should be suppressed. */
  suppress: boolean;
}

export class CallbackError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

function one(p: TwilioParams, name: string): string | null {
  const v = p[name];
  if (v === undefined) return null;
  return Array.isArray(v) ? (v[0] ?? null) : v;
}

function required(p: TwilioParams, name: string): string {
  const v = one(p, name);
  if (v === null || v === '') throw new CallbackError(name, `${name} is required`);
  return v;
}

const SID = /^(SM|MM|SB|RM)[0-9a-fA-F]{32}$/;

function messageSidOf(p: TwilioParams): string {
  // `SmsSid`/`SmsMessageSid` are deprecated duplicates that older setups may still rely on.
  const sid = one(p, 'MessageSid') ?? one(p, 'SmsMessageSid') ?? one(p, 'SmsSid');
  if (!sid) throw new CallbackError('MessageSid', 'MessageSid is required');
  if (!SID.test(sid)) throw new CallbackError('MessageSid', 'MessageSid is not a Twilio message SID');
  return sid;
}

function phone(p: TwilioParams, name: string): string {
  const raw = required(p, name).replace(/^[a-z]+:/i, '');
  // Twilio sends E.164 already; channel addresses (`whatsapp:+1…`) keep their number part and
  // short codes (3 to 8 digits) stay as they are.
  if (/^\d{3,8}$/.test(raw)) return raw;
  const n = normalizePhone(raw);
  if (!n) throw new CallbackError(name, `${name} is not a phone number`);
  return n;
}

export function parseTwilioInbound(p: TwilioParams): TwilioInbound {
  const numMedia = Math.min(Number(one(p, 'NumMedia') ?? '0') || 0, 10);
  const media: TwilioMedia[] = [];
  for (let i = 0; i < numMedia; i++) {
    const url = one(p, `MediaUrl${i}`);
    if (url) media.push({ url, contentType: one(p, `MediaContentType${i}`) });
  }
  return {
    messageSid: messageSidOf(p),
    accountSid: required(p, 'AccountSid'),
    from: phone(p, 'From'),
    to: phone(p, 'To'),
    body: one(p, 'Body') ?? '',
    media,
    fromGeo: { city: one(p, 'FromCity'), state: one(p, 'FromState'), zip: one(p, 'FromZip'), country: one(p, 'FromCountry') },
  };
}

export function parseTwilioStatus(p: TwilioParams): TwilioStatus {
  const twilioStatus = (one(p, 'MessageStatus') ?? one(p, 'SmsStatus') ?? '').toLowerCase();
  if (!twilioStatus) throw new CallbackError('MessageStatus', 'MessageStatus is required');
  const delivery = twilioDelivery(twilioStatus, one(p, 'ErrorCode') || null, one(p, 'ErrorMessage'));
  return {
    messageSid: messageSidOf(p),
    accountSid: required(p, 'AccountSid'),
    twilioStatus,
    ...delivery,
    suppress: delivery.errorCode !== null && TWILIO_ERRORS[delivery.errorCode]?.suppress === true,
  };
}

/**
 * The text the inbound pipeline stores. The media are kept beside the message (message_media);
 * the contract's message has text only, so a picture-only message's text is its media URLs and
 * an integrator still sees something. Text always wins, so a `STOP` with a picture still opts out.
 */
export function inboundText(m: TwilioInbound): string {
  if (m.body.trim() !== '' || m.media.length === 0) return m.body;
  return m.media.map((x) => x.url).join('\n');
}
