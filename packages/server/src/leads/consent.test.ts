/**
 * The consent ledger against a real Engage: keyword opt-out/opt-in, DNC dispositions and the API
 * each append a record (source, message id); the suppressions API and lead loads read the state
 * derived from it; direct writes to `suppressions` still become records; records cannot be changed;
 * the CSV export covers a date range.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_API_KEY, eventually, startTestEngage, type TestEngage } from '../../test/harness.ts';
import { createCampaign, sentConversation } from '../events/testkit.ts';

let engage: TestEngage;
let ws: number;

beforeAll(async () => {
  engage = await startTestEngage();
  ws = (await engage.api('GET', '/api/public/engage/workspace')).body.id;
});
afterAll(() => engage?.close());

const ledger = async (phone: string) => (await engage.api('GET', `/api/public/engage/consent?phone=${encodeURIComponent(phone)}`)).body.records;

/** The state the ledger implies: the last action per kind. */
async function stateFromLedger(): Promise<string[]> {
  const rows = await engage.ctx.db.selectFrom('consent_records').selectAll().where('workspace_id', '=', ws).orderBy('id').execute();
  const state = new Map<string, boolean>();
  for (const r of rows) state.set(`${r.phone} ${r.kind}`, r.action === 'ADD');
  return [...state].filter(([, on]) => on).map(([k]) => k).sort();
}
const suppressionState = async () =>
  (await engage.ctx.db.selectFrom('suppressions').select(['phone', 'kind']).where('workspace_id', '=', ws).execute()).map((s) => `${s.phone} ${s.kind}`).sort();

describe('consent ledger', () => {
  it('records STOP and START with the message that caused them', async () => {
    const conv = await sentConversation(engage, await createCampaign(engage));
    await conv.say('STOP');
    await eventually(async () => ((await ledger(conv.phone)).length === 1 ? true : undefined));
    await conv.say('stop'); // already opted out: no change, no record
    await conv.say('START');
    const records = await eventually(async () => {
      const r = await ledger(conv.phone);
      return r.length === 2 ? r : undefined;
    });
    expect(records.map((r: any) => [r.kind, r.action, r.source])).toEqual([['OPT_OUT', 'ADD', 'KEYWORD'], ['OPT_OUT', 'REMOVE', 'KEYWORD']]);
    const inbound = await engage.ctx.db.selectFrom('messages').select(['id', 'body']).where('lead_id', '=', conv.leadId).where('direction', '=', 'INBOUND').orderBy('id').execute();
    expect(records[0].messageId).toBe(inbound.find((m) => m.body === 'STOP')!.id);
    expect(records[1].messageId).toBe(inbound.find((m) => m.body === 'START')!.id);
    expect((await engage.api('GET', `/api/public/engage/suppressions?phone=${encodeURIComponent(conv.phone)}`)).body.suppressions).toEqual([]);
  });

  it('a do-not-contact disposition is a record, and the suppression blocks sends and loads', async () => {
    const campaignId = await createCampaign(engage, {}, { dispositions: [{ disposition: 'Never', success: false, doNotContact: true }] });
    const conv = await sentConversation(engage, campaignId);
    const r = await fetch(conv.endpoints.dispositionEndpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ disposition: 'Never' }) });
    expect(r.status).toBe(200);
    expect((await ledger(conv.phone)).map((x: any) => [x.kind, x.action, x.source, x.detail])).toEqual([['DNC', 'ADD', 'API', 'disposition:endpoint']]);
    const listed = await engage.api('GET', '/api/public/engage/suppressions?kind=DNC');
    expect(listed.body.suppressions).toContainEqual({ phone: conv.phone, kind: 'DNC', source: 'API', created: expect.any(String) });
    const again = await engage.api('POST', '/api/public/engage/lead/load', { campaignId: await createCampaign(engage), fields: [{ name: 'Phone', value: conv.phone }] });
    expect(again.body).toMatchObject({ status: 'Rejected', reason: 'DNC' });
  });

  it('adds and lifts suppressions through the API, pages them newest first, and validates input', async () => {
    const phones = ['+12125550701', '+12125550702', '+12125550703'];
    for (const phone of phones) {
      const r = await engage.api('POST', '/api/public/engage/suppressions', { phone, kind: 'OPT_OUT' });
      expect(r).toMatchObject({ status: 201, body: { phone, kind: 'OPT_OUT', source: 'API' } });
    }
    expect((await engage.api('POST', '/api/public/engage/suppressions', { phone: '(212) 555-0701', kind: 'OPT_OUT' })).status).toBe(201);
    expect(await ledger('+12125550701')).toHaveLength(1);
    const page1 = await engage.api('GET', '/api/public/engage/suppressions?kind=OPT_OUT&limit=2');
    expect(page1.body.suppressions.map((s: any) => s.phone)).toEqual(['+12125550703', '+12125550702']);
    const page2 = await engage.api('GET', `/api/public/engage/suppressions?kind=OPT_OUT&limit=2&cursor=${page1.body.nextCursor}`);
    expect(page2.body.suppressions.map((s: any) => s.phone)).toContain('+12125550701');

    expect((await engage.api('DELETE', '/api/public/engage/suppressions/%2B12125550702?kind=OPT_OUT')).status).toBe(204);
    expect((await engage.api('DELETE', '/api/public/engage/suppressions/%2B12125550702')).status).toBe(404);
    expect((await ledger('+12125550702')).map((x: any) => x.action)).toEqual(['ADD', 'REMOVE']);

    const bad = await engage.api('POST', '/api/public/engage/suppressions', { phone: 'not a phone', kind: 'OPT_OUT' });
    expect(bad).toMatchObject({ status: 400, body: { error: { field: 'phone' } } });
    const badKind = await engage.api('POST', '/api/public/engage/suppressions', { phone: '+12125550704', kind: 'MAYBE' });
    expect(badKind.status).toBe(400);
    expect(badKind.body.error.field).toBe('kind');
    expect(await ledger('+12125550704')).toEqual([]);
  });

  it('keeps the state derived from the ledger: direct writes become records, records cannot change', async () => {
    await engage.ctx.db.insertInto('suppressions').values({ workspace_id: ws, phone: '+12125550801', kind: 'DNC', source: 'import', message_id: null }).execute();
    expect((await ledger('+12125550801')).map((x: any) => [x.action, x.source])).toEqual([['ADD', 'IMPORT']]);
    await engage.ctx.db.deleteFrom('suppressions').where('workspace_id', '=', ws).where('phone', '=', '+12125550801').execute();
    expect((await ledger('+12125550801')).map((x: any) => x.action)).toEqual(['ADD', 'REMOVE']);
    await expect(engage.ctx.db.updateTable('consent_records').set({ action: 'ADD' }).where('phone', '=', '+12125550801').execute()).rejects.toThrow(/append-only/);
    await expect(engage.ctx.db.deleteFrom('consent_records').where('phone', '=', '+12125550801').execute()).rejects.toThrow(/append-only/);
    expect(await suppressionState()).toEqual(await stateFromLedger());
  });

  it('makes one record of simultaneous opt-outs of one phone', async () => {
    const phone = '+12125550901';
    const results = await Promise.all(Array.from({ length: 8 }, () => engage.api('POST', '/api/public/engage/suppressions', { phone, kind: 'OPT_OUT' })));
    expect(results.every((r) => r.status === 201)).toBe(true);
    expect(await ledger(phone)).toHaveLength(1);
  });

  it('exports a date range as CSV', async () => {
    const from = new Date(Date.now() - 3600_000).toISOString();
    const to = new Date(Date.now() + 3600_000).toISOString();
    const res = await fetch(`${engage.url}/api/public/engage/consent/export.csv?from=${from}&to=${to}`, { headers: { 'x-api-key': TEST_API_KEY } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await res.text()).trim().split('\r\n');
    expect(lines[0]).toBe('id,created,phone,kind,action,source,messageId,detail');
    const total = await engage.ctx.db.selectFrom('consent_records').select('id').where('workspace_id', '=', ws).execute();
    expect(lines).toHaveLength(total.length + 1);
    expect(lines).toContainEqual(expect.stringMatching(/^\d+,[^,]+,\+12125550702,OPT_OUT,REMOVE,API,,$/));
    const empty = await fetch(`${engage.url}/api/public/engage/consent/export.csv?from=2020-01-01&to=2020-01-02`, { headers: { 'x-api-key': TEST_API_KEY } });
    expect((await empty.text()).trim().split('\r\n')).toHaveLength(1);
    const bad = await fetch(`${engage.url}/api/public/engage/consent/export.csv?from=soon&to=${to}`, { headers: { 'x-api-key': TEST_API_KEY } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.field).toBe('from');
  });
});
