/**
 * Webhook delivery against real receivers: retries until success, strict order per conversation
 * while an earlier event is failing, giving up after the schedule, timeouts, and refusal of
 * private addresses at connect time.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receiver, eventually, startTestEngage, type TestEngage } from '../../test/harness.ts';

const ALWAYS = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: 0, end: 1440 }]]));
const RETRIES = 8;

let engage: TestEngage;
let receiver: Receiver;
let phoneCounter = 0;

/** A campaign whose chosen webhooks all go to `url`; returns a function that texts as a new lead. */
async function conversationOn(e: TestEngage, url: string, hooks: string[]) {
  const c = await e.api('POST', '/api/public/engage/campaigns', {
    name: `Deliveries ${url}`, schedule: ALWAYS, messages: { outgoingMessage: 'Hello' },
    webhooks: Object.fromEntries(hooks.map((h) => [h, url])),
  });
  await e.api('POST', `/api/public/engage/campaigns/${c.body.id}/approve`);
  await e.api('POST', `/api/public/engage/campaigns/${c.body.id}/activate`);
  const phone = `+1646555${String(1000 + ++phoneCounter)}`;
  const loaded = await e.api('POST', '/api/public/engage/lead/load', { campaignId: c.body.id, fields: [{ name: 'Phone', value: phone }] });
  const leadId: string = loaded.body.leadId;
  const from = await eventually(async () => (await e.api('GET', `/api/public/engage/leads/${leadId}`)).body.fromNumber ?? undefined);
  return {
    leadId,
    say: async (text: string) => expect((await e.api('POST', '/api/simulator/messages', { from: phone, to: from, text })).status).toBe(201),
  };
}

const deliveriesOf = (e: TestEngage, leadId: string) =>
  e.ctx.db.selectFrom('webhook_deliveries').innerJoin('events', 'events.id', 'webhook_deliveries.event_id')
    .select(['events.event_type', 'webhook_deliveries.status', 'webhook_deliveries.attempts', 'webhook_deliveries.last_status', 'webhook_deliveries.last_error'])
    .where('events.lead_id', '=', leadId).orderBy('webhook_deliveries.id').execute();

beforeAll(async () => {
  receiver = await new Receiver().start();
  engage = await startTestEngage({ env: { ENGAGE_WEBHOOK_RETRY_SCHEDULE_MS: Array(RETRIES).fill('40').join(','), ENGAGE_WEBHOOK_TIMEOUT_MS: '300' } });
});
afterAll(async () => {
  await engage?.close();
  await receiver?.stop();
});

describe('webhook delivery', () => {
  it('retries a failing receiver, and a later event of the conversation waits for the earlier one', async () => {
    let release = false;
    receiver.respond = ({ path }) => (path === '/ordered' && !release ? 503 : 200);
    const conv = await conversationOn(engage, `${receiver.url}/ordered`, ['conversationStarted', 'incomingMessage']);
    await conv.say('first');
    await eventually(() => (receiver.attempts.some((a) => a.path === '/ordered' && a.status === 503) ? true : undefined));
    await conv.say('second');
    await eventually(async () => ((await deliveriesOf(engage, conv.leadId)).length === 2 ? true : undefined));
    release = true;
    await eventually(async () => ((await deliveriesOf(engage, conv.leadId)).every((d) => d.status === 'DELIVERED') ? true : undefined));

    const seen = receiver.attempts.filter((a) => a.path === '/ordered');
    // Every attempt at NewMessage came after ConversationStarted was accepted.
    const firstAccepted = seen.findIndex((a) => a.eventType === 'ConversationStarted' && a.status === 200);
    expect(seen.slice(0, firstAccepted).every((a) => a.eventType === 'ConversationStarted')).toBe(true);
    expect(seen.filter((a) => a.status === 200).map((a) => a.eventType)).toEqual(['ConversationStarted', 'NewMessage']);
    const rows = await deliveriesOf(engage, conv.leadId);
    expect(rows[0]!.attempts).toBeGreaterThan(1);
    expect(rows[1]!.attempts).toBe(1);
  });

  it('gives up after the retry schedule, records why, and lets the next event through', async () => {
    receiver.respond = ({ path, body }) => (path === '/giveup' && body?.eventType === 'ConversationStarted' ? 500 : 200);
    const conv = await conversationOn(engage, `${receiver.url}/giveup`, ['conversationStarted', 'incomingMessage']);
    await conv.say('hello');
    await conv.say('anyone?');
    const rows = await eventually(async () => {
      const r = await deliveriesOf(engage, conv.leadId);
      return r.length === 2 && r.every((d) => d.status !== 'PENDING') ? r : undefined;
    });
    expect(rows.map((r) => [r.event_type, r.status])).toEqual([['ConversationStarted', 'FAILED'], ['NewMessage', 'DELIVERED']]);
    expect(rows[0]).toMatchObject({ attempts: RETRIES + 1, last_status: 500 });
    expect(rows[0]!.last_error).toContain('HTTP 500');
    expect(receiver.attempts.filter((a) => a.path === '/giveup' && a.eventType === 'ConversationStarted')).toHaveLength(RETRIES + 1);
  });

  it('treats a receiver that does not answer in time as a failure', async () => {
    const hanging = http.createServer(() => undefined);
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
    try {
      const conv = await conversationOn(engage, `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/slow`, ['conversationStarted']);
      await conv.say('hello?');
      const row = await eventually(async () => (await deliveriesOf(engage, conv.leadId)).find((d) => (d.attempts ?? 0) >= 1));
      expect(row.last_status).toBeNull();
      expect(row.last_error).toMatch(/timeout/i);
    } finally {
      hanging.closeAllConnections();
      hanging.close();
    }
  });
});

describe('private receivers', () => {
  let guarded: TestEngage;
  beforeAll(async () => {
    guarded = await startTestEngage({ env: { ENGAGE_ALLOW_PRIVATE_WEBHOOKS: 'false', ENGAGE_WEBHOOK_RETRY_SCHEDULE_MS: '40' } });
  });
  afterAll(() => guarded?.close());

  it('are refused when connecting, and nothing reaches them', async () => {
    const conv = await conversationOn(guarded, `${receiver.url}/private`, ['conversationStarted']);
    await conv.say('hi');
    const row = await eventually(async () => (await deliveriesOf(guarded, conv.leadId)).find((d) => d.status === 'FAILED'));
    expect(row.last_error).toMatch(/127\.0\.0\.1/);
    expect(row.last_error).toMatch(/private|blocked/i);
    expect(receiver.attempts.filter((a) => a.path === '/private')).toHaveLength(0);
  });
});
