/**
 * The whole import as a property: any rows the reader accepts come out as leads whose `leadData`
 * holds every mapped field exactly as written — through the upload, the CSV parser, COPY's text
 * escaping, PostgreSQL's json and back out of the API.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngage, type TestEngage } from '../../../test/harness.ts';
import { campaign, field, importList, listLeads, toCsvField } from './testkit.ts';

let engage: TestEngage;
let campaignId: string;
let run = 0;

beforeAll(async () => {
  engage = await startTestEngage({ env: { ENGAGE_DATA_DIR: await mkdtemp(path.join(os.tmpdir(), 'engage-import-')) } });
  campaignId = await campaign(engage, 'Round trip');
});
afterAll(() => engage?.close());

describe('list import round trip (property)', () => {
  it('keeps every mapped field of every accepted row exactly', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(field, { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 6 }),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        async (rows, eol, bom) => {
          run++;
          // Column 1 is a unique valid phone, so that every row is accepted.
          const phones = rows.map((_, i) => `(212) 555-${String(run * 10 + i).padStart(4, '0')}`);
          const lines = rows.map((r, i) => [r[0]!, phones[i]!, r[1]!, r[2]!].map(toCsvField).join(','));
          const csv = (bom ? '\ufeff' : '') + ['Note,Phone,Name,Extra', ...lines].join(eol) + eol;
          const summary = await importList(engage, {
            campaignId, csv, fileName: `run-${run}.csv`,
            processRequest: {
              firstRowHeaders: true,
              mappedCols: [{ columnIndex: 0, columnId: 'Note' }, { columnIndex: 1, columnId: 'Phone' }, { columnIndex: 2, columnId: 'Name' }, { columnIndex: 3, columnId: 'Extra' }],
            },
          });
          expect(summary).toMatchObject({ status: 'COMPLETED', total: rows.length, accepted: rows.length, rejected: 0 });
          const leads = await listLeads(engage, summary.listId);
          expect(leads.map((l) => l.leadData)).toEqual(rows.map((r, i) => ({ Note: r[0], Phone: phones[i], Name: r[1], Extra: r[2] })));
          // Keys keep the mapping's order (json, not jsonb).
          expect(Object.keys(leads[0].leadData)).toEqual(['Note', 'Phone', 'Name', 'Extra']);
        },
      ),
      { numRuns: 50 },
    );
  });
});
