/**
 * The demo workspace's built-in webhook receiver: a route of Engage itself that verifies each
 * webhook's Standard Webhooks signature and answers 204, so the sample campaign `npm start`
 * creates (workspaces/demo-seed.ts) has a delivered webhook in its log without a receiver of the
 * newcomer's own.
 *
 * Its URL is `PUBLIC_URL/api/demo/webhook-receiver/<workspaceId>/<token>`, the token an HMAC of the
 * workspace id under ENGAGE_SECRET: only Engage can mint it, and only the demo seeding does. The
 * SSRF guard refuses private and loopback addresses — and PUBLIC_URL is usually
 * `http://localhost:3000` — so the delivery code lets exactly this URL through, for exactly the
 * workspace it was minted for (`isDemoReceiverUrl`); every other URL stays guarded as before.
 * (`engage demo` runs its own receiver process and switches the guard off for itself instead.)
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { verifyWebhook, WebhookVerificationError } from '@engage/sdk';
import type { Dispatcher } from 'undici';
import type { Config } from '../config.ts';
import type { AppContext } from '../context.ts';
import { ApiError, notFound } from '../http/errors.ts';
import { workspaceSigningSecrets } from '../workspaces/webhook-secret.ts';
import { createWebhookDispatcher } from './address-guard.ts';

export const DEMO_RECEIVER_PATH = '/api/demo/webhook-receiver';

/** Webhook bodies are a conversation's payload; anything larger is not one of ours. */
const BODY_LIMIT = 1024 * 1024;

function token(secret: string, workspaceId: number): string {
  return createHmac('sha256', secret).update(`engage-demo-webhook-receiver:${workspaceId}`).digest('base64url');
}

/** The built-in receiver's URL for `workspaceId`, under the configured public URL. */
export function demoReceiverUrl(config: Pick<Config, 'publicUrl' | 'secret'>, workspaceId: number): string {
  return new URL(`${config.publicUrl}${DEMO_RECEIVER_PATH}/${workspaceId}/${token(config.secret, workspaceId)}`).href;
}

/** True when `url` is exactly the built-in receiver's URL minted for `workspaceId`. */
export function isDemoReceiverUrl(config: Pick<Config, 'publicUrl' | 'secret'>, workspaceId: number, url: string): boolean {
  if (!url.includes(DEMO_RECEIVER_PATH)) return false;
  try {
    return new URL(url).href === demoReceiverUrl(config, workspaceId);
  } catch {
    return false;
  }
}

let ownDispatcher: Dispatcher | null = null;

/**
 * The dispatcher for a delivery to the built-in receiver: private addresses allowed, since the
 * receiver is this Engage at its PUBLIC_URL. Used only once `isDemoReceiverUrl` matched.
 */
export function demoReceiverDispatcher(): Dispatcher {
  ownDispatcher ??= createWebhookDispatcher({ allowPrivate: true });
  return ownDispatcher;
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * `POST /api/demo/webhook-receiver/:workspaceId/:token`: 404 unless the token is the workspace's
 * (checked before the body is read), 401 unless the body is signed with one of the workspace's
 * current signing secrets (and recent), else 204. Kept out of the OpenAPI document: it is the demo's receiver, not part of the API.
 * Registered in a scope of its own whose only body parser keeps the raw text, since the signature
 * covers the exact bytes sent.
 */
export function demoReceiverRoutes(ctx: AppContext) {
  return async (app: FastifyInstance) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body));
    type Req = { Params: { workspaceId: string; token: string } };
    /** Who may call it: only a holder of the URL Engage minted for an existing workspace. */
    const minted = async (rawId: string, given: string): Promise<boolean> => {
      const workspaceId = /^[1-9][0-9]{0,14}$/.test(rawId) ? Number(rawId) : null;
      if (workspaceId === null || !sameToken(given, token(ctx.config.secret, workspaceId))) return false;
      return (await ctx.db.selectFrom('workspaces').select('id').where('id', '=', workspaceId).executeTakeFirst()) !== undefined;
    };
    app.post<Req>(`${DEMO_RECEIVER_PATH}/:workspaceId/:token`, {
      schema: { hide: true },
      // Refused before the body is read: onRequest runs ahead of the body parser.
      onRequest: async (req) => {
        if (!(await minted(req.params.workspaceId, req.params.token))) throw notFound('webhook receiver');
      },
    }, async (req, reply) => {
      const workspaceId = Number(req.params.workspaceId);
      const secrets = await workspaceSigningSecrets(ctx.db, workspaceId, ctx.now());
      try {
        const event = verifyWebhook(typeof req.body === 'string' ? req.body : '', req.headers, secrets, { now: ctx.now });
        req.log.info({ workspaceId, eventType: event.eventType, leadId: event.data.lead.id }, 'demo webhook receiver: signature verified');
      } catch (err) {
        const reason = err instanceof WebhookVerificationError ? `${err.reason}: ${err.message}` : 'invalid';
        throw new ApiError(401, 'UNAUTHORIZED', `webhook signature not verified (${reason})`);
      }
      return reply.status(204).send();
    });
  };
}
