import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { authRoutes } from '../auth/routes.ts';
import { automationRoutes } from '../automations/routes.ts';
import { campaignRoutes } from '../campaigns/routes.ts';
import { senderSourceRoutes } from '../campaigns/sender-sources.routes.ts';
import type { AppContext } from '../context.ts';
import { consoleRoutes } from '../console/routes.ts';
import { conversationRoutes } from '../conversations/routes.ts';
import { eventRoutes } from '../events/routes.ts';
import { consentRoutes } from '../leads/consent-routes.ts';
import { ConversationHub } from '../conversations/live.ts';
import { widgetRoutes } from '../conversations/widget-routes.ts';
import { listImportRoutes } from '../leads/import/routes.ts';
import { leadRoutes } from '../leads/routes.ts';
import { providerRoutes } from '../providers/routes.ts';
import { simulatorRoutes } from '../providers/simulator/routes.ts';
import { workspaceRoutes } from '../workspaces/routes.ts';
import { demoReceiverRoutes } from '../webhooks/demo-receiver.ts';
import { webhookSecretRoutes } from '../workspaces/webhook-secret-routes.ts';
import { installErrorHandler } from './errors.ts';
import { finishOpenapi } from './openapi/document.ts';
import { openapiDocsRoutes } from './openapi/routes.ts';
import { installIdempotency } from './idempotency.ts';
import { validatorCompiler } from './validation.ts';
import { webAppRoutes } from './web-app.ts';

/**
 * Assembles the HTTP API from the capabilities' route plugins. `databaseUrl` lets the widget's
 * live stream LISTEN for changes; without it, streams poll.
 */
export async function buildApp(ctx: AppContext, opts: { databaseUrl?: string } = {}): Promise<FastifyInstance> {
  // Typed as a plain FastifyInstance: pino's Logger is a FastifyBaseLogger with extras.
  const app = Fastify({
    loggerInstance: ctx.log,
    bodyLimit: 1024 * 1024,
    // Fastify's request logs carry the URL, and query strings like ?key= must never reach logs;
    // the onResponse hook below logs the route pattern instead.
    logController: new LogController({ disableRequestLogging: true }),
  }) as unknown as FastifyInstance;
  app.setValidatorCompiler(validatorCompiler());
  installErrorHandler(app);
  installIdempotency(app, ctx);
  await app.register(formbody, { bodyLimit: 64 * 1024 });
  // Console sessions (auth/sessions.ts) ride in a cookie.
  await app.register(cookie);
  // The OpenAPI document is generated from the same route schemas that validate requests.
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Engage API', version: '0.1.0', description: 'Broadcast and two-way SMS conversations. See docs/integration.md.' },
      servers: [{ url: ctx.config.publicUrl }],
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-KEY', description: 'A workspace API key.' },
          conversationKey: { type: 'apiKey', in: 'query', name: 'key', description: 'A per-conversation key from a webhook payload.' },
          consoleSession: { type: 'apiKey', in: 'cookie', name: 'engage_session', description: 'The console\'s login cookie (`__Host-engage_session` over https); requests other than GET also need `X-CSRF-Token`. See docs/console.md.' },
        },
      },
    },
    // Examples, documentation-only schemas and the `webhooks` section (http/openapi/).
    transformObject: (doc) => ('openapiObject' in doc ? finishOpenapi(doc.openapiObject as Record<string, unknown>) : doc.swaggerObject) as never,
  });
  app.addHook('onResponse', async (req, reply) => {
    req.log.info({ method: req.method, route: req.routeOptions.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });
  app.get('/health', { schema: { hide: true } }, async () => ({ ok: true }));
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(openapiDocsRoutes());
  await app.register(workspaceRoutes(ctx));
  await app.register(webhookSecretRoutes(ctx));
  await app.register(eventRoutes(ctx));
  await app.register(consentRoutes(ctx));
  await app.register(campaignRoutes(ctx));
  await app.register(senderSourceRoutes(ctx));
  await app.register(automationRoutes(ctx));
  await app.register(leadRoutes(ctx));
  await app.register(listImportRoutes(ctx));
  await app.register(conversationRoutes(ctx));
  const hub = new ConversationHub(opts.databaseUrl ?? null, ctx.log);
  app.addHook('onClose', () => hub.close());
  await app.register(widgetRoutes(ctx, hub));
  await app.register(webAppRoutes());
  await app.register(simulatorRoutes(ctx));
  await app.register(providerRoutes(ctx));
  await app.register(authRoutes(ctx));
  await app.register(consoleRoutes(ctx));
  await app.register(demoReceiverRoutes(ctx));
  return app;
}
