/**
 * Issue 3, points 2 and 7: the completion summary POSTed to `webhookUrl`, signed (checked with the
 * `standardwebhooks` reference verifier) and retried; progress visible while an import runs; and
 * cancellation — between chunks, or while the import waits for the campaign — loading nothing.
 */
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receiver, eventually, startTestEngage, type TestEngage } from '../../../test/harness.ts';
import { DEFAULT_CHUNK_ROWS, importTuning } from './load-file.ts';
import { CAMPAIGN_LOAD_LOCK } from './settle.ts';
import { importFile } from './store.ts';
import { campaign, cols, finished, importList, listLeads, uploadList } from './testkit.ts';

let engage: TestEngage;
let receiver: Receiver;
let secret: string;

beforeAll(async () => {
  engage = await startTestEngage({ env: { ENGAGE_DATA_DIR: await mkdtemp(path.join(os.tmpdir(), 'engage-import-')) } });
  receiver = await new Receiver().start();
  secret = (await engage.api('GET', '/api/public/engage/webhook-secret')).body.secret;
});
afterAll(async () => {
  await receiver?.stop();
  await engage?.close();
});

const phones = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `+1212${5550000 + from + i}`);
const received = (p: string) => receiver.received.filter((r) => r.path === p);

describe('completion webhook', () => {
  it('POSTs the same summary as GET, signed with the workspace secret', async () => {
    const s = await importList(engage, {
      campaignId: await campaign(engage), csv: 'Phone\n2125550701\nnope\n',
      processRequest: { firstRowHeaders: true, webhookUrl: `${receiver.url}/done?src=import`, mappedCols: cols('Phone') },
    });
    const [hook] = await eventually(() => (received('/done?src=import').length ? received('/done?src=import') : undefined));
    const verified = new Webhook(secret).verify(hook!.raw, hook!.headers as Record<string, string>);
    expect(verified).toEqual(s);
    expect(hook!.body).toMatchObject({ status: 'COMPLETED', accepted: 1, rejected: 1, rejections: [{ row: 2, reason: 'INVALID_PHONE', value: 'nope' }] });
    expect(hook!.headers['webhook-id']).toBe(`msg_${s.jobId}`);
    expect(hook!.headers['x-event-type']).toBe('ListLoadCompleted');
    expect(hook!.headers['x-event-origin']).toBe(engage.ctx.config.publicUrl);
  });

  it('retries a receiver that fails, with the same webhook id', async () => {
    let calls = 0;
    receiver.respond = ({ path: p }) => (p === '/flaky' && ++calls <= 2 ? 500 : 200);
    try {
      const s = await importList(engage, { campaignId: await campaign(engage), csv: '2125550711\n', processRequest: { webhookUrl: `${receiver.url}/flaky`, mappedCols: cols('Phone') } });
      const [hook] = await eventually(() => (received('/flaky').length ? received('/flaky') : undefined));
      expect(calls).toBe(3);
      expect(hook!.headers['webhook-id']).toBe(`msg_${s.jobId}`);
      expect(new Webhook(secret).verify(hook!.raw, hook!.headers as Record<string, string>)).toMatchObject({ jobId: s.jobId, status: 'COMPLETED' });
      // The delivery is recorded just after the receiver answered.
      const row = await eventually(async () => {
        const r = await engage.ctx.db.selectFrom('list_imports').select(['webhook_status', 'webhook_attempts']).where('id', '=', s.jobId).executeTakeFirstOrThrow();
        return r.webhook_status === 'DELIVERED' ? r : undefined;
      });
      expect(row).toEqual({ webhook_status: 'DELIVERED', webhook_attempts: 3 });
    } finally {
      receiver.respond = () => 200;
    }
  });

  it('reports a failed import too', async () => {
    const s = await importList(engage, { campaignId: await campaign(engage), csv: 'Phone\n"2125550721\n', processRequest: { webhookUrl: `${receiver.url}/failed`, mappedCols: cols('Phone') } });
    expect(s.status).toBe('FAILED');
    const [hook] = await eventually(() => (received('/failed').length ? received('/failed') : undefined));
    expect(hook!.body).toMatchObject({ jobId: s.jobId, status: 'FAILED', message: expect.stringMatching(/quoted field opened at line 2 is never closed/), accepted: 0 });
  });
});

describe('progress and cancellation', () => {
  it('shows progress while running and, cancelled between chunks, loads nothing', async () => {
    importTuning.chunkRows = 500;
    try {
      const c = await campaign(engage, 'Cancel');
      const csv = 'Phone\n' + phones(20_000, 1000).join('\n') + '\n';
      const r = await uploadList(engage, { campaignId: c, csv, processRequest: { firstRowHeaders: true, webhookUrl: `${receiver.url}/cancelled`, mappedCols: cols('Phone') } });
      expect(r.status).toBe(202);
      const running = await eventually(async () => {
        const g = (await engage.api('GET', `/api/public/engage/list/load/${r.body.jobId}`)).body;
        return g.status === 'PROCESSING' && g.processed > 0 ? g : undefined;
      }, 20_000, 'progress');
      expect(running.progress).toBeGreaterThan(0);
      expect(running.total).toBeNull();

      const cancel = await engage.api('POST', `/api/public/engage/list/load/${r.body.jobId}/cancel`);
      expect(cancel.status).toBe(200);
      expect(cancel.body).toMatchObject({ jobId: r.body.jobId, status: 'CANCELLED' });
      const [hook] = await eventually(() => (received('/cancelled').length ? received('/cancelled') : undefined), 20_000);
      expect(hook!.body).toMatchObject({ status: 'CANCELLED', accepted: 0 });
      const after = await finished(engage, r.body.jobId);
      // The task noticed between chunks: it stopped before reading the whole file.
      expect(after.processed).toBeLessThan(20_000);
      expect(await listLeads(engage, r.body.listId)).toEqual([]);
      expect(existsSync(importFile(engage.config.dataDir, r.body.jobId))).toBe(false);
    } finally {
      importTuning.chunkRows = DEFAULT_CHUNK_ROWS;
    }
  });

  it('cancels an import waiting for its campaign (DELETE), and refuses to cancel a finished one', async () => {
    const c = await campaign(engage, 'Blocked');
    // Another import of this campaign is settling: this one waits for it.
    const blocker = new pg.Client({ connectionString: engage.databaseUrl });
    await blocker.connect();
    try {
      await blocker.query('SELECT pg_advisory_lock($1, hashtext($2))', [CAMPAIGN_LOAD_LOCK, c]);
      const r = await uploadList(engage, { campaignId: c, csv: phones(10, 100).join('\n'), processRequest: { mappedCols: cols('Phone') } });
      await eventually(async () => {
        const waiting = await blocker.query(`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`);
        return waiting.rowCount ? true : undefined;
      }, 10_000, 'the import to wait for the campaign lock');
      const del = await fetch(`${engage.url}/api/public/engage/list/load/${r.body.jobId}`, { method: 'DELETE', headers: { 'x-api-key': 'engk_test_bootstrap_key_0123456789' } });
      expect(del.status).toBe(200);
      await blocker.query('SELECT pg_advisory_unlock($1, hashtext($2))', [CAMPAIGN_LOAD_LOCK, c]);
      await eventually(() => (existsSync(importFile(engage.config.dataDir, r.body.jobId)) ? undefined : true), 10_000, 'the task to finish');
      expect((await finished(engage, r.body.jobId)).status).toBe('CANCELLED');
      expect(await listLeads(engage, r.body.listId)).toEqual([]);
      const again = await engage.api('POST', `/api/public/engage/list/load/${r.body.jobId}/cancel`);
      expect(again.status).toBe(409);
      expect(again.body.error).toMatchObject({ code: 'CONFLICT', status: 'CANCELLED' });
    } finally {
      await blocker.end();
    }
    const done = await importList(engage, { campaignId: c, csv: '2125550731\n', processRequest: { mappedCols: cols('Phone') } });
    expect((await engage.api('POST', `/api/public/engage/list/load/${done.jobId}/cancel`)).status).toBe(409);
    expect((await engage.api('POST', '/api/public/engage/list/load/ffffffffffffffffffffffff/cancel')).status).toBe(404);
  });
});
