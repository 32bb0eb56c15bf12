/**
 * The SDK's HTTP layer: JSON requests over the global `fetch`, typed errors for Engage's error
 * shape (`{ error: { code, message, field? } }`), and retries with backoff on 5xx.
 */

export interface HttpOptions {
  /** Retries after a 5xx answer or a refused connection. Default 3. */
  retries?: number;
  /** First retry delay in ms; doubles each time, with jitter. Default 200. */
  retryDelayMs?: number;
  /** Per-attempt deadline in ms. Default 10000. */
  timeoutMs?: number;
  /** The fetch to use. Default the global `fetch` (Node ≥ 18). */
  fetch?: typeof fetch;
}

/** Any error answer from Engage. `code` is Engage's error code, e.g. `OPTED_OUT`. */
export class EngageApiError extends Error {
  override name = 'EngageApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The request field at fault, when Engage names one. */
    readonly field: string | null,
    /** The whole error body, with extra details such as `validDispositions`. */
    readonly body: unknown,
  ) {
    super(message);
  }
}
/** 400: the request is malformed; `field` says which. */
export class BadRequestError extends EngageApiError { override name = 'BadRequestError'; }
/** 401: wrong, missing or revoked API key or conversation key. */
export class UnauthorizedError extends EngageApiError { override name = 'UnauthorizedError'; }
/** 404: no such resource in this workspace. */
export class NotFoundError extends EngageApiError { override name = 'NotFoundError'; }
/** 409: refused in the current state, e.g. `OPTED_OUT` (the lead opted out) or `CAMPAIGN_ACTIVE`. */
export class ConflictError extends EngageApiError { override name = 'ConflictError'; }
/** 422: understood but invalid, e.g. `UNKNOWN_DISPOSITION` (see `validDispositions`). */
export class UnprocessableError extends EngageApiError {
  override name = 'UnprocessableError';
  /** For `UNKNOWN_DISPOSITION`: the campaign's disposition names. */
  get validDispositions(): string[] | null {
    const v = (this.body as { error?: { validDispositions?: unknown } } | null)?.error?.validDispositions;
    return Array.isArray(v) ? v.map(String) : null;
  }
}
/** 5xx after every retry, or a network failure. */
export class ServerError extends EngageApiError { override name = 'ServerError'; }

const ERROR_BY_STATUS: Record<number, typeof EngageApiError> = {
  400: BadRequestError, 401: UnauthorizedError, 404: NotFoundError, 409: ConflictError, 422: UnprocessableError,
};

function errorFrom(status: number, body: unknown): EngageApiError {
  const e = (body as { error?: { code?: unknown; message?: unknown; field?: unknown } } | null)?.error;
  const code = typeof e?.code === 'string' ? e.code : `HTTP_${status}`;
  const message = typeof e?.message === 'string' ? e.message : `Engage answered HTTP ${status}`;
  const field = typeof e?.field === 'string' ? e.field : null;
  const Cls = ERROR_BY_STATUS[status] ?? (status >= 500 ? ServerError : EngageApiError);
  return new Cls(status, code, message, field, body);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** True for failures where the request surely never reached Engage (safe to retry any method). */
function connectionRefused(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string } } | null)?.cause;
  return cause?.code === 'ECONNREFUSED';
}

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  /** A JSON value, or a ready body (FormData, URLSearchParams). */
  body?: unknown;
}

/** Sends one request, retrying 5xx answers (and, for GET, network errors); returns the parsed JSON. */
export async function request<T>(spec: RequestSpec, opts: HttpOptions = {}): Promise<T> {
  const doFetch = opts.fetch ?? fetch;
  const retries = opts.retries ?? 3;
  const base = opts.retryDelayMs ?? 200;
  const headers: Record<string, string> = { accept: 'application/json', ...spec.headers };
  let body: FormData | URLSearchParams | string | undefined;
  if (spec.body instanceof FormData || spec.body instanceof URLSearchParams || typeof spec.body === 'string') body = spec.body;
  else if (spec.body !== undefined) {
    body = JSON.stringify(spec.body);
    headers['content-type'] = 'application/json';
  }
  for (let attempt = 0; ; attempt++) {
    const last = attempt >= retries;
    let res: Response;
    try {
      res = await doFetch(spec.url, { method: spec.method, headers, body, signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000) });
    } catch (err) {
      // A POST that may have reached Engage is not repeated: it could send a text twice.
      if (!last && (spec.method === 'GET' || connectionRefused(err))) {
        await sleep(base * 2 ** attempt * (0.5 + Math.random() / 2));
        continue;
      }
      throw new ServerError(0, 'NETWORK_ERROR', `request to Engage failed: ${(err as Error).message}`, null, null);
    }
    const text = await res.text();
    let parsed: unknown = null;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (res.ok) return parsed as T;
    if (res.status >= 500 && !last) {
      await sleep(base * 2 ** attempt * (0.5 + Math.random() / 2));
      continue;
    }
    throw errorFrom(res.status, parsed);
  }
}
