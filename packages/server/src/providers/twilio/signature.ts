/**
 * `X-Twilio-Signature`, exactly as Twilio computes it
 * (https://www.twilio.com/docs/usage/security#validating-requests):
 *
 *   base64( HMAC-SHA1( authToken, url + concat(sorted POST params as name + value) ) )
 *
 * `url` is the full URL Twilio requested, query string included. A form-encoded request signs its
 * parameters (every one, including those Twilio adds without notice); a JSON request signs no
 * parameters and instead carries `bodySHA256` (hex SHA-256 of the raw body) in the URL's query.
 * Twilio may sign the URL with or without the scheme's default port, so both are accepted.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Form parameters; a repeated name has several values. */
export type TwilioParams = Record<string, string | string[]>;

export function twilioSignature(authToken: string, url: string, params: TwilioParams): string {
  let data = url;
  for (const name of Object.keys(params).sort()) {
    const value = params[name]!;
    // Repeated names: each distinct value, sorted, as name + value (as Twilio's libraries do).
    const values = Array.isArray(value) ? [...new Set(value)].sort() : [value];
    for (const v of values) data += name + v;
  }
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

export function bodySha256(rawBody: string): string {
  return createHash('sha256').update(Buffer.from(rawBody, 'utf8')).digest('hex');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The URL with its scheme's default port made explicit, and without any port. */
export function portVariants(url: string): string[] {
  const m = /^(https?:\/\/)([^/?#]*)(.*)$/i.exec(url);
  if (!m) return [url];
  const [, scheme, authority, rest] = m as unknown as [string, string, string, string];
  const at = authority.lastIndexOf('@');
  const userInfo = authority.slice(0, at + 1);
  const hostPort = authority.slice(at + 1);
  const colon = hostPort.indexOf(':', hostPort.lastIndexOf(']') + 1);
  const host = colon === -1 ? hostPort : hostPort.slice(0, colon);
  const defaultPort = scheme.toLowerCase() === 'https://' ? ':443' : ':80';
  const without = scheme + userInfo + host + rest;
  const withDefault = scheme + userInfo + host + defaultPort + rest;
  return [...new Set([url, without, withDefault])];
}

export type TwilioRequestBody = { kind: 'form'; params: TwilioParams } | { kind: 'json'; raw: string };

/**
 * Whether `signature` is Twilio's for this request. `url` is the public URL Twilio called
 * (PUBLIC_URL + path + query), not what a proxy in front of Engage made of it.
 */
export function verifyTwilioSignature(authToken: string, signature: string | undefined, url: string, body: TwilioRequestBody): boolean {
  if (!signature || !authToken) return false;
  if (body.kind === 'json') {
    let hash: string | null = null;
    try {
      hash = new URL(url).searchParams.get('bodySHA256');
    } catch {
      return false;
    }
    if (!hash || !sameText(hash.toLowerCase(), bodySha256(body.raw))) return false;
    return portVariants(url).some((u) => sameText(signature, twilioSignature(authToken, u, {})));
  }
  return portVariants(url).some((u) => sameText(signature, twilioSignature(authToken, u, body.params)));
}

/** Form-encoded body → params, keeping repeated names (`MediaUrl0` is not repeated; others might be). */
export function parseForm(raw: string): TwilioParams {
  const out: TwilioParams = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}
