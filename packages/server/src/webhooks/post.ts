/**
 * One webhook delivery attempt: POST the body, wait for the answer within a deadline, and report
 * what happened as data. Retrying, backoff and ordering belong to the caller; this never throws so
 * a receiver's failure can never crash a worker.
 */
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import { request } from 'undici';
import type { Dispatcher } from 'undici';
import { isPrivateAddress } from './address-guard.ts';

export interface WebhookAttempt {
  /** The receiver answered 2xx. */
  ok: boolean;
  /** HTTP status, or null when no response arrived. */
  status: number | null;
  /** First 1 KB of the response body (UTF-8), for operators debugging a receiver. */
  responseExcerpt: string | null;
  /** Why the attempt failed without (or despite) a status, in words fit for an operator. */
  error: string | null;
  durationMs: number;
  /** Parsed `Retry-After` of a 429/503, in ms from now. */
  retryAfterMs: number | null;
}

export interface PostWebhookOptions {
  /** From `createWebhookDispatcher`: it performs the connect-time private-address check. */
  dispatcher: Dispatcher;
  /** Deadline for the whole attempt: connect, request, response headers and body. */
  timeoutMs: number;
  /** Must match the dispatcher's setting; used to refuse IP-literal hosts before connecting. */
  allowPrivate: boolean;
}

const USER_AGENT = 'Engage-Webhooks/1.0';
const EXCERPT_BYTES = 1024;
/**
 * Reading a small body to its end lets the connection be reused; past this we stop and drop the
 * connection, so a receiver streaming endlessly cannot hold a worker or its memory.
 */
const MAX_BODY_BYTES = 64 * 1024;

export async function postWebhook(
  url: string,
  body: string,
  headers: Record<string, string>,
  opts: PostWebhookOptions,
): Promise<WebhookAttempt> {
  const started = performance.now();
  const result = (fields: Partial<WebhookAttempt>): WebhookAttempt => ({
    ok: false,
    status: null,
    responseExcerpt: null,
    error: null,
    retryAfterMs: null,
    ...fields,
    durationMs: Math.round(performance.now() - started),
  });

  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return result({ error: 'invalid url' });
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    return result({ error: `unsupported protocol ${target.protocol}` });
  }
  // net.connect skips `lookup` for IP literals; the dispatcher checks them too, but refusing here
  // means not even a connection attempt is made.
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!opts.allowPrivate && isIP(host) !== 0 && isPrivateAddress(host)) {
    return result({ error: `blocked private address ${host}` });
  }

  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error(`timeout after ${opts.timeoutMs} ms`));
  }, opts.timeoutMs);
  let status: number | null = null;
  let retryAfterMs: number | null = null;
  try {
    const res = await request(target, {
      method: 'POST',
      dispatcher: opts.dispatcher,
      headers: {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        ...lowerCaseKeys(headers),
      },
      body,
      signal: controller.signal,
    });
    status = res.statusCode;
    if (status === 429 || status === 503) {
      retryAfterMs = parseRetryAfter(res.headers['retry-after'], Date.now());
    }
    const excerpt = await readExcerpt(res.body);
    const ok = status >= 200 && status < 300;
    // A 3xx is usually an http:// URL redirected to https://; saying so saves the operator a hunt.
    const location = res.headers['location'];
    const error = status >= 300 && status < 400 ? `redirect not followed (to ${String(location ?? 'nowhere')})` : null;
    return result({ ok, status, responseExcerpt: excerpt, error, retryAfterMs });
  } catch (err) {
    // A failure after a 2xx status (e.g. the body stalls) still counts as delivered: the receiver
    // has the event, and a retry would only duplicate it.
    const ok = status !== null && status >= 200 && status < 300;
    const error = timedOut ? `timeout after ${opts.timeoutMs} ms` : describeError(err, target.hostname);
    return result({ ok, status, error, retryAfterMs });
  } finally {
    clearTimeout(timer);
  }
}

/** Reads up to MAX_BODY_BYTES, keeping the first EXCERPT_BYTES as text; drops the rest. */
async function readExcerpt(stream: Dispatcher.ResponseData['body']): Promise<string> {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let total = 0;
  for await (const chunk of stream) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    if (keptBytes < EXCERPT_BYTES) {
      const part = buf.subarray(0, EXCERPT_BYTES - keptBytes);
      kept.push(part);
      keptBytes += part.length;
    }
    total += buf.length;
    if (total >= MAX_BODY_BYTES) {
      stream.destroy();
      break;
    }
  }
  // StringDecoder.write holds back a multi-byte character cut at the 1 KB boundary instead of
  // emitting a replacement character.
  return new StringDecoder('utf8').write(Buffer.concat(kept));
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

/**
 * `Retry-After` is either delay-seconds or an HTTP date (RFC 9110 §10.2.3). Returns ms from `nowMs`,
 * never negative, or null when absent or unparseable. Capping it is the retry scheduler's call.
 */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | null {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!raw) return null;
  if (/^\d+$/.test(raw)) return Number(raw) * 1000;
  // Only date-shaped values: Date.parse also accepts things like "1" or "-5" as years.
  if (!/[a-z]/i.test(raw)) return null;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  errors?: unknown;
}

/** Maps a network error to a short operator-facing reason. Never includes headers or the body. */
function describeError(err: unknown, hostname: string): string {
  let e = (typeof err === 'object' && err !== null ? err : {}) as ErrorLike;
  // Happy-eyeballs connects (several addresses) fail with an AggregateError of per-address errors.
  if (e.code === undefined && Array.isArray(e.errors) && typeof e.errors[0] === 'object' && e.errors[0] !== null) {
    e = e.errors[0] as ErrorLike;
  }
  const message = typeof e.message === 'string' ? e.message : String(err);
  switch (e.code) {
    case 'EBLOCKEDADDRESS':
      return message;
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'UND_ERR_SOCKET':
      return 'connection closed before a response';
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return 'connect timeout';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host not found ${hostname}`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    default:
      return typeof e.code === 'string' && /CERT|TLS|SSL/.test(e.code) ? `tls error: ${message}` : message;
  }
}
