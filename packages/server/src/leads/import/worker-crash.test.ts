/**
 * Issue 3: a worker process killed in the middle of an import (SIGKILL, no cleanup) must not leave
 * the import PROCESSING for graphile-worker's four-hour lock. Another worker takes it over once the
 * lease (ENGAGE_IMPORT_LEASE_MS) runs out and loads the file again from the start: the import ends
 * COMPLETED once, with every row loaded exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { captureOutput } from '../../../test/child-process.ts';
import { createTestDatabase } from '../../../test/db.ts';
import { Receiver, eventually, startTestEngage, testEnv, type TestEngage } from '../../../test/harness.ts';
import { IMPORT_MAX_CLAIMS, claimImport, recoverAbandonedImports } from './lease.ts';
import { DEFAULT_CHUNK_ROWS } from './load-file.ts';
import { THREAD_MIN_BYTES } from './parse-thread.ts';
import { campaign, cols, uploadList } from './testkit.ts';

const BIN = fileURLToPath(new URL('../../../bin/engage.js', import.meta.url));
/** Several chunks (DEFAULT_CHUNK_ROWS each, as the worker process runs): the worker is killed once the first is in. */
const ROWS = 120_000;
/** Every 1,000th row repeats the phone of the row before it. */
const REPEATS = ROWS / 1000;

let db: { url: string; drop: () => Promise<void> };
let dataDir: string;
let api: TestEngage;
let receiver: Receiver;
const children: ChildProcess[] = [];

beforeEach(async () => {
  db = await createTestDatabase();
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'engage-import-crash-'));
  // API only: the imports run in the child worker processes, which share the data directory.
  api = await startTestEngage({ databaseUrl: db.url, worker: false, env: { ENGAGE_DATA_DIR: dataDir } });
  receiver = await new Receiver().start();
});
afterEach(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await receiver.stop();
  await api.close();
  await db.drop();
  await rm(dataDir, { recursive: true, force: true });
});

/** `engage worker` as a child process, with a short import lease. */
function startWorker(): ChildProcess {
  const child = spawn(process.execPath, [BIN, 'worker'], {
    env: { ...process.env, ...testEnv(db.url, { ENGAGE_DATA_DIR: dataDir, ENGAGE_IMPORT_LEASE_MS: '1500' }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  captureOutput(child, 'engage worker');
  children.push(child);
  return child;
}

/** Over THREAD_MIN_BYTES, so the worker parses it in a worker thread (parse-thread.ts). */
function csv(): string {
  const lines = ['Phone,Name'];
  for (let i = 1; i <= ROWS; i++) lines.push(`${2125000000 + (i % 1000 === 0 ? i - 1 : i)},row ${i} ${PADDING}`);
  return lines.join('\n') + '\n';
}
const PADDING = 'x'.repeat(70);

const importRow = (id: string) => api.ctx.db.selectFrom('list_imports').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

it('a worker killed mid-import: another takes the import over and it completes once, every row loaded once', async () => {
  const campaignId = await campaign(api, 'Crash import');
  const file = csv();
  expect(file.length).toBeGreaterThan(THREAD_MIN_BYTES);
  const up = await uploadList(api, {
    campaignId, csv: file,
    processRequest: { firstRowHeaders: true, deDupe: true, webhookUrl: `${receiver.url}/done`, mappedCols: cols('Phone', 'Name') },
  });
  expect(up.status).toBe(202);
  const { jobId, listId } = up.body as { jobId: string; listId: string };

  const first = startWorker();
  // Killed while loading: the first chunk is settled (progress written), the rest not yet.
  await eventually(async () => {
    const r = await importRow(jobId);
    return r.status === 'PROCESSING' && r.processed >= DEFAULT_CHUNK_ROWS ? true : undefined;
  }, 60_000, 'the first worker to be half-way through the import');
  first.kill('SIGKILL');
  await once(first, 'exit');
  const interrupted = await importRow(jobId);
  expect(interrupted.status).toBe('PROCESSING');
  expect(interrupted.attempts).toBe(1);
  // Its transaction died with it: nothing of the file is in the list.
  const leadsNow = await api.ctx.db.selectFrom('leads').select((eb) => eb.fn.countAll<string>().as('n')).where('list_id', '=', listId).executeTakeFirstOrThrow();
  expect(Number(leadsNow.n)).toBe(0);

  const second = startWorker();
  const done = await eventually(async () => {
    const r = await importRow(jobId);
    return r.status !== 'PROCESSING' ? r : undefined;
  }, 60_000, 'the import to be taken over and finished');
  expect(done).toMatchObject({ status: 'COMPLETED', total: ROWS, accepted: ROWS - REPEATS, rejected: REPEATS, reasons: { DUPLICATE: REPEATS } });
  // Claimed twice: by the killed worker, then by the one that took over.
  expect(done.attempts).toBe(2);

  const counts = await api.ctx.db
    .selectFrom('leads')
    .select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.count<string>('phone').distinct().as('phones'), eb.fn.count<string>('lead_data').as('data')])
    .where('list_id', '=', listId)
    .executeTakeFirstOrThrow();
  expect(Number(counts.n)).toBe(ROWS - REPEATS);
  expect(Number(counts.phones)).toBe(ROWS - REPEATS);
  const sample = await api.ctx.db.selectFrom('leads').select(['phone', 'lead_data']).where('list_id', '=', listId).where('phone', '=', '+12125099999').executeTakeFirstOrThrow();
  expect(sample.lead_data).toEqual({ Phone: '2125099999', Name: `row 99999 ${PADDING}` });
  const inCampaign = await api.ctx.db.selectFrom('leads').select((eb) => eb.fn.countAll<string>().as('n')).where('campaign_id', '=', campaignId).executeTakeFirstOrThrow();
  expect(Number(inCampaign.n)).toBe(ROWS - REPEATS);

  // The summary went out once, saying COMPLETED.
  const hooks = await eventually(() => (receiver.received.length > 0 ? receiver.received : undefined), 20_000, 'the completion webhook');
  expect(hooks[0]!.body).toMatchObject({ jobId, status: 'COMPLETED', accepted: ROWS - REPEATS });
  second.kill('SIGTERM');
  await once(second, 'exit');
  expect(receiver.received.filter((r) => r.path === '/done')).toHaveLength(1);
}, 120_000);

it('a live lease keeps other workers out; an import that keeps losing its worker ends FAILED instead of looping', async () => {
  const up = await uploadList(api, { campaignId: await campaign(api), csv: 'Phone\n2125550101\n', processRequest: { firstRowHeaders: true, mappedCols: cols('Phone') } });
  const jobId = (up.body as { jobId: string }).jobId;
  const lease = api.ctx.config.importLeaseMs;
  expect(await claimImport(api.ctx.db, jobId, lease)).toBe(1);
  // Held and fresh: neither a second claim nor the sweep takes it.
  expect(await claimImport(api.ctx.db, jobId, lease)).toBeNull();
  const queued: string[] = [];
  const queue = async (_db: unknown, id: string) => void queued.push(id);
  expect(await recoverAbandonedImports(api.ctx, queue)).toBe(0);

  // Its worker went silent (heartbeat older than the lease): queued again, once.
  await api.ctx.db.updateTable('list_imports').set({ heartbeat: new Date(Date.now() - lease - 60_000) }).where('id', '=', jobId).execute();
  expect(await recoverAbandonedImports(api.ctx, queue)).toBe(1);
  expect(await recoverAbandonedImports(api.ctx, queue)).toBe(0);
  expect(queued).toEqual([jobId]);
  expect(await claimImport(api.ctx.db, jobId, lease)).toBe(2);

  // The last claim it gets: abandoned again, it fails (and is queued for its webhook and clean-up).
  await api.ctx.db.updateTable('list_imports').set({ attempts: IMPORT_MAX_CLAIMS, heartbeat: new Date(Date.now() - lease - 60_000) }).where('id', '=', jobId).execute();
  expect(await recoverAbandonedImports(api.ctx, queue)).toBe(1);
  expect(await importRow(jobId)).toMatchObject({ status: 'FAILED', message: expect.stringMatching(/interrupted 5 times/) });
  expect(queued).toEqual([jobId, jobId]);
});

it('a large file that turns out not to be UTF-8 near its end fails with the reason, parsed in a thread, loading nothing', async () => {
  const bad = Buffer.concat([Buffer.from(csv(), 'utf8'), Buffer.from('2125550199,caf\xe9\n', 'latin1')]);
  expect(bad.length).toBeGreaterThan(THREAD_MIN_BYTES);
  const campaignId = await campaign(api, 'Not UTF-8');
  const up = await uploadList(api, { campaignId, csv: bad, processRequest: { firstRowHeaders: true, mappedCols: cols('Phone', 'Name') } });
  expect(up.status).toBe(202);
  const worker = startWorker();
  const done = await eventually(async () => {
    const r = await importRow((up.body as { jobId: string }).jobId);
    return r.status !== 'PROCESSING' ? r : undefined;
  }, 60_000, 'the import to fail');
  expect(done).toMatchObject({ status: 'FAILED', message: expect.stringMatching(/not UTF-8/) });
  const n = await api.ctx.db.selectFrom('leads').select((eb) => eb.fn.countAll<string>().as('n')).where('campaign_id', '=', campaignId).executeTakeFirstOrThrow();
  expect(Number(n.n)).toBe(0);
  worker.kill('SIGTERM');
  await once(worker, 'exit');
}, 120_000);
