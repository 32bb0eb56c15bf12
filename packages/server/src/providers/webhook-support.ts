/**
 * What every provider webhook route shares: finding the credential named in the URL, refusing a
 * request (logged, nothing stored), the URL the provider called, and whether a number may receive
 * messages through a credential.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import { loadCredential, webhookUrls, type ProviderCredential, type ProviderKind } from './credentials.ts';

export interface WebhookRefusal {
  status: 400 | 403 | 404 | 415 | 422;
  code: string;
  message: string;
  /** Why, for the log only (never the body, headers or secrets). */
  reason: string;
}

/** Answers a refused provider webhook with the one error shape and logs it. */
export function refuse(ctx: AppContext, req: FastifyRequest, reply: FastifyReply, kind: ProviderKind, credentialId: string, r: WebhookRefusal) {
  ctx.log.warn({ provider: kind, credentialId, route: req.routeOptions.url, status: r.status, reason: r.reason }, 'provider webhook refused');
  return reply.status(r.status).type('application/json').send({ error: { code: r.code, message: r.message } });
}

export const invalidSignature = (reason: string): WebhookRefusal => ({
  status: 403, code: 'INVALID_SIGNATURE', message: 'the request signature is missing or does not match', reason,
});

/** The credential a webhook URL names, of the route's provider; null → 404. */
export async function webhookCredential(ctx: AppContext, kind: ProviderKind, credentialId: string): Promise<ProviderCredential | null> {
  return loadCredential(ctx, credentialId, kind);
}

/**
 * The URL the provider called: PUBLIC_URL and the webhook path we gave the operator, plus the query
 * string the request arrived with. Not the Host header: behind a proxy that differs, and a signature
 * covers the public URL.
 */
export function calledUrl(ctx: AppContext, req: FastifyRequest, kind: ProviderKind, credentialId: string, name: string): string {
  const base = webhookUrls(ctx.config.publicUrl, kind, credentialId)[name]!;
  const q = req.url.indexOf('?');
  return q === -1 ? base : base + req.url.slice(q);
}

/**
 * Whether an inbound message to `to` may enter Engage through a credential of `workspaceId`: the
 * number is one of that workspace's, or no workspace's (then it is kept for operators unmatched).
 * A number of another workspace is refused: a workspace's own provider account must not be able to
 * put messages into another workspace.
 */
export async function numberAcceptsInbound(ctx: AppContext, workspaceId: number, to: string): Promise<boolean> {
  const n = await ctx.db.selectFrom('sender_numbers').select('workspace_id').where('phone', '=', to).executeTakeFirst();
  return !n || n.workspace_id === workspaceId;
}

/** The raw body our webhook scope keeps (see routes.ts); '' when none came. */
export function rawBody(req: FastifyRequest): string {
  return typeof req.body === 'string' ? req.body : '';
}

/** The request's media type without parameters, lower-cased. */
export function mediaType(req: FastifyRequest): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Longest media URL kept, characters. */
const MEDIA_URL_MAX = 2048;

/**
 * The media of an inbound MMS that Engage keeps: http(s) URLs of sane length, with a content type
 * when it looks like one. Anything else (a `javascript:` URL, a huge string) is dropped: these
 * come from the network and are shown to agents.
 */
export function keptMedia(media: readonly { url: string; contentType: string | null }[]): { url: string; contentType: string | null }[] {
  return media
    .filter((m) => m.url.length <= MEDIA_URL_MAX && /^https?:\/\//i.test(m.url) && URL.canParse(m.url))
    .map((m) => ({ url: m.url, contentType: m.contentType && /^[\w.+-]+\/[\w.+-]+$/.test(m.contentType) && m.contentType.length <= 127 ? m.contentType.toLowerCase() : null }));
}
