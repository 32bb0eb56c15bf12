/**
 * Endpoint health against real receivers: a dead receiver (connection refused) and a slow one
 * (answers after 20 s) do not delay a third receiver's events; a failing endpoint gets one attempt
 * at a time; 410 Gone and a long run of failures disable the URL for the campaign, tell the
 * operator (EndpointDisabled event, warning log), and later events are logged but not sent until
 * the URL is enabled again; Retry-After is honoured.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receiver, eventually, startTestEngage, type TestEngage } from '../../test/harness.ts';
import { closeServer, listenOnLoopback, readBody } from '../../test/loopback.ts';
import { emitEvent } from '../events/outbox.ts';
import { createCampaign, sentConversation } from '../events/testkit.ts';
import { createWebhookDispatcher } from './address-guard.ts';
import { attemptDelivery, deliveryQuery, retryDelay } from './attempt.ts';

const HOOKS = (url: string) => ({ conversationStarted: url, incomingMessage: url });

/** A receiver that answers 200 only after `delayMs`, counting requests in flight. */
class SlowReceiver {
  inFlight = 0;
  maxInFlight = 0;
  requests = 0;
  url = '';
  private server = http.createServer((req, res) => {
    this.requests++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const done = () => (this.inFlight--, undefined);
    res.on('close', done);
    setTimeout(() => res.writeHead(200).end('late'), this.delayMs).unref();
  });
  constructor(private delayMs: number) {}
  async start() {
    this.url = await listenOnLoopback(this.server);
    return this;
  }
  resetMax() {
    this.maxInFlight = this.inFlight;
  }
  stop() {
    return closeServer(this.server);
  }
}

/** A loopback URL where nothing listens: connections are refused. */
async function deadUrl(): Promise<string> {
  const s = http.createServer();
  const url = await listenOnLoopback(s);
  await closeServer(s);
  return url;
}

describe('a slow and a dead receiver', () => {
  let engage: TestEngage;
  let good: Receiver;
  let slow: SlowReceiver;
  beforeAll(async () => {
    good = await new Receiver().start();
    slow = await new SlowReceiver(20_000).start();
    engage = await startTestEngage({ env: { ENGAGE_WEBHOOK_TIMEOUT_MS: '5000', ENGAGE_WEBHOOK_RETRY_SCHEDULE_MS: Array(20).fill('100').join(',') } });
  });
  afterAll(async () => {
    await engage?.close();
    await good?.stop();
    await slow?.stop();
  });

  it('never delay a third receiver', async () => {
    const dead = await deadUrl();
    const deadCampaign = await createCampaign(engage, HOOKS(`${dead}/dead`));
    const slowCampaign = await createCampaign(engage, HOOKS(`${slow.url}/slow`));
    const goodCampaign = await createCampaign(engage, HOOKS(`${good.url}/good`));
    const deadConvs = await Promise.all([1, 2, 3].map(() => sentConversation(engage, deadCampaign)));
    // More slow conversations than a worker used to have slots in all.
    const slowConvs = await Promise.all([1, 2, 3, 4, 5, 6].map(() => sentConversation(engage, slowCampaign)));
    const goodConvs = await Promise.all([1, 2, 3, 4].map(() => sentConversation(engage, goodCampaign)));

    // Six conversations wait on the slow receiver, which holds only its share of the slots
    // (ENGAGE_WEBHOOK_ENDPOINT_CONCURRENCY, 2); the dead one keeps refusing.
    for (const c of [...deadConvs, ...slowConvs]) await c.say('hello');
    await eventually(() => (slow.inFlight >= 2 ? true : undefined), 10_000, 'requests held by the slow receiver');
    await eventually(async () => {
      const n = await engage.ctx.db.selectFrom('webhook_attempts').select((eb) => eb.fn.countAll<number>().as('n')).where('error', '=', 'connection refused').executeTakeFirstOrThrow();
      return Number(n.n) >= 3 ? true : undefined;
    }, 10_000, 'refused attempts');

    /** Each good conversation's event reaches its receiver promptly after its cause. */
    const onTime = async (convs: typeof goodConvs, text: string, eventType: string) => {
      for (const c of convs) {
        const before = good.ofType(eventType).length;
        const t0 = performance.now();
        await c.say(text);
        await good.waitFor(eventType, before + 1, 5_000);
        // Typically under 100 ms; the bound leaves room for a loaded machine while staying well
        // below the 5 s a delivery would wait if the slow receiver's attempts held every slot.
        expect(performance.now() - t0).toBeLessThan(2500);
      }
    };
    await onTime(goodConvs.slice(0, 2), 'hi', 'ConversationStarted');
    expect(slow.inFlight).toBeGreaterThanOrEqual(1);
    expect(slow.maxInFlight).toBeLessThanOrEqual(2);

    // After the slow receiver's first attempts timed out it is failing: one attempt at a time.
    await eventually(async () => {
      const r = await engage.ctx.db.selectFrom('webhook_endpoints').select('first_failure_at').where('url', '=', `${slow.url}/slow`).executeTakeFirst();
      return r?.first_failure_at ? true : undefined;
    }, 15_000, 'the slow endpoint marked failing');
    await eventually(() => (slow.inFlight <= 1 ? true : undefined), 10_000, 'the first round to end');
    slow.resetMax();
    for (const c of slowConvs) await c.say('still there?');
    await onTime(goodConvs.slice(2), 'hi', 'ConversationStarted');
    await onTime(goodConvs.slice(0, 2), 'and again', 'NewMessage');
    expect(slow.maxInFlight).toBeLessThanOrEqual(1);
    expect(good.received.filter((r) => r.path === '/good')).toHaveLength(6);
  }, 60_000);
});

describe('attempts started together to one receiver', () => {
  it('take no more than its share of slots, however their database reads interleave', async () => {
    const slow = await new SlowReceiver(3_000).start();
    // No worker: the test makes the attempts itself, all at once.
    const engage = await startTestEngage({ worker: false, env: { ENGAGE_WEBHOOK_TIMEOUT_MS: '1000' } });
    const dispatcher = createWebhookDispatcher({ allowPrivate: true });
    try {
      const url = `${slow.url}/together`;
      const campaignId = await createCampaign(engage, { conversationStarted: url });
      for (let i = 0; i < 5; i += 1) {
        const r = await engage.api('POST', '/api/public/engage/lead/load', { campaignId, fields: [{ name: 'Phone', value: `+1312555018${i}` }] });
        const lead = await engage.ctx.db.selectFrom('leads').selectAll().where('id', '=', r.body.leadId).executeTakeFirstOrThrow();
        await engage.ctx.db.transaction().execute((trx) => emitEvent(engage.ctx, trx, 'ConversationStarted', lead));
      }
      const rows = await deliveryQuery(engage.ctx).where('webhook_deliveries.url', '=', url).execute();
      expect(rows).toHaveLength(5);
      const outcomes = await Promise.all(rows.map((d) => attemptDelivery(engage.ctx, d, { dispatcher })));
      expect(slow.requests).toBe(engage.config.webhookEndpointConcurrency);
      expect(slow.maxInFlight).toBe(engage.config.webhookEndpointConcurrency);
      expect(outcomes.filter((o) => o.kind === 'busy')).toHaveLength(5 - engage.config.webhookEndpointConcurrency);
    } finally {
      await dispatcher.close();
      await engage.close();
      await slow.stop();
    }
  });
});

describe('disabling an endpoint', () => {
  let engage: TestEngage;
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await new Receiver().start();
    engage = await startTestEngage({ env: { ENGAGE_WEBHOOK_RETRY_SCHEDULE_MS: Array(30).fill('60').join(','), ENGAGE_WEBHOOK_DISABLE_AFTER_MS: '600' } });
  });
  afterAll(async () => {
    await engage?.close();
    await receiver?.stop();
  });

  it('410 Gone disables the URL for the campaign; later events are logged, not sent, until it is enabled', async () => {
    let gone = true;
    receiver.respond = ({ path }) => (path === '/gone' && gone ? 410 : 200);
    const url = `${receiver.url}/gone`;
    const campaignId = await createCampaign(engage, HOOKS(url));
    const conv = await sentConversation(engage, campaignId);
    await conv.say('hello');
    const disabled = await eventually(async () => {
      const r = await engage.api('GET', `/api/public/engage/events?campaignId=${campaignId}&eventType=EndpointDisabled`);
      return r.body.events.length ? r.body.events[0] : undefined;
    });
    expect(disabled).toMatchObject({ campaignId, leadId: null, deliveries: [] });
    const detail = await engage.api('GET', `/api/public/engage/events/${disabled.id}`);
    expect(detail.body.payload.data).toMatchObject({ campaignId, url, reason: expect.stringContaining('410') });
    const started = (await engage.api('GET', `/api/public/engage/events?campaignId=${campaignId}&eventType=ConversationStarted`)).body.events[0];
    expect(started.deliveries).toMatchObject([{ url, status: 'FAILED', attempts: 1, lastStatus: 410 }]);
    const health = (await engage.api('GET', '/api/public/engage/webhook-endpoints')).body.endpoints.find((e: any) => e.url === url);
    expect(health).toMatchObject({ campaignId, disabled: true, disabledReason: expect.stringContaining('410') });
    // The operator's log says so too: which URL, for which campaign, and why.
    const warning = await eventually(() => engage.logs.find('webhook endpoint disabled', 'warn').find((l) => l.url === url));
    expect(warning).toMatchObject({ campaignId, reason: 'the receiver answered 410 Gone' });

    // While disabled: the event is kept, its delivery FAILED without a request.
    const requestsBefore = receiver.attempts.filter((a) => a.path === '/gone').length;
    await conv.say('anyone?');
    const later = await eventually(async () => (await engage.api('GET', `/api/public/engage/events?campaignId=${campaignId}&eventType=NewMessage`)).body.events[0]);
    expect(later.deliveries).toMatchObject([{ status: 'FAILED', attempts: 0, lastError: expect.stringContaining('endpoint disabled') }]);
    expect(receiver.attempts.filter((a) => a.path === '/gone')).toHaveLength(requestsBefore);

    // Enabled again: new events flow, and the replay delivers what it missed.
    gone = false;
    expect((await engage.api('POST', '/api/public/engage/webhook-endpoints/enable', { campaignId, url })).status).toBe(200);
    await conv.say('back?');
    await receiver.waitFor('NewMessage', 1);
    const replay = await engage.api('POST', '/api/public/engage/events/redeliver', { from: new Date(Date.now() - 60_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString(), campaignId });
    expect(replay).toMatchObject({ status: 202, body: { queued: 2 } });
    await receiver.waitFor('ConversationStarted', 1);
    await receiver.waitFor('NewMessage', 2);
  });

  it('only failures for long enough disable the URL', async () => {
    const dead = `${await deadUrl()}/dead`;
    const campaignId = await createCampaign(engage, HOOKS(dead));
    const conv = await sentConversation(engage, campaignId);
    await conv.say('hello');
    const row = await eventually(async () => {
      const r = await engage.ctx.db.selectFrom('webhook_endpoints').selectAll().where('url', '=', dead).executeTakeFirst();
      return r?.disabled_at ? r : undefined;
    });
    expect(row.disabled_reason).toMatch(/only failures since .*connection refused/);
    expect(row.consecutive_failures).toBeGreaterThan(1);
    expect(row.disabled_at!.getTime() - row.first_failure_at!.getTime()).toBeGreaterThanOrEqual(600);
    const events = (await engage.api('GET', `/api/public/engage/events?campaignId=${campaignId}`)).body.events;
    expect(events.map((e: any) => e.eventType).sort()).toEqual(['ConversationStarted', 'EndpointDisabled']);
    const warning = await eventually(() => engage.logs.find('webhook endpoint disabled', 'warn').find((l) => l.url === dead));
    expect(warning).toMatchObject({ campaignId, reason: row.disabled_reason });
  });

  it('honours Retry-After on 429', async () => {
    const seen: number[] = [];
    const server = http.createServer((req, res) => {
      void readBody(req).then(() => {
        seen.push(performance.now());
        if (seen.length === 1) res.writeHead(429, { 'retry-after': '1' }).end('slow down');
        else res.writeHead(200).end('ok');
      });
    });
    const base = await listenOnLoopback(server);
    try {
      const conv = await sentConversation(engage, await createCampaign(engage, HOOKS(`${base}/busy`)));
      await conv.say('hello');
      await eventually(() => (seen.length >= 2 ? true : undefined), 10_000);
      // The schedule says 60 ms; the receiver asked for a second.
      expect(seen[1]! - seen[0]!).toBeGreaterThanOrEqual(950);
    } finally {
      await closeServer(server);
    }
  });
});

describe('retry schedule', () => {
  it('jitters each delay by at most ±10 % and never goes below Retry-After', () => {
    const schedule = [5_000, 300_000];
    expect(retryDelay(schedule, 1, null, () => 0)).toBe(4_500);
    expect(retryDelay(schedule, 1, null, () => 1)).toBe(5_500);
    expect(retryDelay(schedule, 2, null, () => 0.5)).toBe(300_000);
    expect(retryDelay(schedule, 1, 60_000, () => 0.5)).toBe(60_000);
    expect(retryDelay(schedule, 1, 10 * 86_400_000, () => 0.5)).toBe(86_400_000);
  });
});
