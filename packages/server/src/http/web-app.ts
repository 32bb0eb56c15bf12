/**
 * Serves the built web app (packages/web/dist, see packages/web/build.ts): the operator console
 * at `/`, its hashed assets at `/assets/*` (cached for a year: a new build has new names), and
 * the pages with their security headers. The widget page itself is served by
 * conversations/widget-routes.ts, which checks the conversation key first.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

export const WEB_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../web/dist');

export type WebPage = 'index.html' | 'engage.html';

/** Content-Security-Policy of the console: only our own scripts, styles and API; never framed. */
export const CONSOLE_CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data: blob:",
  "connect-src 'self'", "font-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Content-Security-Policy of the widget; framing allowed for `frameOrigins` (`*` = any) and ourselves. */
export function widgetCsp(frameOrigins: string[]): string {
  const ancestors = frameOrigins.includes('*') ? '*' : ["'self'", ...frameOrigins].join(' ');
  return [
    "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
    "font-src 'self'", "base-uri 'none'", "form-action 'none'", `frame-ancestors ${ancestors}`,
  ].join('; ');
}

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Engage</title></head>
<body><h1>The web app is not built</h1><p>Run <code>npm run build</code> (or <code>npm start</code>, which builds it when needed) in the Engage checkout.</p></body></html>`;

/** Sends one page of the build with no caching (it names the current hashed assets). */
export async function sendWebPage(reply: FastifyReply, page: WebPage, csp: string, status = 200): Promise<FastifyReply> {
  let html: string;
  try {
    html = await readFile(path.join(WEB_DIST, page), 'utf8');
  } catch {
    html = NOT_BUILT;
    status = 503;
  }
  return reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', csp)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-store')
    .send(html);
}

export function webAppRoutes() {
  return async (app: FastifyInstance) => {
    await app.register(fastifyStatic, {
      root: path.join(WEB_DIST, 'assets'),
      prefix: '/assets/',
      decorateReply: false,
      index: false,
      immutable: true,
      maxAge: '365d',
      schemaHide: true,
      setHeaders: (res) => res.header('x-content-type-options', 'nosniff'),
    });
    app.get('/', { schema: { hide: true } }, async (_req, reply) => sendWebPage(reply, 'index.html', CONSOLE_CSP));
  };
}
