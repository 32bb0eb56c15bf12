import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receiver, eventually, startTestEngage, type TestEngage } from '../../test/harness.ts';
import { receiveInbound } from './inbound.ts';

let engage: TestEngage;
let receiver: Receiver;
let campaignId: string;
let ourNumbers: string[];

const ALL_DAY = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: 0, end: 1440 }]]));

/** Loads `phone` as a lead of `campaign` (the file's campaign by default) and waits for its broadcast to be delivered. */
async function broadcastTo(phone: string, campaign = campaignId): Promise<{ leadId: string; from: string }> {
  const r = await engage.api('POST', '/api/public/engage/lead/load', { campaignId: campaign, fields: [{ name: 'Phone', value: phone }, { name: 'FirstName', value: 'Kim' }] });
  expect(r.body.status).toBe('Accepted');
  const lead = await eventually(async () => {
    const l = (await engage.api('GET', `/api/public/engage/leads/${r.body.leadId}`)).body;
    return l.status === 'DELIVERED' ? l : undefined;
  }, 10_000, 'broadcast delivered');
  return { leadId: r.body.leadId, from: lead.fromNumber };
}

const inbox = async (phone: string) => (await engage.api('GET', `/api/simulator/messages?phone=${encodeURIComponent(phone)}`)).body.messages as { text: string; direction: string }[];
const text = (from: string, to: string, t: string) => engage.api('POST', '/api/simulator/messages', { from, to, text: t });

beforeAll(async () => {
  receiver = await new Receiver().start();
  engage = await startTestEngage();
  const hook = `${receiver.url}/hook`;
  const c = await engage.api('POST', '/api/public/engage/campaigns', {
    name: 'Inbound',
    schedule: ALL_DAY,
    messages: { outgoingMessage: 'Hi {{FirstName}}, want a quote? Reply YES', helpMessage: 'Help for {{FirstName}}: reply STOP to end.' },
    dispositions: [{ disposition: 'Sold', success: true }, { disposition: 'Never again', doNotContact: true }],
    webhooks: { conversationStarted: hook, incomingMessage: hook, optOut: hook, optIn: hook, disposition: hook },
  });
  campaignId = c.body.id;
  await engage.api('POST', `/api/public/engage/campaigns/${campaignId}/approve`);
  await engage.api('POST', `/api/public/engage/campaigns/${campaignId}/activate`);
  ourNumbers = (await engage.api('GET', '/api/public/engage/sender-sources')).body.senderSources[0].numbers;
});
afterAll(async () => {
  await engage?.close();
  await receiver?.stop();
});

describe('inbound pipeline', () => {
  it('answers HELP with the help message and fires no event', async () => {
    const phone = '+13125550101';
    const { from } = await broadcastTo(phone);
    expect((await text(phone, from, ' help ')).status).toBe(201);
    await eventually(async () => ((await inbox(phone)).some((m) => m.text === 'Help for Kim: reply STOP to end.') ? true : undefined));
    const lead = (await engage.api('GET', `/api/public/engage/leads/${(await engage.ctx.db.selectFrom('leads').select('id').where('phone', '=', phone).executeTakeFirstOrThrow()).id}`)).body;
    expect(lead.conversationStarted).toBe(false);
    expect(receiver.received.filter((r) => r.body.data.lead.phone === phone)).toHaveLength(0);
  });

  it('treats YES from a phone that never opted out as a reply that starts the conversation', async () => {
    const phone = '+13125550102';
    const { from } = await broadcastTo(phone);
    await text(phone, from, 'Yes');
    const events = await eventually(() => {
      const e = receiver.received.filter((r) => r.body.data.lead.phone === phone);
      return e.length ? e : undefined;
    });
    expect(events.map((e) => e.body.eventType)).toEqual(['ConversationStarted']);
  });

  it('ignores a provider message id it has already taken', async () => {
    const phone = '+13125550103';
    const { from, leadId } = await broadcastTo(phone);
    const m = { provider: 'simulator', providerMessageId: 'SMdup-1', from: phone, to: from, text: 'first', receivedAt: new Date() };
    expect((await receiveInbound(engage.ctx, m)).kind).toBe('conversation-started');
    expect((await receiveInbound(engage.ctx, m)).kind).toBe('duplicate');
    const stored = await engage.ctx.db.selectFrom('messages').select('id').where('lead_id', '=', leadId).where('direction', '=', 'INBOUND').execute();
    expect(stored).toHaveLength(1);
  });

  it('a phone texted by two campaigns from the same number answers the one that texted it last', async () => {
    const phone = '+13125550107';
    const first = await broadcastTo(phone);
    const later = await engage.api('POST', '/api/public/engage/campaigns', {
      name: 'Inbound, later',
      schedule: ALL_DAY,
      messages: { outgoingMessage: 'Hi again {{FirstName}}' },
    });
    await engage.api('POST', `/api/public/engage/campaigns/${later.body.id}/approve`);
    await engage.api('POST', `/api/public/engage/campaigns/${later.body.id}/activate`);
    const second = await broadcastTo(phone, later.body.id);
    // Sticky sender: the same pool and phone give the same number in both campaigns.
    expect(second.from).toBe(first.from);

    const reply = await receiveInbound(engage.ctx, { provider: 'simulator', providerMessageId: 'SMtwo-campaigns', from: phone, to: first.from, text: 'which one?', receivedAt: new Date() });
    expect(reply).toMatchObject({ kind: 'conversation-started', leadId: second.leadId });
    // A number the phone was never texted from matches neither.
    const stranger = ourNumbers.find((n) => n !== first.from);
    expect(stranger).toBeDefined();
    expect((await receiveInbound(engage.ctx, { provider: 'simulator', providerMessageId: 'SMtwo-other', from: phone, to: stranger!, text: 'hm', receivedAt: new Date() })).kind).toBe('unmatched');
  });

  it('keeps a message from a phone that is no lead, for operators', async () => {
    const outcome = await receiveInbound(engage.ctx, { provider: 'simulator', providerMessageId: 'SMstranger', from: '+14155550199', to: ourNumbers[0]!, text: 'who is this?', receivedAt: new Date() });
    expect(outcome.kind).toBe('unmatched');
    const row = await engage.ctx.db.selectFrom('messages').selectAll().where('provider_message_id', '=', 'SMstranger').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ lead_id: null, body: 'who is this?', direction: 'INBOUND' });
    expect(row.workspace_id).not.toBeNull();
  });

  it('a repeated STOP is recorded but answered once; the opted-out phone gets no more broadcasts', async () => {
    const phone = '+13125550104';
    const { from } = await broadcastTo(phone);
    await text(phone, from, 'STOP');
    await text(phone, from, 'stop.');
    await eventually(() => (receiver.received.some((r) => r.body.eventType === 'OptOut' && r.body.data.lead.phone === phone) ? true : undefined));
    await eventually(async () => ((await inbox(phone)).some((m) => m.text.startsWith('You are unsubscribed')) ? true : undefined));
    const stored = await engage.ctx.db.selectFrom('messages').select('body').where('sender', '=', phone).orderBy('id').execute();
    expect(stored.map((s) => s.body)).toEqual(['STOP', 'stop.']);
    expect(receiver.received.filter((r) => r.body.eventType === 'OptOut' && r.body.data.lead.phone === phone)).toHaveLength(1);

    // A new lead with the same phone in the same workspace is refused.
    const again = await engage.api('POST', '/api/public/engage/lead/load', { campaignId, fields: [{ name: 'Phone', value: phone }] });
    expect(again.body.reason).toBe('OPTED_OUT');
  });

  it('a do-not-contact disposition suppresses the phone', async () => {
    const phone = '+13125550105';
    const { from, leadId } = await broadcastTo(phone);
    await text(phone, from, 'not interested');
    const started = await eventually(() => receiver.received.find((r) => r.body.eventType === 'ConversationStarted' && r.body.data.lead.id === leadId));
    const r = await fetch(started.body.endpoints.dispositionEndpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ disposition: 'never again' }) });
    expect(r.status).toBe(200);
    const send = await fetch(started.body.endpoints.sendMessageEndpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'one more thing' }) });
    expect(send.status).toBe(409);
    const ws = (await engage.api('GET', '/api/public/engage/workspace')).body.id;
    const s = await engage.ctx.db.selectFrom('suppressions').selectAll().where('workspace_id', '=', ws).where('phone', '=', phone).executeTakeFirstOrThrow();
    expect(s.kind).toBe('DNC');
  });

  it('refuses a blank or oversized agent message with 400, and revoked keys with 401', async () => {
    const phone = '+13125550106';
    const { from, leadId } = await broadcastTo(phone);
    await text(phone, from, 'hello');
    const started = await eventually(() => receiver.received.find((r) => r.body.eventType === 'ConversationStarted' && r.body.data.lead.id === leadId));
    const send = (body: string) => fetch(started.body.endpoints.sendMessageEndpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    const blank = await send('message=+++');
    expect(blank.status).toBe(400);
    expect(((await blank.json()) as any).error.field).toBe('message');
    expect((await send(`message=${'x'.repeat(1601)}`)).status).toBe(400);
    const before = await engage.ctx.db.selectFrom('messages').select('id').where('lead_id', '=', leadId).execute();

    const rotated = await engage.api('POST', `/api/public/engage/leads/${leadId}/conversation-key`);
    expect(rotated.status).toBe(200);
    expect((await send('message=hi')).status).toBe(401);
    const after = await engage.ctx.db.selectFrom('messages').select('id').where('lead_id', '=', leadId).execute();
    expect(after.length).toBe(before.length);
    expect((await fetch(rotated.body.endpoints.conversationEndpoint)).status).toBe(200);
  });
});
