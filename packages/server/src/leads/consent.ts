/**
 * The consent ledger: every opt-out, opt-in and do-not-contact change of a phone in a workspace
 * is an append-only `consent_records` row (phone, kind, ADD/REMOVE, source, the message that
 * caused it, time). A trigger applies each record to `suppressions` in the same transaction, and
 * turns any direct write to `suppressions` into a record, so the state is always the ledger's.
 *
 * Sources: KEYWORD (the lead texted STOP/START), AGENT (console or widget), API (management API or
 * a conversation endpoint), IMPORT (a list load), PROVIDER (the carrier reported an opt-out).
 */
import { sql } from 'kysely';
import { iso } from '../core/time.ts';
import type { DbOrTrx } from '../db/pool.ts';

export type ConsentSource = 'KEYWORD' | 'AGENT' | 'API' | 'IMPORT' | 'PROVIDER';
export const CONSENT_SOURCES: readonly ConsentSource[] = ['KEYWORD', 'AGENT', 'API', 'IMPORT', 'PROVIDER'];

export interface ConsentChange {
  workspaceId: number;
  phone: string;
  kind: 'OPT_OUT' | 'DNC';
  action: 'ADD' | 'REMOVE';
  source: ConsentSource;
  detail?: string | null;
  messageId: string | null;
}

/**
 * Appends a record when it changes the phone's state; true when it did. Changes of one phone are
 * serialised (transaction-level advisory lock), so two simultaneous STOPs make one record.
 * Call inside the transaction of the change's cause.
 */
export async function recordConsent(db: DbOrTrx, c: ConsentChange): Promise<boolean> {
  const run = async (trx: DbOrTrx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${`consent:${c.workspaceId}:${c.phone}`}))`.execute(trx);
    const current = await trx.selectFrom('suppressions').select('kind').where('workspace_id', '=', c.workspaceId).where('phone', '=', c.phone).where('kind', '=', c.kind).executeTakeFirst();
    if ((current !== undefined) === (c.action === 'ADD')) return false;
    await trx
      .insertInto('consent_records')
      .values({ workspace_id: c.workspaceId, phone: c.phone, kind: c.kind, action: c.action, source: c.source, detail: c.detail ?? null, message_id: c.messageId })
      .execute();
    return true;
  };
  // The advisory lock must live in a transaction: open one unless the caller did.
  return db.isTransaction ? run(db) : db.transaction().execute(run);
}

export interface ConsentRecordView {
  id: number; phone: string; kind: string; action: string; source: string; detail: string | null; messageId: string | null; created: string;
}

const recordView = (r: { id: number; phone: string; kind: string; action: string; source: string; detail: string | null; message_id: string | null; created: Date }): ConsentRecordView => ({
  id: r.id, phone: r.phone, kind: r.kind, action: r.action, source: r.source, detail: r.detail, messageId: r.message_id, created: iso(r.created),
});

/** The ledger of one phone, oldest first. */
export async function consentHistory(db: DbOrTrx, workspaceId: number, phone: string): Promise<ConsentRecordView[]> {
  const rows = await db.selectFrom('consent_records').selectAll().where('workspace_id', '=', workspaceId).where('phone', '=', phone).orderBy('id').execute();
  return rows.map(recordView);
}

/** Current suppressions, newest first, paged by the record id that made each. */
export async function listSuppressions(db: DbOrTrx, workspaceId: number, f: { phone?: string; kind?: 'OPT_OUT' | 'DNC'; limit: number; cursor?: number }) {
  let q = db.selectFrom('suppressions').select(['phone', 'kind', 'source', 'created', 'record_id']).where('workspace_id', '=', workspaceId);
  if (f.phone) q = q.where('phone', '=', f.phone);
  if (f.kind) q = q.where('kind', '=', f.kind);
  if (f.cursor !== undefined) q = q.where('record_id', '<', f.cursor);
  const rows = await q.orderBy('record_id', 'desc').limit(f.limit).execute();
  return {
    suppressions: rows.map((r) => ({ phone: r.phone, kind: r.kind, source: r.source, created: iso(r.created) })),
    nextCursor: rows.length === f.limit && rows[rows.length - 1]!.record_id !== null ? String(rows[rows.length - 1]!.record_id) : null,
  };
}

const CSV_COLUMNS = ['id', 'created', 'phone', 'kind', 'action', 'source', 'messageId', 'detail'] as const;

/** A CSV field: quoted when needed; a leading =, +, -, @ is defused so spreadsheets do not run it. */
function csvField(v: string | number | null): string {
  if (v === null) return '';
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s) && !/^\+\d+$/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The ledger records of a time range as CSV lines (header first), in pages so memory stays flat. */
export async function* consentCsv(db: DbOrTrx, workspaceId: number, from: Date, to: Date): AsyncGenerator<string> {
  yield CSV_COLUMNS.join(',') + '\r\n';
  let after = 0;
  for (;;) {
    const rows = await db
      .selectFrom('consent_records').selectAll()
      .where('workspace_id', '=', workspaceId).where('created', '>=', from).where('created', '<', to).where('id', '>', after)
      .orderBy('id').limit(5000).execute();
    if (rows.length === 0) return;
    yield rows.map((r) => {
      const v = recordView(r);
      return CSV_COLUMNS.map((c) => csvField(v[c])).join(',') + '\r\n';
    }).join('');
    after = rows[rows.length - 1]!.id;
  }
}
