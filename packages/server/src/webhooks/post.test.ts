import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createWebhookDispatcher } from './address-guard.ts';
import { parseRetryAfter, postWebhook } from './post.ts';
import { closeServer, listenOnLoopback, readBody } from '../../test/loopback.ts';

interface SeenRequest {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Receiver {
  port: number;
  url: string;
  requests: SeenRequest[];
  connections: () => number;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

/** A real HTTP receiver on loopback that records what reached it, then lets `respond` answer. */
async function startReceiver(respond: (req: IncomingMessage, res: ServerResponse) => void): Promise<Receiver> {
  const requests: SeenRequest[] = [];
  let connections = 0;
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    requests.push({ method: req.method, url: req.url, headers: req.headers, body });
    respond(req, res);
  });
  server.on('connection', () => connections++);
  const port = Number(new URL(await listenOnLoopback(server)).port);
  cleanups.push(() => closeServer(server));
  return { port, url: `http://127.0.0.1:${port}/hook`, requests, connections: () => connections };
}

function dispatcher(allowPrivate: boolean): Dispatcher {
  const d = createWebhookDispatcher({ allowPrivate });
  cleanups.push(() => d.destroy());
  return d;
}

const body = JSON.stringify({ eventType: 'NewMessage', data: {}, endpoints: {} });
const signed = { 'webhook-id': 'msg_1', 'webhook-timestamp': '1741088032', 'webhook-signature': 'v1,abc' };
const allowed = () => ({ dispatcher: dispatcher(true), timeoutMs: 2000, allowPrivate: true });

describe('postWebhook', () => {
  it('POSTs the body with JSON, user-agent and the given headers; 2xx is ok', async () => {
    const receiver = await startReceiver((_req, res) => res.writeHead(202).end('thanks'));
    const attempt = await postWebhook(receiver.url, body, { ...signed, 'X-Event-Type': 'NewMessage' }, allowed());
    expect(attempt).toMatchObject({ ok: true, status: 202, responseExcerpt: 'thanks', error: null, retryAfterMs: null });
    expect(attempt.durationMs).toBeGreaterThanOrEqual(0);
    const [seen] = receiver.requests;
    expect(seen).toMatchObject({ method: 'POST', url: '/hook', body });
    expect(seen?.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'Engage-Webhooks/1.0',
      'x-event-type': 'NewMessage',
      ...signed,
    });
  });

  it('reports a 500 as not ok with its status and body excerpt', async () => {
    const receiver = await startReceiver((_req, res) => res.writeHead(500).end('database is down'));
    const attempt = await postWebhook(receiver.url, body, signed, allowed());
    expect(attempt).toMatchObject({ ok: false, status: 500, responseExcerpt: 'database is down', error: null });
  });

  it('gives up on a receiver that never answers, within the deadline', async () => {
    const receiver = await startReceiver(() => {});
    const started = Date.now();
    const attempt = await postWebhook(receiver.url, body, signed, { ...allowed(), timeoutMs: 300 });
    const elapsed = Date.now() - started;
    expect(attempt).toMatchObject({ ok: false, status: null, error: 'timeout after 300 ms' });
    expect(receiver.requests).toHaveLength(1);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1500);
  });

  it('bounds the body read too, keeping a 2xx that arrived before the stall', async () => {
    const receiver = await startReceiver((_req, res) => {
      res.writeHead(200);
      res.write('partial'); // and never end
    });
    const started = Date.now();
    const attempt = await postWebhook(receiver.url, body, signed, { ...allowed(), timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(attempt).toMatchObject({ ok: true, status: 200, error: 'timeout after 300 ms' });
  });

  it('stops reading an endless body after 64 KB and keeps the first 1 KB', async () => {
    let sent = 0;
    const receiver = await startReceiver((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(16 * 1024, 'x');
      const pump = () => {
        // Keep writing until the socket pushes back; resume on drain, stop once the client leaves.
        let more = true;
        while (more && !res.destroyed) {
          more = res.write(chunk);
          sent += chunk.length;
        }
      };
      res.on('drain', pump);
      pump();
    });
    const attempt = await postWebhook(receiver.url, body, signed, allowed());
    expect(attempt).toMatchObject({ ok: true, status: 200, error: null, responseExcerpt: 'x'.repeat(1024) });
    // The receiver really did stream past the cap; finishing without a timeout means we stopped.
    expect(sent).toBeGreaterThanOrEqual(64 * 1024);
  });

  it('does not cut a multi-byte character at the 1 KB boundary', async () => {
    const text = 'a' + 'é'.repeat(1000); // 'é' is 2 bytes, so byte 1024 falls inside one
    const receiver = await startReceiver((_req, res) => res.end(text));
    const attempt = await postWebhook(receiver.url, body, signed, allowed());
    expect(attempt.responseExcerpt).toBe('a' + 'é'.repeat(511));
  });

  it('reports a closed port as connection refused', async () => {
    const receiver = await startReceiver(() => {});
    await cleanups.pop()?.();
    const attempt = await postWebhook(receiver.url, body, signed, allowed());
    expect(attempt).toMatchObject({ ok: false, status: null, error: 'connection refused' });
  });

  it.each([
    ['127.0.0.1', 'blocked private address 127.0.0.1'],
    ['[::ffff:127.0.0.1]', 'blocked private address ::ffff:7f00:1'],
    ['2130706433', 'blocked private address 127.0.0.1'],
    ['localhost', 'blocked private address 127.0.0.1 (resolved from localhost)'],
  ])('refuses %s when private addresses are not allowed, sending nothing', async (host, error) => {
    const receiver = await startReceiver((_req, res) => res.end('should not happen'));
    const url = `http://${host}:${receiver.port}/hook`;
    const attempt = await postWebhook(url, body, signed, { dispatcher: dispatcher(false), timeoutMs: 2000, allowPrivate: false });
    expect(attempt).toMatchObject({ ok: false, status: null, error });
    expect(receiver.connections()).toBe(0);
    expect(receiver.requests).toHaveLength(0);
  });

  it('refuses an IP literal even when handed a permissive dispatcher', async () => {
    const receiver = await startReceiver((_req, res) => res.end('should not happen'));
    const attempt = await postWebhook(receiver.url, body, signed, { ...allowed(), allowPrivate: false });
    expect(attempt.error).toBe('blocked private address 127.0.0.1');
    expect(receiver.connections()).toBe(0);
  });

  it('reaches a private address when allowed', async () => {
    const receiver = await startReceiver((_req, res) => res.end('ok'));
    const attempt = await postWebhook(`http://localhost:${receiver.port}/hook`, body, signed, allowed());
    expect(attempt).toMatchObject({ ok: true, status: 200, responseExcerpt: 'ok' });
    expect(receiver.requests).toHaveLength(1);
  });

  it('does not follow a redirect', async () => {
    const target = await startReceiver((_req, res) => res.end('redirected'));
    const receiver = await startReceiver((_req, res) => res.writeHead(302, { location: target.url }).end());
    const attempt = await postWebhook(receiver.url, body, signed, allowed());
    expect(attempt).toMatchObject({ ok: false, status: 302, error: `redirect not followed (to ${target.url})` });
    expect(target.requests).toHaveLength(0);
  });

  it.each([
    [429, { 'retry-after': '120' }, 120_000],
    [503, { 'retry-after': '0' }, 0],
    [429, { 'retry-after': 'soon' }, null],
    [429, {}, null],
    [500, { 'retry-after': '120' }, null],
  ])('status %i with %j gives retryAfterMs %s', async (status, headers, expected) => {
    const receiver = await startReceiver((_req, res) => res.writeHead(status, headers).end());
    const attempt = await postWebhook(receiver.url, body, signed, allowed());
    expect(attempt).toMatchObject({ ok: false, status, retryAfterMs: expected });
  });

  it('parses an HTTP-date Retry-After relative to now', async () => {
    const at = new Date(Date.now() + 60_000).toUTCString();
    const receiver = await startReceiver((_req, res) => res.writeHead(503, { 'retry-after': at }).end());
    const attempt = await postWebhook(receiver.url, body, signed, allowed());
    // The date has whole-second precision, so up to a second is lost.
    expect(attempt.retryAfterMs).toBeGreaterThan(58_000);
    expect(attempt.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it.each(['not a url', 'ftp://example.com/hook'])('reports %s as an error instead of throwing', async (url) => {
    const attempt = await postWebhook(url, body, signed, allowed());
    expect(attempt.ok).toBe(false);
    expect(attempt.error).toMatch(/invalid url|unsupported protocol ftp:/);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-03-04T11:33:52.000Z');
  it.each([
    ['30', 30_000],
    [' 30 ', 30_000],
    [['7', '9'], 7_000],
    ['Tue, 04 Mar 2025 11:34:52 GMT', 60_000],
    ['Tue, 04 Mar 2025 11:00:00 GMT', 0], // in the past: retry now
    ['-5', null],
    ['1.5', null],
    ['2030', 2_030_000], // digits are always seconds, never a year
    ['yesterday', null],
    ['', null],
    [undefined, null],
  ] as const)('%j → %s', (value, expected) => {
    expect(parseRetryAfter(typeof value === 'object' ? [...value] : value, now)).toBe(expected);
  });
});
