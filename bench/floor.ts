/**
 * The framework floor: bare Fastify 5 routes on their own port — no validation, no
 * authentication, no database.
 *
 * - `POST /api/public/engage/lead/load` parses the same JSON body as Engage's and answers 200
 *   with a reply of the same shape.
 * - `GET /api/public/engage/conversation?key=` answers a fixed object (set with
 *   `setConversation`: Engage's answer for the same key), so the same bytes are serialised.
 */
import Fastify from 'fastify';

export interface FloorServer {
  url: string;
  setConversation(body: unknown): void;
  close(): Promise<void>;
}

export async function startFloor(): Promise<FloorServer> {
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  let n = 0;
  app.post('/api/public/engage/lead/load', async (req) => {
    const body = req.body as { campaignId?: unknown; fields?: unknown };
    if (typeof body?.campaignId !== 'string' || !Array.isArray(body.fields)) throw new Error('unexpected body');
    n++;
    return { status: 'Accepted', reason: null, message: 'lead accepted', leadId: String(n).padStart(24, '0'), listId: null };
  });
  let conversation: unknown = null;
  app.get('/api/public/engage/conversation', async (req, reply) => {
    const { key } = req.query as { key?: string };
    if (!key || conversation === null) return reply.status(401).send({ error: 'no key' });
    return conversation;
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  if (typeof addr !== 'object' || !addr) throw new Error('floor server has no address');
  return {
    url: `http://127.0.0.1:${addr.port}`,
    setConversation: (body) => {
      conversation = body;
    },
    close: () => app.close(),
  };
}
