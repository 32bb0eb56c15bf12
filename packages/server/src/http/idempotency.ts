/**
 * Idempotent POSTs (`Idempotency-Key` header), stored in PostgreSQL (`idempotency_keys`).
 *
 * - A key lives in a scope: the workspace (`ws:<id>`, API-key routes) or the conversation
 *   (`lead:<id>`, conversation-key routes), for 24 hours.
 * - The request's fingerprint is SHA-256 of method, route, canonical JSON of the parsed body, and
 *   any extra material the route adds (the list upload adds its parts and the file's SHA-256).
 * - First use claims the key (INSERT … ON CONFLICT DO NOTHING, state IN_PROGRESS) and runs the
 *   handler. A 2xx response is stored and the key COMPLETED; any other response releases the key
 *   (an error changed nothing, so the request may be sent again).
 * - The same key and fingerprint again: the stored response, with `Idempotent-Replayed: true`.
 *   A different fingerprint: 422 naming `Idempotency-Key`. While the first is still running, a
 *   duplicate waits for it (up to 10 s, then 409 with `Retry-After: 1`).
 * - A process that dies mid-request leaves its key IN_PROGRESS until it expires (409 until then):
 *   the effect may or may not have happened, and repeating it could double it.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { AppContext } from '../context.ts';
import { ApiError, badRequest } from './errors.ts';

export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;
/** How long a duplicate waits for the first request to finish. */
const WAIT_MS = 10_000;
const POLL_MS = 25;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** The header, for route schemas (OpenAPI). */
export const IdempotencyHeadersSchema = Type.Object(
  { 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Makes the request safe to retry for 24 h: the same key and body replay the first response (`Idempotent-Replayed: true`); another body gets 422. See docs/integration.md.' })) },
  { additionalProperties: true },
);

const claims = new WeakMap<FastifyRequest, { scope: string; key: string }>();

/** Stores or releases the claimed key when the response goes out. Call once on the app. */
export function installIdempotency(app: FastifyInstance, ctx: AppContext): void {
  app.addHook('onSend', async (req, reply, payload) => {
    const claim = claims.get(req);
    if (!claim) return payload;
    claims.delete(req);
    const where = ctx.db.updateTable('idempotency_keys').where('scope', '=', claim.scope).where('key', '=', claim.key);
    if (reply.statusCode >= 200 && reply.statusCode < 300 && typeof payload === 'string') {
      await where.set({ state: 'COMPLETED', response_status: reply.statusCode, response_body: payload, completed: ctx.now() }).execute();
    } else {
      await ctx.db.deleteFrom('idempotency_keys').where('scope', '=', claim.scope).where('key', '=', claim.key).where('state', '=', 'IN_PROGRESS').execute();
    }
    return payload;
  });
}

function canonical(value: unknown): string {
  if (value === undefined) return '';
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export function requestFingerprint(req: FastifyRequest, material = ''): Buffer {
  return createHash('sha256')
    .update(`${req.method}\n${req.routeOptions.url ?? req.url.split('?')[0]}\n${canonical(req.body)}\n${material}`)
    .digest();
}

export interface IdempotentOptions {
  /** Extra fingerprint material (e.g. a hash of multipart parts). */
  material?: string;
  /** Called when the handler will not run (replay or key error): e.g. drop an upload. */
  discard?: () => Promise<void>;
}

/**
 * Runs `handler` once per (scope, Idempotency-Key); without the header it just runs it.
 * Returns the handler's result, or the reply already sent with the stored response.
 */
export async function idempotent<T>(
  ctx: AppContext,
  req: FastifyRequest,
  reply: FastifyReply,
  scope: string,
  handler: () => Promise<T>,
  opts: IdempotentOptions = {},
): Promise<T | FastifyReply> {
  const raw = req.headers['idempotency-key'];
  if (raw === undefined) return handler();
  try {
    const key = Array.isArray(raw) ? raw[0] : raw;
    if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
      throw badRequest('Idempotency-Key', 'Idempotency-Key must be 1–255 printable ASCII characters');
    }
    const fingerprint = requestFingerprint(req, opts.material);
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const now = ctx.now();
      const claimed = await ctx.db
        .insertInto('idempotency_keys')
        .values({ scope, key, fingerprint, created: now })
        .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
        .returning('key')
        .executeTakeFirst();
      if (claimed) {
        claims.set(req, { scope, key });
        return await handler();
      }
      const row = await ctx.db.selectFrom('idempotency_keys').selectAll().where('scope', '=', scope).where('key', '=', key).executeTakeFirst();
      if (!row) continue; // released meanwhile: claim it
      if (row.created.getTime() < now.getTime() - IDEMPOTENCY_TTL_MS) {
        await ctx.db.deleteFrom('idempotency_keys').where('scope', '=', scope).where('key', '=', key).where('created', '=', row.created).execute();
        continue;
      }
      if (!row.fingerprint.equals(fingerprint)) {
        throw new ApiError(422, 'UNPROCESSABLE', 'this Idempotency-Key was already used with a different request (method, path or body)', 'Idempotency-Key');
      }
      if (row.state === 'COMPLETED') {
        await opts.discard?.();
        return reply
          .status(row.response_status ?? 200)
          .header('content-type', 'application/json; charset=utf-8')
          .header('idempotent-replayed', 'true')
          .send(row.response_body ?? '');
      }
      if (Date.now() > deadline) {
        reply.header('retry-after', '1');
        throw new ApiError(409, 'CONFLICT', 'a request with this Idempotency-Key is still being processed; retry later', 'Idempotency-Key');
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } catch (err) {
    if (!claims.has(req)) await opts.discard?.();
    throw err;
  }
}

/**
 * Fingerprint material of a multipart upload: its text fields (sorted by name), and the file part's
 * name and SHA-256 — not the raw body, whose boundary changes from one send to the next.
 */
export async function uploadMaterial(fields: Record<string, string>, file: { path: string; name: string | null } | null): Promise<string> {
  let fileHash = '';
  if (file) {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(file.path)) hash.update(chunk as Buffer);
    fileHash = hash.digest('hex');
  }
  return canonical({ fields, file: file ? { name: file.name, sha256: fileHash } : null });
}
