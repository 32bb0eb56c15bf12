import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { campaignRoutes } from '../campaigns/routes.ts';
import type { AppContext } from '../context.ts';
import { conversationRoutes } from '../conversations/routes.ts';
import { listImportRoutes } from '../leads/import/routes.ts';
import { leadRoutes } from '../leads/routes.ts';
import { providerRoutes } from '../providers/routes.ts';
import { simulatorRoutes } from '../providers/simulator/routes.ts';
import { workspaceRoutes } from '../workspaces/routes.ts';
import { installErrorHandler } from './errors.ts';
import { validatorCompiler } from './validation.ts';

/** Assembles the HTTP API from the capabilities' route plugins. */
export async function buildApp(ctx: AppContext): Promise<FastifyInstance> {
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
  await app.register(formbody, { bodyLimit: 64 * 1024 });
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
        },
      },
    },
  });
  app.addHook('onResponse', async (req, reply) => {
    req.log.info({ method: req.method, route: req.routeOptions.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });
  app.get('/health', { schema: { hide: true } }, async () => ({ ok: true }));
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(workspaceRoutes(ctx));
  await app.register(campaignRoutes(ctx));
  await app.register(leadRoutes(ctx));
  await app.register(listImportRoutes(ctx));
  await app.register(conversationRoutes(ctx));
  await app.register(simulatorRoutes(ctx));
  await app.register(providerRoutes(ctx));
  return app;
}
