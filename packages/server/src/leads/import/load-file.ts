/**
 * Loads one uploaded file in one transaction: the file streams from disk through the UTF-8 guard
 * and the CSV parser, each record becomes a staging row in JavaScript, and every `chunkRows` rows are
 * COPYed into a temporary table and settled in SQL (settle.ts). JavaScript parses the next chunk while
 * PostgreSQL settles the current one, so the two processes work at once; memory holds two chunks at
 * most, whatever the file's size. The import is marked COMPLETED in the same transaction: all or nothing.
 */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Kysely, PostgresDialect, type PostgresDialectConfig } from 'kysely';
import type pg from 'pg';
import type { AppContext } from '../../context.ts';
import { notifyBroadcast } from '../../db/jobs.ts';
import type { Db } from '../../db/pool.ts';
import type { Database } from '../../db/schema.ts';
import { csvParser, utf8Guard, type ByteMeter } from './csv.ts';
import type { ImportOptions } from './options.ts';
import { addCampaignPhones, beginSettling, copyChunk, rejectionSummary, settleChunk, type SettleTarget } from './settle.ts';
import { CopyBuffer, RowStager, SegmentPool } from './stage.ts';
import { importFile, recordProgress, type ListImportRow } from './store.ts';

/**
 * Rows per chunk (default 50,000): progress is written and a cancellation looked for after each.
 * Mutable so tests can make chunks small.
 */
export const importTuning = { chunkRows: 50_000 };

/** The import was cancelled (its row is no longer PROCESSING); nothing was committed. */
export class ImportCancelled extends Error {}

/** The import cannot go on for a reason the operator must hear (e.g. the campaign was completed). */
export class ImportRefused extends Error {}

interface Chunk {
  /** COPY text of the chunk's staged rows (possibly none). */
  copy: Buffer[];
  /** Hands the chunk's buffers back for reuse; call once the COPY is done. */
  release: () => void;
  /** Data rows of the file up to and including this chunk. */
  rowsThrough: number;
  bytesThrough: number;
}

/** The file as chunks of COPY text. */
async function* chunksOf(file: string, stager: RowStager, meter: ByteMeter): AsyncGenerator<Chunk> {
  const parser = csvParser();
  // 64 KiB reads: the parser turns each read into records at once, and fewer of them wait (and age) in memory.
  const reading = pipeline(createReadStream(file, { highWaterMark: 64 * 1024 }), utf8Guard(meter), parser);
  // Errors of the reading side reach us through the parser's iterator; this only keeps them handled.
  reading.catch(() => undefined);
  try {
    const pool = new SegmentPool();
    const chunk = (out: CopyBuffer): Chunk => ({ copy: out.segments(), release: () => out.release(), rowsThrough: stager.rows, bytesThrough: meter.bytes });
    let out = new CopyBuffer(pool);
    let n = 0;
    for await (const record of parser as AsyncIterable<string[]>) {
      stager.stage(record, out);
      if (++n >= importTuning.chunkRows) {
        yield chunk(out);
        out = new CopyBuffer(pool);
        n = 0;
      }
    }
    await reading;
    yield chunk(out);
  } finally {
    parser.destroy();
  }
}

export async function loadFile(
  ctx: AppContext,
  client: pg.PoolClient,
  imp: ListImportRow,
  options: ImportOptions,
  signal: AbortSignal | undefined,
): Promise<void> {
  const now = ctx.now();
  const stager = new RowStager(options, now);
  const meter: ByteMeter = { bytes: 0 };
  const target: SettleTarget = {
    workspaceId: imp.workspace_id, campaignId: imp.campaign_id, listId: imp.list_id, deDupe: options.deDupe,
    phoneKey: options.mappedCols[options.phone]!.columnId, now,
  };

  await client.query('BEGIN');
  try {
    await beginSettling(client, imp.campaign_id);
    if (stager.seen !== null) await addCampaignPhones(client, imp.campaign_id, stager.seen);
    let accepted = 0;
    const chunks = chunksOf(importFile(ctx.config.dataDir, imp.id), stager, meter);
    try {
      let next = chunks.next();
      for (;;) {
        const { done, value: chunk } = await next;
        if (done) break;
        if (chunk.copy.length > 0) await copyChunk(client, chunk.copy);
        chunk.release();
        // JavaScript reads the next chunk while PostgreSQL settles this one. Not earlier: parsing
        // keeps the event loop busy, and the COPY above would wait for it.
        next = chunks.next();
        next.catch(() => undefined); // awaited on the next turn; dropped if this one fails
        if (chunk.copy.length > 0) accepted += await settleChunk(client, target);
        // Between chunks: report progress, and stop if the import was cancelled or the worker is stopping.
        const status = await recordProgress(ctx.db, imp.id, chunk.rowsThrough, chunk.bytesThrough);
        if (status !== 'PROCESSING') throw new ImportCancelled(`import ${imp.id} is ${status ?? 'gone'}`);
        if (signal?.aborted) throw new Error('the worker is stopping; the import will run again');
      }
    } finally {
      await chunks.return(undefined).catch(() => undefined);
    }

    const trx = kyselyOn(client);
    const campaign = await trx.selectFrom('campaigns').select('campaign_status').where('id', '=', imp.campaign_id).forShare().executeTakeFirst();
    if (campaign === undefined || campaign.campaign_status === 'COMPLETED') {
      throw new ImportRefused('the campaign was completed while the list was loading; nothing was loaded');
    }
    const settled = await rejectionSummary(client, accepted, stager.rejections);
    // Only a PROCESSING import completes: a cancel that got in first wins, and this rolls back.
    const done = await trx
      .updateTable('list_imports')
      .set((eb) => ({
        status: 'COMPLETED', message: null, total: stager.rows, processed: stager.rows, bytes_processed: eb.ref('file_bytes'),
        accepted: settled.accepted, rejected: settled.rejected, reasons: JSON.stringify(settled.reasons),
        rejections: JSON.stringify(settled.rejections), rejections_omitted: settled.rejected - settled.rejections.length, finished: ctx.now(),
      }))
      .where('id', '=', imp.id)
      .where('status', '=', 'PROCESSING')
      .executeTakeFirst();
    if (Number(done.numUpdatedRows) !== 1) throw new ImportCancelled(`import ${imp.id} was cancelled`);
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
