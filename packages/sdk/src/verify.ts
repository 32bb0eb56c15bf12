/**
 * Webhook signature verification per Standard Webhooks (https://www.standardwebhooks.com/).
 *
 * Engage signs `${webhook-id}.${webhook-timestamp}.${rawBody}` with HMAC-SHA256 keyed by the
 * decoded bytes of the workspace's `whsec_…` secret. During a secret rotation the
 * `webhook-signature` header holds one `v1,<base64>` entry per valid secret, space-separated;
 * a receiver that knows any one of them verifies.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isWebhookEvent, type WebhookEvent } from './events.ts';

/** Why a webhook was refused. Answer it with a 4xx; Engage retries, a forger gets nothing. */
export type WebhookVerificationReason =
  | 'MISSING_HEADERS'
  | 'INVALID_TIMESTAMP'
  | 'TIMESTAMP_TOO_OLD'
  | 'TIMESTAMP_TOO_NEW'
  | 'NO_MATCHING_SIGNATURE'
  | 'INVALID_SECRET'
  | 'INVALID_PAYLOAD';

export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
  constructor(readonly reason: WebhookVerificationReason, message: string) {
    super(message);
  }
}

/** Headers as Node (`IncomingHttpHeaders`), fetch (`Headers`) or a plain object give them. */
export type HeadersLike =
  | { get(name: string): string | null }
  | { readonly [name: string]: string | string[] | undefined }
  | object;

export interface VerifyOptions {
  /** How far `webhook-timestamp` may be from now, in seconds. Default 300 (5 minutes). */
  toleranceSeconds?: number;
  /** The clock, for tests. Default `() => new Date()`. */
  now?: () => Date;
}

/** Default tolerance: 5 minutes, as Standard Webhooks recommends. */
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

function header(headers: HeadersLike, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const record = headers as Record<string, string | string[] | undefined>;
  const direct = record[name] ?? Object.entries(record).find(([k]) => k.toLowerCase() === name)?.[1];
  return Array.isArray(direct) ? direct[0] : direct;
}

/** `whsec_<base64>` (or bare base64) → key bytes. */
function secretKey(secret: string | string[]): Buffer[] {
  const list = Array.isArray(secret) ? secret : [secret];
  if (list.length === 0) throw new WebhookVerificationError('INVALID_SECRET', 'no webhook secret given');
  return list.map((s) => {
    const encoded = s.startsWith('whsec_') ? s.slice('whsec_'.length) : s;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
      throw new WebhookVerificationError('INVALID_SECRET', 'the webhook secret is not `whsec_` followed by base64');
    }
    return Buffer.from(encoded, 'base64');
  });
}

/** The expected `v1` signature of one message, as raw bytes. */
function sign(key: Buffer, id: string, timestamp: string, body: string | Buffer): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
}

/**
 * Checks the signature and the timestamp of a webhook without parsing the body.
 * Throws `WebhookVerificationError` when it is not genuine or too old/new.
 *
 * @param rawBody the exact bytes received (do not re-serialise parsed JSON: any change breaks the signature)
 * @param secret the workspace's `whsec_…` secret, or several during your own rotation
 */
export function verifySignature(rawBody: string | Buffer | Uint8Array, headers: HeadersLike, secret: string | string[], opts: VerifyOptions = {}): void {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) {
    throw new WebhookVerificationError('MISSING_HEADERS', 'missing webhook-id, webhook-timestamp or webhook-signature header');
  }
  if (!/^\d{1,12}$/.test(timestamp)) throw new WebhookVerificationError('INVALID_TIMESTAMP', 'webhook-timestamp is not a number of seconds');
  const tolerance = opts.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const now = Math.floor((opts.now ?? (() => new Date()))().getTime() / 1000);
  const sent = Number(timestamp);
  if (sent < now - tolerance) throw new WebhookVerificationError('TIMESTAMP_TOO_OLD', 'webhook-timestamp is too old (possible replay)');
  if (sent > now + tolerance) throw new WebhookVerificationError('TIMESTAMP_TOO_NEW', 'webhook-timestamp is in the future');

  const body = typeof rawBody === 'string' ? rawBody : Buffer.from(rawBody);
  const expected = secretKey(secret).map((key) => sign(key, id, timestamp, body));
  for (const entry of signatures.split(' ')) {
    const [version, value] = entry.split(',', 2);
    if (version !== 'v1' || !value) continue;
    const given = Buffer.from(value, 'base64');
    // Compare every candidate in constant time; lengths are public (always 32 bytes for v1).
    if (expected.some((e) => e.length === given.length && timingSafeEqual(e, given))) return;
  }
  throw new WebhookVerificationError('NO_MATCHING_SIGNATURE', 'no webhook-signature matches the secret');
}

/**
 * Verifies a webhook and returns its typed event.
 *
 * ```ts
 * const event = verifyWebhook(rawBody, req.headers, process.env.ENGAGE_WEBHOOK_SECRET!);
 * if (event.eventType === 'ConversationStarted') …
 * ```
 */
export function verifyWebhook(rawBody: string | Buffer | Uint8Array, headers: HeadersLike, secret: string | string[], opts: VerifyOptions = {}): WebhookEvent {
  verifySignature(rawBody, headers, secret, opts);
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof rawBody === 'string' ? rawBody : Buffer.from(rawBody).toString('utf8'));
  } catch {
    throw new WebhookVerificationError('INVALID_PAYLOAD', 'the body is not JSON');
  }
  if (!isWebhookEvent(parsed)) throw new WebhookVerificationError('INVALID_PAYLOAD', 'the body is not an Engage webhook event');
  return parsed;
}
