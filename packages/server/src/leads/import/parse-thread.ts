/**
 * Reading an import's file, in a worker thread for large files: the file streams through the UTF-8
 * guard and the CSV reader (csv.ts), each record becomes a lead line (stage.ts), and chunks of
 * lines go to the loading thread one when asked for, so at most two are being filled or written at
 * a time.
 *
 * Why a thread: the API's event loop never waits for a parse, and the parse's garbage stays in a
 * heap of its own with its own limit (`resourceLimits`), collected early. With `csv-parse`, a
 * million rows made gigabytes of short-lived strings, and in the main thread V8 let ≈ 150 MB of
 * them pile up before collecting (peak RSS ≈ 380 MB; 314 MB with the thread); the byte-level reader
 * makes far fewer, but the thread still keeps them off the API's heap.
 *
 * The loading side is `parseFile` (small files are parsed in place). The thread's entry is
 * `parse-thread.boot.mjs`, which makes TypeScript loadable in the new thread and runs
 * `runParseThread`.
 */
import { createReadStream } from 'node:fs';
import { Worker, parentPort, workerData } from 'node:worker_threads';
import { CsvReader, ImportFileError, asFileError, utf8Guard, type ByteMeter } from './csv.ts';
import type { ImportOptions } from './options.ts';
import { PhoneFilter } from './phone-filter.ts';
import { CopyBuffer, RowStager, SegmentPool, type ChunkData, type LeadTarget, type Rejection, type ImportRejectReason } from './stage.ts';

/** The heap a parsing thread may use; its live data is a few tens of MB (the ZIP memo, a chunk's phones). */
const THREAD_OLD_SPACE_MB = 64;
/** Files at least this large (8 MiB, ≈ 100,000 rows) are parsed in a worker thread. */
export const THREAD_MIN_BYTES = 8 * 1024 * 1024;

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

type ThreadMessage =
  | ({ type: 'chunk' } & ParsedChunk)
  | ({ type: 'end' } & ParseEnd)
  | { type: 'error'; fileError: string | null; message: string; code: string | undefined };

const BOOT = new URL('./parse-thread.boot.mjs', import.meta.url);

/**
 * The file as chunks, parsed in a worker thread; each `next()` asks the thread for the next chunk,
 * so calling it early lets the thread parse while the caller writes the previous one. The
 * generator's return value is the thread's summary. Errors are the thread's, rebuilt: an
 * `ImportFileError` for the file's faults, an Error with the same `code` otherwise (ENOENT…).
 */
/** A file being parsed: its chunks, and where a chunk's buffers go back once COPYed (for reuse). */
export interface Parsing {
  chunks: AsyncGenerator<ParsedChunk, ParseEnd>;
  /** Hands a chunk's segments back to the parser once nothing reads them any more. */
  release(chunk: ChunkData): void;
}

function parseInThread(job: ParseJob): Parsing {
  const worker = new Worker(BOOT, { workerData: job, resourceLimits: { maxOldGenerationSizeMb: THREAD_OLD_SPACE_MB, maxYoungGenerationSizeMb: 8 } });
  return {
    chunks: threadChunks(worker),
    release(chunk) {
      const buffers = [...new Set(chunk.segments.map((s) => s.buffer as ArrayBuffer))];
      worker.postMessage({ release: buffers }, buffers);
    },
  };
}

async function* threadChunks(worker: Worker): AsyncGenerator<ParsedChunk, ParseEnd> {
  const inbox: (ThreadMessage | Error)[] = [];
  let wake: (() => void) | null = null;
  const deliver = (m: ThreadMessage | Error) => {
    inbox.push(m);
    wake?.();
    wake = null;
  };
  worker.on('message', (m: ThreadMessage) => deliver(m));
  worker.on('error', (err) => deliver(err));
  worker.on('exit', (code) => deliver(new Error(`the import's parsing thread stopped (exit code ${code})`)));
  const receive = async (): Promise<ThreadMessage> => {
    while (inbox.length === 0) await new Promise<void>((r) => (wake = r));
    const m = inbox.shift()!;
    if (m instanceof Error) throw m;
    return m;
  };
  try {
    for (;;) {
      worker.postMessage('next');
      const m = await receive();
      if (m.type === 'end') return { rows: m.rows, rejections: m.rejections };
      if (m.type === 'error') throw m.fileError !== null ? new ImportFileError(m.fileError) : Object.assign(new Error(m.message), { code: m.code });
      yield { chunk: m.chunk, rowsThrough: m.rowsThrough, bytesThrough: m.bytesThrough };
    }
  } finally {
    worker.removeAllListeners('exit');
    await worker.terminate();
  }
}

/**
 * The parsing itself, in whichever thread runs it: the file as chunks of lead lines, then the
 * summary. Chunks are `chunkRows` records of the file (rejected ones and the header included).
 */
async function* parseHere(job: ParseJob, pool: SegmentPool): AsyncGenerator<ParsedChunk, ParseEnd> {
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

/**
 * The file as chunks (see parseInThread). A file under THREAD_MIN_BYTES is parsed in this thread:
 * starting a thread (a TypeScript loader, the phone and ZIP data) costs about a third of a second,
 * and a small file leaves little garbage.
 */
export function parseFile(job: ParseJob, fileBytes: number): Parsing {
  if (fileBytes >= THREAD_MIN_BYTES) return parseInThread(job);
  const pool = new SegmentPool();
  return { chunks: parseHere(job, pool), release: (chunk) => pool.give(chunk.segments.map(asBuffer)) };
}

/** A segment back as the whole Buffer it was allocated as. */
const asBuffer = (u: Uint8Array) => Buffer.from(u.buffer, 0, u.buffer.byteLength);

/** The thread's side: answers each 'next' with a chunk, then with the summary (or an error). */
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
