/**
 * The broadcast engine under the conditions a business stakes its reputation on:
 * - chaos: 10,000 leads, two `engage worker` processes sending through the simulated carrier over
 *   HTTP, one of them killed with SIGKILL several times at random moments and restarted — every
 *   lead ends with exactly one text (or UNKNOWN), never two, and none is left behind;
 * - the configured rate holds (±5%) when measured at the carrier;
 * - a pause stops sending at once and a resume continues where it stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureOutput } from './child-process.ts';
import { createTestDatabase } from './db.ts';
import { eventually, startTestEngage, testEnv, type TestEngage } from './harness.ts';

const BIN = fileURLToPath(new URL('../bin/engage.js', import.meta.url));
const ALWAYS = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: 0, end: 1440 }]]));

let db: { url: string; drop: () => Promise<void> };
let api: TestEngage;
const workers = new Set<ChildProcess>();

function startWorker(): ChildProcess {
  const child = spawn(process.execPath, [BIN, 'worker'], {
    env: {
      ...process.env,
      ...testEnv(db.url, { ENGAGE_SIMULATOR_URL: api.url, ENGAGE_SIMULATOR_RECEIPTS: 'false', ENGAGE_SEND_LEASE_MS: '2000', ENGAGE_BROADCAST_POLL_MS: '100' }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  captureOutput(child, 'engage worker');
  workers.add(child);
  child.on('exit', () => workers.delete(child));
  return child;
}

async function kill9(child: ChildProcess): Promise<void> {
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** A campaign (approved, not yet active) with `count` leads inserted in one statement. */
async function campaignWithLeads(name: string, count: number, first: number): Promise<string> {
  const c = (await api.api('POST', '/api/public/engage/campaigns', { name, schedule: ALWAYS, messages: { outgoingMessage: 'Hi {{FirstName}}' } })).body;
  await api.api('POST', `/api/public/engage/campaigns/${c.id}/approve`);
  const ws = (await api.api('GET', '/api/public/engage/workspace')).body.id as number;
  const listId = `${c.id.slice(0, 12)}list00000000`.slice(0, 24);
  await api.ctx.db.insertInto('lists').values({ id: listId, workspace_id: ws, campaign_id: c.id, name }).execute();
  await sql`INSERT INTO leads (id, workspace_id, campaign_id, list_id, phone, time_zone, state, lead_data)
    SELECT substr(md5(${c.id} || i), 1, 24), ${ws}, ${c.id}, ${listId}, '+1212' || lpad((5550000 + i)::text, 7, '0'),
           'America/New_York', 'NY', json_build_object('FirstName', 'Lead ' || i)
    FROM generate_series(${first}::int, ${first + count - 1}::int) AS i`.execute(api.ctx.db);
  return c.id as string;
}

const countWhere = async (campaignId: string, statuses: string[]) =>
  Number((await sql<{ n: string }>`SELECT count(*) AS n FROM leads WHERE campaign_id = ${campaignId} AND status = ANY(${statuses}::text[])`.execute(api.ctx.db)).rows[0]!.n);

beforeAll(async () => {
  db = await createTestDatabase();
  // The API process is the simulated carrier the workers call over HTTP; it runs no sender itself.
  api = await startTestEngage({ databaseUrl: db.url, worker: false, env: { ENGAGE_SIMULATOR_RECEIPTS: 'false' } });
});
afterAll(async () => {
  for (const w of [...workers]) await kill9(w);
  await api?.close();
  await db?.drop();
});

describe('chaos: SIGKILL at random moments', () => {
  it('texts 10,000 leads exactly once each with two workers, one killed and restarted five times', async () => {
    const LEADS = 10_000;
    const id = await campaignWithLeads('Chaos', LEADS, 0);
    let victim = startWorker();
    startWorker();
    await api.api('POST', `/api/public/engage/campaigns/${id}/activate`);
    let kills = 0;
    // Kill while sending is under way: each time at a random share of what is still pending.
    while (kills < 5) {
      const pending = await countWhere(id, ['PENDING']);
      if (pending === 0) break;
      const target = Math.floor(pending * (0.6 + Math.random() * 0.3));
      await eventually(async () => ((await countWhere(id, ['PENDING'])) <= target ? true : undefined), 60_000, `pending ≤ ${target}`);
      await kill9(victim);
      kills += 1;
      victim = startWorker();
    }
    expect(kills).toBeGreaterThanOrEqual(3);
    await eventually(async () => ((await countWhere(id, ['PENDING', 'SENDING'])) === 0 ? true : undefined), 120_000, 'every lead to leave PENDING/SENDING');

    const statuses = await sql<{ status: string; n: string }>`SELECT status, count(*) AS n FROM leads WHERE campaign_id = ${id} GROUP BY status`.execute(api.ctx.db);
    const byStatus = Object.fromEntries(statuses.rows.map((r) => [r.status, Number(r.n)]));
    expect(Object.keys(byStatus).every((s) => s === 'QUEUED' || s === 'UNKNOWN'), JSON.stringify(byStatus)).toBe(true);
    // Texts per lead at the carrier: never two; exactly one for every QUEUED lead.
    const texts = await sql<{ status: string; texts: string; n: string }>`
      SELECT l.status, coalesce(t.n, 0) AS texts, count(*) AS n
      FROM leads l LEFT JOIN (SELECT recipient, count(*) AS n FROM simulator_messages WHERE direction = 'OUTBOUND' GROUP BY recipient) t ON t.recipient = l.phone
      WHERE l.campaign_id = ${id} GROUP BY l.status, coalesce(t.n, 0)`.execute(api.ctx.db);
    for (const row of texts.rows) {
      expect(Number(row.texts), JSON.stringify(texts.rows)).toBeLessThanOrEqual(1);
      if (row.status === 'QUEUED') expect(Number(row.texts), JSON.stringify(texts.rows)).toBe(1);
    }
    expect(texts.rows.reduce((a, r) => a + Number(r.n), 0)).toBe(LEADS);
    // Each QUEUED lead's message carries the carrier's id for its one text.
    const orphans = await sql<{ n: string }>`SELECT count(*) AS n FROM messages m JOIN leads l ON l.broadcast_message_id = m.id
      WHERE l.campaign_id = ${id} AND l.status = 'QUEUED' AND m.provider_message_id IS NULL`.execute(api.ctx.db);
    expect(Number(orphans.rows[0]!.n)).toBe(0);
    for (const w of [...workers]) await kill9(w);
  }, 240_000);
});

describe('rate and pause', () => {
  it('holds the configured 20 segments/s within ±5% at the carrier, pauses at once and resumes where it stopped', async () => {
    const LEADS = 200;
    await api.ctx.db.updateTable('campaigns').set({ campaign_status: 'COMPLETED' }).where('campaign_status', '=', 'ACTIVE').execute();
    const id = await campaignWithLeads('Rate', LEADS, 50_000);
    await api.ctx.db.updateTable('sender_sources').set({ mps: 20 }).execute();
    startWorker();
    startWorker();
    await api.api('POST', `/api/public/engage/campaigns/${id}/activate`);
    const texts = async () =>
      (await sql<{ created: Date }>`SELECT s.created FROM simulator_messages s JOIN leads l ON l.phone = s.recipient WHERE l.campaign_id = ${id} ORDER BY s.created`.execute(api.ctx.db)).rows.map((r) => r.created.getTime());

    await eventually(async () => ((await texts()).length >= 165 ? true : undefined), 30_000, '165 texts');
    const paused = await api.api('POST', `/api/public/engage/campaigns/${id}/pause`);
    expect(paused.status).toBe(200);
    // What was claimed before the pause committed may still reach the carrier; nothing else may.
    const claimedAtPause = LEADS - (await countWhere(id, ['PENDING']));
    await eventually(async () => ((await countWhere(id, ['SENDING'])) === 0 ? true : undefined), 10_000, 'in-flight sends to settle');
    const duringPause = (await texts()).length;
    expect(duringPause).toBe(claimedAtPause);
    expect(await countWhere(id, ['PENDING'])).toBe(LEADS - claimedAtPause);

    await api.api('POST', `/api/public/engage/campaigns/${id}/activate`);
    await eventually(async () => ((await countWhere(id, ['PENDING', 'SENDING'])) === 0 ? true : undefined), 30_000, 'the rest to be sent');
    const all = await texts();
    expect(all).toHaveLength(LEADS);
    // The steady rate before the pause: after the bucket's first fill (a fifth of a second's
    // worth, sent at once), from the 5th text to the 165th: eight seconds, long enough that the
    // scheduling jitter of a busy machine stays well inside the tolerance.
    const steady = all.slice(4, 165);
    const rate = (steady.length - 1) / ((steady.at(-1)! - steady[0]!) / 1000);
    expect(rate).toBeGreaterThanOrEqual(19);
    expect(rate).toBeLessThanOrEqual(21);
  }, 120_000);
});
