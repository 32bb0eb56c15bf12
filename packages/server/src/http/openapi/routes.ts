import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { docsPage } from './docs-page.ts';

/** `/docs`: the API reference, rendered in the browser from /api/openapi.json; no CDN, works offline. */
export function openapiDocsRoutes() {
  return async (app: FastifyInstance) => {
    app.get('/docs', { schema: { hide: true } }, async (_req, reply) => {
      const nonce = randomBytes(16).toString('base64');
      return reply
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-security-policy', `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'`)
        .header('referrer-policy', 'no-referrer')
        .send(docsPage(nonce));
    });
  };
}
