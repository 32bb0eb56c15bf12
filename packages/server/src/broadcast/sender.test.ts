/**
 * The broadcast sender with an injected clock: the schedule is read in each lead's own time zone,
 * paused campaigns and lists send nothing, suppressed phones are skipped, and sendingStatus /
 * nextRunTime tell the truth.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngage, type TestEngage } from '../../test/harness.ts';
import type { AppContext } from '../context.ts';
import { broadcastTick } from './sender.ts';

let engage: TestEngage;
const at = (iso: string): AppContext => ({ ...engage.ctx, now: () => new Date(iso) });
const WEEKDAYS_9_TO_20 = { monday: [{ start: 540, end: 1200 }], tuesday: [{ start: 540, end: 1200 }], wednesday: [{ start: 540, end: 1200 }], thursday: [{ start: 540, end: 1200 }], friday: [{ start: 540, end: 1200 }] };

async function campaignWith(phones: { phone: string; zip?: string }[], schedule: object = WEEKDAYS_9_TO_20) {
  const c = (await engage.api('POST', '/api/public/engage/campaigns', { name: 'Sched', schedule, messages: { outgoingMessage: 'Hello' } })).body;
  const leads: Record<string, string> = {};
  for (const p of phones) {
    const fields = [{ name: 'Phone', value: p.phone }, ...(p.zip ? [{ name: 'Zip', value: p.zip }] : [])];
    const r = await engage.api('POST', '/api/public/engage/lead/load', { campaignId: c.id, listName: 'L', fields });
    leads[p.phone] = r.body.leadId;
  }
  await engage.api('POST', `/api/public/engage/campaigns/${c.id}/approve`);
  await engage.api('POST', `/api/public/engage/campaigns/${c.id}/activate`);
  return { id: c.id as string, leads };
}
const statusOf = async (leadId: string) => (await engage.ctx.db.selectFrom('leads').select('status').where('id', '=', leadId).executeTakeFirstOrThrow()).status;
const campaign = async (id: string) => (await engage.api('GET', `/api/public/engage/campaigns/${id}`)).body;

beforeAll(async () => {
  // No worker: the test drives the sender itself, at the times it chooses.
  engage = await startTestEngage({ worker: false });
});
afterAll(() => engage?.close());

describe('broadcastTick', () => {
  it('sends by each lead\'s local time and reports when the rest can go', async () => {
    // New York (ZIP 10001) and Los Angeles (ZIP 90001); Monday 2025-03-03 14:30 UTC = 9:30 in NY, 6:30 in LA.
    const { id, leads } = await campaignWith([{ phone: '+12125550301', zip: '10001' }, { phone: '+13105550302', zip: '90001' }]);
    expect(await broadcastTick(at('2025-03-03T14:30:00.000Z'))).toBe(1);
    expect(await statusOf(leads['+12125550301']!)).toBe('QUEUED');
    expect(await statusOf(leads['+13105550302']!)).toBe('PENDING');

    expect(await broadcastTick(at('2025-03-03T14:31:00.000Z'))).toBe(0);
    const waiting = await campaign(id);
    expect(waiting.sendingStatus).toBe('OUTSIDE_SCHEDULE');
    expect(waiting.nextRunTime).toBe('2025-03-03T17:00:00.000Z'); // 9:00 in Los Angeles

    expect(await broadcastTick(at('2025-03-03T17:00:00.000Z'))).toBe(1);
    expect(await statusOf(leads['+13105550302']!)).toBe('QUEUED');
    await broadcastTick(at('2025-03-03T17:01:00.000Z'));
    expect((await campaign(id)).sendingStatus).toBe('COMPLETE');
  });

  it('sends nothing on a day without ranges, nor while the campaign or the list is paused', async () => {
    const { id, leads } = await campaignWith([{ phone: '+12125550311', zip: '10001' }]);
    // Saturday noon in New York: the schedule has no Saturday.
    expect(await broadcastTick(at('2025-03-08T17:00:00.000Z'))).toBe(0);
    const monday = '2025-03-10T15:00:00.000Z';
    await engage.api('POST', `/api/public/engage/campaigns/${id}/pause`);
    expect(await broadcastTick(at(monday))).toBe(0);
    await engage.api('POST', `/api/public/engage/campaigns/${id}/activate`);
    const list = (await engage.api('GET', `/api/public/engage/lists?campaignId=${id}`)).body.lists[0];
    await engage.api('POST', `/api/public/engage/lists/${list.id}/pause`);
    expect(await broadcastTick(at(monday))).toBe(0);
    expect(await statusOf(leads['+12125550311']!)).toBe('PENDING');
    await engage.api('POST', `/api/public/engage/lists/${list.id}/activate`);
    expect(await broadcastTick(at(monday))).toBe(1);
  });

  it('holds leads of unknown time zone until every continental US zone is open', async () => {
    // Area code 555 and no ZIP: no time zone.
    const { leads } = await campaignWith([{ phone: '+15555550321' }]);
    expect((await engage.ctx.db.selectFrom('leads').select('time_zone').where('id', '=', leads['+15555550321']!).executeTakeFirstOrThrow()).time_zone).toBeNull();
    // 9:30 in New York is 6:30 in Los Angeles: not yet.
    expect(await broadcastTick(at('2025-03-04T14:30:00.000Z'))).toBe(0);
    // 12:00 in Los Angeles is 15:00 in New York: everyone is inside 9–20.
    expect(await broadcastTick(at('2025-03-04T20:00:00.000Z'))).toBe(1);
  });

  it('says so when an active campaign has no leads, rather than that every lead was sent', async () => {
    const { id } = await campaignWith([]);
    expect(await broadcastTick(at('2025-03-05T15:00:00.000Z'))).toBe(0);
    const empty = await campaign(id);
    expect(empty.campaignStatus).toBe('ACTIVE');
    expect(empty.sendingStatus).toBe('COMPLETE');
    expect(empty.sendingStatusDescription).toBe('No leads have been loaded yet.');
    expect(empty.nextRunTime).toBeNull();

    // Once a lead is loaded and texted, the campaign is complete in the ordinary sense.
    const loaded = await engage.api('POST', '/api/public/engage/lead/load', { campaignId: id, fields: [{ name: 'Phone', value: '+12125550341' }, { name: 'Zip', value: '10001' }] });
    expect(loaded.body.status).toBe('Accepted');
    expect(await broadcastTick(at('2025-03-05T15:01:00.000Z'))).toBe(1);
    await broadcastTick(at('2025-03-05T15:02:00.000Z'));
    const done = await campaign(id);
    expect(done.sendingStatus).toBe('COMPLETE');
    expect(done.sendingStatusDescription).toBe('Every lead has been sent the broadcast.');
  });

  it('skips a phone suppressed after loading and still completes', async () => {
    const { id, leads } = await campaignWith([{ phone: '+12125550331', zip: '10001' }, { phone: '+12125550332', zip: '10001' }]);
    const ws = (await engage.api('GET', '/api/public/engage/workspace')).body.id;
    await engage.ctx.db.insertInto('suppressions').values({ workspace_id: ws, phone: '+12125550332', kind: 'OPT_OUT', source: 'test', message_id: null }).execute();
    expect(await broadcastTick(at('2025-03-05T15:00:00.000Z'))).toBe(1);
    await broadcastTick(at('2025-03-05T15:01:00.000Z'));
    expect(await statusOf(leads['+12125550332']!)).toBe('SUPPRESSED');
    await broadcastTick(at('2025-03-05T15:02:00.000Z'));
    expect((await campaign(id)).sendingStatus).toBe('COMPLETE');
  });
});
