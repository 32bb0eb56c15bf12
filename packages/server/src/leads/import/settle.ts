/**
 * The set-based half of an import, in SQL, on the import's one transaction. Rows arrive in chunks
 * of COPY text. The few rows of a chunk whose phone the filter may hold (stage.ts) are checked
 * against the workspace's opt-outs and do-not-contact list and, with `deDupe`, against the chunk
 * itself (first occurrence wins) and the campaign's leads — which by then include the earlier chunks
 * of this same file; every other row is COPYed straight into `leads`. A failure or cancellation
 * rolls every chunk back.
 */
import { finished } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { PhoneFilter } from './phone-filter.ts';
import { CANDIDATE_COLUMNS, LEAD_COLUMNS, MAX_REJECTIONS, clip, withoutLines, type ChunkData, type ImportRejectReason, type Rejection, type RejectionLog } from './stage.ts';

/** Lock class of `pg_advisory_xact_lock(class, hashtext(campaignId))`: one import settling per campaign. */
export const CAMPAIGN_LOAD_LOCK = 0x6c697374; // 'list'

export interface SettleTarget {
  workspaceId: number;
  campaignId: string;
  listId: string;
  deDupe: boolean;
}

export interface Settled {
  accepted: number;
  rejected: number;
  reasons: Partial<Record<ImportRejectReason, number>>;
  /** The first MAX_REJECTIONS rejections of the whole file, in row order. */
  rejections: Rejection[];
}

/**
 * Prepares the transaction: temporary tables (private to the session, dropped with the transaction
 * whatever happens) and the campaign lock. Single-lead loads take that lock shared, so no load can
 * decide a phone is new while an import is adding it.
 */
export async function beginSettling(client: pg.PoolClient, campaignId: string): Promise<void> {
  await client.query('CREATE TEMP TABLE import_candidates (rn integer NOT NULL, phone text NOT NULL, value text, repeat boolean NOT NULL) ON COMMIT DROP');
  await client.query('CREATE TEMP TABLE import_rejected (rn integer NOT NULL, reason text NOT NULL, value text) ON COMMIT DROP');
  // Hashed sub-plans over the workspace's suppressions want more than the default 4 MB (this transaction only).
  await client.query(`SET LOCAL work_mem = '64MB'`);
  await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [CAMPAIGN_LOAD_LOCK, campaignId]);
}

/** Streams one column of phones out of the database into the filter: millions never sit in memory. */
async function addPhones(client: pg.PoolClient, select: string, filter: PhoneFilter): Promise<void> {
  const out = client.query(copyTo(`COPY (${select}) TO STDOUT`));
  let rest = '';
  for await (const chunk of out as AsyncIterable<Buffer>) {
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop() ?? '';
    for (const phone of lines) filter.add(phone);
  }
  if (rest !== '') filter.add(rest);
}

/**
 * Adds the workspace's suppressed phones (opt-outs, do-not-contact) to the filter, and with `deDupe`
 * the campaign's phones. Called under the campaign lock, so no load adds a lead meanwhile. A phone
 * suppressed while the import runs is not rejected by it: the broadcast checks suppressions again
 * before it texts anyone.
 */
export async function fillFilter(client: pg.PoolClient, t: SettleTarget, filter: PhoneFilter): Promise<void> {
  if (!/^[0-9a-f]{24}$/.test(t.campaignId) || !Number.isSafeInteger(t.workspaceId)) throw new Error('not a campaign or workspace id');
  await addPhones(client, `SELECT phone FROM suppressions WHERE workspace_id = ${t.workspaceId}`, filter);
  if (t.deDupe) await addPhones(client, `SELECT phone FROM leads WHERE campaign_id = '${t.campaignId}'`, filter);
}

/** COPYs `segments` (COPY text) into `table`; answers the rows written. */
async function copyIn(client: pg.PoolClient, table: string, columns: readonly string[], segments: Buffer[]): Promise<number> {
  const copy = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  // Everything is already in memory: queue it all on the socket rather than wait on each write, so
  // the COPY goes on while JavaScript parses the next chunk.
  for (const s of segments) copy.write(s);
  copy.end();
  await finished(copy);
  return copy.rowCount;
}

/**
 * Checks a chunk's candidates (the rows whose phone the filter may hold): records the rejected ones
 * and answers their row numbers. Checks run in this order: opt-out, do-not-contact, then (with
 * `deDupe`) a repeat within the chunk (flagged by stage.ts) or a phone the campaign already has —
 * which includes this file's earlier chunks, inserted by this same transaction.
 */
export async function checkCandidates(client: pg.PoolClient, t: SettleTarget, candidates: string): Promise<number[]> {
  if (candidates === '') return [];
  await copyIn(client, 'import_candidates', CANDIDATE_COLUMNS, [Buffer.from(candidates, 'utf8')]);
  const optOut = `c.phone IN (SELECT phone FROM suppressions WHERE workspace_id = $1 AND kind = 'OPT_OUT')`;
  const dnc = `c.phone IN (SELECT phone FROM suppressions WHERE workspace_id = $1 AND kind = 'DNC')`;
  // OFFSET 0 keeps it an index probe per row: hashed, it would read the whole campaign every chunk.
  const duplicate = `c.repeat OR EXISTS (SELECT 1 FROM leads l WHERE l.campaign_id = $2 AND l.phone = c.phone OFFSET 0)`;
  const rejected = await client.query<{ rn: number }>(
    `WITH rejected AS (
       SELECT c.rn, CASE WHEN ${optOut} THEN 'OPTED_OUT' WHEN ${dnc} THEN 'DNC' ELSE 'DUPLICATE' END AS reason, c.value
       FROM import_candidates c
       WHERE ${optOut} OR ${dnc}${t.deDupe ? ` OR ${duplicate}` : ''}
     ), recorded AS (
       INSERT INTO import_rejected (rn, reason, value) SELECT rn, reason, value FROM rejected
     )
     SELECT rn FROM rejected`,
    t.deDupe ? [t.workspaceId, t.campaignId] : [t.workspaceId],
  );
  await client.query('TRUNCATE import_candidates');
  return rejected.rows.map((r) => r.rn);
}

/**
 * Settles a chunk: its candidates are checked, and every other line is COPYed straight into
 * `leads` (a COPY writes rows in batches; an `INSERT … SELECT` from a staging table wrote the chunk
 * twice and each row alone). Answers the leads added.
 */
export async function settleChunk(client: pg.PoolClient, t: SettleTarget, chunk: ChunkData): Promise<number> {
  const rejected = await checkCandidates(client, t, chunk.candidates);
  if (chunk.rows === rejected.length) return 0;
  return copyIn(client, 'leads', LEAD_COLUMNS, withoutLines(chunk, rejected));
}

/** The whole file's rejections: those found in JavaScript and those recorded by the chunks. */
export async function rejectionSummary(client: pg.PoolClient, accepted: number, early: Pick<RejectionLog, 'kept' | 'counts' | 'total'>): Promise<Settled> {
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
