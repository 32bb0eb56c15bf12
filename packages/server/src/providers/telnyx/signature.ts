/**
 * Telnyx webhook signatures: `telnyx-signature-ed25519` is the base64 ed25519 signature of
 * `{telnyx-timestamp}|{raw body}` under the account's key; the public key (base64, 32 bytes) is in
 * the Mission Control portal. A timestamp more than 300 s away from now is refused (replays).
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';

export const TELNYX_TOLERANCE_S = 300;

export function telnyxPublicKey(base64: string): KeyObject {
  const raw = Buffer.from(base64, 'base64');
  if (raw.length !== 32) throw new Error('a Telnyx public key is 32 bytes, base64');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}

export type TelnyxVerdict = { ok: true } | { ok: false; reason: string };

export function verifyTelnyxSignature(
  publicKeyBase64: string,
  headers: { signature: string | undefined; timestamp: string | undefined },
  rawBody: string,
  nowMs: number,
  toleranceS = TELNYX_TOLERANCE_S,
): TelnyxVerdict {
  const { signature, timestamp } = headers;
  if (!signature) return { ok: false, reason: 'no telnyx-signature-ed25519 header' };
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'no or malformed telnyx-timestamp header' };
  if (Math.abs(Math.floor(nowMs / 1000) - Number(timestamp)) > toleranceS) return { ok: false, reason: 'timestamp outside the 300 s tolerance' };
  const sig = Buffer.from(signature, 'base64');
  if (sig.length !== 64) return { ok: false, reason: 'signature is not 64 bytes' };
  let key: KeyObject;
  try {
    key = telnyxPublicKey(publicKeyBase64);
  } catch {
    return { ok: false, reason: 'the credential has no valid public key' };
  }
  const signed = Buffer.from(`${timestamp}|${rawBody}`, 'utf8');
  return verify(null, signed, key, sig) ? { ok: true } : { ok: false, reason: 'signature mismatch' };
}
