/**
 * `POST /api/public/engage/list/load` and `GET …/{jobId}` as SPEC §1.4 and issue 3 describe them:
 * multipart upload over real HTTP, 202 at once, the job's summary, every malformed request refused
 * with a 400 naming the field and nothing written, tenancy, lists of a campaign with counts, and
 * how progress is recorded.
 */
import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_API_KEY, eventually, startTestEngage, type TestEngage } from '../../../test/harness.ts';
import { createWorkspace } from '../../workspaces/bootstrap.ts';
import { createDb } from '../../db/pool.ts';
import { recordProgress } from './store.ts';
import { campaign, cols, finished, importList, listLeads, uploadList } from './testkit.ts';

let engage: TestEngage;
let dataDir: string;
let campaignId: string;
const OTHER_KEY = 'engk_other_workspace_key_0123456789';
const CSV = 'Phone,First Name\n2125550101,Ann\n2125550102,Bob\n';
const REQUEST = { deDupe: true, firstRowHeaders: true, mappedCols: cols('Phone', 'First Name') };

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'engage-import-'));
  engage = await startTestEngage({ env: { ENGAGE_DATA_DIR: dataDir } });
  campaignId = await campaign(engage, 'API');
  await createWorkspace(engage.ctx.db, { orgName: 'Other', workspaceName: 'Other', apiKey: OTHER_KEY, numbers: [] });
});
afterAll(() => engage?.close());

/** The imports dir empties: finished jobs' files are deleted just after they commit; refused uploads never stay. */
const noFilesLeft = () => eventually(async () => ((await readdir(path.join(dataDir, 'imports'))).length === 0 ? true : undefined), 5_000, 'no upload left in the data dir');

const count = async (table: 'leads' | 'lists' | 'list_imports') =>
  Number((await engage.ctx.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

describe('POST /api/public/engage/list/load', () => {
  it('answers 202 with the list and job ids at once, then the job reports its summary', async () => {
    const r = await uploadList(engage, { campaignId, csv: CSV, fileName: 'spring.csv', processRequest: REQUEST });
    expect(r.status).toBe(202);
    expect(r.body).toEqual({ listId: expect.stringMatching(/^[0-9a-f]{24}$/), jobId: expect.stringMatching(/^[0-9a-f]{24}$/), status: 'PROCESSING' });
    const summary = await finished(engage, r.body.jobId);
    expect(summary).toMatchObject({
      jobId: r.body.jobId, listId: r.body.listId, campaignId, fileName: 'spring.csv', status: 'COMPLETED', message: null,
      total: 2, processed: 2, progress: 1, accepted: 2, rejected: 0, reasons: {}, rejections: [], rejectionsOmitted: 0,
    });
    expect(summary.finished).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    // The list is named after the file, and the uploaded file is gone from the data dir.
    const lists = (await engage.api('GET', `/api/public/engage/campaigns/${campaignId}/lists`)).body.lists;
    expect(lists).toContainEqual(expect.objectContaining({ id: r.body.listId, name: 'spring.csv', leads: 2, pending: 2, listStatus: 'ACTIVE' }));
    await noFilesLeft();
  });

  it('loads into the list named listName, reusing it, and accepts the legacy firstRowHasHeaders', async () => {
    const a = await importList(engage, { campaignId, csv: 'Phone\n2125550111\n', processRequest: { listName: 'Reused', firstRowHasHeaders: true, mappedCols: cols('Phone') } });
    const b = await importList(engage, { campaignId, csv: '2125550112\n', processRequest: { listName: 'Reused', mappedCols: cols('Phone') } });
    expect(b.listId).toBe(a.listId);
    expect([a.total, b.total]).toEqual([1, 1]);
    expect((await listLeads(engage, a.listId)).map((l) => l.phone)).toEqual(['+12125550111', '+12125550112']);
  });

  it('takes processRequest sent as a JSON file part too', async () => {
    const r = await uploadList(engage, { campaignId, csv: '2125550121\n', processRequest: { mappedCols: cols('Phone') }, processRequestAsBlob: true });
    expect(r.status).toBe(202);
    expect((await finished(engage, r.body.jobId)).accepted).toBe(1);
  });

  const bad: [string, () => Parameters<typeof uploadList>[1], string][] = [
    ['no campaignId', () => ({ csv: CSV, processRequest: REQUEST }), 'campaignId'],
    ['a malformed campaignId', () => ({ campaignId: 'nope', csv: CSV, processRequest: REQUEST }), 'campaignId'],
    ['no processRequest', () => ({ campaignId, csv: CSV }), 'processRequest'],
    ['processRequest that is not JSON', () => ({ campaignId, csv: CSV, processRequest: '{deDupe: true' }), 'processRequest'],
    ['processRequest that is an array', () => ({ campaignId, csv: CSV, processRequest: '[]' }), 'processRequest'],
    ['no mappedCols', () => ({ campaignId, csv: CSV, processRequest: { deDupe: true } }), 'processRequest.mappedCols'],
    ['empty mappedCols', () => ({ campaignId, csv: CSV, processRequest: { mappedCols: [] } }), 'processRequest.mappedCols'],
    ['a text columnIndex', () => ({ campaignId, csv: CSV, processRequest: { mappedCols: [{ columnIndex: '0', columnId: 'Phone' }] } }), 'processRequest.mappedCols[0].columnIndex'],
    ['a negative columnIndex', () => ({ campaignId, csv: CSV, processRequest: { mappedCols: [{ columnId: 'Phone', columnIndex: 0 }, { columnIndex: -1, columnId: 'X' }] } }), 'processRequest.mappedCols[1].columnIndex'],
    ['a missing columnId', () => ({ campaignId, csv: CSV, processRequest: { mappedCols: [{ columnIndex: 0 }] } }), 'processRequest.mappedCols[0].columnId'],
    ['a column mapped twice', () => ({ campaignId, csv: CSV, processRequest: { mappedCols: [{ columnIndex: 0, columnId: 'Phone' }, { columnIndex: 1, columnId: 'Phone ' }] } }), 'processRequest.mappedCols[1].columnId'],
    ['no phone column', () => ({ campaignId, csv: CSV, processRequest: { mappedCols: cols('Name') } }), 'processRequest.mappedCols'],
    ['a non-boolean deDupe', () => ({ campaignId, csv: CSV, processRequest: { ...REQUEST, deDupe: 'yes' } }), 'processRequest.deDupe'],
    ['a webhookUrl that is not a URL', () => ({ campaignId, csv: CSV, processRequest: { ...REQUEST, webhookUrl: 'not a url' } }), 'processRequest.webhookUrl'],
    ['a webhookUrl with credentials', () => ({ campaignId, csv: CSV, processRequest: { ...REQUEST, webhookUrl: 'https://u:p@example.com/x' } }), 'processRequest.webhookUrl'],
    ['a webhookUrl on ftp', () => ({ campaignId, csv: CSV, processRequest: { ...REQUEST, webhookUrl: 'ftp://example.com/x' } }), 'processRequest.webhookUrl'],
    ['no file', () => ({ campaignId, processRequest: REQUEST }), 'file'],
    ['an empty file', () => ({ campaignId, csv: '', processRequest: REQUEST }), 'file'],
  ];
  it.each(bad)('refuses %s with 400 naming the field, writing nothing', async (_what, input, field) => {
    const before = await Promise.all([count('leads'), count('lists'), count('list_imports')]);
    const r = await uploadList(engage, input());
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'INVALID_REQUEST', field });
    expect(await Promise.all([count('leads'), count('lists'), count('list_imports')])).toEqual(before);
    await noFilesLeft();
  });

  it('404s an unknown campaign and another workspace\'s campaign, 409s a completed one', async () => {
    expect((await uploadList(engage, { campaignId: 'ffffffffffffffffffffffff', csv: CSV, processRequest: REQUEST })).status).toBe(404);
    expect((await uploadList(engage, { campaignId, csv: CSV, processRequest: REQUEST, apiKey: OTHER_KEY })).status).toBe(404);
    const done = (await engage.api('POST', '/api/public/engage/campaigns', { name: 'Done', messages: { outgoingMessage: 'x' } })).body.id;
    await engage.api('POST', `/api/public/engage/campaigns/${done}/approve`);
    await engage.api('POST', `/api/public/engage/campaigns/${done}/complete`);
    const r = await uploadList(engage, { campaignId: done, csv: CSV, processRequest: REQUEST });
    expect(r.status).toBe(409);
    expect(r.body.error.field).toBe('campaignId');
    await noFilesLeft();
  });

  it('401s without a valid key and 415s a body that is not multipart', async () => {
    expect((await uploadList(engage, { campaignId, csv: CSV, processRequest: REQUEST, apiKey: 'engk_wrong' })).status).toBe(401);
    const json = await engage.api('POST', '/api/public/engage/list/load', { campaignId, processRequest: REQUEST });
    expect(json.status).toBe(415);
    expect(json.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('GET /api/public/engage/list/load/{jobId}', () => {
  it('shows a job to its own workspace only', async () => {
    const r = await uploadList(engage, { campaignId, csv: CSV.replace(/0101/, '0131').replace(/0102/, '0132'), processRequest: REQUEST });
    await finished(engage, r.body.jobId);
    const other = await fetch(`${engage.url}/api/public/engage/list/load/${r.body.jobId}`, { headers: { 'x-api-key': OTHER_KEY } });
    expect(other.status).toBe(404);
    const mine = await fetch(`${engage.url}/api/public/engage/list/load/${r.body.jobId}`, { headers: { 'x-api-key': TEST_API_KEY } });
    expect(mine.status).toBe(200);
    expect((await engage.api('GET', '/api/public/engage/list/load/ffffffffffffffffffffffff')).status).toBe(404);
    expect((await engage.api('GET', '/api/public/engage/list/load/nope')).status).toBe(400);
  });
});

describe('GET /api/public/engage/campaigns/{id}/lists', () => {
  it("lists the campaign's lists with lead counts, paged leads and pause/activate", async () => {
    const c = await campaign(engage, 'Counts');
    const csv = 'Phone\n' + Array.from({ length: 250 }, (_, i) => `212555${String(2000 + i)}`).join('\n');
    const big = await importList(engage, { campaignId: c, csv, fileName: 'big.csv', processRequest: { firstRowHeaders: true, mappedCols: cols('Phone') } });
    const small = await importList(engage, { campaignId: c, csv: '3125550100\n', fileName: 'small.csv', processRequest: { mappedCols: cols('Phone') } });
    await engage.api('POST', `/api/public/engage/lists/${small.listId}/pause`);
    const r = await engage.api('GET', `/api/public/engage/campaigns/${c}/lists`);
    expect(r.body.lists).toEqual([
      expect.objectContaining({ id: big.listId, campaignId: c, name: 'big.csv', listStatus: 'ACTIVE', leads: 250, pending: 250 }),
      expect.objectContaining({ id: small.listId, name: 'small.csv', listStatus: 'PAUSED', leads: 1, pending: 1 }),
    ]);
    // Keyset pages: every lead once, in id order.
    const leads = await listLeads(engage, big.listId, 100);
    expect(leads).toHaveLength(250);
    expect(new Set(leads.map((l) => l.id)).size).toBe(250);
    expect(leads.map((l) => l.id)).toEqual([...leads.map((l) => l.id)].sort());
    expect((await engage.api('GET', '/api/public/engage/campaigns/ffffffffffffffffffffffff/lists')).status).toBe(404);
  });
});

describe('recordProgress', () => {
  it('commits the progress, and turns synchronous_commit off for its own transaction only', async () => {
    const done = await importList(engage, { campaignId, csv: 'Phone\n2125550131\n', processRequest: { firstRowHeaders: true, mappedCols: cols('Phone') } });
    // One connection, so the check below runs on the connection the update used.
    const { db, pool } = createDb(engage.config.databaseUrl!, 1);
    try {
      expect(await recordProgress(db, done.jobId, 7, 70)).toBe('COMPLETED');
      const row = await engage.ctx.db.selectFrom('list_imports').select(['processed', 'bytes_processed']).where('id', '=', done.jobId).executeTakeFirstOrThrow();
      expect(row).toEqual({ processed: 7, bytes_processed: 70 });
      // SET LOCAL ends with the transaction: every later commit on the connection waits for the disk again.
      expect((await sql<{ synchronous_commit: string }>`SHOW synchronous_commit`.execute(db)).rows[0]!.synchronous_commit).toBe('on');
      expect(await recordProgress(db, 'ffffffffffffffffffffffff', 1, 1)).toBeNull();
    } finally {
      await pool.end();
    }
  });
});
