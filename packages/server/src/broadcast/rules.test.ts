/**
 * The rules a broadcast lives under, with an injected clock: the quiet-hours policy by state,
 * sender-source and per-number rates counted in segments, carrier daily limits, sticky sender
 * with area-code match, retries with backoff, fatal errors and provider opt-outs.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestEngage, type TestEngage } from '../../test/harness.ts';
import type { AppContext } from '../context.ts';
import { queueReply } from '../conversations/outbound.ts';
import { sendMessageTask } from '../conversations/send-message.task.ts';
import { ProviderRegistry } from '../providers/registry.ts';
import type { SendRequest, SendResult, SentMessage, SentQuery, SmsProvider } from '../providers/types.ts';
import { claimBatch, senderFor, stickyNumber, type ClaimResult } from './claim.ts';
import { broadcastTick, PAIRS_MS, Planner, startBroadcastSender } from './sender.ts';
import { affords, bucketCapacity, refill, waitFor } from './throttle.ts';

let engage: TestEngage;
let workspaceId: number;
const ALWAYS = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: 0, end: 1440 }]]));

/** A provider fake at the adapter boundary: answers from a script, records what it was asked. */
class ScriptedProvider implements SmsProvider {
  readonly name = 'scripted';
  readonly idempotentSend = false;
  sent: SendRequest[] = [];
  constructor(private readonly script: (req: SendRequest, n: number) => SendResult) {}
  async send(req: SendRequest): Promise<SendResult> {
    this.sent.push(req);
    return this.script(req, this.sent.length);
  }
}

function clock(start: string) {
  let t = new Date(start).getTime();
  return { now: () => new Date(t), advance: (ms: number) => (t += ms), set: (iso: string) => (t = new Date(iso).getTime()) };
}

async function source(opts: { provider?: string; mps?: number | null; numberMps?: number | null; areaCodeMatch?: boolean; numbers: string[] }): Promise<string> {
  const id = randomUUID();
  await engage.ctx.db.insertInto('sender_sources').values({
    id, workspace_id: workspaceId, name: `src ${id.slice(0, 6)}`, sender_source_type: 'TEN_DLC', provider: opts.provider ?? 'simulator',
    mps: opts.mps ?? null, number_mps: opts.numberMps ?? null, area_code_match: opts.areaCodeMatch ?? false,
  }).execute();
  await engage.ctx.db.insertInto('sender_numbers').values(opts.numbers.map((phone) => ({ phone, sender_source_id: id, workspace_id: workspaceId }))).execute();
  return id;
}

async function campaign(opts: { sourceId: string; leads: { phone: string; zip?: string; carrier?: string }[]; message?: string; carrierDailyLimits?: object[] }) {
  const c = (await engage.api('POST', '/api/public/engage/campaigns', {
    name: `Rules ${randomUUID().slice(0, 6)}`, schedule: ALWAYS, messages: { outgoingMessage: opts.message ?? 'Hi' },
    ...(opts.carrierDailyLimits ? { carrierDailyLimits: opts.carrierDailyLimits } : {}),
  })).body;
  await engage.ctx.db.updateTable('campaigns').set({ sender_source_id: opts.sourceId }).where('id', '=', c.id).execute();
  const leads: string[] = [];
  for (const l of opts.leads) {
    const r = await engage.api('POST', '/api/public/engage/lead/load', { campaignId: c.id, fields: [{ name: 'Phone', value: l.phone }, ...(l.zip ? [{ name: 'Zip', value: l.zip }] : [])] });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    if (l.carrier) await engage.ctx.db.updateTable('leads').set({ normalized_carrier: l.carrier }).where('id', '=', r.body.leadId).execute();
    leads.push(r.body.leadId);
  }
  // One campaign at a time: a pass sends every active campaign.
  await engage.ctx.db.updateTable('campaigns').set({ campaign_status: 'PAUSED' }).where('campaign_status', '=', 'ACTIVE').execute();
  await engage.api('POST', `/api/public/engage/campaigns/${c.id}/approve`);
  await engage.api('POST', `/api/public/engage/campaigns/${c.id}/activate`);
  return { id: c.id as string, leads };
}

const leadRow = (id: string) => engage.ctx.db.selectFrom('leads').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const campaignView = async (id: string) => (await engage.api('GET', `/api/public/engage/campaigns/${id}`)).body;
const simulatorTexts = async (phone: string) => (await engage.ctx.db.selectFrom('simulator_messages').select('body').where('recipient', '=', phone).execute()).length;

beforeAll(async () => {
  engage = await startTestEngage({ worker: false, quietHoursPolicy: 'US_TCPA' });
  workspaceId = (await engage.api('GET', '/api/public/engage/workspace')).body.id;
});
afterAll(() => engage?.close());

describe('token buckets (pure)', () => {
  it('refill at the rate up to a fifth of a second, and a long message waits for a full bucket', () => {
    expect(bucketCapacity(20)).toBe(4);
    expect(bucketCapacity(1)).toBe(1);
    expect(refill(0, 0, 250, 4)).toBe(1); // capped at one segment
    expect(refill(0, 0, 100, 20)).toBe(2);
    expect(refill(0, 0, 1000, 20)).toBe(4);
    expect(refill(-1, 0, 500, 4)).toBe(1);
    expect(affords(1, 3, 4)).toBe(true); // 3 segments > capacity 1: a full bucket will do
    expect(affords(0.5, 1, 4)).toBe(false);
    expect(waitFor(0.5, 1, 4)).toBe(125);
    expect(waitFor(-2, 3, 4)).toBe(750);
  });
});

describe('sticky sender and area-code match', () => {
  it('keeps a lead on its number and prefers a number of its area code', () => {
    const pool = ['+12025550001', '+13125550002', '+13125550003'];
    const chosen = senderFor({ phone: '+13125551234', from_number: null }, pool, true);
    expect(chosen.startsWith('+1312')).toBe(true);
    expect(senderFor({ phone: '+13125551234', from_number: null }, pool, true)).toBe(chosen);
    expect(senderFor({ phone: '+13125551234', from_number: '+12025550001' }, pool, true)).toBe('+12025550001');
    expect(senderFor({ phone: '+14155551234', from_number: '+19995550000' }, pool, false)).toMatch(/^\+1(202|312)/);
  });

  it('spreads consecutive phones evenly over a pool', () => {
    for (const size of [2, 3, 7, 10, 32]) {
      const pool = Array.from({ length: size }, (_, i) => `+1202555${String(1000 + i)}`);
      const counts = new Map<string, number>();
      for (let i = 0; i < 20_000; i++) {
        const n = stickyNumber(`+1212${5_550_000 + i}`, pool);
        counts.set(n, (counts.get(n) ?? 0) + 1);
      }
      const share = 20_000 / size;
      expect(counts.size).toBe(size);
      for (const c of counts.values()) expect(Math.abs(c - share) / share).toBeLessThan(0.1);
    }
  });
});

describe('quiet hours (US_TCPA)', () => {
  it('holds a Florida lead after 20:00 local and a Texas lead on Sunday morning, with a truthful nextRunTime', async () => {
    const src = await source({ numbers: ['+12025550901'] });
    // Miami (33101) and Dallas (75201).
    const c = await campaign({ sourceId: src, leads: [{ phone: '+13055550901', zip: '33101' }, { phone: '+12145550902', zip: '75201' }] });
    // Sunday 2026-11-29 01:30 UTC = Saturday 20:30 in Miami, 19:30 in Dallas.
    const t = clock('2026-11-29T01:30:00.000Z');
    const ctx: AppContext = { ...engage.ctx, now: t.now };
    expect(await broadcastTick(ctx)).toBe(1);
    expect((await leadRow(c.leads[0]!)).status).toBe('PENDING');
    expect((await leadRow(c.leads[1]!)).status).toBe('QUEUED');
    const held = await campaignView(c.id);
    expect(held.sendingStatus).toBe('OUTSIDE_SCHEDULE');
    expect(held.nextRunTime).toBe('2026-11-29T13:00:00.000Z'); // Sunday 8:00 in Miami
    t.set('2026-11-29T13:00:00.000Z');
    expect(await broadcastTick(ctx)).toBe(1);
    expect((await leadRow(c.leads[0]!)).status).toBe('QUEUED');
  });

  it('NONE sends at any hour', async () => {
    await engage.api('PATCH', '/api/public/engage/workspace', { quietHoursPolicy: 'NONE' });
    try {
      const src = await source({ numbers: ['+12025550902'] });
      const c = await campaign({ sourceId: src, leads: [{ phone: '+13055550903', zip: '33101' }] });
      expect(await broadcastTick({ ...engage.ctx, now: () => new Date('2026-11-29T08:00:00.000Z') })).toBe(1); // 3:00 in Miami
      expect((await leadRow(c.leads[0]!)).status).toBe('QUEUED');
    } finally {
      await engage.api('PATCH', '/api/public/engage/workspace', { quietHoursPolicy: 'US_TCPA' });
    }
  });
});

describe('throttling', () => {
  const noon = '2026-11-24T17:00:00.000Z'; // Tuesday noon in New York

  it('a source of 2 segments/s sends one message per half second, and reports THROTTLED', async () => {
    const src = await source({ mps: 2, numbers: ['+12025550911'] });
    const c = await campaign({ sourceId: src, leads: [1, 2, 3, 4].map((i) => ({ phone: `+1212555091${i}`, zip: '10001' })) });
    const t = clock(noon);
    const ctx: AppContext = { ...engage.ctx, now: t.now };
    expect(await broadcastTick(ctx)).toBe(1);
    expect((await campaignView(c.id)).sendingStatus).toBe('THROTTLED');
    expect(await broadcastTick(ctx)).toBe(0); // same instant: the bucket is empty
    t.advance(499);
    expect(await broadcastTick(ctx)).toBe(0);
    t.advance(1);
    expect(await broadcastTick(ctx)).toBe(1);
    t.advance(1000);
    expect(await broadcastTick(ctx)).toBe(1); // the bucket holds one segment at most
  });

  it('counts segments: a three-segment message takes three tokens', async () => {
    const src = await source({ mps: 10, numbers: ['+12025550921'] });
    const long = 'x'.repeat(400); // GSM-7, 3 segments
    await campaign({ sourceId: src, message: long, leads: [1, 2].map((i) => ({ phone: `+1212555092${i}`, zip: '10001' })) });
    const t = clock(noon);
    const ctx: AppContext = { ...engage.ctx, now: t.now };
    expect(await broadcastTick(ctx)).toBe(1); // capacity 1: a full bucket, then 2 segments of debt
    t.advance(299);
    expect(await broadcastTick(ctx)).toBe(0);
    t.advance(1);
    expect(await broadcastTick(ctx)).toBe(1);
  });

  it('limits each number of the pool on its own', async () => {
    const src = await source({ numberMps: 1, numbers: ['+12025550931', '+12025550932'] });
    const c = await campaign({ sourceId: src, leads: [1, 2, 3, 4, 5, 6].map((i) => ({ phone: `+1212555093${i}`, zip: '10001' })) });
    const t = clock(noon);
    const ctx: AppContext = { ...engage.ctx, now: t.now };
    const first = await broadcastTick(ctx);
    const froms = (await engage.ctx.db.selectFrom('messages').select('sender').where('lead_id', 'in', c.leads).execute()).map((m) => m.sender);
    expect(first).toBe(new Set(froms).size); // one message per number that has a lead
    expect(await broadcastTick(ctx)).toBe(0);
    t.advance(1000);
    expect(await broadcastTick(ctx)).toBeGreaterThan(0);
  });
});

describe('carrier daily limits', () => {
  it('stops a carrier at its limit for the day (LIMIT_REACHED), other carriers go on, the next day resumes', async () => {
    const src = await source({ numbers: ['+12025550941'] });
    const c = await campaign({
      sourceId: src, carrierDailyLimits: [{ carrier: 'CELLCO PARTNERSHIP DBA VERIZON WIRELESS', limit: 1 }],
      leads: [{ phone: '+12125550941', zip: '10001', carrier: 'Verizon Wireless' }, { phone: '+12125550942', zip: '10001', carrier: 'Verizon Wireless' }, { phone: '+12125550943', zip: '10001', carrier: 'AT&T' }],
    });
    const t = clock('2026-11-24T17:00:00.000Z');
    const ctx: AppContext = { ...engage.ctx, now: t.now };
    expect(await broadcastTick(ctx)).toBe(2);
    expect((await leadRow(c.leads[1]!)).status).toBe('PENDING');
    t.advance(60_000);
    expect(await broadcastTick(ctx)).toBe(0);
    t.advance(1_000);
    await broadcastTick(ctx);
    const limited = await campaignView(c.id);
    expect(limited.sendingStatus).toBe('LIMIT_REACHED');
    expect(limited.sendingStatusDescription).toContain('Verizon Wireless');
    expect(limited.nextRunTime).toBe('2026-11-25T05:00:00.000Z'); // midnight in the workspace's New York
    t.set('2026-11-25T17:00:00.000Z'); // the workspace's next day
    expect(await broadcastTick(ctx)).toBe(1);
    expect((await leadRow(c.leads[1]!)).status).toBe('QUEUED');
  });
});

describe('the claim cursor', () => {
  const pair = { tz: 'America/New_York', st: 'NY' };
  const campaignRow = (id: string) => engage.ctx.db.selectFrom('campaigns').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('starts a claim after the cursor, and moves it only over the leads that left PENDING', async () => {
    const src = await source({ numbers: ['+12025550851'] });
    const c = await campaign({
      sourceId: src, carrierDailyLimits: [{ carrier: 'AT&T', limit: 1 }],
      leads: ['+12125550851', '+12125550852', '+12125550853', '+12125550854', '+12125550855', '+12125550856'].map((phone) => ({ phone, zip: '10001' })),
    });
    const ids = [...c.leads].sort();
    const ctx: AppContext = { ...engage.ctx, now: () => new Date('2026-11-24T17:00:00.000Z') };
    const row = await campaignRow(c.id);
    const first = await claimBatch(ctx, row, pair, 2);
    expect(first.messages.map((m) => m.lead_id)).toEqual(ids.slice(0, 2));
    expect(first.cursor).toBe(ids[1]);
    const second = await claimBatch(ctx, row, pair, 1, first.cursor);
    expect(second.messages.map((m) => m.lead_id)).toEqual([ids[2]]);
    expect(second.cursor).toBe(ids[2]);
    // The next two are AT&T's, whose limit is one a day: the first goes, the second stays PENDING,
    // the one after them goes; the cursor stops before the one that stayed.
    await engage.ctx.db.updateTable('leads').set({ normalized_carrier: 'AT&T' }).where('id', 'in', [ids[3]!, ids[4]!]).execute();
    const third = await claimBatch(ctx, row, pair, 5, second.cursor);
    expect(third.candidates).toBe(3);
    expect(third.messages.map((m) => m.lead_id)).toEqual([ids[3], ids[5]]);
    expect(third.cursor).toBe(ids[3]);
    expect((await leadRow(ids[4]!)).status).toBe('PENDING');
    // A pending lead behind the cursor is not looked at after it, only from the start.
    await engage.ctx.db.updateTable('leads').set({ status: 'PENDING' }).where('id', '=', ids[0]!).execute();
    const behind = await claimBatch(ctx, row, pair, 5, ids[0]);
    expect(behind.messages).toEqual([]);
    expect(behind.candidates).toBe(0);
    expect((await claimBatch(ctx, row, pair, 5)).messages.map((m) => m.lead_id)).toEqual([ids[0]]);
  });

  it('is kept per pair by the planner; a short claim after it looks behind it before the pair counts as drained', async () => {
    const src = await source({ numbers: ['+12025550861'] });
    await campaign({ sourceId: src, leads: [{ phone: '+12125550861', zip: '10001' }] });
    const planner = new Planner({ ...engage.ctx, now: () => new Date('2026-11-24T17:00:00.000Z') });
    await planner.ensureFresh();
    const result = (over: Partial<ClaimResult>): ClaimResult => ({ messages: [], throttledMs: null, limitedCarriers: [], candidates: 10, cursor: null, ...over });
    const work = planner.next()!;
    expect(work.pair).toEqual(pair);
    expect(work.after).toBeNull();
    await planner.report(work, result({ cursor: 'b'.repeat(24) }), 10);
    expect(planner.next()!.after).toBe('b'.repeat(24));
    // Another lane's claim that ended earlier does not move it back.
    await planner.report({ ...work, after: null }, result({ cursor: 'a'.repeat(24) }), 10);
    const behind = planner.next()!;
    expect(behind.after).toBe('b'.repeat(24));
    await planner.report(behind, result({ candidates: 3 }), 10);
    const again = planner.next()!;
    expect(again.after).toBeNull();
    await planner.report(again, result({ candidates: 3 }), 10);
    expect(planner.next()).toBeNull();
  });

  it('keeps the pairs, drained pairs and cursors for PAIRS_MS, and finds the pairs anew sooner after a NOTIFY or once every open pair is drained', async () => {
    const src = await source({ numbers: ['+12025550871'] });
    const c = await campaign({ sourceId: src, leads: [{ phone: '+12125550871', zip: '10001' }, { phone: '+12125550872', zip: '10001' }] });
    const [moved] = [...c.leads].sort();
    const moveTo = (tz: string, st: string) => engage.ctx.db.updateTable('leads').set({ time_zone: tz, state: st }).where('id', '=', moved!).execute();
    let ms = 0;
    const planner = new Planner({ ...engage.ctx, now: () => new Date('2026-11-24T17:00:00.000Z') }, () => ms);
    const refreshAfter = async (elapsed: number) => {
      ms += elapsed;
      await planner.ensureFresh();
    };
    const result = (over: Partial<ClaimResult>): ClaimResult => ({ messages: [], throttledMs: null, limitedCarriers: [], candidates: 10, cursor: null, ...over });
    const drain = (work: NonNullable<ReturnType<Planner['next']>>) => planner.report({ ...work, after: null }, result({ candidates: 0 }), 10);
    // Every pair the plan offers now (state: where a claim would start), each then reported drained.
    const drainAll = async () => {
      const offered: string[] = [];
      for (let w = planner.next(); w; w = planner.next()) {
        offered.push(`${w.pair.st}:${w.after}`);
        await drain(w);
      }
      return offered.sort();
    };
    await planner.ensureFresh();
    const first = planner.next()!;
    expect(first.pair).toEqual(pair);
    await planner.report(first, result({ cursor: 'b'.repeat(24) }), 10);
    // A lead now in another pair, with no NOTIFY (as a retry falling due would be): a refresh a
    // second later keeps the pairs and the cursor.
    await moveTo('America/Chicago', 'IL');
    await refreshAfter(1_500);
    expect(await drainAll()).toEqual([`NY:${'b'.repeat(24)}`]);
    // Every open pair drained: the next refresh finds the pairs anew.
    await refreshAfter(1_500);
    expect(await drainAll()).toEqual(['IL:null', 'NY:null']);
    await refreshAfter(1_500);
    // A drained pair stays drained while the pairs are kept.
    const one = planner.next()!;
    await drain(one);
    await refreshAfter(1_500);
    expect(await drainAll()).toEqual([one.pair.st === 'IL' ? 'NY:null' : 'IL:null']);
    // Cursors are kept until PAIRS_MS has passed since the pairs were found.
    await refreshAfter(1_500);
    const two = planner.next()!;
    await planner.report(two, result({ cursor: 'c'.repeat(24) }), 10);
    await refreshAfter(1_500);
    expect(planner.next()).toMatchObject({ pair: two.pair, after: 'c'.repeat(24) });
    await refreshAfter(PAIRS_MS);
    expect(planner.next()).toMatchObject({ pair: two.pair, after: null });
    // A NOTIFY (leads loaded, a list or campaign made active): the next refresh looks again at once.
    await moveTo('America/Denver', 'CO');
    planner.invalidate();
    await planner.ensureFresh();
    expect(await drainAll()).toEqual(['CO:null', 'NY:null']);
  });
});

describe('provider errors', () => {
  const noon = '2026-11-24T17:00:00.000Z';

  it('retries a retryable error with backoff (Retry-After when longer), then sends once', async () => {
    const p = new ScriptedProvider((_req, n) => (n === 1 ? { ok: false, retryable: true, code: 'HTTP_503', message: 'busy' } : n === 2 ? { ok: false, retryable: true, code: '20429', message: 'slow down', retryAfterMs: 120_000 } : { ok: true, providerMessageId: `SM${n}` }));
    const src = await source({ provider: 'scripted', numbers: ['+12025550951'] });
    const c = await campaign({ sourceId: src, leads: [{ phone: '+12125550951', zip: '10001' }] });
    const t = clock(noon);
    const ctx: AppContext = { ...engage.ctx, now: t.now, providers: new ProviderRegistry([p]) };
    expect(await broadcastTick(ctx)).toBe(1);
    let lead = await leadRow(c.leads[0]!);
    expect(lead).toMatchObject({ status: 'PENDING', attempts: 1 });
    expect(lead.retry_after!.getTime()).toBe(new Date(noon).getTime() + engage.config.sendRetryBaseMs);
    expect(lead.status_message).toContain('HTTP_503');
    expect(await broadcastTick(ctx)).toBe(0); // not before retry_after
    t.set(lead.retry_after!.toISOString());
    expect(await broadcastTick(ctx)).toBe(1);
    lead = await leadRow(c.leads[0]!);
    expect(lead.retry_after!.getTime()).toBe(t.now().getTime() + 120_000); // Retry-After beats 2 × base
    t.advance(120_000);
    expect(await broadcastTick(ctx)).toBe(1);
    expect(await leadRow(c.leads[0]!)).toMatchObject({ status: 'QUEUED', attempts: 3 });
    expect(p.sent.map((s) => s.to)).toEqual(['+12125550951', '+12125550951', '+12125550951']);
    // Each call carries the end of the lead's window (21:00 in New York) for the provider's
    // validity period (Twilio's ValidityPeriod): a text still queued then is dropped, not sent at night.
    expect(p.sent[0]!.validUntil).toEqual(new Date('2026-11-25T02:00:00.000Z'));
    // Each attempt was its own message; only the last was accepted.
    const msgs = await engage.ctx.db.selectFrom('messages').select(['status', 'attempts']).where('lead_id', '=', c.leads[0]!).orderBy('id').execute();
    expect(msgs).toEqual([{ status: 'FAILED', attempts: 1 }, { status: 'FAILED', attempts: 2 }, { status: 'QUEUED', attempts: 3 }]);
  });

  it('gives up after the maximum attempts, and ends fatal errors at once with the provider code', async () => {
    const p = new ScriptedProvider((req) => (req.to.endsWith('61') ? { ok: false, retryable: true, code: 'HTTP_500', message: 'down' } : { ok: false, retryable: false, code: '21211', message: 'invalid To' }));
    const src = await source({ provider: 'scripted', numbers: ['+12025550961'] });
    const c = await campaign({ sourceId: src, leads: [{ phone: '+12125550961', zip: '10001' }, { phone: '+12125550962', zip: '10001' }] });
    const t = clock(noon);
    const ctx: AppContext = { ...engage.ctx, now: t.now, providers: new ProviderRegistry([p]) };
    await broadcastTick(ctx);
    expect(await leadRow(c.leads[1]!)).toMatchObject({ status: 'FAILED', status_message: '21211: invalid To' });
    for (let i = 1; i < engage.config.sendMaxAttempts; i += 1) {
      t.set((await leadRow(c.leads[0]!)).retry_after!.toISOString());
      expect(await broadcastTick(ctx)).toBe(1);
    }
    const gaveUp = await leadRow(c.leads[0]!);
    expect(gaveUp.status).toBe('FAILED');
    expect(gaveUp.status_message).toBe(`HTTP_500: down (gave up after ${engage.config.sendMaxAttempts} attempts)`);
    expect(p.sent.filter((s) => s.to === '+12125550961')).toHaveLength(engage.config.sendMaxAttempts);
  });

  it('a timeout through a provider that can say what it sent stays SENDING, then is settled from what the provider has after the lease', async () => {
    const p = new (class extends ScriptedProvider {
      async findSent(q: SentQuery): Promise<SentMessage[]> {
        return q.to === '+12125550981' ? [{ id: 'SMfound981', status: 'SENT', errorCode: null, errorMessage: null }] : [];
      }
    })(() => ({ ok: false, retryable: true, code: 'TIMEOUT', message: 'no answer', maybeSent: true }));
    const src = await source({ provider: 'scripted', numbers: ['+12025550981'] });
    const c = await campaign({ sourceId: src, leads: [{ phone: '+12125550981', zip: '10001' }, { phone: '+12125550982', zip: '10001' }] });
    const t = clock(noon);
    const ctx: AppContext = { ...engage.ctx, now: t.now, providers: new ProviderRegistry([p]) };
    await broadcastTick(ctx);
    expect((await leadRow(c.leads[0]!)).status).toBe('SENDING');
    expect((await leadRow(c.leads[1]!)).status).toBe('SENDING');
    t.advance(engage.config.sendLeaseMs + 1000);
    await broadcastTick(ctx);
    // Found, with the status the provider has for it now.
    const found = await leadRow(c.leads[0]!);
    expect(found.status).toBe('SENT');
    const message = await engage.ctx.db.selectFrom('messages').select(['status', 'provider_message_id']).where('id', '=', found.broadcast_message_id!).executeTakeFirstOrThrow();
    expect(message).toEqual({ status: 'SENT', provider_message_id: 'SMfound981' });
    expect(await leadRow(c.leads[1]!)).toMatchObject({ status: 'UNKNOWN', status_message: expect.stringContaining('the provider has no such text since the claim') });
    expect(p.sent).toHaveLength(2);
  });

  it('a provider opt-out (21610) fails the lead and suppresses the phone for the workspace; a timeout is never retried', async () => {
    const p = new ScriptedProvider((req) => (req.to.endsWith('71') ? { ok: false, retryable: false, code: '21610', message: 'unsubscribed', suppress: true } : { ok: false, retryable: true, code: 'TIMEOUT', message: 'no answer', maybeSent: true }));
    const src = await source({ provider: 'scripted', numbers: ['+12025550971'] });
    const c = await campaign({ sourceId: src, leads: [{ phone: '+12125550971', zip: '10001' }, { phone: '+12125550972', zip: '10001' }] });
    const ctx: AppContext = { ...engage.ctx, now: () => new Date(noon), providers: new ProviderRegistry([p]) };
    await broadcastTick(ctx);
    expect(await leadRow(c.leads[0]!)).toMatchObject({ status: 'FAILED', status_message: '21610: unsubscribed' });
    const s = await engage.ctx.db.selectFrom('suppressions').selectAll().where('workspace_id', '=', workspaceId).where('phone', '=', '+12125550971').executeTakeFirst();
    expect(s?.kind).toBe('OPT_OUT');
    const doubt = await leadRow(c.leads[1]!);
    expect(doubt.status).toBe('UNKNOWN');
    expect(doubt.status_message).toContain('not retried');
    expect(await broadcastTick({ ...ctx, now: () => new Date('2026-11-25T17:00:00.000Z') })).toBe(0);
    expect(p.sent).toHaveLength(2);
  });
});

describe('the simulator', () => {
  it('texts each phone once even when a send is repeated under the same reference', async () => {
    const sim = engage.ctx.providers.get('simulator');
    const req = { reference: `ref-${randomUUID()}`, from: '+12025550981', to: '+12125550981', body: 'once' };
    const [a, b] = await Promise.all([sim.send(req), sim.send(req)]);
    expect(a).toEqual(b);
    expect(await simulatorTexts('+12125550981')).toBe(1);
  });
});

describe('replies (send-message task)', () => {
  it('retry a retryable failure as a new job after the backoff, and send once', async () => {
    let replies = 0;
    const p = new ScriptedProvider((req, n) =>
      req.body === 'An answer' && ++replies === 1 ? { ok: false, retryable: true, code: 'HTTP_429', message: 'too many', retryAfterMs: 5_000 } : { ok: true, providerMessageId: `SMreply${n}` });
    const src = await source({ provider: 'scripted', numbers: ['+12025550991'] });
    const c = await campaign({ sourceId: src, leads: [{ phone: '+12125550991', zip: '10001' }] });
    const t = clock('2026-11-24T17:00:00.000Z');
    const ctx: AppContext = { ...engage.ctx, now: t.now, providers: new ProviderRegistry([p]) };
    await broadcastTick(ctx); // the broadcast: lead now has its number
    const lead = await leadRow(c.leads[0]!);
    const reply = await engage.ctx.db.transaction().execute((trx) => queueReply(ctx, trx, lead, 'AGENT', 'An answer'));
    const task = sendMessageTask(ctx);
    const helpers = {} as Parameters<typeof task>[1];
    await task({ messageId: reply.id }, helpers);
    const after = await engage.ctx.db.selectFrom('messages').selectAll().where('id', '=', reply.id).executeTakeFirstOrThrow();
    expect(after).toMatchObject({ status: 'PENDING', attempts: 1 });
    expect(after.status_message).toContain('HTTP_429');
    const jobs = await sql<{ run_at: Date }>`SELECT j.run_at FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks k ON k.id = j.task_id
      WHERE k.identifier = 'send-message' AND j.payload->>'messageId' = ${reply.id} ORDER BY j.id`.execute(engage.ctx.db);
    // The newest job is the retry (the reply's first job, never run here, is due at the real time).
    // Retry-After (5 s) is shorter than the first backoff step, which wins.
    expect(jobs.rows.at(-1)!.run_at.getTime()).toBe(t.now().getTime() + engage.config.sendRetryBaseMs);
    await task({ messageId: reply.id }, helpers);
    expect(await engage.ctx.db.selectFrom('messages').select(['status', 'attempts', 'provider_message_id']).where('id', '=', reply.id).executeTakeFirstOrThrow())
      .toEqual({ status: 'QUEUED', attempts: 2, provider_message_id: 'SMreply3' });
    await task({ messageId: reply.id }, helpers); // a duplicate job does nothing
    expect(p.sent.filter((s) => s.body === 'An answer')).toHaveLength(2);
  });
});

describe('a slow provider', () => {
  it('does not hold back another campaign: its lanes keep sending while the slow one waits', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = new ScriptedProvider(() => ({ ok: true, providerMessageId: 'never' }));
    const stuck: SmsProvider = { name: 'stuck', idempotentSend: false, send: async (req) => { await gate; return slow.send(req); } };
    const stuckSrc = await source({ provider: 'stuck', numbers: ['+12025550995'] });
    const stuckCampaign = await campaign({ sourceId: stuckSrc, leads: [{ phone: '+12125550995', zip: '10001' }] });
    await engage.api('PATCH', '/api/public/engage/workspace', { quietHoursPolicy: 'NONE' });
    const ctx: AppContext = { ...engage.ctx, providers: new ProviderRegistry([stuck, engage.ctx.providers.get('simulator')]) };
    const sender = startBroadcastSender(ctx, engage.config.databaseUrl!);
    try {
      // First the slow provider holds a lane (its lead is claimed, the call does not return)…
      await eventually(async () => ((await leadRow(stuckCampaign.leads[0]!)).status === 'SENDING' ? true : undefined), 15_000, 'the stuck send');
      // …then another campaign starts, and is sent all the same.
      const fastSrc = await source({ numbers: ['+12025550996'] });
      const fast = await campaign({ sourceId: fastSrc, leads: [1, 2, 3].map((i) => ({ phone: `+1212555099${5 + i}`, zip: '10001' })) });
      await engage.ctx.db.updateTable('campaigns').set({ campaign_status: 'ACTIVE' }).where('id', '=', stuckCampaign.id).execute();
      await eventually(async () => ((await Promise.all(fast.leads.map(leadRow))).every((l) => l.status === 'QUEUED') ? true : undefined), 15_000, 'the fast campaign to be sent');
      expect((await leadRow(stuckCampaign.leads[0]!)).status).toBe('SENDING');
    } finally {
      release();
      await sender.stop();
      await engage.api('PATCH', '/api/public/engage/workspace', { quietHoursPolicy: 'US_TCPA' });
    }
    expect((await leadRow(stuckCampaign.leads[0]!)).status).toBe('QUEUED');
  });
});
