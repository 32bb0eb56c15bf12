/** Retries and typed errors over real HTTP, against a loopback server that misbehaves on purpose. */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeServer, listenOnLoopback, readBody } from '../../server/test/loopback.ts';
import { ConversationClient, NotFoundError, ServerError, UnauthorizedError } from '../src/index.ts';

let url = '';
const hits: { method: string; path: string; body: string; type: string | undefined }[] = [];
/** How many 503s each path answers before succeeding. */
const failuresLeft: Record<string, number> = {};
const server = http.createServer((req, res) => {
  void readBody(req).then((body) => {
    const path = (req.url ?? '/').split('?')[0]!;
    hits.push({ method: req.method!, path, body, type: req.headers['content-type'] });
    if ((failuresLeft[path] ?? 0) > 0) {
      failuresLeft[path]!--;
      res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'INTERNAL', message: 'busy' } }));
    } else if (path.endsWith('/revoked')) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'UNAUTHORIZED', message: 'revoked key' } }));
    } else if (path.endsWith('/down')) {
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'INTERNAL', message: 'internal error' } }));
    } else {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: path, body }));
    }
  });
});

const endpoints = (prefix: string) => ({
  embeddableWidget: `${url}/${prefix}/engage?key=k`,
  conversationEndpoint: `${url}/${prefix}?key=k`,
  sendMessageEndpoint: `${url}/${prefix}/send?key=k`,
  dispositionEndpoint: `${url}/${prefix}/disposition?key=k`,
});

beforeAll(async () => {
  url = await listenOnLoopback(server);
});
afterAll(() => closeServer(server));

describe('ConversationClient over HTTP', () => {
  it('retries 5xx answers and then succeeds', async () => {
    failuresLeft['/a/send'] = 2;
    const c = new ConversationClient(endpoints('a'), { retryDelayMs: 5 });
    const r = (await c.send('héllo & bye')) as unknown as { body: string };
    expect(new URLSearchParams(r.body).get('message')).toBe('héllo & bye');
    const sends = hits.filter((h) => h.path === '/a/send');
    expect(sends).toHaveLength(3);
    expect(sends[0]!.type).toBe('application/x-www-form-urlencoded;charset=UTF-8');
  });

  it('gives up after the configured retries with a ServerError', async () => {
    failuresLeft['/b/disposition'] = 5;
    const c = new ConversationClient(endpoints('b'), { retries: 2, retryDelayMs: 5 });
    const err = await c.dispose('x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect(err).toMatchObject({ status: 503, message: 'busy' });
    expect(hits.filter((h) => h.path === '/b/disposition')).toHaveLength(3);
    const down = new ConversationClient({ ...endpoints('b'), conversationEndpoint: `${url}/down?key=k` }, { retries: 2, retryDelayMs: 5 });
    await expect(down.get()).rejects.toMatchObject({ status: 500, code: 'INTERNAL' });
    expect(hits.filter((h) => h.path === '/down')).toHaveLength(3);
  });

  it('does not retry 4xx, and types them', async () => {
    const c = new ConversationClient({ ...endpoints('c'), conversationEndpoint: `${url}/revoked?key=k` }, { retryDelayMs: 5 });
    const err = await c.get().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect(err).toMatchObject({ status: 401, code: 'UNAUTHORIZED', message: 'revoked key' });
    expect(hits.filter((h) => h.path === '/revoked')).toHaveLength(1);
  });

  it('retries a GET whose connection is refused, then reports a network ServerError', async () => {
    const closed = http.createServer();
    const deadUrl = await listenOnLoopback(closed);
    await closeServer(closed);
    const c = new ConversationClient({ ...endpoints('d'), conversationEndpoint: `${deadUrl}/x?key=k` }, { retries: 1, retryDelayMs: 5 });
    await expect(c.get()).rejects.toMatchObject({ name: 'ServerError', code: 'NETWORK_ERROR' });
    expect(() => new ConversationClient({} as never)).toThrow(TypeError);
    expect(new NotFoundError(404, 'NOT_FOUND', 'x', null, null)).toBeInstanceOf(Error);
  });
});
