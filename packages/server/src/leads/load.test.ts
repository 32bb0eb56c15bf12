import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngage, type TestEngage } from '../../test/harness.ts';

let engage: TestEngage;
let campaignId: string;

const load = (body: Record<string, unknown>) => engage.api('POST', '/api/public/engage/lead/load', { campaignId, ...body });
const phone = (value: unknown, extra: { name: string; value: unknown }[] = []) => ({ fields: [{ name: 'Phone', value }, ...extra] });

beforeAll(async () => {
  engage = await startTestEngage({ worker: false });
  campaignId = (await engage.api('POST', '/api/public/engage/campaigns', { name: 'Leads' })).body.id;
});
afterAll(() => engage?.close());

describe('single lead load', () => {
  it.each([
    ['5555551212', '+15555551212'],
    ['15555551213', '+15555551213'],
    ['(555) 555-1214', '+15555551214'],
    ['+1 555.555.1215', '+15555551215'],
    ['1-555-555-1216', '+15555551216'],
  ])('normalises %s to %s', async (raw, e164) => {
    const r = await load({ ...phone(raw), listName: 'formats' });
    expect(r.body).toMatchObject({ status: 'Accepted', reason: null });
    const lead = await engage.api('GET', `/api/public/engage/leads/${r.body.leadId}`);
    expect(lead.body.phone).toBe(e164);
    expect(lead.body.leadData.Phone).toBe(raw);
  });

  it.each(['555-1212', '12345678901234', 'call me', '(055) 555-1212', ''])('rejects %j as INVALID_PHONE', async (raw) => {
    const r = await load(phone(raw));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'Rejected', reason: 'INVALID_PHONE', leadId: null });
  });

  it('dedupes normalised phones within the campaign only when asked', async () => {
    const first = await load({ ...phone('2125550150'), listName: 'dupes', deDupe: true });
    expect(first.body.status).toBe('Accepted');
    const dup = await load({ ...phone('+1 (212) 555-0150'), listName: 'dupes', deDupe: true });
    expect(dup.body).toMatchObject({ status: 'Rejected', reason: 'DUPLICATE', listId: first.body.listId });
    const allowed = await load({ ...phone('212.555.0150'), listName: 'dupes', deDupe: false });
    expect(allowed.body.status).toBe('Accepted');
    const other = (await engage.api('POST', '/api/public/engage/campaigns', { name: 'Other' })).body.id;
    const elsewhere = await engage.api('POST', '/api/public/engage/lead/load', { campaignId: other, deDupe: true, ...phone('2125550150') });
    expect(elsewhere.body.status).toBe('Accepted');
  });

  it('serialises concurrent duplicates: exactly one is accepted', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => load({ ...phone('3125550177'), deDupe: true })));
    expect(results.filter((r) => r.body.status === 'Accepted')).toHaveLength(1);
    expect(results.filter((r) => r.body.reason === 'DUPLICATE')).toHaveLength(9);
  });

  it('reuses the list named listName and lists its leads in the webhook lead shape', async () => {
    const a = await load({ ...phone('2125550160', [{ name: 'FirstName', value: 'Ann' }, { name: 'Zip', value: '90210' }]), listName: 'Reuse' });
    const b = await load({ ...phone('2125550161'), listName: 'Reuse' });
    expect(a.body.listId).toBe(b.body.listId);
    const page1 = await engage.api('GET', `/api/public/engage/lists/${a.body.listId}/leads?limit=1`);
    expect(page1.body.leads).toHaveLength(1);
    expect(Object.keys(page1.body.leads[0])).toEqual([
      'id', 'orgId', 'workspaceId', 'messagingCampaignId', 'messagingListId', 'status', 'statusMessage', 'carrier', 'normalizedCarrier',
      'phone', 'fromNumber', 'timeZone', 'zip', 'state', 'lat', 'lon', 'leadData', 'created', 'sent', 'result', 'retryAfter',
      'conversationStarted', 'disposition', 'dispositionTimestamp',
    ]);
    expect(page1.body.leads[0]).toMatchObject({ phone: '+12125550160', zip: '90210', state: 'CA', timeZone: 'America/Los_Angeles', leadData: { FirstName: 'Ann', Zip: '90210' }, status: 'PENDING' });
    const page2 = await engage.api('GET', `/api/public/engage/lists/${a.body.listId}/leads?limit=1&cursor=${page1.body.nextCursor}`);
    expect(page2.body.leads[0].phone).toBe('+12125550161');
    expect(page2.body.leads[0]).toMatchObject({ zip: null, state: 'NY', timeZone: 'America/New_York', lat: null, lon: null });
  });

  it('rejects opted-out and do-not-contact phones of the workspace', async () => {
    const ws = (await engage.api('GET', '/api/public/engage/workspace')).body.id;
    await engage.ctx.db.insertInto('suppressions').values([
      { workspace_id: ws, phone: '+12125550170', kind: 'OPT_OUT', source: 'test', message_id: null },
      { workspace_id: ws, phone: '+12125550171', kind: 'DNC', source: 'test', message_id: null },
    ]).execute();
    expect((await load(phone('2125550170'))).body.reason).toBe('OPTED_OUT');
    expect((await load(phone('2125550171'))).body.reason).toBe('DNC');
  });

  it('rejects loads into a completed campaign', async () => {
    const c = (await engage.api('POST', '/api/public/engage/campaigns', { name: 'Done', messages: { outgoingMessage: 'x' } })).body.id;
    await engage.api('POST', `/api/public/engage/campaigns/${c}/approve`);
    await engage.api('POST', `/api/public/engage/campaigns/${c}/complete`);
    const r = await engage.api('POST', '/api/public/engage/lead/load', { campaignId: c, ...phone('2125550180') });
    expect(r.body).toMatchObject({ status: 'Rejected', reason: 'CAMPAIGN_INACTIVE' });
  });

  it.each([
    [{ fields: [] }, 'fields'],
    [{ fields: [{ value: '1' }] }, 'fields[0].name'],
    [{ fields: [{ name: 'Phone', value: '2125550190' }, { name: 'Phone', value: 'x' }] }, 'fields[1].name'],
    [{ campaignId: 'nope', fields: [{ name: 'Phone', value: '2125550190' }] }, 'campaignId'],
  ])('answers malformed %j with 400 naming %s and stores nothing', async (body, field) => {
    const before = await engage.ctx.db.selectFrom('leads').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const r = await load(body);
    expect(r.status).toBe(400);
    expect(r.body.error.field).toBe(field);
    const after = await engage.ctx.db.selectFrom('leads').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('404s an unknown campaign', async () => {
    const r = await engage.api('POST', '/api/public/engage/lead/load', { campaignId: 'ffffffffffffffffffffffff', ...phone('2125550191') });
    expect(r.status).toBe(404);
  });
});
