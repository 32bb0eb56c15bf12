import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { ConfigError, loadConfig } from '../config.ts';
import { runTs } from '../../test/child-process.ts';
import { Receiver, TEST_SECRET, eventually, startTestEngage, type TestEngage } from '../../test/harness.ts';

let engage: TestEngage;
let second: TestEngage;
let receiver: Receiver;
let campaignId: string;

const everyDay = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: 0, end: 1440 }]]));

/** Broadcasts to `phone`, has it reply `reply`, and returns the ConversationStarted endpoints. */
async function startConversation(phone: string, reply: string) {
  const r = await engage.api('POST', '/api/public/engage/lead/load', { campaignId, fields: [{ name: 'Phone', value: phone }, { name: 'FirstName', value: 'Kim' }] });
  expect(r.body.status).toBe('Accepted');
  const lead = await eventually(async () => {
    const l = (await engage.api('GET', `/api/public/engage/leads/${r.body.leadId}`)).body;
    return l.status === 'DELIVERED' ? l : undefined;
  }, 10_000, 'broadcast delivered');
  expect((await engage.api('POST', '/api/simulator/messages', { from: phone, to: lead.fromNumber, text: reply })).status).toBe(201);
  const started = await eventually(() => receiver.received.find((w) => w.body.eventType === 'ConversationStarted' && w.body.data.lead.id === r.body.leadId));
  const key = new URL(started.body.endpoints.embeddableWidget).searchParams.get('key')!;
  return { leadId: r.body.leadId as string, from: lead.fromNumber as string, key, endpoints: started.body.endpoints };
}

async function sql<T>(text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: engage.databaseUrl });
  await c.connect();
  try {
    return (await c.query(text)).rows as T[];
  } finally {
    await c.end();
  }
}

interface SseEvent { event: string; data: any }

/** A real EventSource-style reader over fetch: collects every event of the stream. */
async function openStream(url: string) {
  const ac = new AbortController();
  const res = await fetch(url, { signal: ac.signal });
  const events: SseEvent[] = [];
  let ended = false;
  if (res.ok && res.body) {
    void (async () => {
      const decoder = new TextDecoder();
      let buf = '';
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buf += decoder.decode(chunk, { stream: true });
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event && data !== undefined) events.push({ event, data: JSON.parse(data) });
          }
        }
      } catch {
        /* aborted */
      }
      ended = true;
    })();
  }
  return { res, events, get ended() { return ended; }, close: () => ac.abort() };
}

beforeAll(async () => {
  receiver = await new Receiver().start();
  engage = await startTestEngage();
  // A second API process on the same database: changes it makes must reach streams of the first.
  second = await startTestEngage({ databaseUrl: engage.databaseUrl, worker: false });
  // Tests run at any hour: no TCPA quiet hours in the leads' time zones.
  expect((await engage.api('PATCH', '/api/public/engage/workspace', { quietHoursPolicy: 'NONE' })).status).toBe(200);
  const hook = `${receiver.url}/hook`;
  const c = await engage.api('POST', '/api/public/engage/campaigns', {
    name: 'Widget <b>test</b>',
    schedule: everyDay,
    messages: { outgoingMessage: 'Hi {{FirstName}}, want a quote?', stopMessage: 'You are unsubscribed.' },
    dispositions: [{ disposition: 'Sold', success: true }, { disposition: 'Never again', doNotContact: true }],
    webhooks: { conversationStarted: hook },
  });
  campaignId = c.body.id;
  await engage.api('POST', `/api/public/engage/campaigns/${campaignId}/approve`);
  expect((await engage.api('POST', `/api/public/engage/campaigns/${campaignId}/activate`)).status).toBe(200);
});
afterAll(async () => {
  await second?.close();
  await engage?.close();
  await receiver?.stop();
});

describe('widget page', () => {
  it('serves the built widget with a strict CSP, framing allowed by default, and 401 for a bad key', async () => {
    const { endpoints } = await startConversation('+13125550201', '<img src=x onerror=alert(1)>');
    const page = await fetch(endpoints.embeddableWidget);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toMatch(/(^|; )script-src 'self'(;|$)/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|nonce-/);
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/frame-ancestors \*/);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('cache-control')).toBe('no-store');
    const html = await page.text();
    // The page is the static build; the lead's text only ever arrives as JSON.
    expect(html).not.toContain('onerror');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const asset = /src="(\/assets\/engage-[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeTruthy();
    const js = await fetch(engage.url + asset);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toMatch(/max-age=31536000.*immutable|immutable.*max-age=31536000/);
    expect(js.headers.get('content-type')).toMatch(/javascript/);

    for (const bad of ['/engage?key=wrong', '/engage']) {
      const r = await fetch(engage.url + bad);
      expect(r.status).toBe(401);
      expect(r.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    }
    for (const path of ['state', 'stream']) {
      const r = await fetch(`${engage.url}/api/public/engage/conversation/${path}?key=wrong`);
      expect(r.status).toBe(401);
      expect(((await r.json()) as any).error.code).toBe('UNAUTHORIZED');
    }
    expect((await fetch(`${engage.url}/assets/nope.js`)).status).toBe(404);
  });

  it('serves the console page at / with a CSP that forbids framing', async () => {
    const r = await fetch(engage.url + '/');
    expect(r.status).toBe(200);
    expect(await r.text()).toMatch(/<html/);
    expect(r.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
  });

  it('reads ENGAGE_WIDGET_FRAME_ORIGINS as origins or *, and refuses anything else', () => {
    const env = { ENGAGE_SECRET: TEST_SECRET };
    expect(loadConfig(env).widgetFrameOrigins).toEqual(['*']);
    expect(loadConfig({ ...env, ENGAGE_WIDGET_FRAME_ORIGINS: 'https://crm.example.com, http://127.0.0.1:8080/' }).widgetFrameOrigins).toEqual(['https://crm.example.com', 'http://127.0.0.1:8080']);
    expect(() => loadConfig({ ...env, ENGAGE_WIDGET_FRAME_ORIGINS: "https://ok.example.com 'unsafe-inline'" })).toThrow(ConfigError);
    expect(() => loadConfig({ ...env, ENGAGE_WIDGET_FRAME_ORIGINS: 'javascript:alert(1)' })).toThrow(ConfigError);
  });
});

describe('conversation state and live stream', () => {
  it('gives delivery status per message and the opt-out state', async () => {
    const phone = '+13125550202';
    const { key, leadId, from } = await startConversation(phone, 'Tell me more');
    const q = `?key=${encodeURIComponent(key)}`;
    const sent = await fetch(`${engage.url}/api/public/engage/conversation/send${q}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'message=Sure%2C+here+it+is' });
    expect(sent.status).toBe(200);
    const msg = (await sent.json()) as any;
    const state = await eventually(async () => {
      const s = (await (await fetch(`${engage.url}/api/public/engage/conversation/state${q}`)).json()) as any;
      return s.delivery[msg.id]?.status === 'DELIVERED' ? s : undefined;
    }, 10_000, 'agent reply delivered');
    expect(state.data.lead.id).toBe(leadId);
    expect(state.data.messages.map((m: any) => m.message)).toEqual(['Hi Kim, want a quote?', 'Tell me more', 'Sure, here it is']);
    expect(state.suppression).toBeNull();

    await engage.api('POST', '/api/simulator/messages', { from: phone, to: from, text: 'STOP' });
    const after = await eventually(async () => {
      const s = (await (await fetch(`${engage.url}/api/public/engage/conversation/state${q}`)).json()) as any;
      return s.suppression ? s : undefined;
    });
    expect(after.suppression.kind).toBe('OPT_OUT');
    expect(typeof after.suppression.since).toBe('string');
  });

  it('streams the state at once and again when another process records a reply, a status or a disposition', async () => {
    const phone = '+13125550203';
    const { key, from } = await startConversation(phone, 'Hello?');
    const q = `?key=${encodeURIComponent(key)}`;
    const stream = await openStream(`${engage.url}/api/public/engage/conversation/stream${q}`);
    try {
      expect(stream.res.status).toBe(200);
      expect(stream.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const first = await eventually(() => stream.events.find((e) => e.event === 'state'));
      expect(first.data.data.messages.map((m: any) => m.message)).toEqual(['Hi Kim, want a quote?', 'Hello?']);

      // The reply arrives through the *second* API process: only NOTIFY can tell the first.
      expect((await second.api('POST', '/api/simulator/messages', { from: phone, to: from, text: 'Are you there?' })).status).toBe(201);
      await eventually(() => stream.events.find((e) => e.data.data?.messages.some((m: any) => m.message === 'Are you there?')), 10_000, 'reply streamed');

      // Our answer, sent through the second process, then delivered by the worker.
      const sent = await fetch(`${second.url}/api/public/engage/conversation/send${q}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'Yes!' }) });
      const msg = (await sent.json()) as any;
      await eventually(() => stream.events.find((e) => e.data.delivery?.[msg.id]?.status === 'DELIVERED'), 10_000, 'delivery status streamed');

      await fetch(`${second.url}/api/public/engage/conversation/disposition${q}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'disposition=Sold' });
      await eventually(() => stream.events.find((e) => e.data.data?.lead.disposition === 'Sold'), 10_000, 'disposition streamed');
    } finally {
      stream.close();
    }
  });

  it('keeps streaming after the LISTEN connection is lost', async () => {
    const phone = '+13125550205';
    const { key, from } = await startConversation(phone, 'first');
    const stream = await openStream(`${engage.url}/api/public/engage/conversation/stream?key=${encodeURIComponent(key)}`);
    try {
      await eventually(() => stream.events.find((e) => e.event === 'state'));
      const killed = await sql<{ n: number }>(`SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND query = 'LISTEN engage_conversation'`);
      expect(killed[0]!.n).toBeGreaterThanOrEqual(1);
      await engage.api('POST', '/api/simulator/messages', { from: phone, to: from, text: 'after the outage' });
      await eventually(() => stream.events.find((e) => e.data.data?.messages.some((m: any) => m.message === 'after the outage')), 10_000, 'reply streamed after reconnect');
    } finally {
      stream.close();
    }
  });

  it('tells the stream the key was revoked and ends it', async () => {
    const { key, leadId } = await startConversation('+13125550204', 'hi');
    const stream = await openStream(`${engage.url}/api/public/engage/conversation/stream?key=${encodeURIComponent(key)}`);
    try {
      await eventually(() => stream.events.find((e) => e.event === 'state'));
      expect((await second.api('POST', `/api/public/engage/leads/${leadId}/conversation-key`)).status).toBe(200);
      await eventually(() => stream.events.find((e) => e.event === 'revoked'), 10_000, 'revoked event');
      await eventually(() => (stream.ended ? true : undefined), 5_000, 'stream closed');
      expect(stream.events.filter((e) => e.event === 'state')).toHaveLength(1);
    } finally {
      stream.close();
    }
  });
});

describe('conversation keys and logs', () => {
  it('never writes the key to the logs of a real `engage api` process, even at trace level', async () => {
    const { key } = await startConversation('+13125550206', 'log me not');
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'engage-widget-logs-'));
    const child = runTs('packages/server/bin/engage.js', ['api'], {
      env: { DATABASE_URL: engage.databaseUrl, PORT: String(port), HOST: '127.0.0.1', ENGAGE_SECRET: TEST_SECRET, ENGAGE_DATA_DIR: dataDir, LOG_LEVEL: 'trace' },
    });
    try {
      await child.waitFor(/Engage is running at/, 30_000);
      const base = `http://127.0.0.1:${port}`;
      const q = `?key=${encodeURIComponent(key)}`;
      expect((await fetch(`${base}/engage${q}`)).status).toBe(200);
      expect((await fetch(`${base}/api/public/engage/conversation/state${q}`)).status).toBe(200);
      const stream = await openStream(`${base}/api/public/engage/conversation/stream${q}`);
      await eventually(() => stream.events.find((e) => e.event === 'state'));
      stream.close();
      const form = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } };
      expect((await fetch(`${base}/api/public/engage/conversation/send${q}`, { ...form, body: 'message=noted' })).status).toBe(200);
      expect((await fetch(`${base}/api/public/engage/conversation/disposition${q}`, { ...form, body: 'disposition=Nope' })).status).toBe(422);
      expect((await fetch(`${base}/engage?key=${encodeURIComponent(key)}x`)).status).toBe(401);
      await eventually(() => (child.stdout().includes('"route":"/api/public/engage/conversation/disposition"') ? true : undefined));
    } finally {
      await child.stop('SIGTERM');
      await rm(dataDir, { recursive: true, force: true });
    }
    const logs = child.stdout() + child.stderr();
    // Requests were logged (by route), so the absence of the key means something.
    expect(logs).toContain('"route":"/engage"');
    expect(logs).not.toContain(key);
    expect(logs).not.toContain(encodeURIComponent(key));
  });
});
