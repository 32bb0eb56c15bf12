import type { FastifyError, FastifyInstance } from 'fastify';

/** Every API error's `code`. One shape for all errors: `{ error: { code, message, field? } }`. */
export type ErrorCode =
  | 'INVALID_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'CAMPAIGN_ACTIVE'
  | 'INVALID_TRANSITION'
  | 'OPTED_OUT'
  | 'UNKNOWN_DISPOSITION'
  | 'UNPROCESSABLE'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'INTERNAL';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; field?: string; [extra: string]: unknown };
}

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}), ...this.extra } };
  }
}

export const badRequest = (field: string, message: string) => new ApiError(400, 'INVALID_REQUEST', message, field);
export const notFound = (what: string) => new ApiError(404, 'NOT_FOUND', `${what} not found`);
export const unauthorized = (message: string) => new ApiError(401, 'UNAUTHORIZED', message);

/** A JSON-pointer-ish field name from an Ajv error: `/fields/0/name` → `fields[0].name`. */
function fieldOf(err: FastifyError): string | undefined {
  const v = err.validation?.[0];
  if (!v) return undefined;
  const path = v.instancePath
    .split('/')
    .filter(Boolean)
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
    .join('')
    .replace(/^\./, '');
  const params = v.params as Record<string, unknown>;
  const leaf =
    (typeof params.missingProperty === 'string' && params.missingProperty) ||
    (typeof params.additionalProperty === 'string' && params.additionalProperty) ||
    '';
  const joined = [path, leaf].filter(Boolean).join('.');
  return joined || err.validationContext || undefined;
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof ApiError) return reply.status(err.statusCode).send(err.toBody());
    if (err.validation) {
      const field = fieldOf(err);
      const message = `${field ?? err.validationContext ?? 'request'}: ${err.validation[0]?.message ?? 'is invalid'}`;
      return reply.status(400).send({ error: { code: 'INVALID_REQUEST', message, ...(field ? { field } : {}) } });
    }
    const status = err.statusCode ?? 500;
    if (status === 413) return reply.status(413).send({ error: { code: 'PAYLOAD_TOO_LARGE', message: 'request body is too large' } });
    if (status === 415) return reply.status(415).send({ error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: err.message } });
    if (status >= 400 && status < 500) {
      // Fastify's own 4xx (malformed JSON, empty body…) say what is wrong without internals.
      return reply.status(status).send({ error: { code: 'INVALID_REQUEST', message: err.message, field: 'body' } });
    }
    req.log.error({ err }, 'unhandled error');
    return reply.status(500).send({ error: { code: 'INTERNAL', message: 'internal error' } });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } }),
  );
}
