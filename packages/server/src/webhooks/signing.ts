/**
 * Standard Webhooks signing (https://www.standardwebhooks.com/).
 *
 * Every outgoing webhook carries `webhook-id`, `webhook-timestamp` and `webhook-signature` so a
 * receiver can check it came from us, was not altered, and is not a replay. The signature is an
 * HMAC-SHA256 over `${msgId}.${unixSeconds}.${body}` keyed with the secret's decoded bytes.
 *
 * Implemented on `node:crypto` rather than the `standardwebhooks` package so production code has no
 * dependency on it; the tests cross-check our output against that package's verifier.
 */
import { createHmac, randomBytes } from 'node:crypto';

/** Prefix that marks a Standard Webhooks secret; the rest is the base64 of the key bytes. */
const SECRET_PREFIX = 'whsec_';

/** 24 bytes = 192 bits: the size the Standard Webhooks reference libraries generate. */
const SECRET_BYTES = 24;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export interface SignatureHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** A fresh signing secret, `whsec_` + base64 of 24 random bytes. */
export function newWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}

/**
 * Decodes `whsec_<base64>` into key bytes. Strict on purpose: `Buffer.from(x, 'base64')` silently
 * skips invalid characters, so a mangled secret would otherwise sign with a different key and every
 * delivery would fail verification at the receiver with no hint why.
 */
function secretKey(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) {
    throw new Error(`webhook secret must start with "${SECRET_PREFIX}"`);
  }
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!BASE64.test(encoded) || encoded.length % 4 !== 0) {
    throw new Error('webhook secret is not valid base64 after the prefix');
  }
  return Buffer.from(encoded, 'base64');
}

/**
 * Headers that sign `body` for delivery `msgId` at `timestamp`.
 *
 * `secrets` holds every secret currently valid for the endpoint: during a rotation both the old and
 * the new one, so receivers that know either keep verifying. Each gives one `v1,<base64>` entry,
 * space-separated as the spec requires. The msgId must stay the same across retries of one event
 * so receivers can de-duplicate; the timestamp is the time of this attempt (receivers reject old
 * timestamps to stop replays).
 */
export function signatureHeaders(
  secrets: string[],
  msgId: string,
  timestamp: Date,
  body: string,
): SignatureHeaders {
  if (secrets.length === 0) throw new Error('at least one webhook secret is required to sign');
  const seconds = Math.floor(timestamp.getTime() / 1000);
  if (!Number.isFinite(seconds)) throw new Error('webhook timestamp is not a valid date');
  const signedContent = `${msgId}.${seconds}.${body}`;
  const signatures = secrets.map(
    (secret) => 'v1,' + createHmac('sha256', secretKey(secret)).update(signedContent, 'utf8').digest('base64'),
  );
  return {
    'webhook-id': msgId,
    'webhook-timestamp': String(seconds),
    'webhook-signature': signatures.join(' '),
  };
}
