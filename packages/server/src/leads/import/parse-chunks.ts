/**
 * The parsing itself: the file streams through the UTF-8 guard and the CSV reader (csv.ts), each
 * record becomes a lead line (stage.ts), and the lines come out in chunks. It runs in the loading
 * thread for small files and in a worker thread for large ones (parse-thread.ts, which starts the
 * thread with this module and what it imports bundled into one script: no TypeScript loader there).
 */
import { createReadStream } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { CsvReader, asFileError, utf8Guard, type ByteMeter } from './csv.ts';
import type { ImportOptions } from './options.ts';
import { PhoneFilter } from './phone-filter.ts';
import { CopyBuffer, RowStager, SegmentPool, type ChunkData, type LeadTarget, type Rejection, type ImportRejectReason } from './stage.ts';

export interface ParseJob {
  file: string;
  options: ImportOptions;
  /** Stamps the lead ids and `created` (ms since the epoch). */
  now: number;
  target: LeadTarget;
  chunkRows: number;
  /** The phone filter's bits (PhoneFilter over a SharedArrayBuffer), filled by the loading side. */
  filter: Uint32Array<ArrayBufferLike>;
}

export interface ParsedChunk {
  chunk: ChunkData;
  /** Data rows of the file up to and including this chunk. */
  rowsThrough: number;
  bytesThrough: number;
}

/** What the thread found on its own: data rows, and the rejections decided in JavaScript. */
export interface ParseEnd {
  rows: number;
  rejections: { kept: Rejection[]; counts: Partial<Record<ImportRejectReason, number>>; total: number };
}

/** What the parsing thread posts to the loading thread. */
export type ThreadMessage =
  | ({ type: 'chunk' } & ParsedChunk)
  | ({ type: 'end' } & ParseEnd)
  | { type: 'error'; fileError: string | null; message: string; code: string | undefined };

/**
 * The file as chunks of lead lines, then the summary. Chunks are `chunkRows` records of the file
 * (rejected ones and the header included).
 */
export async function* parseHere(job: ParseJob, pool: SegmentPool): AsyncGenerator<ParsedChunk, ParseEnd> {
  const meter: ByteMeter = { bytes: 0 };
  const stager = new RowStager(job.options, new Date(job.now), job.target, new PhoneFilter(job.filter));
  const reader = new CsvReader();
  // 64 KiB reads, checked as UTF-8 text on the way; null after the last.
  const file = utf8Guard(meter)(createReadStream(job.file, { highWaterMark: 64 * 1024 }));
  let out = new CopyBuffer(pool);
  let n = 0;
  for await (const bytes of thenEnd(file)) {
    if (bytes === null) reader.finish();
    else reader.push(bytes);
    for (let record = reader.next(); record !== null; record = reader.next()) {
      stager.stage(record, out);
      if (++n >= job.chunkRows) {
        yield { chunk: out.data(), rowsThrough: stager.rows, bytesThrough: meter.bytes };
        out = new CopyBuffer(pool);
        n = 0;
      }
    }
  }
  yield { chunk: out.data(), rowsThrough: stager.rows, bytesThrough: meter.bytes };
  const { kept, counts, total } = stager.rejections;
  return { rows: stager.rows, rejections: { kept, counts, total } };
}

/** The source's items, then null. */
async function* thenEnd<T>(source: AsyncIterable<T>): AsyncGenerator<T | null> {
  yield* source;
  yield null;
}

/** The parsing thread's side: answers each 'next' with a chunk, then with the summary (or an error). */
export async function runParseThread(): Promise<void> {
  const port = parentPort!;
  const pool = new SegmentPool();
  let asked = 0;
  let wake: (() => void) | null = null;
  port.on('message', (m: 'next' | { release: ArrayBuffer[] }) => {
    // Segments the loading thread is done with come back to be filled again.
    if (typeof m === 'object') return pool.give(m.release.map((b) => Buffer.from(b)));
    asked++;
    wake?.();
    wake = null;
  });
  const turn = async () => {
    while (asked === 0) await new Promise<void>((r) => (wake = r));
    asked--;
  };
  try {
    const chunks = parseHere(workerData as ParseJob, pool);
    for (;;) {
      await turn();
      const step = await chunks.next();
      if (step.done) {
        port.postMessage({ type: 'end', ...step.value } satisfies ThreadMessage);
        return;
      }
      // Handed over, not copied: the segments' memory moves to the loading thread.
      const buffers = [...new Set(step.value.chunk.segments.map((s) => s.buffer as ArrayBuffer))];
      port.postMessage({ type: 'chunk', ...step.value } satisfies ThreadMessage, buffers);
    }
  } catch (err) {
    port.postMessage({ type: 'error', fileError: asFileError(err)?.message ?? null, message: (err as Error).message, code: (err as NodeJS.ErrnoException).code } satisfies ThreadMessage);
  }
}
