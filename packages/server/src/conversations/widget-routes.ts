/**
 * The embeddable agent widget (`/engage?key=`, built from packages/web/src/widget) and what it
 * reads: the conversation's state and a Server-Sent Events stream of it that updates when the
 * lead replies, a message's delivery status changes, a disposition is set or the phone opts out —
 * from whichever Engage process made the change (see live.ts).
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { AppContext } from '../context.ts';
import { ApiError } from '../http/errors.ts';
import { ErrorSchema } from '../http/schemas.ts';
import { sendWebPage, widgetCsp } from '../http/web-app.ts';
import { leadForKey } from './keys.ts';
import type { ConversationHub } from './live.ts';
import { widgetState, WidgetStateSchema } from './widget-state.ts';

const KeyQuery = Type.Object({ key: Type.Optional(Type.String({ maxLength: 200 })) });
const tags = ['Widget'];
const keyAuth = [{ conversationKey: [] }];

/** A comment line every 25 s keeps proxies from closing an idle stream. */
const HEARTBEAT_MS = 25_000;
/** Without LISTEN (no database URL), streams re-read the conversation this often. */
const POLL_MS = 2_000;

export function widgetRoutes(ctx: AppContext, hub: ConversationHub) {
  const streams = new Set<ServerResponse>();

  return async (app: FastifyInstance) => {
    // Open streams would keep the server from closing.
    app.addHook('preClose', async () => {
      for (const res of streams) res.end();
    });

    app.get<{ Querystring: { key?: string } }>('/engage', {
      schema: {
        tags, summary: 'The embeddable agent widget',
        description: 'HTML page for an `<iframe>`: the thread, live updates, a composer with segment count, the disposition picker. 401 (with the same page, which explains) for a wrong or revoked key. Framing is allowed for `ENGAGE_WIDGET_FRAME_ORIGINS` (default any).',
        querystring: KeyQuery,
      },
    }, async (req, reply) => {
      let ok = true;
      try {
        await leadForKey(ctx.db, req.query.key);
      } catch {
        ok = false;
      }
      return sendWebPage(reply, 'engage.html', widgetCsp(ctx.config.widgetFrameOrigins), ok ? 200 : 401);
    });

    app.get<{ Querystring: { key?: string } }>('/api/public/engage/conversation/state', {
      schema: {
        tags, security: keyAuth, summary: "The widget's view of the conversation",
        description: 'The conversation `data` (as `GET /conversation`), each message\'s delivery status (`delivery`, by message id) and the phone\'s suppression (`OPT_OUT` or `DNC`, or null).',
        querystring: KeyQuery, response: { 200: WidgetStateSchema, 401: ErrorSchema },
      },
    }, async (req) => widgetState(ctx, await leadForKey(ctx.db, req.query.key)));

    app.get<{ Querystring: { key?: string } }>('/api/public/engage/conversation/stream', {
      schema: {
        tags, security: keyAuth, summary: 'Live updates of the conversation (Server-Sent Events)',
        description: '`text/event-stream`. Sends `event: state` with the same JSON as `GET /conversation/state` at once and after every change (new message, delivery status, disposition, opt-out/opt-in); `event: revoked` and closes when the key is rotated. 401 JSON (before streaming) for a wrong key.',
        querystring: KeyQuery, response: { 401: ErrorSchema },
      },
    }, async (req, reply) => {
      const key = req.query.key;
      const lead = await leadForKey(ctx.db, key);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
        'x-content-type-options': 'nosniff',
      });
      res.write('retry: 2000\n\n');
      streams.add(res);

      let closed = false;
      let running = false;
      let again = false;
      let lastSent = '';
      // One read at a time; changes during a read cause one more read after it.
      const refresh = async () => {
        if (running) {
          again = true;
          return;
        }
        running = true;
        try {
          do {
            again = false;
            if (closed) return;
            let event: string;
            try {
              // Re-resolving the key each time ends the stream as soon as the key is rotated.
              const state = await widgetState(ctx, await leadForKey(ctx.db, key));
              event = `event: state\ndata: ${JSON.stringify(state)}\n\n`;
            } catch (err) {
              if (err instanceof ApiError && err.statusCode === 401) {
                res.end('event: revoked\ndata: {}\n\n');
                return;
              }
              ctx.log.warn({ err }, 'conversation stream: reading the conversation failed');
              continue;
            }
            if (event !== lastSent && !closed) {
              lastSent = event;
              res.write(event);
            }
          } while (again);
        } finally {
          running = false;
        }
      };

      const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
      const poll = hub.live ? null : setInterval(() => void refresh(), POLL_MS);
      let unwatch: () => void = () => undefined;
      const cleanup = () => {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        if (poll) clearInterval(poll);
        unwatch();
        streams.delete(res);
      };
      res.on('close', cleanup);
      unwatch = await hub.watch({ leadId: lead.id, workspaceId: lead.workspace_id, phone: lead.phone, onChange: () => void refresh() });
      if (closed) unwatch();
      else await refresh();
    });
  };
}
