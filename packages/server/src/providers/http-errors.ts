/**
 * The one way real provider adapters call their provider's API, and the one function that turns
 * whatever came back (an HTTP answer, a timeout, a refused connection) into a send failure from a
 * closed set: retryable or fatal, with the provider's own code when it gave one (the courier model).
 *
 * A slow provider must never hang a worker: every call has a deadline (`timeoutMs`, covering
 * connect, headers and body, up to DEADLINE_SLICE_MS later), after which it is a retryable `TIMEOUT`.
 */
import { setMaxListeners } from 'node:events';
import { Agent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import type { SendFailure } from './types.ts';

/** What a provider's error code means for us. */
export interface ProviderErrorInfo {
  /** The same send may succeed later. */
  retryable: boolean;
  /** The provider refuses this phone for good (it opted out at the carrier): suppress it. */
  suppress?: boolean;
  /** A human description for operators, used when the provider's answer has none. */
  description: string;
}

/** A provider's error codes we know; codes not listed are decided by the HTTP status. */
export type ProviderErrorTable = Readonly<Record<string, ProviderErrorInfo>>;

export interface ProviderResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One shared connection pool per adapter kind; keep-alive makes bursts of sends cheap. */
export function providerAgent(timeoutMs: number): Agent {
  return new Agent({ connect: { timeout: timeoutMs }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, keepAliveTimeout: 10_000 });
}

/** How finely call deadlines are shared: calls started in the same slice share one timer, ms. */
export const DEADLINE_SLICE_MS = 100;
const deadlines = new Map<string, AbortSignal>();

/**
 * The deadline of a call that starts now: an AbortSignal that aborts with a `TimeoutError` between
 * `timeoutMs` and `timeoutMs` + DEADLINE_SLICE_MS from now. Calls started in the same slice of time
 * share it: a broadcast batch starts hundreds of calls at once, and a timer each
 * (`AbortSignal.timeout`) cost the sender 8 % of its rate in the broadcast bench
 * (docs/decisions.md).
 */
export function deadlineSignal(timeoutMs: number, now = Date.now()): AbortSignal {
  const slice = Math.floor(now / DEADLINE_SLICE_MS);
  const key = `${timeoutMs}|${slice}`;
  const shared = deadlines.get(key);
  if (shared) return shared;
  const controller = new AbortController();
  // Every call of the slice listens to it; that is expected, not a leak.
  setMaxListeners(0, controller.signal);
  deadlines.set(key, controller.signal);
  setTimeout(() => {
    deadlines.delete(key);
    controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }, (slice + 1) * DEADLINE_SLICE_MS - now + timeoutMs).unref();
  return controller.signal;
}

/**
 * Sends one HTTP request with an overall deadline (`deadlineSignal`). Throws on network failure or timeout; callers
 * hand the error to `failureFromError`.
 */
export async function callProvider(
  dispatcher: Dispatcher,
  url: string,
  init: { method: 'POST' | 'GET'; headers: Record<string, string>; body?: string; timeoutMs: number },
): Promise<ProviderResponse> {
  const res = await request(url, {
    method: init.method,
    headers: init.headers,
    body: init.body,
    dispatcher,
    signal: deadlineSignal(init.timeoutMs),
    headersTimeout: init.timeoutMs,
    bodyTimeout: init.timeoutMs,
  });
  // A provider's answer is small; a huge one is cut rather than buffered whole.
  const text = (await res.body.text()).slice(0, 64 * 1024);
  return { status: res.statusCode, headers: res.headers, text };
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now: Date): number | null {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return null;
  if (/^\s*\d+\s*$/.test(raw)) return Number(raw) * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? null : Math.max(0, at - now.getTime());
}

/**
 * Maps a provider's non-2xx answer. The provider's own code decides when the table knows it;
 * otherwise 408, 429 and 5xx are retryable and every other 4xx is fatal.
 */
export function failureFromResponse(
  res: { status: number; headers: ProviderResponse['headers'] },
  provider: { code: string | null; message: string | null },
  table: ProviderErrorTable,
  now: Date,
): SendFailure {
  const known = provider.code ? table[provider.code] : undefined;
  const retryableByStatus = res.status === 408 || res.status === 429 || res.status >= 500;
  const retryAfterMs = parseRetryAfter(res.headers['retry-after'], now);
  return {
    ok: false,
    retryable: known ? known.retryable : retryableByStatus,
    code: provider.code ?? `HTTP_${res.status}`,
    message: provider.message || known?.description || `the provider answered HTTP ${res.status}`,
    ...(known?.suppress ? { suppress: true } : {}),
    ...(retryAfterMs !== null ? { retryAfterMs } : {}),
  };
}

const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * Maps a request that got no answer. All are retryable; a failure after the request may have been
 * delivered (timeout waiting for the answer, connection reset) is flagged `maybeSent`, because
 * repeating it could text the phone twice.
 */
export function failureFromError(err: unknown): SendFailure {
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code ?? '';
  if (CONNECT_CODES.has(code) || err instanceof undiciErrors.ConnectTimeoutError) {
    return { ok: false, retryable: true, code: 'NETWORK', message: `could not reach the provider (${code || e.name})` };
  }
  const timedOut =
    e.name === 'TimeoutError' || e.name === 'AbortError' ||
    err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError;
  if (timedOut) {
    return { ok: false, retryable: true, code: 'TIMEOUT', message: 'the provider did not answer in time', maybeSent: true };
  }
  return { ok: false, retryable: true, code: 'NETWORK', message: `the connection to the provider failed (${code || e.name || 'error'})`, maybeSent: true };
}
