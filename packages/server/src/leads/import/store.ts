/**
 * The `list_imports` rows: one per uploaded file, from upload to completion webhook. Plain functions
 * taking `db` or `trx` first.
 */
import path from 'node:path';
import { sql, type Selectable } from 'kysely';
import { iso } from '../../core/time.ts';
import type { ListImportsTable } from '../../db/schema.ts';
import type { Db, DbOrTrx } from '../../db/pool.ts';

export type ListImportRow = Selectable<ListImportsTable>;
export type ImportStatus = ListImportRow['status'];

/** Where uploads wait for the worker: `<dataDir>/imports/<jobId>.csv`. */
export const importsDir = (dataDir: string) => path.join(dataDir, 'imports');
export const importFile = (dataDir: string, id: string) => path.join(importsDir(dataDir), `${id}.csv`);

export async function getImport(db: DbOrTrx, id: string, workspaceId?: number): Promise<ListImportRow | undefined> {
  let q = db.selectFrom('list_imports').selectAll().where('id', '=', id);
  if (workspaceId !== undefined) q = q.where('workspace_id', '=', workspaceId);
  return q.executeTakeFirst();
}

/**
 * Records progress; answers the current status so the task notices a cancellation. Committed
 * without waiting for the WAL to reach the disk (`synchronous_commit = off`, this transaction only):
 * the import's COPY fills the WAL meanwhile, and a commit that waits has to wait for all of that to
 * be flushed first (≈ 50 ms per chunk in the import benchmark; ≈ 3 ms without). A progress count lost to
 * a server crash costs nothing: the import's own transaction is lost with it and starts over.
 */
export async function recordProgress(db: Db, id: string, processed: number, bytes: number): Promise<ImportStatus | null> {
  return db.transaction().execute(async (trx) => {
    await sql`SET LOCAL synchronous_commit = off`.execute(trx);
    const row = await trx.updateTable('list_imports').set({ processed, bytes_processed: bytes }).where('id', '=', id).returning('status').executeTakeFirst();
    return row?.status ?? null;
  });
}

/** PROCESSING → FAILED with the operator-facing reason; false when it was no longer PROCESSING. */
export async function failImport(db: DbOrTrx, id: string, message: string, now: Date): Promise<boolean> {
  const r = await db
    .updateTable('list_imports')
    .set({ status: 'FAILED', message, finished: now })
    .where('id', '=', id)
    .where('status', '=', 'PROCESSING')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** PROCESSING → CANCELLED; undefined when the import is unknown or already finished. */
export async function cancelImport(db: DbOrTrx, workspaceId: number, id: string, now: Date): Promise<ListImportRow | undefined> {
  return db
    .updateTable('list_imports')
    .set({ status: 'CANCELLED', message: 'cancelled on request; nothing was loaded', finished: now })
    .where('id', '=', id)
    .where('workspace_id', '=', workspaceId)
    .where('status', '=', 'PROCESSING')
    .returningAll()
    .executeTakeFirst();
}

/**
 * The summary answered by `GET /list/load/{jobId}` and POSTed to `webhookUrl`. Counts and
 * rejections are final once `status` is no longer PROCESSING; meanwhile `processed` and `progress`
 * (the share of the file read, 0..1) move.
 */
export function importSummary(r: ListImportRow) {
  const progress = r.status === 'COMPLETED' ? 1 : r.file_bytes > 0 ? Math.min(1, Math.round((r.bytes_processed / r.file_bytes) * 1000) / 1000) : 0;
  return {
    jobId: r.id,
    listId: r.list_id,
    campaignId: r.campaign_id,
    fileName: r.file_name,
    status: r.status,
    message: r.message,
    total: r.total,
    processed: r.processed,
    progress,
    accepted: r.accepted,
    rejected: r.rejected,
    reasons: r.reasons,
    rejections: r.rejections,
    rejectionsOmitted: r.rejections_omitted,
    created: iso(r.created),
    started: iso(r.started),
    finished: iso(r.finished),
  };
}
export type ImportSummary = ReturnType<typeof importSummary>;
