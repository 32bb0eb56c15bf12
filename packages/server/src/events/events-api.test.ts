/**
 * The event log API against a real Engage and receiver: list with filters and paging, one event
 * with its payload and attempt log, redeliver one, replay the failed ones of a range (rate-limited,
 * in conversation order), and retention.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receiver, eventually, startTestEngage, type TestEngage } from '../../test/harness.ts';
import { purgeExpired } from './retention.task.ts';
import { createCampaign, sentConversation } from './testkit.ts';

let engage: TestEngage;
let receiver: Receiver;
const HOOKS = (url: string) => ({ conversationStarted: url, incomingMessage: url, optOut: url });
const RANGE = () => ({ from: new Date(Date.now() - 3600_000).toISOString(), to: new Date(Date.now() + 3600_000).toISOString() });

beforeAll(async () => {
  receiver = await new Receiver().start();
  engage = await startTestEngage({ env: { ENGAGE_WEBHOOK_RETRY_SCHEDULE_MS: '30,30', ENGAGE_REPLAY_RATE_PER_SECOND: '5' } });
});
afterAll(async () => {
  await engage?.close();
  await receiver?.stop();
});

describe('event log', () => {
  it('lists events with their deliveries, filters them, pages, and shows every attempt', async () => {
    let failFirst = 1;
    receiver.respond = ({ path }) => (path === '/log' && failFirst-- > 0 ? 500 : 200);
    const campaignId = await createCampaign(engage, HOOKS(`${receiver.url}/log`));
    const conv = await sentConversation(engage, campaignId);
    await conv.say('hello');
    await conv.say('more');
    await receiver.waitFor('NewMessage', 1);

    const all = await engage.api('GET', `/api/public/engage/events?campaignId=${campaignId}`);
    expect(all.status).toBe(200);
    expect(all.body.events.map((e: any) => e.eventType)).toEqual(['NewMessage', 'ConversationStarted']);
    const started = all.body.events[1];
    expect(started).toMatchObject({ campaignId, leadId: conv.leadId, deliveries: [{ url: `${receiver.url}/log`, status: 'DELIVERED', attempts: 2, lastStatus: 200, lastError: null, nextAttemptAt: null }] });

    const one = await engage.api('GET', `/api/public/engage/events/${started.id}`);
    expect(one.body.payload).toMatchObject({ eventType: 'ConversationStarted', data: { lead: { id: conv.leadId } } });
    const log = one.body.deliveries[0].attemptLog;
    expect(log.map((a: any) => a.responseStatus)).toEqual([500, 200]);
    expect(log[0]).toMatchObject({ responseBodyExcerpt: 'try again', error: null });
    expect(log[0].requestHeaders).toMatchObject({ 'webhook-id': `msg_${started.id}`, 'x-event-type': 'ConversationStarted' });
    expect(log[0].requestHeaders['webhook-signature']).toMatch(/^v1,/);
    expect(typeof log[0].durationMs).toBe('number');

    const page1 = await engage.api('GET', `/api/public/engage/events?campaignId=${campaignId}&limit=1`);
    expect(page1.body.events).toHaveLength(1);
    const page2 = await engage.api('GET', `/api/public/engage/events?campaignId=${campaignId}&limit=1&cursor=${page1.body.nextCursor}`);
    expect(page2.body.events.map((e: any) => e.id)).toEqual([started.id]);
    const byType = await engage.api('GET', `/api/public/engage/events?campaignId=${campaignId}&eventType=NewMessage`);
    expect(byType.body.events.map((e: any) => e.eventType)).toEqual(['NewMessage']);
    const future = await engage.api('GET', `/api/public/engage/events?campaignId=${campaignId}&from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
    expect(future.body.events).toEqual([]);
    expect((await engage.api('GET', `/api/public/engage/events?campaignId=${campaignId}&status=FAILED`)).body.events).toEqual([]);

    const bad = await engage.api('GET', '/api/public/engage/events?from=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('from');
    expect((await engage.api('GET', '/api/public/engage/events/0123456789abcdef01234567')).status).toBe(404);
  });

  it('redelivers one event, with the same webhook-id', async () => {
    receiver.respond = () => 200;
    const campaignId = await createCampaign(engage, HOOKS(`${receiver.url}/again`));
    const conv = await sentConversation(engage, campaignId);
    await conv.say('hello');
    const first = await eventually(() => receiver.received.find((r) => r.path === '/again'));
    const event = (await engage.api('GET', `/api/public/engage/events?campaignId=${campaignId}`)).body.events[0];
    const r = await engage.api('POST', `/api/public/engage/events/${event.id}/redeliver`);
    expect(r.status).toBe(202);
    expect(r.body.deliveryIds).toHaveLength(1);
    const both = await eventually(() => {
      const got = receiver.received.filter((x) => x.path === '/again');
      return got.length === 2 ? got : undefined;
    });
    expect(both[1]!.headers['webhook-id']).toBe(first.headers['webhook-id']);
    const after = await engage.api('GET', `/api/public/engage/events/${event.id}`);
    expect(after.body.deliveries.map((d: any) => d.status)).toEqual(['DELIVERED', 'DELIVERED']);
  });

  it('replays the failed deliveries of a range at the configured rate, in conversation order, once', async () => {
    let down = true;
    receiver.respond = ({ path }) => (path === '/replay' && down ? 503 : 200);
    const campaignId = await createCampaign(engage, HOOKS(`${receiver.url}/replay`));
    const convs = await Promise.all([1, 2, 3, 4].map(() => sentConversation(engage, campaignId)));
    for (const c of convs) {
      await c.say('one');
      await c.say('two');
    }
    const failed = await eventually(async () => {
      const r = await engage.api('GET', `/api/public/engage/events?campaignId=${campaignId}&status=FAILED`);
      return r.body.events.length === 8 ? r.body.events : undefined;
      // Four broadcasts, eight events, three attempts each: on a loaded 2-core machine (the whole
      // suite in parallel) this took over 10 s once.
    }, 30_000, 'eight failed deliveries');
    expect(failed.every((e: any) => e.deliveries[0].attempts === 3)).toBe(true);

    down = false;
    const accepted = receiver.attempts.length;
    const t0 = Date.now();
    const replay = await engage.api('POST', '/api/public/engage/events/redeliver', { ...RANGE(), campaignId });
    expect(replay).toMatchObject({ status: 202, body: { queued: 8 } });
    await eventually(() => (receiver.received.filter((r) => r.path === '/replay').length === 8 ? true : undefined), 15_000);
    // 5 per second: 8 deliveries need a second run, a second after the first.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    const got = receiver.received.filter((r) => r.path === '/replay');
    for (const c of convs) {
      expect(got.filter((r) => r.body.data.lead.id === c.leadId).map((r) => r.body.eventType)).toEqual(['ConversationStarted', 'NewMessage']);
    }
    expect(receiver.attempts.length - accepted).toBe(8);
    // Nothing failed is left in the range: a second replay queues nothing.
    expect((await engage.api('POST', '/api/public/engage/events/redeliver', { ...RANGE(), campaignId })).body.queued).toBe(0);
    const bad = await engage.api('POST', '/api/public/engage/events/redeliver', { from: RANGE().to, to: RANGE().from });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('to');
  });

  it('is described in the OpenAPI document, with the Idempotency-Key header on changing POSTs', async () => {
    const doc = (await engage.api('GET', '/api/openapi.json')).body;
    for (const p of ['/api/public/engage/events', '/api/public/engage/events/{id}', '/api/public/engage/events/redeliver', '/api/public/engage/suppressions', '/api/public/engage/consent/export.csv', '/api/public/engage/webhook-secret/rotate']) {
      expect(doc.paths[p], p).toBeDefined();
    }
    for (const p of ['/api/public/engage/conversation/send', '/api/public/engage/conversation/disposition', '/api/public/engage/lead/load', '/api/public/engage/list/load', '/api/public/engage/campaigns']) {
      expect(doc.paths[p].post.parameters.map((x: any) => x.name), p).toContain('idempotency-key');
    }
  });

  it('retention deletes events older than the retention period with their deliveries and attempts', async () => {
    const campaignId = await createCampaign(engage, HOOKS(`${receiver.url}/old`));
    const conv = await sentConversation(engage, campaignId);
    await conv.say('hello');
    await eventually(() => receiver.received.find((r) => r.path === '/old'));
    const events = await engage.ctx.db.selectFrom('events').select('id').where('campaign_id', '=', campaignId).execute();
    await engage.ctx.db.updateTable('events').set({ created: new Date(Date.now() - 31 * 86_400_000) }).where('campaign_id', '=', campaignId).execute();
    expect(await purgeExpired(engage.ctx)).toBeGreaterThanOrEqual(events.length);
    expect(await engage.ctx.db.selectFrom('events').select('id').where('campaign_id', '=', campaignId).execute()).toEqual([]);
    expect(await engage.ctx.db.selectFrom('webhook_deliveries').select('id').where('event_id', 'in', events.map((e) => e.id)).execute()).toEqual([]);
    // Newer events stay.
    expect((await engage.api('GET', '/api/public/engage/events?limit=1')).body.events).toHaveLength(1);
  });
});
