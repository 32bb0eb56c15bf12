/**
 * The set-based half of an import, in SQL, on the import's one transaction. Rows arrive in chunks
 * (COPY into a temporary table); each chunk is checked against the workspace's opt-outs and
 * do-not-contact list and, with `deDupe`, against itself (first occurrence wins) and the campaign's
 * leads — which by then include the earlier chunks of this same file — and the rest become leads
 * with one `INSERT … SELECT`. A failure or cancellation rolls every chunk back.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { PhoneFilter } from './phone-filter.ts';
import { MAX_REJECTIONS, STAGING_COLUMNS, clip, type ImportRejectReason, type Rejection, type RejectionLog } from './stage.ts';

/** Lock class of `pg_advisory_xact_lock(class, hashtext(campaignId))`: one import settling per campaign. */
export const CAMPAIGN_LOAD_LOCK = 0x6c697374; // 'list'

export interface SettleTarget {
  workspaceId: number;
  campaignId: string;
  listId: string;
  deDupe: boolean;
  /** The `leadData` key holding the phone as written (the value shown in rejections). */
  phoneKey: string;
  now: Date;
}

export interface Settled {
  accepted: number;
  rejected: number;
  reasons: Partial<Record<ImportRejectReason, number>>;
  /** The first MAX_REJECTIONS rejections of the whole file, in row order. */
  rejections: Rejection[];
}

/**
 * Prepares the transaction: temporary tables (unlogged, private to the session, dropped with the
 * transaction whatever happens) and the campaign lock. Single-lead loads take that lock shared, so
 * no load can decide a phone is new while an import is adding it.
 */
export async function beginSettling(client: pg.PoolClient, campaignId: string): Promise<void> {
  await client.query(`CREATE TEMP TABLE import_rows (
    rn integer NOT NULL, id char(24) NOT NULL, phone text NOT NULL, zip text, state text, time_zone text,
    lat double precision, lon double precision, lead_data json NOT NULL, repeat boolean NOT NULL, seen boolean NOT NULL, reason text
  ) ON COMMIT DROP`);
  await client.query('CREATE TEMP TABLE import_rejected (rn integer NOT NULL, reason text NOT NULL, value text) ON COMMIT DROP');
  // Hashed sub-plans over the workspace's suppressions want more than the default 4 MB (this transaction only).
  await client.query(`SET LOCAL work_mem = '64MB'`);
  await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [CAMPAIGN_LOAD_LOCK, campaignId]);
}

/**
 * Adds the campaign's phones to the filter. Called under the campaign lock, so no load adds one
 * meanwhile; streamed with COPY, so a campaign of millions never sits in memory.
 */
export async function addCampaignPhones(client: pg.PoolClient, campaignId: string, filter: PhoneFilter): Promise<void> {
  if (!/^[0-9a-f]{24}$/.test(campaignId)) throw new Error('not a campaign id');
  const out = client.query(copyTo(`COPY (SELECT phone FROM leads WHERE campaign_id = '${campaignId}') TO STDOUT`));
  let rest = '';
  for await (const chunk of out as AsyncIterable<Buffer>) {
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop() ?? '';
    for (const phone of lines) filter.add(phone);
  }
  if (rest !== '') filter.add(rest);
}

/** COPYs one chunk of staging rows (COPY text format, see stage.ts) into the empty staging table. */
export async function copyChunk(client: pg.PoolClient, segments: Buffer[]): Promise<void> {
  const copy = client.query(copyFrom(`COPY import_rows (${STAGING_COLUMNS.join(', ')}) FROM STDIN`));
  await pipeline(Readable.from(segments), copy);
}

/**
 * Settles the staged chunk: rejected rows are marked and recorded, the others inserted as leads.
 * Returns the leads added. Checks run in this order: opt-out, do-not-contact, then (with `deDupe`)
 * a repeat within the chunk (flagged by stage.ts) or a phone the campaign already has — which
 * includes this file's earlier chunks, inserted by this same transaction.
 */
export async function settleChunk(client: pg.PoolClient, t: SettleTarget): Promise<number> {
  const optOut = `s.phone IN (SELECT phone FROM suppressions WHERE workspace_id = $1 AND kind = 'OPT_OUT')`;
  const dnc = `s.phone IN (SELECT phone FROM suppressions WHERE workspace_id = $1 AND kind = 'DNC')`;
  // Looked up only for phones the filter may have seen (stage.ts). OFFSET 0 keeps it an index probe
  // per row: hashed, it would read the whole campaign every chunk.
  const duplicate = `s.repeat OR (s.seen AND EXISTS (SELECT 1 FROM leads l WHERE l.campaign_id = $3 AND l.phone = s.phone OFFSET 0))`;
  await client.query(
    `WITH rejected AS (
       UPDATE import_rows s SET reason = CASE WHEN ${optOut} THEN 'OPTED_OUT' WHEN ${dnc} THEN 'DNC' ELSE 'DUPLICATE' END
       WHERE ${optOut} OR ${dnc}${t.deDupe ? ` OR ${duplicate}` : ''}
       RETURNING s.rn, s.reason, s.lead_data->>$2 AS value
     )
     INSERT INTO import_rejected (rn, reason, value) SELECT rn, reason, value FROM rejected`,
    t.deDupe ? [t.workspaceId, t.phoneKey, t.campaignId] : [t.workspaceId, t.phoneKey],
  );
  // The staging table is in file order, so lead ids (made in file order) go into the index in order.
  const inserted = await client.query(
    `INSERT INTO leads (id, workspace_id, campaign_id, list_id, phone, time_zone, zip, state, lat, lon, lead_data, created)
     SELECT s.id, $1, $2, $3, s.phone, s.time_zone, s.zip, s.state, s.lat, s.lon, s.lead_data, $4
     FROM import_rows s WHERE s.reason IS NULL`,
    [t.workspaceId, t.campaignId, t.listId, t.now],
  );
  await client.query('TRUNCATE import_rows');
  return inserted.rowCount ?? 0;
}

/** The whole file's rejections: those found in JavaScript and those recorded by the chunks. */
export async function rejectionSummary(client: pg.PoolClient, accepted: number, early: RejectionLog): Promise<Settled> {
  const counts = await client.query<{ reason: ImportRejectReason; n: number }>('SELECT reason, count(*)::int AS n FROM import_rejected GROUP BY reason');
  const late = await client.query<{ row: number; reason: ImportRejectReason; value: string | null }>(
    `SELECT rn AS row, reason, value FROM import_rejected ORDER BY rn LIMIT ${MAX_REJECTIONS}`,
  );
  const reasons: Partial<Record<ImportRejectReason, number>> = { ...early.counts };
  let lateTotal = 0;
  for (const { reason, n } of counts.rows) {
    reasons[reason] = (reasons[reason] ?? 0) + n;
    lateTotal += n;
  }
  return {
    accepted,
    rejected: early.total + lateTotal,
    reasons,
    rejections: mergeByRow(early.kept, late.rows.map((r) => ({ row: r.row, reason: r.reason, value: clip(r.value) }))),
  };
}

/** Two row-ordered lists → the first MAX_REJECTIONS of both, in row order. */
function mergeByRow(a: Rejection[], b: Rejection[]): Rejection[] {
  const out: Rejection[] = [];
  let i = 0;
  let j = 0;
  while (out.length < MAX_REJECTIONS && (i < a.length || j < b.length)) {
    if (j >= b.length || (i < a.length && a[i]!.row < b[j]!.row)) out.push(a[i++]!);
    else out.push(b[j++]!);
  }
  return out;
}
