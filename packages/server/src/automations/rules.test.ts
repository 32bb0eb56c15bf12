/**
 * Message rules on a real Engage: every condition and action kind, through the real inbound
 * pipeline, the simulator carrier and a real webhook receiver.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { Receiver, eventually, startTestEngage, type TestEngage } from '../../test/harness.ts';
import { receiveInbound } from '../conversations/inbound.ts';
import { runMessageRules } from './engine.ts';

let engage: TestEngage;
let receiver: Receiver;
let campaignId: string;
let seq = 0;
const ALL_DAY = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: 0, end: 1440 }]]));

const RULES = [
  { name: 'first reply', when: { type: 'FIRST_REPLY' }, then: [{ type: 'TAG', tag: 'replied' }] },
  { name: 'wrong number', when: { type: 'ANY_WORD', words: ['wrong number', 'wrong #', 'who is this'] }, then: [{ type: 'SET_DISPOSITION', disposition: 'wrong number' }, { type: 'STOP' }] },
  { name: 'yes', when: { type: 'EXACT', words: ['yes', 'y', 'yeah'] }, then: [{ type: 'REPLY', message: 'Great {{FirstName}}! You are booked for {{Slot}}.' }, { type: 'SET_DISPOSITION', disposition: 'Booked' }, { type: 'TAG', tag: 'booked' }, { type: 'STOP' }] },
  { name: 'no', when: { type: 'EXACT', words: ['no', 'n'] }, then: [{ type: 'REPLY', message: 'No problem, {{FirstName}}.' }, { type: 'SET_DISPOSITION', disposition: 'Not interested' }, { type: 'STOP' }] },
  { name: 'proposes a time', when: { type: 'REGEX', pattern: '\\b(1[0-2]|[1-9])\\s*(am|pm)\\b', flags: 'i' }, then: [{ type: 'TAG', tag: 'proposed-time' }, { type: 'HANDOFF' }] },
  { name: 'agent please', when: { type: 'PHRASE', phrase: 'speak to someone' }, then: [{ type: 'HANDOFF' }] },
  { name: 'rating', when: { type: 'NUMBER_RANGE', min: 1, max: 10 }, then: [{ type: 'TAG', tag: 'rated' }, { type: 'REPLY', message: 'Thanks for the rating!' }] },
];

async function broadcastTo(phone: string, data: Record<string, string> = {}): Promise<{ leadId: string; from: string }> {
  const fields = [{ name: 'Phone', value: phone }, { name: 'FirstName', value: 'Kim' }, { name: 'Zip', value: '10001' }, ...Object.entries(data).map(([name, value]) => ({ name, value }))];
  const r = await engage.api('POST', '/api/public/engage/lead/load', { campaignId, fields });
  expect(r.body.status).toBe('Accepted');
  const lead = await eventually(async () => {
    const l = (await engage.api('GET', `/api/public/engage/leads/${r.body.leadId}`)).body;
    return l.status === 'DELIVERED' ? l : undefined;
  }, 10_000, 'broadcast delivered');
  return { leadId: r.body.leadId, from: lead.fromNumber };
}
const inbound = (phone: string, to: string, text: string, id = `SMrule-${++seq}`) =>
  receiveInbound(engage.ctx, { provider: 'simulator', providerMessageId: id, from: phone, to, text, receivedAt: engage.ctx.now() });
const automation = async (leadId: string) => (await engage.api('GET', `/api/public/engage/leads/${leadId}/automation`)).body;
const outbound = (leadId: string, kind = 'AUTOMATION') => engage.ctx.db.selectFrom('messages').selectAll().where('lead_id', '=', leadId).where('kind', '=', kind).orderBy('id').execute();
const inbox = async (phone: string) => (await engage.api('GET', `/api/simulator/messages?phone=${encodeURIComponent(phone)}`)).body.messages as { text: string }[];

beforeAll(async () => {
  receiver = await new Receiver().start();
  engage = await startTestEngage();
  // Rule replies follow quiet hours; these tests run at any hour, so the policy is off until the last test.
  expect((await engage.api('PATCH', '/api/public/engage/workspace', { quietHoursPolicy: 'NONE' })).status).toBe(200);
  const hook = `${receiver.url}/hook`;
  const c = await engage.api('POST', '/api/public/engage/campaigns', {
    name: 'Appointments', schedule: ALL_DAY,
    messages: { outgoingMessage: 'Hi {{FirstName}}, can we book you for {{Slot}}? Reply YES or NO' },
    dispositions: [{ disposition: 'Booked', success: true }, { disposition: 'Not interested' }, { disposition: 'Wrong number', doNotContact: true }],
    webhooks: { conversationStarted: hook, incomingMessage: hook, disposition: hook },
    automations: RULES,
  });
  expect(c.status).toBe(201);
  campaignId = c.body.id;
  expect(c.body.automations).toHaveLength(RULES.length);
  expect(c.body.automations[1].then[0].disposition).toBe('Wrong number'); // normalised to the campaign's spelling
  await engage.api('POST', `/api/public/engage/campaigns/${campaignId}/approve`);
  await engage.api('POST', `/api/public/engage/campaigns/${campaignId}/activate`);
});
afterAll(async () => {
  await engage?.close();
  await receiver?.stop();
});

describe('message rules', () => {
  it('EXACT "yes" replies with lead data, sets the disposition like an agent, tags, and stops', async () => {
    const phone = '+12125550401';
    const { leadId, from } = await broadcastTo(phone, { Slot: 'Tuesday 3pm' });
    expect((await inbound(phone, from, 'Yeah!')).kind).toBe('conversation-started');
    await eventually(async () => ((await inbox(phone)).some((m) => m.text === 'Great Kim! You are booked for Tuesday 3pm.') ? true : undefined));
    const events = await eventually(() => {
      const e = receiver.received.filter((r) => r.body.data.lead.id === leadId);
      return e.length >= 2 ? e : undefined;
    });
    expect(events.map((e) => e.body.eventType)).toEqual(['ConversationStarted', 'Disposition']);
    expect(events[1]!.body.data.lead).toMatchObject({ disposition: 'Booked' });
    expect(events[1]!.body.data.lead.dispositionTimestamp).toEqual(expect.any(String));
    const state = await automation(leadId);
    expect(state.tags).toEqual(['replied', 'booked']);
    const ids = (await engage.api('GET', `/api/public/engage/campaigns/${campaignId}`)).body.automations.map((r: { id: string }) => r.id);
    expect(state.firings.map((f: { ruleId: string }) => RULES[ids.indexOf(f.ruleId)]!.name).sort()).toEqual(['first reply', 'yes']);
    expect(state.firings.find((f: { ruleId: string }) => f.ruleId === ids[2]).actions.map((a: { type: string }) => a.type)).toEqual(['REPLY', 'SET_DISPOSITION', 'TAG', 'STOP']);
  });

  it('a redelivered message or a second evaluation never fires a rule twice', async () => {
    const phone = '+12125550402';
    const { leadId, from } = await broadcastTo(phone);
    expect((await inbound(phone, from, 'no', 'SMredeliver')).kind).toBe('conversation-started');
    expect((await inbound(phone, from, 'no', 'SMredeliver')).kind).toBe('duplicate');
    const msg = await engage.ctx.db.selectFrom('messages').select(['id', 'body']).where('provider_message_id', '=', 'SMredeliver').executeTakeFirstOrThrow();
    // Even the engine itself, run again on the same message, finds every rule already fired.
    const again = await engage.ctx.db.transaction().execute(async (trx) => {
      const lead = await trx.selectFrom('leads').selectAll().where('id', '=', leadId).executeTakeFirstOrThrow();
      const campaign = await trx.selectFrom('campaigns').selectAll().where('id', '=', lead.campaign_id).executeTakeFirstOrThrow();
      return runMessageRules(engage.ctx, trx, lead, campaign, { messageId: msg.id, text: msg.body, firstReply: true });
    });
    expect(again).toEqual([]);
    expect((await outbound(leadId)).map((m) => m.body)).toEqual(['No problem, Kim.']);
    const firings = await engage.ctx.db.selectFrom('automation_firings').select('rule_id').where('lead_id', '=', leadId).execute();
    expect(firings).toHaveLength(2); // first reply + "no"
    await eventually(() => receiver.ofType('Disposition').find((r) => r.body.data.lead.id === leadId));
    expect(receiver.ofType('Disposition').filter((r) => r.body.data.lead.id === leadId)).toHaveLength(1);
  });

  it('ANY_WORD "wrong number" sets a do-not-contact disposition and STOP skips later rules', async () => {
    const phone = '+12125550403';
    const { leadId, from } = await broadcastTo(phone);
    await inbound(phone, from, 'Wrong number, who is this? I rate you 1');
    const d = await eventually(() => receiver.ofType('Disposition').find((r) => r.body.data.lead.id === leadId));
    expect(d.body.data.lead.disposition).toBe('Wrong number');
    const s = await engage.ctx.db.selectFrom('suppressions').select('kind').where('phone', '=', phone).execute();
    expect(s.map((r) => r.kind)).toContain('DNC');
    expect((await automation(leadId)).tags).toEqual(['replied']); // "rating" never ran
    expect(await outbound(leadId)).toEqual([]);
  });

  it('REGEX and PHRASE hand the conversation to agents; automations then leave it alone until an agent answers', async () => {
    const phone = '+12125550404';
    const { leadId, from } = await broadcastTo(phone);
    await inbound(phone, from, 'Could you do 10 am instead?');
    let state = await automation(leadId);
    expect(state).toMatchObject({ tags: ['replied', 'proposed-time'], handedOff: true, needsReply: true });
    // Handed off: a "yes" now reaches the agents, not the rules.
    expect((await inbound(phone, from, 'yes')).kind).toBe('new-message');
    expect(await outbound(leadId)).toEqual([]);
    const started = await eventually(() => receiver.ofType('ConversationStarted').find((r) => r.body.data.lead.id === leadId));
    const send = await fetch(started.body.endpoints.sendMessageEndpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: '10am works' }) });
    expect(send.status).toBe(200);
    state = await automation(leadId);
    expect(state.needsReply).toBe(false);
    await inbound(phone, from, 'thanks');
    expect((await automation(leadId)).needsReply).toBe(true);

    const phone2 = '+12125550405';
    const second = await broadcastTo(phone2);
    await inbound(phone2, second.from, 'can I speak to someone please');
    expect(await automation(second.leadId)).toMatchObject({ handedOff: true, needsReply: true });
  });

  it('NUMBER_RANGE fires on a later message; FIRST_REPLY only on the first', async () => {
    const phone = '+12125550406';
    const { leadId, from } = await broadcastTo(phone);
    await inbound(phone, from, 'hmm');
    expect((await inbound(phone, from, 'I would say 7 out of 10')).kind).toBe('new-message');
    expect((await automation(leadId)).tags).toEqual(['replied', 'rated']);
    expect((await outbound(leadId)).map((m) => m.body)).toEqual(['Thanks for the rating!']);
    const firings = await engage.ctx.db.selectFrom('automation_firings').select(['rule_id', 'message_id']).where('lead_id', '=', leadId).execute();
    expect(new Set(firings.map((f) => f.message_id)).size).toBe(2);
  });

  it('holds a reply for quiet hours: queued with run_at at the next allowed time', async () => {
    const phone = '+12125550407';
    const { leadId, from } = await broadcastTo(phone, { Slot: 'noon' });
    expect((await engage.api('PATCH', '/api/public/engage/workspace', { quietHoursPolicy: 'US_TCPA' })).status).toBe(200);
    // 02:00 in New York, in the future so the held job cannot run during the test.
    const night = new Date('2030-01-15T07:00:00.000Z');
    const realNow = engage.ctx.now;
    engage.ctx.now = () => night;
    try {
      await inbound(phone, from, 'YES');
    } finally {
      engage.ctx.now = realNow;
    }
    const [reply] = await outbound(leadId);
    expect(reply).toMatchObject({ body: 'Great Kim! You are booked for noon.', status: 'PENDING' });
    const firing = await engage.ctx.db.selectFrom('automation_firings').selectAll().where('lead_id', '=', leadId).where('send_at', 'is not', null).executeTakeFirstOrThrow();
    expect(firing.send_at!.toISOString()).toBe('2030-01-15T13:00:00.000Z'); // 8:00 EST: TCPA opens
    const job = await sql<{ run_at: Date }>`SELECT j.run_at FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id
      WHERE t.identifier = 'send-message' AND j.payload->>'messageId' = ${reply!.id}`.execute(engage.ctx.db);
    expect(job.rows[0]!.run_at.toISOString()).toBe('2030-01-15T13:00:00.000Z');
  });
});
