/**
 * Telnyx Messaging v2 webhooks, parsed into typed structures. Every webhook is
 * `{ data: { record_type: 'event', id, event_type, occurred_at, payload }, meta: { attempt, delivered_to } }`;
 * `payload` is the message record. Event types:
 * - `message.received` — an inbound message;
 * - `message.sent` — an outbound message left Telnyx for the carrier;
 * - `message.finalized` — an outbound message reached its final state (`to[].status`).
 * Others (e.g. `message.read`, number events) are acknowledged and ignored.
 */
import { normalizePhone } from '../../core/phone.ts';
import type { DeliveryStatus } from '../types.ts';
import { TELNYX_ERRORS, TELNYX_STATUS, telnyxErrorDescription } from './tables.ts';

export interface TelnyxInbound {
  kind: 'inbound';
  eventId: string;
  messageId: string;
  from: string;
  to: string;
  text: string;
  media: { url: string; contentType: string | null }[];
  receivedAt: Date | null;
}

export interface TelnyxStatus {
  kind: 'status';
  eventId: string;
  eventType: 'message.sent' | 'message.finalized';
  messageId: string;
  telnyxStatus: string;
  status: DeliveryStatus | null;
  errorCode: string | null;
  errorMessage: string | null;
  carrier: string | null;
  lineType: string | null;
  /** The error means the phone opted out (40300). */
  suppress: boolean;
}

export type TelnyxEvent = TelnyxInbound | TelnyxStatus | { kind: 'other'; eventId: string; eventType: string };

export class TelnyxCallbackError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

function need(v: unknown, field: string): string {
  const s = str(v);
  if (s === null) throw new TelnyxCallbackError(field, `${field} is required`);
  return s;
}

function phone(v: unknown, field: string): string {
  const raw = need(v, field);
  if (/^\d{3,8}$/.test(raw)) return raw; // short code
  const n = normalizePhone(raw);
  if (!n) throw new TelnyxCallbackError(field, `${field} is not a phone number`);
  return n;
}

/** The first recipient: `to` is an array of `{ phone_number, status, carrier, line_type }` (a plain string on some channels). */
function firstRecipient(payload: Obj): Obj {
  const to = payload.to;
  if (typeof to === 'string') return { phone_number: to };
  if (Array.isArray(to) && isObj(to[0])) return to[0];
  throw new TelnyxCallbackError('data.payload.to', 'data.payload.to is required');
}

export function parseTelnyxEvent(rawBody: string): TelnyxEvent {
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    throw new TelnyxCallbackError('body', 'the body is not JSON');
  }
  if (!isObj(body) || !isObj(body.data)) throw new TelnyxCallbackError('data', 'data is required');
  const data = body.data;
  const eventId = need(data.id, 'data.id');
  const eventType = need(data.event_type, 'data.event_type');
  if (eventType !== 'message.received' && eventType !== 'message.sent' && eventType !== 'message.finalized') return { kind: 'other', eventId, eventType };
  const payload = data.payload;
  if (!isObj(payload)) throw new TelnyxCallbackError('data.payload', 'data.payload is required');
  const messageId = need(payload.id, 'data.payload.id');
  const recipient = firstRecipient(payload);

  if (eventType === 'message.received') {
    const from = isObj(payload.from) ? payload.from.phone_number : payload.from;
    const received = str(payload.received_at);
    const media = Array.isArray(payload.media) ? payload.media.filter(isObj) : [];
    return {
      kind: 'inbound', eventId, messageId,
      from: phone(from, 'data.payload.from.phone_number'),
      to: phone(recipient.phone_number, 'data.payload.to[0].phone_number'),
      text: typeof payload.text === 'string' ? payload.text : '',
      media: media.filter((m) => str(m.url)).map((m) => ({ url: m.url as string, contentType: str(m.content_type) })),
      receivedAt: received && !Number.isNaN(Date.parse(received)) ? new Date(received) : null,
    };
  }

  const telnyxStatus = need(recipient.status, 'data.payload.to[0].status');
  const firstError = Array.isArray(payload.errors) ? payload.errors.find(isObj) : undefined;
  const errorCode = firstError ? (str(firstError.code) ?? (typeof firstError.code === 'number' ? String(firstError.code) : null)) : null;
  const errorMessage = firstError ? (str(firstError.detail) ?? str(firstError.title) ?? (errorCode ? telnyxErrorDescription(errorCode) : null)) : null;
  return {
    kind: 'status', eventId, eventType, messageId, telnyxStatus,
    status: TELNYX_STATUS[telnyxStatus] ?? null,
    errorCode, errorMessage,
    carrier: str(recipient.carrier),
    lineType: str(recipient.line_type),
    suppress: errorCode !== null && TELNYX_ERRORS[errorCode]?.suppress === true,
  };
}

/** The text the inbound pipeline stores: the text, or for a picture-only MMS its media URLs (the media are also kept beside the message). */
export function telnyxInboundText(m: TelnyxInbound): string {
  if (m.text.trim() !== '' || m.media.length === 0) return m.text;
  return m.media.map((x) => x.url).join('\n');
}
