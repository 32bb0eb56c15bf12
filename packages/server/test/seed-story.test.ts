/**
 * The seed guide's whole story over HTTP against a real database: campaign → lead → broadcast on
 * the simulated phone → reply → ConversationStarted (checked key by key against the seed's
 * sample) → conversation endpoints → NewMessage → disposition → STOP → START, with every
 * webhook signature verified by the public `standardwebhooks` package.
 */
import { readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receiver, eventually, startTestEngage, type TestEngage } from './harness.ts';

// The guide's payload sample, kept in the repository so a checkout's `npm test` needs nothing beside
// it; .ci/run checks it against shared/fixtures, where the contract's copy lives.
const seed = JSON.parse(readFileSync(new URL('./fixtures/conversation-started.seed.json', import.meta.url), 'utf8'));
const LEAD_PHONE = '+15555551212';

/** JSON type of a value as the contract speaks of it. */
function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

let engage: TestEngage;
let receiver: Receiver;
let campaignId: string;
let fromNumber: string;
let secret: string;

async function phoneInbox(): Promise<{ from: string; to: string; text: string; direction: string }[]> {
  const r = await engage.api('GET', `/api/simulator/messages?phone=${encodeURIComponent(LEAD_PHONE)}`);
  expect(r.status).toBe(200);
  return r.body.messages;
}

async function phoneReceives(text: string) {
  return eventually(async () => ((await phoneInbox()).some((m) => m.direction === 'OUTBOUND' && m.text === text) ? true : undefined), 10_000, `phone to receive "${text}"`);
}

async function reply(text: string) {
  const r = await engage.api('POST', '/api/simulator/messages', { from: LEAD_PHONE, to: fromNumber, text });
  expect(r.status).toBe(201);
}

beforeAll(async () => {
  receiver = await new Receiver().start();
  engage = await startTestEngage();
  secret = (await engage.api('GET', '/api/public/engage/webhook-secret')).body.secret;
});
afterAll(async () => {
  await engage?.close();
  await receiver?.stop();
});

describe('the seed story', () => {
  it('creates, approves and activates a campaign', async () => {
    const hook = `${receiver.url}/engage-events`;
    const created = await engage.api('POST', '/api/public/engage/campaigns', {
      name: 'Test Campaign',
      schedule: Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: 0, end: 1440 }]])),
      messages: {
        outgoingMessage: 'Hi {{FirstName}} - This is just a test message. Please respond to trigger the webhook.',
        responseMessage: 'Thanks {{FirstName}}, an agent will text you shortly.',
      },
      dispositions: [{ disposition: 'OK' }, { disposition: 'Not OK' }],
      webhooks: { deliveryResult: hook, conversationStarted: hook, incomingMessage: hook, disposition: hook, optOut: hook, optIn: hook },
    });
    expect(created.status).toBe(201);
    expect(created.body.campaignStatus).toBe('DRAFT');
    expect(created.body.senderSourceType).toBe('CORE_CAMPAIGN');
    expect(created.body.dispositions.map((d: { id: string }) => d.id)).toEqual([expect.stringMatching(/^[0-9a-f-]{36}$/), expect.stringMatching(/^[0-9a-f-]{36}$/)]);
    campaignId = created.body.id;
    expect(campaignId).toMatch(/^[0-9a-f]{24}$/);

    const early = await engage.api('POST', `/api/public/engage/campaigns/${campaignId}/activate`);
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('INVALID_TRANSITION');
    expect((await engage.api('POST', `/api/public/engage/campaigns/${campaignId}/approve`)).body.campaignStatus).toBe('READY');
    const active = await engage.api('POST', `/api/public/engage/campaigns/${campaignId}/activate`);
    expect(active.body.campaignStatus).toBe('ACTIVE');
    expect(active.body.events.map((e: { toStatus: string | null }) => e.toStatus).filter(Boolean)).toEqual(['DRAFT', 'READY', 'ACTIVE']);
  });

  it('loads the lead and the phone receives the rendered broadcast', async () => {
    const leadData = seed.data.lead.leadData as Record<string, string>;
    const loaded = await engage.api('POST', '/api/public/engage/lead/load', {
      campaignId, listName: 'Seed list', deDupe: true, fields: Object.entries(leadData).map(([name, value]) => ({ name, value })),
    });
    expect(loaded.status).toBe(200);
    expect(loaded.body).toMatchObject({ status: 'Accepted', reason: null });
    await phoneReceives('Hi John - This is just a test message. Please respond to trigger the webhook.');
    const again = await engage.api('POST', '/api/public/engage/lead/load', {
      campaignId, listName: 'Seed list', deDupe: true, fields: [{ name: 'Phone', value: '(555) 555-1212' }],
    });
    expect(again.body).toMatchObject({ status: 'Rejected', reason: 'DUPLICATE', listId: loaded.body.listId });

    const [delivery] = await receiver.waitFor('DeliveryResult');
    expect(delivery!.body.data.lead.status).toBe('DELIVERED');
    fromNumber = delivery!.body.data.lead.fromNumber;
    expect(fromNumber).toMatch(/^\+1\d{10}$/);
  });

  it('a reply fires ConversationStarted whose payload matches the seed key by key', async () => {
    await reply('Hi! I would love to chat with someone about this offer.');
    const [started] = await receiver.waitFor('ConversationStarted');
    const payload = started!.body;

    expect(Object.keys(payload)).toEqual(Object.keys(seed));
    expect(Object.keys(payload.data)).toEqual(Object.keys(seed.data));
    expect(Object.keys(payload.data.campaign)).toEqual(Object.keys(seed.data.campaign));
    expect(Object.keys(payload.data.lead)).toEqual(Object.keys(seed.data.lead));
    expect(Object.keys(payload.endpoints)).toEqual(Object.keys(seed.endpoints));
    for (const [key, sample] of Object.entries(seed.data.lead)) {
      // `created` is documented as a nullable string; the seed's is null, ours is known.
      if (key === 'created') expect(payload.data.lead.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      else expect([key, jsonType(payload.data.lead[key])]).toEqual([key, jsonType(sample)]);
    }
    expect(payload.data.lead.leadData).toEqual(seed.data.lead.leadData);
    expect(payload.data.lead).toMatchObject({
      phone: LEAD_PHONE, zip: '12345', state: 'NY', timeZone: 'America/New_York', status: 'DELIVERED',
      conversationStarted: true, messagingCampaignId: campaignId, orgId: expect.any(Number), workspaceId: expect.any(Number),
    });
    expect(payload.data.campaign).toEqual({ id: campaignId, name: 'Test Campaign', senderSourceType: 'CORE_CAMPAIGN' });
    expect(payload.data.messages.map((m: object) => Object.keys(m))).toEqual(seed.data.messages.map((m: object) => Object.keys(m)));
    expect(payload.data.messages.map((m: { direction: string; sender: string }) => [m.direction, m.sender])).toEqual([['OUTBOUND', fromNumber], ['INBOUND', LEAD_PHONE]]);
    expect(payload.data.dispositions.map((d: object) => Object.keys(d))).toEqual(seed.data.dispositions.map((d: object) => Object.keys(d)));
    expect(payload.data.dispositions.map((d: { disposition: string }) => d.disposition)).toEqual(['OK', 'Not OK']);
    for (const url of Object.values(payload.endpoints) as string[]) expect(url).toMatch(new RegExp(`^${engage.url}/.+\\?key=[A-Za-z0-9_-]{43}$`));
    expect(started!.headers['x-event-type']).toBe('ConversationStarted');
    expect(started!.headers['x-event-origin']).toBe(engage.url);

    await phoneReceives('Thanks John, an agent will text you shortly.');
  });

  it('serves the conversation, sends an agent message and takes a second reply as NewMessage', async () => {
    const endpoints = receiver.ofType('ConversationStarted')[0]!.body.endpoints;
    const conv = await fetch(endpoints.conversationEndpoint);
    expect(conv.status).toBe(200);
    const body = (await conv.json()) as any;
    expect(Object.keys(body)).toEqual(['data', 'endpoints']);
    expect(body.data.messages.length).toBe(3);
    expect(body.endpoints).toEqual(endpoints);

    const sent = await fetch(endpoints.sendMessageEndpoint, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'message=Hello%2C+how+can+we+help+you+today%3F',
    });
    expect(sent.status).toBe(200);
    expect((await sent.json()) as any).toMatchObject({ direction: 'OUTBOUND', sender: fromNumber, message: 'Hello, how can we help you today?' });
    await phoneReceives('Hello, how can we help you today?');

    await reply('Can you call me tomorrow?');
    const [newMessage] = await receiver.waitFor('NewMessage');
    expect(newMessage!.body.data.messages).toHaveLength(1);
    expect(newMessage!.body.data.messages[0]).toMatchObject({ direction: 'INBOUND', sender: LEAD_PHONE, message: 'Can you call me tomorrow?' });

    const bad = await fetch(endpoints.conversationEndpoint.replace(/key=.*/, 'key=not-a-real-key'));
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as any).error.code).toBe('UNAUTHORIZED');
  });

  it('records a disposition, refusing names the campaign does not have', async () => {
    const endpoints = receiver.ofType('ConversationStarted')[0]!.body.endpoints;
    const wrong = await fetch(endpoints.dispositionEndpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'disposition=Maybe' });
    expect(wrong.status).toBe(422);
    expect(((await wrong.json()) as any).error).toMatchObject({ code: 'UNKNOWN_DISPOSITION', field: 'disposition', validDispositions: ['OK', 'Not OK'] });

    const ok = await fetch(endpoints.dispositionEndpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'disposition=OK' });
    expect(ok.status).toBe(200);
    const [event] = await receiver.waitFor('Disposition');
    expect(event!.body.data.lead.disposition).toBe('OK');
    expect(event!.body.data.lead.dispositionTimestamp).toMatch(/Z$/);
  });

  it('STOP opts out (stop message once, sends refused), START opts back in', async () => {
    const endpoints = receiver.ofType('ConversationStarted')[0]!.body.endpoints;
    await reply('STOP');
    const [optOut] = await receiver.waitFor('OptOut');
    expect(optOut!.body.data.messages.at(-1)).toMatchObject({ direction: 'INBOUND', message: 'STOP' });
    await phoneReceives('You are unsubscribed and will receive no more messages. Reply START to resubscribe.');

    const refused = await fetch(endpoints.sendMessageEndpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'message=hello?' });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as any).error.code).toBe('OPTED_OUT');

    await reply('start');
    await receiver.waitFor('OptIn');
    await phoneReceives('You are resubscribed. Reply STOP to unsubscribe.');
    const stopAnswers = (await phoneInbox()).filter((m) => m.text.startsWith('You are unsubscribed'));
    expect(stopAnswers).toHaveLength(1);
  });

  it('delivered every event once, in order, each signed per Standard Webhooks', async () => {
    const order = receiver.received.map((r) => r.body.eventType);
    expect(order).toEqual(['DeliveryResult', 'ConversationStarted', 'NewMessage', 'Disposition', 'OptOut', 'OptIn']);
    const wh = new Webhook(secret);
    const ids = new Set<string>();
    for (const r of receiver.received) {
      const verified = wh.verify(r.raw, {
        'webhook-id': String(r.headers['webhook-id']),
        'webhook-timestamp': String(r.headers['webhook-timestamp']),
        'webhook-signature': String(r.headers['webhook-signature']),
      });
      expect(verified).toEqual(r.body);
      expect(r.headers['x-event-type']).toBe(r.body.eventType);
      ids.add(String(r.headers['webhook-id']));
      expect(() => wh.verify(r.raw.replace('"eventType"', '"eventtype"'), r.headers as Record<string, string>)).toThrow();
    }
    expect(ids.size).toBe(receiver.received.length);
  });
});
