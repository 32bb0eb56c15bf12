/**
 * Issue 3, points 4 and 5 through real uploads: E.164 normalisation of US/Canada formats, invalid
 * phones rejected, dedupe within the file (first occurrence wins, across chunks too) and against the
 * campaign's leads, opt-outs and do-not-contact, enrichment from ZIP or area code, the 10,000
 * rejection cap, and leads of an active campaign picked up by the broadcast.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestEngage, type TestEngage } from '../../../test/harness.ts';
import { createWorkspace } from '../../workspaces/bootstrap.ts';
import { DEFAULT_CHUNK_ROWS, importTuning } from './load-file.ts';
import { campaign, cols, importList, listLeads } from './testkit.ts';

let engage: TestEngage;
let workspaceId: number;

beforeAll(async () => {
  engage = await startTestEngage({ env: { ENGAGE_DATA_DIR: await mkdtemp(path.join(os.tmpdir(), 'engage-import-')) } });
  workspaceId = (await engage.api('GET', '/api/public/engage/workspace')).body.id;
});
afterAll(() => engage?.close());

const phoneOnly = (campaignId: string, rows: string[], extra: object = {}) =>
  importList(engage, { campaignId, csv: rows.map((r) => `${r}\n`).join(''), processRequest: { mappedCols: cols('Phone', 'Zip'), ...extra } });

describe('phones', () => {
  it.each([
    ['2125550301', '+12125550301'],
    ['(212) 555-0302', '+12125550302'],
    ['212-555-0303', '+12125550303'],
    ['212.555.0304', '+12125550304'],
    ['"212 555 0305"', '+12125550305'],
    ['1-212-555-0306', '+12125550306'],
    ['+1 212 555 0307', '+12125550307'],
    ['+12125550308', '+12125550308'],
    ['"1 (212) 555-0309"', '+12125550309'],
    ['212/555-0310', '+12125550310'],
    ['2125550311 x123', '+12125550311'],
    ['" 212-555-0312 "', '+12125550312'],
    ['12125550313', '+12125550313'],
    ['(416) 555-0314', '+14165550314'],
    ['"212\u00a0555\u00a00315"', '+12125550315'],
  ])('normalises %s to %s', async (raw, e164) => {
    const s = await phoneOnly(await campaign(engage, 'Formats'), [raw]);
    expect(s).toMatchObject({ status: 'COMPLETED', accepted: 1 });
    const [lead] = await listLeads(engage, s.listId);
    expect(lead.phone).toBe(e164);
    // The line type and carrier stay unknown until a provider lookup says otherwise.
    expect(lead).toMatchObject({ carrier: null, normalizedCarrier: null, status: 'PENDING' });
  });

  it('rejects every invalid phone as INVALID_PHONE with the value as written', async () => {
    const raws = ['555-1212', '12345678901234', 'call me', '(055) 555-1212', '', '212-555-012', '911', '+1 555'];
    const s = await importList(engage, { campaignId: await campaign(engage, 'Invalid'), csv: raws.map((r) => `${r},x\n`).join(''), processRequest: { mappedCols: cols('Phone', 'Name') } });
    expect(s).toMatchObject({ status: 'COMPLETED', total: raws.length, accepted: 0, rejected: raws.length, reasons: { INVALID_PHONE: raws.length } });
    expect(s.rejections).toEqual(raws.map((value, i) => ({ row: i + 1, reason: 'INVALID_PHONE', value })));
  });
});

describe('dedupe and suppression', () => {
  it('keeps the first occurrence within the file, across chunks too, and rejects the rest as DUPLICATE', async () => {
    importTuning.chunkRows = 2;
    try {
      const rows = ['2125550401', '3125550402', '(212) 555-0401', '4155550403', '+1 312 555 0402', '212.555.0401'];
      const s = await phoneOnly(await campaign(engage, 'Dupes'), rows, { deDupe: true });
      expect(s).toMatchObject({ total: 6, accepted: 3, rejected: 3, reasons: { DUPLICATE: 3 } });
      expect(s.rejections).toEqual([
        { row: 3, reason: 'DUPLICATE', value: '(212) 555-0401' },
        { row: 5, reason: 'DUPLICATE', value: '+1 312 555 0402' },
        { row: 6, reason: 'DUPLICATE', value: '212.555.0401' },
      ]);
      expect((await listLeads(engage, s.listId)).map((l) => l.leadData.Phone)).toEqual(['2125550401', '3125550402', '4155550403']);
    } finally {
      importTuning.chunkRows = DEFAULT_CHUNK_ROWS;
    }
  });

  it("rejects phones already in the campaign (any list), not those of other campaigns; deDupe false loads them all", async () => {
    const c = await campaign(engage, 'Existing');
    await engage.api('POST', '/api/public/engage/lead/load', { campaignId: c, listName: 'Earlier', fields: [{ name: 'Phone', value: '2125550411' }] });
    const other = await campaign(engage, 'Other');
    await engage.api('POST', '/api/public/engage/lead/load', { campaignId: other, fields: [{ name: 'Phone', value: '2125550412' }] });
    const s = await phoneOnly(c, ['+12125550411', '2125550412', '2125550412']);
    expect(s).toMatchObject({ accepted: 1, rejections: [{ row: 1, reason: 'DUPLICATE', value: '+12125550411' }, { row: 3, reason: 'DUPLICATE', value: '2125550412' }] });
    const all = await phoneOnly(c, ['+12125550411', '2125550412', '2125550412'], { deDupe: false, listName: 'Everything' });
    expect(all).toMatchObject({ accepted: 3, rejected: 0 });
  });

  it("rejects the workspace's opted-out (OPTED_OUT) and do-not-contact (DNC) phones, opt-out first", async () => {
    const otherWs = await createWorkspace(engage.ctx.db, { orgName: 'O', workspaceName: 'O', apiKey: 'engk_dedupe_other_0123456789abcdef', numbers: [] });
    await engage.ctx.db.insertInto('suppressions').values([
      { workspace_id: workspaceId, phone: '+12125550421', kind: 'OPT_OUT', source: 'test', message_id: null },
      { workspace_id: workspaceId, phone: '+12125550422', kind: 'DNC', source: 'test', message_id: null },
      { workspace_id: workspaceId, phone: '+12125550423', kind: 'DNC', source: 'test', message_id: null },
      { workspace_id: workspaceId, phone: '+12125550423', kind: 'OPT_OUT', source: 'test', message_id: null },
      { workspace_id: otherWs.workspaceId, phone: '+12125550424', kind: 'OPT_OUT', source: 'test', message_id: null },
    ]).execute();
    const s = await phoneOnly(await campaign(engage, 'Suppressed'), ['212-555-0421', '212-555-0422', '212-555-0423', '212-555-0424', '212-555-0421']);
    expect(s).toMatchObject({ accepted: 1, rejected: 4, reasons: { OPTED_OUT: 3, DNC: 1 } });
    expect(s.rejections.map((r: any) => [r.row, r.reason])).toEqual([[1, 'OPTED_OUT'], [2, 'DNC'], [3, 'OPTED_OUT'], [5, 'OPTED_OUT']]);
  });

  it('keeps the first 10,000 rejections in row order and counts the rest', async () => {
    const rows = ['2125550431', '2125550431', ...Array.from({ length: 10_050 }, (_, i) => `bad${i}`)];
    const s = await phoneOnly(await campaign(engage, 'Cap'), rows);
    expect(s).toMatchObject({ total: 10_052, accepted: 1, rejected: 10_051, rejectionsOmitted: 51, reasons: { DUPLICATE: 1, INVALID_PHONE: 10_050 } });
    expect(s.rejections).toHaveLength(10_000);
    expect(s.rejections[0]).toEqual({ row: 2, reason: 'DUPLICATE', value: '2125550431' });
    expect(s.rejections[9_999]).toEqual({ row: 10_001, reason: 'INVALID_PHONE', value: 'bad9998' });
  });
});

describe('enrichment', () => {
  it('places leads by ZIP, else by area code, else nowhere', async () => {
    const rows = [
      ['2125550501', '90210'], // ZIP wins over the New York area code
      ['2125550502', '2134'], // Boston, leading zero lost by a spreadsheet
      ['2125550503', '85001-1234'], // ZIP+4, Arizona (no DST)
      ['3125550504', ''], // no ZIP: the area code's state and zone
      ['3125550505', '00000'], // unknown ZIP: the same
      ['4165550506', 'M5V 3L9'], // Canadian postal code
      ['+44 20 7946 0958', ''], // neither: no zone at all
    ];
    const s = await importList(engage, { campaignId: await campaign(engage, 'Places'), csv: rows.map((r) => `"${r[0]}",${r[1]}\n`).join(''), processRequest: { mappedCols: cols('Phone', 'Zip') } });
    expect(s.accepted).toBe(7);
    const leads = await listLeads(engage, s.listId);
    const place = (l: any) => [l.zip, l.state, l.timeZone, l.lat === null ? null : 'lat', l.lon === null ? null : 'lon'];
    expect(leads.map(place)).toEqual([
      ['90210', 'CA', 'America/Los_Angeles', 'lat', 'lon'],
      ['02134', 'MA', 'America/New_York', 'lat', 'lon'],
      ['85001', 'AZ', 'America/Phoenix', 'lat', 'lon'],
      [null, 'IL', 'America/Chicago', null, null],
      [null, 'IL', 'America/Chicago', null, null],
      ['M5V 3L9', 'ON', 'America/Toronto', 'lat', 'lon'],
      [null, null, null, null, null],
    ]);
    expect(leads[6].phone).toBe('+442079460958');
    expect(leads[1].leadData.Zip).toBe('2134');
  });
});

describe('broadcast', () => {
  it('sends the leads of an import into an active campaign', async () => {
    const always = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: 0, end: 1440 }]]));
    const c = (await engage.api('POST', '/api/public/engage/campaigns', { name: 'Live', schedule: always, messages: { outgoingMessage: 'Hi {{First}}' } })).body.id;
    await engage.api('POST', `/api/public/engage/campaigns/${c}/approve`);
    await engage.api('POST', `/api/public/engage/campaigns/${c}/activate`);
    const s = await importList(engage, { campaignId: c, csv: 'Phone,First\n2125550601,Ann\n2125550602,Bob\n', processRequest: { firstRowHeaders: true, mappedCols: cols('Phone', 'First') } });
    await eventually(async () => {
      const leads = await listLeads(engage, s.listId);
      return leads.every((l) => l.status !== 'PENDING' && l.status !== 'SENDING') ? leads : undefined;
    }, 15_000, 'the imported leads to be sent');
    const sent = await engage.ctx.db.selectFrom('messages').select('body').where('kind', '=', 'BROADCAST').where('recipient', 'in', ['+12125550601', '+12125550602']).orderBy('recipient').execute();
    expect(sent.map((m) => m.body)).toEqual(['Hi Ann', 'Hi Bob']);
  });
});
