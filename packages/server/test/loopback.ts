/**
 * Real HTTP servers for tests (webhook receivers, provider fakes): listen on a free loopback
 * port, read a request body, and close without waiting for keep-alive connections.
 */
import { once } from 'node:events';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on 127.0.0.1, a free port; returns the base URL (`http://127.0.0.1:PORT`). */
export async function listenOnLoopback(server: http.Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Drops open connections and waits until the server is closed. */
export async function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** The whole request body as UTF-8 text. */
export async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
