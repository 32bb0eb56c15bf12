/**
 * Migration 011 replaced the foreign keys from `leads` to `lists (id, campaign_id, workspace_id)`
 * and from `messages` to `leads` and `workspaces` by checks per statement and guards on the parent
 * tables (a foreign key costs a query per inserted row). These tests prove the guarantees the keys
 * gave still hold, against the real database.
 */
import { finished } from 'node:stream/promises';
import { sql } from 'kysely';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestEngage, type TestEngage } from '../../test/harness.ts';

let engage: TestEngage;
let campaignId: string;
let otherCampaignId: string;
let listId: string;
let workspaceId: number;

const hex = (n: number) => n.toString(16).padStart(24, '0');

async function insertLeads(rows: { id: string; list: string; campaign: string; workspace: number }[]): Promise<void> {
  await sql`INSERT INTO leads (id, workspace_id, campaign_id, list_id, phone)
    SELECT r.id, r.workspace, r.campaign, r.list, '+1212555' || lpad((row_number() OVER ())::text, 4, '0')
    FROM json_to_recordset(${JSON.stringify(rows)}) AS r(id bpchar, list bpchar, campaign bpchar, workspace int)`.execute(engage.ctx.db);
}

const foreignKeyError = { code: '23503' };

/** A connection of its own, outside the pool (a transaction held open, a raw COPY). */
async function connect(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: engage.ctx.config.databaseUrl ?? undefined });
  await client.connect();
  return client;
}

beforeAll(async () => {
  engage = await startTestEngage({ worker: false });
  campaignId = (await engage.api('POST', '/api/public/engage/campaigns', { name: 'Integrity' })).body.id;
  otherCampaignId = (await engage.api('POST', '/api/public/engage/campaigns', { name: 'Integrity 2' })).body.id;
  const loaded = await engage.api('POST', '/api/public/engage/lead/load', { campaignId, listName: 'kept', fields: [{ name: 'Phone', value: '2125550100' }] });
  expect(loaded.body.status).toBe('Accepted');
  const list = await engage.ctx.db.selectFrom('lists').select(['id', 'workspace_id']).where('campaign_id', '=', campaignId).executeTakeFirstOrThrow();
  listId = list.id;
  workspaceId = list.workspace_id;
});
afterAll(() => engage?.close());

describe("a lead's list, campaign and workspace", () => {
  it('accepts a statement of many leads of an existing list', async () => {
    await insertLeads([1, 2, 3].map((n) => ({ id: hex(0xa00 + n), list: listId, campaign: campaignId, workspace: workspaceId })));
    const n = await engage.ctx.db.selectFrom('leads').select((eb) => eb.fn.countAll<string>().as('n')).where('list_id', '=', listId).executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(4);
  });

  it('rejects the whole statement when one lead names a list that does not exist', async () => {
    const rows = [
      { id: hex(0xb01), list: listId, campaign: campaignId, workspace: workspaceId },
      { id: hex(0xb02), list: hex(0xdead), campaign: campaignId, workspace: workspaceId },
    ];
    await expect(insertLeads(rows)).rejects.toMatchObject(foreignKeyError);
    const kept = await engage.ctx.db.selectFrom('leads').select('id').where('id', 'in', [hex(0xb01), hex(0xb02)]).execute();
    expect(kept).toEqual([]);
  });

  it("rejects a lead whose campaign or workspace is not its list's", async () => {
    await expect(insertLeads([{ id: hex(0xc01), list: listId, campaign: otherCampaignId, workspace: workspaceId }])).rejects.toMatchObject(foreignKeyError);
    await expect(insertLeads([{ id: hex(0xc02), list: listId, campaign: campaignId, workspace: workspaceId + 1000 }])).rejects.toMatchObject(foreignKeyError);
  });

  it('is checked for COPY too (the import path)', async () => {
    const client = await connect();
    try {
      const copy = client.query(copyFrom('COPY leads (id, workspace_id, campaign_id, list_id, phone) FROM STDIN'));
      copy.end(`${hex(0xd01)}\t${workspaceId}\t${campaignId}\t${hex(0xbeef)}\t+12125550199\n`);
      await expect(finished(copy)).rejects.toMatchObject(foreignKeyError);
    } finally {
      await client.end();
    }
  });

  it('never moves a lead to another list, campaign or workspace', async () => {
    const lead = hex(0xa01);
    await expect(sql`UPDATE leads SET campaign_id = ${otherCampaignId} WHERE id = ${lead}`.execute(engage.ctx.db)).rejects.toMatchObject(foreignKeyError);
    await expect(sql`UPDATE leads SET list_id = ${hex(0xdead)} WHERE id = ${lead}`.execute(engage.ctx.db)).rejects.toMatchObject(foreignKeyError);
    // Other columns change freely.
    await sql`UPDATE leads SET status_message = 'checked' WHERE id = ${lead}`.execute(engage.ctx.db);
  });

  it('keeps a list that has leads: no delete, no re-keying; an empty list may go', async () => {
    await expect(sql`DELETE FROM lists WHERE id = ${listId}`.execute(engage.ctx.db)).rejects.toMatchObject(foreignKeyError);
    await expect(sql`UPDATE lists SET campaign_id = ${otherCampaignId} WHERE id = ${listId}`.execute(engage.ctx.db)).rejects.toMatchObject(foreignKeyError);
    await sql`UPDATE lists SET list_status = 'PAUSED' WHERE id = ${listId}`.execute(engage.ctx.db);
    const empty = hex(0xe01);
    await sql`INSERT INTO lists (id, workspace_id, campaign_id, name) VALUES (${empty}, ${workspaceId}, ${campaignId}, 'empty')`.execute(engage.ctx.db);
    await sql`DELETE FROM lists WHERE id = ${empty}`.execute(engage.ctx.db);
  });

  it('makes a list delete wait for an insert in flight, then refuse', async () => {
    const target = hex(0xe02);
    await sql`INSERT INTO lists (id, workspace_id, campaign_id, name) VALUES (${target}, ${workspaceId}, ${campaignId}, 'racing')`.execute(engage.ctx.db);
    const inserter = await connect();
    try {
      await inserter.query('BEGIN');
      await inserter.query('INSERT INTO leads (id, workspace_id, campaign_id, list_id, phone) VALUES ($1, $2, $3, $4, $5)', [hex(0xe03), workspaceId, campaignId, target, '+12125550198']);
      // The delete blocks on the list row the insert holds KEY SHARE on…
      const deleting = sql`delete from lists where id = ${target}`.execute(engage.ctx.db);
      const outcome = deleting.then(() => 'deleted', (err: { code?: string }) => err.code);
      await eventually(async () => {
        const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'delete from lists%'`.execute(engage.ctx.db);
        return r.rows[0]!.n === 1 ? true : undefined;
      }, 10_000, 'the list delete waiting on the insert');
      await inserter.query('COMMIT');
      // …and once the lead is committed, sees it and refuses.
      expect(await outcome).toBe('23503');
    } finally {
      await inserter.end();
    }
  });
});

describe("a message's lead and workspace", () => {
  const message = (id: string, lead: string | null, workspace: number | null) => sql`
    INSERT INTO messages (id, workspace_id, lead_id, direction, kind, sender, recipient, body, status, created, updated)
    VALUES (${id}, ${workspace}, ${lead}, 'OUTBOUND', 'AGENT', '+12025550100', '+12125550100', 'hi', 'QUEUED', now(), now())`;

  it('accepts existing ones, and none (an unmatched inbound message)', async () => {
    await message(hex(0xf01), hex(0xa01), workspaceId).execute(engage.ctx.db);
    await message(hex(0xf02), null, null).execute(engage.ctx.db);
  });

  it('rejects a lead or a workspace that does not exist, on insert and on update', async () => {
    await expect(message(hex(0xf03), hex(0xdead), workspaceId).execute(engage.ctx.db)).rejects.toMatchObject(foreignKeyError);
    await expect(message(hex(0xf04), hex(0xa01), workspaceId + 1000).execute(engage.ctx.db)).rejects.toMatchObject(foreignKeyError);
    await expect(sql`UPDATE messages SET lead_id = ${hex(0xdead)} WHERE id = ${hex(0xf02)}`.execute(engage.ctx.db)).rejects.toMatchObject(foreignKeyError);
    await expect(sql`UPDATE messages SET workspace_id = ${workspaceId + 1000} WHERE id = ${hex(0xf02)}`.execute(engage.ctx.db)).rejects.toMatchObject(foreignKeyError);
    // Matching the unmatched message to a real lead is allowed.
    await sql`UPDATE messages SET lead_id = ${hex(0xa02)}, workspace_id = ${workspaceId} WHERE id = ${hex(0xf02)}`.execute(engage.ctx.db);
  });

  it('keeps leads and workspaces: no delete, truncate or new id', async () => {
    for (const statement of [
      sql`DELETE FROM leads WHERE id = ${hex(0xa03)}`,
      sql`UPDATE leads SET id = ${hex(0xa09)} WHERE id = ${hex(0xa03)}`,
      sql`TRUNCATE leads CASCADE`,
      sql`DELETE FROM workspaces WHERE id = ${workspaceId}`,
      sql`UPDATE workspaces SET id = ${workspaceId + 1000} WHERE id = ${workspaceId}`,
    ]) {
      await expect(statement.execute(engage.ctx.db)).rejects.toMatchObject(foreignKeyError);
    }
    const lead = await engage.ctx.db.selectFrom('leads').select('id').where('id', '=', hex(0xa03)).executeTakeFirst();
    expect(lead?.id).toBe(hex(0xa03));
  });
});
