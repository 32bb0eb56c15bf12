/**
 * Timers with an injected clock: follow-up drips stop at any reply, opt-out or disposition; a
 * NO_REPLY rule fires once per silence; and a timer due while no Engage ran fires after a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/db.ts';
import { Receiver, eventually, startTestEngage, type TestEngage } from '../../test/harness.ts';
import { broadcastTick } from '../broadcast/sender.ts';
import type { AppContext } from '../context.ts';
import { receiveInbound } from '../conversations/inbound.ts';
import { setDisposition } from '../conversations/agent.ts';
import { automationTick } from './timers.ts';

const ALL_DAY = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: 0, end: 1440 }]]));
const T0 = Date.parse('2025-03-03T15:00:00.000Z');
const hoursLater = (h: number) => new Date(T0 + h * 3_600_000);

describe('follow-ups and no-reply rules', () => {
  let engage: TestEngage;
  let receiver: Receiver;
  const at = (h: number): AppContext => ({ ...engage.ctx, now: () => hoursLater(h) });
  const texts = async (leadId: string, kind: string) =>
    (await engage.ctx.db.selectFrom('messages').select('body').where('lead_id', '=', leadId).where('kind', '=', kind).orderBy('id').execute()).map((m) => m.body);

  beforeAll(async () => {
    receiver = await new Receiver().start();
    // No worker: the test drives the broadcast and the timers at the times it chooses.
    engage = await startTestEngage({ worker: false });
    await engage.api('PATCH', '/api/public/engage/workspace', { quietHoursPolicy: 'NONE' });
  });
  afterAll(async () => {
    await engage?.close();
    await receiver?.stop();
  });

  it('drips to silent leads only, each step after the previous, then gives up with a disposition', async () => {
    const c = await engage.api('POST', '/api/public/engage/campaigns', {
      name: 'Drip', schedule: ALL_DAY, messages: { outgoingMessage: 'Hi {{FirstName}}, still looking for a quote?' },
      dispositions: [{ disposition: 'No response' }, { disposition: 'Closed' }],
      webhooks: { disposition: `${receiver.url}/hook` },
      followUps: [{ delayHours: 24, message: 'Just checking in, {{FirstName}}.' }, { delayHours: 48, message: 'Last note from us, {{FirstName}}.' }],
      automations: [{ name: 'give up', when: { type: 'NO_REPLY', hours: 72 }, then: [{ type: 'SET_DISPOSITION', disposition: 'No response' }, { type: 'TAG', tag: 'cold' }] }],
    });
    expect(c.status).toBe(201);
    const id = c.body.id as string;
    const leads: Record<string, string> = {};
    for (const [name, phone] of [['silent', '+12125550501'], ['replies', '+12125550502'], ['closed', '+12125550503'], ['optsOut', '+12125550504']] as const) {
      const r = await engage.api('POST', '/api/public/engage/lead/load', { campaignId: id, fields: [{ name: 'Phone', value: phone }, { name: 'FirstName', value: name }] });
      leads[name] = r.body.leadId;
    }
    await engage.api('POST', `/api/public/engage/campaigns/${id}/approve`);
    await engage.api('POST', `/api/public/engage/campaigns/${id}/activate`);
    expect(await broadcastTick(at(0))).toBe(4);
    const row = async (leadId: string) => engage.ctx.db.selectFrom('leads').selectAll().where('id', '=', leadId).executeTakeFirstOrThrow();

    await setDisposition(at(1), await row(leads.closed!), 'Closed', 'agent');
    const stop = await receiveInbound(at(2), { provider: 'simulator', providerMessageId: 'SMdrip-stop', from: '+12125550504', to: (await row(leads.optsOut!)).from_number!, text: 'STOP', receivedAt: hoursLater(2) });
    expect(stop.kind).toBe('opt-out');

    expect(await automationTick(at(23.9))).toBe(0);
    expect(await automationTick(at(24))).toBe(2);
    expect(await texts(leads.silent!, 'FOLLOW_UP')).toEqual(['Just checking in, silent.']);
    expect(await texts(leads.replies!, 'FOLLOW_UP')).toEqual(['Just checking in, replies.']);
    expect(await texts(leads.closed!, 'FOLLOW_UP')).toEqual([]);
    expect(await texts(leads.optsOut!, 'FOLLOW_UP')).toEqual([]);
    expect(await automationTick(at(25))).toBe(0); // nothing fires twice

    await receiveInbound(at(30), { provider: 'simulator', providerMessageId: 'SMdrip-reply', from: '+12125550502', to: (await row(leads.replies!)).from_number!, text: 'maybe next month', receivedAt: hoursLater(30) });

    expect(await automationTick(at(71))).toBe(0);
    expect(await automationTick(at(72))).toBe(1); // step 2, 48 h after step 1, to the silent lead only
    expect(await texts(leads.silent!, 'FOLLOW_UP')).toEqual(['Just checking in, silent.', 'Last note from us, silent.']);
    expect(await texts(leads.replies!, 'FOLLOW_UP')).toEqual(['Just checking in, replies.']);

    // NO_REPLY counts from the last message sent: 72 h after the second follow-up.
    expect(await automationTick(at(143))).toBe(0);
    expect(await automationTick(at(144))).toBe(1);
    expect(await automationTick(at(200))).toBe(0);
    const silent = await row(leads.silent!);
    expect(silent.disposition).toBe('No response');
    expect(silent.disposition_timestamp!.toISOString()).toBe(hoursLater(144).toISOString());
    expect((await engage.api('GET', `/api/public/engage/leads/${leads.silent}/automation`)).body.tags).toEqual(['cold']);
    // The lead who answered is not "silent": its last message is newer than our last one.
    expect((await row(leads.replies!)).disposition).toBeNull();
    // The Disposition event is in the outbox (no worker runs here to deliver it).
    const events = await engage.ctx.db.selectFrom('events').select('event_type').where('lead_id', '=', leads.silent!).execute();
    expect(events.map((e) => e.event_type)).toEqual(['Disposition']);
  });

  it('a NO_REPLY rule re-arms when the lead writes again', async () => {
    const c = await engage.api('POST', '/api/public/engage/campaigns', {
      name: 'Nudge', schedule: ALL_DAY, messages: { outgoingMessage: 'Hello' },
      automations: [{ name: 'nudge', when: { type: 'NO_REPLY', hours: 2 }, then: [{ type: 'REPLY', message: 'Are you still there?' }] }],
    });
    const r = await engage.api('POST', '/api/public/engage/lead/load', { campaignId: c.body.id, fields: [{ name: 'Phone', value: '+12125550511' }] });
    await engage.api('POST', `/api/public/engage/campaigns/${c.body.id}/approve`);
    await engage.api('POST', `/api/public/engage/campaigns/${c.body.id}/activate`);
    await broadcastTick(at(1000));
    expect(await automationTick(at(1002))).toBe(1);
    expect(await automationTick(at(1010))).toBe(0); // its own nudge does not re-arm it
    const lead = await engage.ctx.db.selectFrom('leads').selectAll().where('id', '=', r.body.leadId).executeTakeFirstOrThrow();
    await receiveInbound(at(1011), { provider: 'simulator', providerMessageId: 'SMnudge', from: lead.phone, to: lead.from_number!, text: 'yes, sorry', receivedAt: hoursLater(1011) });
    // An agent answers, then silence again.
    await engage.ctx.db.transaction().execute(async (trx) => {
      const { queueReply } = await import('../conversations/outbound.ts');
      await queueReply(at(1012), trx, lead, 'AGENT', 'What time suits you?');
    });
    expect(await automationTick(at(1013))).toBe(0);
    expect(await automationTick(at(1014))).toBe(1);
    expect(await texts(r.body.leadId, 'AUTOMATION')).toEqual(['Are you still there?', 'Are you still there?']);
  });
});

describe('timers across a restart', () => {
  it('a follow-up that fell due while Engage was down goes out from the next process', async () => {
    const db = await createTestDatabase();
    // In the future, so the real clock can never make the timer due by itself.
    const start = Date.parse('2031-06-02T15:00:00.000Z');
    const env = { ENGAGE_AUTOMATION_POLL_MS: '50' };
    let first: TestEngage | null = await startTestEngage({ databaseUrl: db.url, env });
    let second: TestEngage | null = null;
    try {
      first.ctx.now = () => new Date(start);
      await first.api('PATCH', '/api/public/engage/workspace', { quietHoursPolicy: 'NONE' });
      const c = await first.api('POST', '/api/public/engage/campaigns', {
        name: 'Restart', schedule: ALL_DAY, messages: { outgoingMessage: 'Hi' }, followUps: [{ delayHours: 6, message: 'Following up, {{FirstName}}' }],
      });
      const r = await first.api('POST', '/api/public/engage/lead/load', { campaignId: c.body.id, fields: [{ name: 'Phone', value: '+12125550521' }, { name: 'FirstName', value: 'Ada' }] });
      await first.api('POST', `/api/public/engage/campaigns/${c.body.id}/approve`);
      await first.api('POST', `/api/public/engage/campaigns/${c.body.id}/activate`);
      const f = first;
      // The simulator's delivery receipt is scheduled by the injected (future) clock; handed to the carrier is enough.
      await eventually(async () => (['QUEUED', 'SENT', 'DELIVERED'].includes((await f.api('GET', `/api/public/engage/leads/${r.body.leadId}`)).body.status) ? true : undefined));
      // Not due yet by the first process's clock: nothing fired before it stopped.
      expect(await first.ctx.db.selectFrom('automation_firings').selectAll().execute()).toEqual([]);
      await first.stop();
      first = null;

      second = await startTestEngage({ databaseUrl: db.url, env });
      second.ctx.now = () => new Date(start + 7 * 3_600_000);
      const s = second;
      const inbox = await eventually(async () => {
        const msgs = (await s.api('GET', '/api/simulator/messages?phone=%2B12125550521')).body.messages as { text: string }[];
        return msgs.some((m) => m.text === 'Following up, Ada') ? msgs : undefined;
      }, 10_000, 'the follow-up in the lead\'s inbox');
      expect(inbox.filter((m) => m.text === 'Following up, Ada')).toHaveLength(1);
    } finally {
      await first?.stop();
      await second?.stop();
      await db.drop();
    }
  });
});
