/**
 * Real-world CSV (issue 3, point 3), uploaded as real files: BOM, CRLF/LF/CR, quoted commas, quotes
 * and line breaks, ragged rows, blank lines, unmapped and custom columns, huge fields, and files that
 * are not CSV at all — which fail with a clear message and load nothing.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngage, type TestEngage } from '../../../test/harness.ts';
import { DEFAULT_CHUNK_ROWS, importTuning } from './load-file.ts';
import { MAX_FIELD_CHARS } from './stage.ts';
import { campaign, cols, importList, listLeads } from './testkit.ts';

let engage: TestEngage;
let campaignId: string;
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'engage-csv-'));
  engage = await startTestEngage({ env: { ENGAGE_DATA_DIR: path.join(tmp, 'data') } });
  campaignId = await campaign(engage, 'Formats');
});
afterAll(() => engage?.close());

/** Writes the file to disk first and uploads what was written, as an operator's browser would. */
async function importFile(name: string, content: string | Buffer, processRequest: object) {
  const file = path.join(tmp, name);
  await writeFile(file, content);
  return importList(engage, { campaignId, csv: new Uint8Array(await readFile(file)), fileName: name, processRequest });
}

const leadCount = async () => Number((await engage.ctx.db.selectFrom('leads').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

describe('real-world CSV', () => {
  it('reads an Excel export: UTF-8 BOM, CRLF, quoted commas, doubled quotes and line breaks', async () => {
    const csv = '\ufeffPhone,Name,Notes\r\n' +
      '"(212) 555-0201","Smith, Jane","Said ""call me"" twice"\r\n' +
      '212-555-0202,José Ñúñez,"line one\r\nline two, with comma"\r\n';
    const s = await importFile('excel.csv', csv, { firstRowHeaders: true, mappedCols: cols('Phone', 'Name', 'Notes') });
    expect(s).toMatchObject({ status: 'COMPLETED', total: 2, accepted: 2, rejected: 0 });
    expect((await listLeads(engage, s.listId)).map((l) => l.leadData)).toEqual([
      { Phone: '(212) 555-0201', Name: 'Smith, Jane', Notes: 'Said "call me" twice' },
      { Phone: '212-555-0202', Name: 'José Ñúñez', Notes: 'line one\r\nline two, with comma' },
    ]);
  });

  it('reads LF, CR and mixed line ends, skips blank lines and comma-only rows, and numbers rows over data records', async () => {
    const csv = 'Phone,Name\n2125550211,A\r\n\n2125550212,B\r2125550213,C\n,\n   \nbad,D\n\n';
    const s = await importFile('mixed.csv', csv, { firstRowHeaders: true, mappedCols: cols('Phone', 'Name') });
    expect(s).toMatchObject({ status: 'COMPLETED', total: 4, accepted: 3, rejected: 1 });
    expect(s.rejections).toEqual([{ row: 4, reason: 'INVALID_PHONE', value: 'bad' }]);
    expect((await listLeads(engage, s.listId)).map((l) => l.leadData.Name)).toEqual(['A', 'B', 'C']);
  });

  it('takes ragged rows: a missing mapped column is null, extra columns are ignored', async () => {
    const csv = 'Phone,First,Last,Ignored\n2125550221,Ann\n2125550222,Bob,Ross,x,y,z\n2125550223,Cy,Twombly,skip\n';
    const s = await importFile('ragged.csv', csv, { firstRowHeaders: true, mappedCols: cols('Phone', 'First', 'Last') });
    expect(s).toMatchObject({ status: 'COMPLETED', accepted: 3 });
    expect((await listLeads(engage, s.listId)).map((l) => l.leadData)).toEqual([
      { Phone: '2125550221', First: 'Ann', Last: null },
      { Phone: '2125550222', First: 'Bob', Last: 'Ross' },
      { Phone: '2125550223', First: 'Cy', Last: 'Twombly' },
    ]);
  });

  it('keeps mapped custom columns under their columnId, whatever the header says, and only those', async () => {
    const csv = 'secret,cell,Favourite Colour,Zip\nS1,2125550231,teal,10001\n';
    const s = await importFile('custom.csv', csv, { firstRowHeaders: true, mappedCols: [{ columnIndex: 1, columnId: 'Phone' }, { columnIndex: 2, columnId: 'Colour' }, { columnIndex: 3, columnId: 'Zip' }] });
    const [lead] = await listLeads(engage, s.listId);
    expect(lead.leadData).toEqual({ Phone: '2125550231', Colour: 'teal', Zip: '10001' });
    expect(Object.keys(lead.leadData)).toEqual(['Phone', 'Colour', 'Zip']);
  });

  it('rejects a row whose mapped field is huge with FIELD_TOO_LARGE, and ignores huge unmapped fields', async () => {
    const huge = 'x'.repeat(MAX_FIELD_CHARS + 1);
    const csv = `Phone,Notes,Unmapped\n2125550241,"${huge}",a\n2125550242,fine,"${huge.repeat(5)}"\n2125550243,"${'y'.repeat(MAX_FIELD_CHARS)}",b\n`;
    const s = await importFile('huge.csv', csv, { firstRowHeaders: true, mappedCols: cols('Phone', 'Notes') });
    expect(s).toMatchObject({ status: 'COMPLETED', total: 3, accepted: 2, rejected: 1, reasons: { FIELD_TOO_LARGE: 1 } });
    expect(s.rejections).toEqual([{ row: 1, reason: 'FIELD_TOO_LARGE', value: `Notes: ${MAX_FIELD_CHARS + 1} characters (at most ${MAX_FIELD_CHARS})` }]);
    expect((await listLeads(engage, s.listId)).map((l) => l.leadData.Notes.length)).toEqual([4, MAX_FIELD_CHARS]);
  });

  it('treats a header-less file as data from row 1', async () => {
    const s = await importFile('noheader.csv', '2125550251,A\nPhone,B\n', { firstRowHeaders: false, mappedCols: cols('Phone', 'Name') });
    expect(s).toMatchObject({ total: 2, accepted: 1, rejections: [{ row: 2, reason: 'INVALID_PHONE', value: 'Phone' }] });
  });
});

describe('files that are not CSV', () => {
  // Chunks of 10 rows: several are settled (inserted) before the bad bytes are reached.
  beforeAll(() => {
    importTuning.chunkRows = 10;
  });
  afterAll(() => {
    importTuning.chunkRows = DEFAULT_CHUNK_ROWS;
  });
  const request = { firstRowHeaders: true, mappedCols: cols('Phone') };
  // Good rows first: a failure late in the file must still leave nothing behind.
  const good = 'Phone\n' + Array.from({ length: 50 }, (_, i) => `212555${3000 + i}`).join('\n') + '\n';

  it.each([
    ['an Excel workbook', Buffer.concat([Buffer.from('PK\x03\x04\x14\x00\x06\x00', 'latin1'), Buffer.alloc(64, 7)]), /Excel workbook.*CSV UTF-8/],
    ['a PDF', Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1'), /PDF/],
    ['UTF-16 text', Buffer.from('\ufeffPhone\n2125550261\n', 'utf16le'), /UTF-16/],
    ['binary data after good rows', Buffer.concat([Buffer.from(good), Buffer.from([0x89, 0x00, 0x01])]), /binary data/],
    ['Windows-1252 text after good rows', Buffer.concat([Buffer.from(good), Buffer.from('2125550299,Jos\xe9\n', 'latin1')]), /not UTF-8/],
    ['an unclosed quote', good + '"2125550262,never closed\n2125550263\n', /quoted field opened at line 52 is never closed/],
    ['a row over 1 MiB', good + `2125550264,"${'z'.repeat(1_100_000)}"\n`, /larger than 1 MiB/],
  ])('fails %s with a clear message and loads nothing', async (what, content, message) => {
    const before = await leadCount();
    const s = await importFile('garbage.csv', content, request);
    expect(s.status).toBe('FAILED');
    expect(s.message).toMatch(message);
    expect(s.accepted).toBe(0);
    // The parser's failures come after chunks of good rows were inserted: they were rolled back.
    if (/quote|1 MiB/.test(what)) expect(s.processed).toBeGreaterThanOrEqual(10);
    expect(await leadCount()).toBe(before);
    expect(await listLeads(engage, s.listId)).toEqual([]);
  });
});
