/**
 * Test support (imported by tests only): a local fake of Telnyx's `POST /v2/messages` on 127.0.0.1
 * speaking Telnyx's wire format (JSON, bearer API key, `{ data }` / `{ errors }` answers), which
 * also plays Telnyx's side of the webhooks: JSON events signed with ed25519 over
 * `{telnyx-timestamp}|{body}`, as Telnyx signs them.
 */
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { closeServer, listenOnLoopback, readBody } from '../../../test/loopback.ts';

export const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

/** An account key pair as Telnyx holds it; `publicKey` is the base64 form the portal shows. */
export function telnyxKeyPair(): { publicKey: string; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  return { publicKey: raw.toString('base64'), privateKey };
}

export function telnyxSign(privateKey: KeyObject, timestamp: string, body: string): string {
  return sign(null, Buffer.from(`${timestamp}|${body}`, 'utf8'), privateKey).toString('base64');
}

export interface PostResult {
  status: number;
  text: string;
}

/** Posts an event to Engage as Telnyx does. `timestamp` defaults to now; `signature: null` leaves it out. */
export async function postAsTelnyx(url: string, privateKey: KeyObject, body: string, opts: { timestamp?: string; signature?: string | null } = {}): Promise<PostResult> {
  const timestamp = opts.timestamp ?? String(Math.floor(Date.now() / 1000));
  const signature = opts.signature === undefined ? telnyxSign(privateKey, timestamp, body) : opts.signature;
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'telnyx-webhooks', 'telnyx-timestamp': timestamp };
  if (signature !== null) headers['telnyx-signature-ed25519'] = signature;
  const res = await fetch(url, { method: 'POST', headers, body });
  return { status: res.status, text: await res.text() };
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  raw: string;
  json: Record<string, unknown> | null;
}

/** A delivery event of a sent message: `message.sent` or `message.finalized` with a recipient status. */
export function statusEvent(eventType: 'message.sent' | 'message.finalized', msg: { id: string; from: string; to: string; text: string }, status: string, errors: unknown[] = []): string {
  const event = JSON.parse(fixture(eventType === 'message.sent' ? 'message-sent.json' : 'message-finalized-delivered.json')) as {
    data: { id: string; payload: { id: string; from: { phone_number: string }; to: { phone_number: string; status: string }[]; text: string; errors: unknown[] } };
  };
  event.data.id = randomUUID();
  Object.assign(event.data.payload, { id: msg.id, text: msg.text, errors });
  event.data.payload.from.phone_number = msg.from;
  event.data.payload.to[0]!.phone_number = msg.to;
  event.data.payload.to[0]!.status = status;
  return JSON.stringify(event);
}

export class FakeTelnyx {
  readonly requests: RecordedRequest[] = [];
  /** Answers for the next sends, in order; when empty, a 200 with the message record. */
  readonly script: { status: number; body: string; headers?: Record<string, string>; delayMs?: number }[] = [];
  /** Delivery events played after each accepted send: [event type, recipient status]. */
  events: ['message.sent' | 'message.finalized', string][] = [];
  readonly eventResults: PostResult[] = [];
  private server = http.createServer((req, res) => void this.handle(req, res));
  url = '';

  constructor(private readonly apiKey: string, private readonly privateKey: KeyObject) {}

  async start(): Promise<this> {
    this.url = await listenOnLoopback(this.server);
    return this;
  }

  stop(): Promise<void> {
    return closeServer(this.server);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    let json: Record<string, unknown> | null = null;
    try {
      json = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      json = null;
    }
    this.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, raw, json });
    const answer = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body);
    };
    if (req.method !== 'POST' || req.url !== '/v2/messages') return answer(404, JSON.stringify({ errors: [{ code: '10005', title: 'Resource not found' }] }));
    if (req.headers.authorization !== `Bearer ${this.apiKey}`) return answer(401, fixture('send-error-10009.json'));
    const scripted = this.script.shift();
    if (scripted) {
      if (scripted.delayMs) await new Promise((r) => setTimeout(r, scripted.delayMs));
      if (!res.destroyed) answer(scripted.status, scripted.body, scripted.headers);
      return;
    }
    const record = JSON.parse(fixture('send-response.json')) as { data: Record<string, unknown> & { to: { phone_number: string }[]; from: { phone_number: string } } };
    const id = randomUUID();
    Object.assign(record.data, { id, text: json?.text, webhook_url: json?.webhook_url ?? null, messaging_profile_id: json?.messaging_profile_id ?? null });
    record.data.to[0]!.phone_number = String(json?.to);
    record.data.from.phone_number = String(json?.from);
    answer(200, JSON.stringify(record));
    const hook = typeof json?.webhook_url === 'string' ? json.webhook_url : null;
    if (hook && this.events.length > 0) void this.playEvents(hook, { id, from: String(json?.from), to: String(json?.to), text: String(json?.text) });
  }

  private async playEvents(url: string, msg: { id: string; from: string; to: string; text: string }): Promise<void> {
    for (const [type, status] of this.events) {
      await new Promise((r) => setTimeout(r, 30));
      this.eventResults.push(await postAsTelnyx(url, this.privateKey, statusEvent(type, msg, status)));
    }
  }
}
