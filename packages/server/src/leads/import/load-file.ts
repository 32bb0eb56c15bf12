/**
 * Loads one uploaded file in one transaction: a worker thread streams the file from disk through
 * the UTF-8 guard and the CSV reader and turns each record into a lead line (COPY text)
 * (parse-thread.ts), and every `chunkRows` rows are settled (settle.ts): the few rows that may be
 * suppressed or duplicates are checked in SQL, the rest COPYed straight into `leads`. The thread
 * parses the next chunk while PostgreSQL writes the current one; memory holds two chunks at most,
 * whatever the file's size. The import is marked COMPLETED in the same transaction: all or nothing.
 */
import { Kysely, PostgresDialect, type PostgresDialectConfig } from 'kysely';
import type pg from 'pg';
import type { AppContext } from '../../context.ts';
import { notifyBroadcast } from '../../db/jobs.ts';
import type { Db } from '../../db/pool.ts';
import type { Database } from '../../db/schema.ts';
import type { ImportOptions } from './options.ts';
import { parseFile, type ParseEnd } from './parse-thread.ts';
import { FILTER_BYTES, PhoneFilter } from './phone-filter.ts';
import { beginSettling, fillFilter, rejectionSummary, settleChunk, type SettleTarget } from './settle.ts';
import { importFile, recordProgress, type ListImportRow } from './store.ts';

/**
 * Rows per chunk (default 25,000): progress is written and a cancellation looked for after each.
 * Two or three chunks of COPY text (≈ 8 MB each) are in memory at a time; 50,000 took as long
 * and peaked 20–50 MB higher in the import benchmark. Mutable so tests can make chunks small.
 */
export const DEFAULT_CHUNK_ROWS = 25_000;
export const importTuning = { chunkRows: DEFAULT_CHUNK_ROWS };

/** The import was cancelled (its row is no longer PROCESSING); nothing was committed. */
export class ImportCancelled extends Error {}

/** The import cannot go on for a reason the operator must hear (e.g. the campaign was completed). */
export class ImportRefused extends Error {}

export async function loadFile(
  ctx: AppContext,
  client: pg.PoolClient,
  imp: ListImportRow,
  options: ImportOptions,
  signal: AbortSignal | undefined,
): Promise<void> {
  const now = ctx.now();
  const target: SettleTarget = { workspaceId: imp.workspace_id, campaignId: imp.campaign_id, listId: imp.list_id, deDupe: options.deDupe };
  // Shared with the parsing thread, which adds the file's phones as it goes.
  const seen = new PhoneFilter(new Uint32Array(new SharedArrayBuffer(FILTER_BYTES)));

  await client.query('BEGIN');
  try {
    await beginSettling(client, imp.campaign_id);
    await fillFilter(client, target, seen);
    let accepted = 0;
    const job = { file: importFile(ctx.config.dataDir, imp.id), options, now: now.getTime(), target, chunkRows: importTuning.chunkRows, filter: seen.bits };
    const parsing = parseFile(job, imp.file_bytes);
    const chunks = parsing.chunks;
    let parsed: ParseEnd;
    try {
      let next = chunks.next();
      for (;;) {
        const step = await next;
        if (step.done) {
          parsed = step.value;
          break;
        }
        const { chunk, rowsThrough, bytesThrough } = step.value;
        // The thread parses the next chunk while PostgreSQL writes this one.
        const settling = settleChunk(client, target, chunk);
        settling.catch(() => undefined); // awaited just below
        next = chunks.next();
        next.catch(() => undefined); // awaited on the next turn; dropped if this one fails
        accepted += await settling;
        // Its COPY is done (the server has every byte): the buffers can be filled again.
        parsing.release(chunk);
        // Between chunks: report progress, and stop if the import was cancelled or the worker is stopping.
        const status = await recordProgress(ctx.db, imp.id, rowsThrough, bytesThrough);
        if (status !== 'PROCESSING') throw new ImportCancelled(`import ${imp.id} is ${status ?? 'gone'}`);
        if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('the worker is stopping; the import will run again');
      }
    } finally {
      await chunks.return(undefined as never).catch(() => undefined);
    }

    const trx = kyselyOn(client);
    const campaign = await trx.selectFrom('campaigns').select('campaign_status').where('id', '=', imp.campaign_id).forShare().executeTakeFirst();
    if (campaign === undefined || campaign.campaign_status === 'COMPLETED') {
      throw new ImportRefused('the campaign was completed while the list was loading; nothing was loaded');
    }
    const settled = await rejectionSummary(client, accepted, parsed.rejections);
    // Only a PROCESSING import completes: a cancel that got in first wins, and this rolls back.
    const done = await trx
      .updateTable('list_imports')
      .set((eb) => ({
        status: 'COMPLETED', message: null, total: parsed.rows, processed: parsed.rows, bytes_processed: eb.ref('file_bytes'),
        accepted: settled.accepted, rejected: settled.rejected, reasons: JSON.stringify(settled.reasons),
        rejections: JSON.stringify(settled.rejections), rejections_omitted: settled.rejected - settled.rejections.length, finished: ctx.now(),
      }))
      .where('id', '=', imp.id)
      .where('status', '=', 'PROCESSING')
      // Only under this run's claim (lease.ts): a run that was taken over must not complete.
      .where('attempts', '=', imp.attempts)
      .executeTakeFirst();
    if (Number(done.numUpdatedRows) !== 1) throw new ImportCancelled(`import ${imp.id} was cancelled or taken over`);
    // Delivered on commit: an active campaign's senders pick the new leads up at once.
    if (campaign.campaign_status === 'ACTIVE' && settled.accepted > 0) await notifyBroadcast(trx);
    await client.query('COMMIT');
  } catch (err) {
    // A COPY cut short by an error has already failed on the server; ROLLBACK ends the transaction.
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/**
 * A Kysely instance whose every query runs on `client`, i.e. inside the import's transaction (the
 * COPY needs the raw client; the rest reads better typed).
 */
function kyselyOn(client: pg.PoolClient): Db {
  const pool = { connect: async () => ({ query: client.query.bind(client), release: () => undefined }), end: async () => undefined };
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: pool as unknown as PostgresDialectConfig['pool'] }) });
}
