/**
 * The providers capability's HTTP routes: the credentials API, and the real providers' webhooks.
 *
 * Webhooks are verified over the exact bytes the provider sent (Telnyx signs the raw body; Twilio's
 * `bodySHA256` variant hashes it), so they live in their own encapsulated scope whose only body
 * parser keeps the raw text; the app's JSON and form parsers do not apply there.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.ts';
import { credentialRoutes } from './credential-routes.ts';
import { telnyxWebhookRoutes } from './telnyx/routes.ts';
import { twilioWebhookRoutes } from './twilio/routes.ts';

/** Provider webhooks are small; a larger body is refused (413) before any work. */
export const WEBHOOK_BODY_LIMIT = 256 * 1024;

export function providerRoutes(ctx: AppContext) {
  return async (app: FastifyInstance) => {
    await app.register(credentialRoutes(ctx));
    await app.register(async (webhooks) => {
      webhooks.removeAllContentTypeParsers();
      webhooks.addContentTypeParser('*', { parseAs: 'string', bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) => done(null, body));
      await webhooks.register(twilioWebhookRoutes(ctx));
      await webhooks.register(telnyxWebhookRoutes(ctx));
    });
  };
}
