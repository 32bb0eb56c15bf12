/**
 * Several processes on one database: two APIs take lead loads at once while two separate worker
 * processes broadcast; every lead is texted exactly once and every one is delivered.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { captureOutput } from './child-process.ts';
import { createTestDatabase } from './db.ts';
import { eventually, startTestEngage, testEnv, type TestEngage } from './harness.ts';

const BIN = fileURLToPath(new URL('../bin/engage.js', import.meta.url));
const LEADS = 300;

let db: { url: string; drop: () => Promise<void> };
let apis: TestEngage[] = [];
const workers: ChildProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  apis = [await startTestEngage({ databaseUrl: db.url, worker: false })];
  apis.push(await startTestEngage({ databaseUrl: db.url, worker: false }));
});
afterAll(async () => {
  for (const w of workers) {
    w.kill('SIGTERM');
    if (w.exitCode === null) await once(w, 'exit');
  }
  for (const a of apis) await a.stop();
  await db.drop();
});

it('texts every lead exactly once with two APIs and two workers', async () => {
  const [a, b] = apis as [TestEngage, TestEngage];
  const c = await a.api('POST', '/api/public/engage/campaigns', {
    name: 'Scale-out',
    schedule: Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: 0, end: 1440 }]])),
    messages: { outgoingMessage: 'Hi {{Name}}' },
  });
  await b.api('POST', `/api/public/engage/campaigns/${c.body.id}/approve`);
  await a.api('POST', `/api/public/engage/campaigns/${c.body.id}/activate`);
  for (let i = 0; i < 2; i++) {
    const worker = spawn(process.execPath, [BIN, 'worker'], { env: { ...process.env, ...testEnv(db.url) }, stdio: ['ignore', 'pipe', 'pipe'] });
    captureOutput(worker, 'engage worker');
    workers.push(worker);
  }

  const phones = Array.from({ length: LEADS }, (_, i) => `+1718555${String(1000 + i)}`);
  // Loads arrive on both APIs at once, while the workers are already sending.
  const results = await Promise.all(phones.map((p, i) => (i % 2 ? a : b).api('POST', '/api/public/engage/lead/load', { campaignId: c.body.id, deDupe: true, fields: [{ name: 'Phone', value: p }, { name: 'Name', value: `L${i}` }] })));
  expect(results.every((r) => r.body.status === 'Accepted')).toBe(true);

  const db0 = a.ctx.db;
  await eventually(async () => {
    const pending = await db0.selectFrom('leads').select('id').where('campaign_id', '=', c.body.id).where('status', '!=', 'DELIVERED').limit(1).execute();
    return pending.length === 0 ? true : undefined;
  }, 60_000, 'every lead delivered');

  const perPhone = await db0.selectFrom('simulator_messages').select(['recipient', (eb) => eb.fn.countAll<number>().as('n')]).where('direction', '=', 'OUTBOUND').groupBy('recipient').execute();
  expect(perPhone).toHaveLength(LEADS);
  expect(perPhone.every((r) => Number(r.n) === 1)).toBe(true);
  const bodies = await db0.selectFrom('simulator_messages').select(['recipient', 'body']).where('recipient', '=', phones[7]!).execute();
  expect(bodies[0]!.body).toBe('Hi L7');
}, 90_000); // four processes on a two-core machine: 27 s of the default 30 s was seen under load
