/**
 * The webhook receiver of `npm run bench -- events` (bench/events.ts), in a child process of its
 * own so its event loop is not the coordinator's: one loopback HTTP server that answers every POST
 * with 200, at once or after BENCH_RECEIVER_DELAY_MS, and records per event its `webhook-id`,
 * event type, lead (conversation) id, arrival time (epoch ms, sub-millisecond) and, for
 * ConversationStarted / NewMessage, the text of the conversation's newest inbound message (the
 * benchmark's reply token). The first BODIES_KEPT DeliveryResult bodies and their headers are kept
 * for the baseline, which posts them again to `/baseline` (parsed the same way, counted apart).
 *
 * Talks to its parent over IPC: `{ type: 'stats' }` → counts so far; `{ type: 'dump', dir }` →
 * writes `arrivals.ndjson` and `bodies.ndjson` into `dir`. Exits when the parent goes away.
 */
import { createWriteStream } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface ReceiverOptions {
  delayMs: number;
  /** How many DeliveryResult bodies to keep for the baseline. */
  bodiesKept: number;
}

/** One recorded arrival, as written to arrivals.ndjson. */
export interface Arrival {
  /** `webhook-id` header (`msg_<event id>`). */
  id: string;
  type: string;
  lead: string | null;
  /** Epoch ms (performance.timeOrigin + performance.now()). */
  at: number;
  /** ConversationStarted / NewMessage: the newest inbound message's text. */
  text?: string;
}

/** A kept body for the baseline, as written to bodies.ndjson. */
export interface KeptBody {
  headers: Record<string, string>;
  body: string;
}

export interface ReceiverStats {
  total: number;
  byType: Record<string, number>;
  baseline: number;
  /** Requests that were not a parseable Engage event (should be 0). */
  bad: number;
}

/** What the coordinator asks; each request carries a sequence number its answer repeats. */
export type ReceiverCall = { type: 'stats' } | { type: 'dump'; dir: string };
export type ReceiverRequest = ReceiverCall & { seq: number };
export type ReceiverMessage =
  | { type: 'ready'; url: string }
  | { type: 'stats'; seq: number; stats: ReceiverStats }
  | { type: 'dumped'; seq: number; arrivals: number; bodies: number };

const nowMs = () => performance.timeOrigin + performance.now();

interface Payload {
  eventType?: string;
  data?: { lead?: { id?: string }; messages?: { direction?: string; message?: string }[] };
}

function start(opts: ReceiverOptions): void {
  const arrivals: Arrival[] = [];
  const bodies: KeptBody[] = [];
  const stats: ReceiverStats = { total: 0, byType: {}, baseline: 0, bad: 0 };
  const kept = ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'x-event-type', 'x-event-origin', 'content-type'];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = nowMs();
      const raw = Buffer.concat(chunks).toString('utf8');
      let p: Payload | null = null;
      try {
        p = JSON.parse(raw) as Payload;
      } catch {
        p = null;
      }
      const type = p?.eventType;
      if (req.url === '/baseline') {
        stats.baseline++;
      } else if (req.method !== 'POST' || !type) {
        stats.bad++;
      } else {
        stats.total++;
        stats.byType[type] = (stats.byType[type] ?? 0) + 1;
        const a: Arrival = { id: String(req.headers['webhook-id'] ?? ''), type, lead: p?.data?.lead?.id ?? null, at };
        if (type === 'ConversationStarted' || type === 'NewMessage') {
          const inbound = (p?.data?.messages ?? []).filter((m) => m.direction === 'INBOUND');
          a.text = inbound.at(-1)?.message ?? '';
        }
        arrivals.push(a);
        if (type === 'DeliveryResult' && bodies.length < opts.bodiesKept) {
          const headers: Record<string, string> = {};
          for (const h of kept) if (typeof req.headers[h] === 'string') headers[h] = req.headers[h];
          bodies.push({ headers, body: raw });
        }
      }
      const answer = () => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      if (opts.delayMs > 0) setTimeout(answer, opts.delayMs);
      else answer();
    });
  });
  // Keep connections open well past the senders' idle time: keep-alive is what a real receiver offers.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    process.send!({ type: 'ready', url: `http://127.0.0.1:${port}` } satisfies ReceiverMessage);
  });

  const writeNdjson = (file: string, rows: unknown[]) =>
    new Promise<void>((resolve, reject) => {
      const out = createWriteStream(file);
      out.on('error', reject);
      let i = 0;
      const more = () => {
        while (i < rows.length) {
          if (!out.write(JSON.stringify(rows[i++]) + '\n')) return void out.once('drain', more);
        }
        out.end(resolve);
      };
      more();
    });

  process.on('message', (m: ReceiverRequest) => {
    if (m.type === 'stats') process.send!({ type: 'stats', seq: m.seq, stats } satisfies ReceiverMessage);
    else if (m.type === 'dump') {
      void Promise.all([writeNdjson(path.join(m.dir, 'arrivals.ndjson'), arrivals), writeNdjson(path.join(m.dir, 'bodies.ndjson'), bodies)]).then(
        () => process.send!({ type: 'dumped', seq: m.seq, arrivals: arrivals.length, bodies: bodies.length } satisfies ReceiverMessage),
        (err: unknown) => {
          console.error('[events receiver] dump failed:', err);
          process.exit(1);
        },
      );
    }
  });
  // The coordinator died or is done: nothing to serve any more.
  process.on('disconnect', () => {
    server.closeAllConnections();
    server.close();
    process.exit(0);
  });
}

if (process.send) start(JSON.parse(process.argv[2] ?? '{}') as ReceiverOptions);
