/**
 * Reading an import's file, in a worker thread for large files: the thread runs the parsing
 * (parse-chunks.ts) and hands chunks of lead lines to the loading thread one when asked for, so at
 * most two are being filled or written at a time.
 *
 * Why a thread: the API's event loop never waits for a parse, and the parse's garbage stays in a
 * heap of its own with its own limit (`resourceLimits`), collected early. With `csv-parse`, a
 * million rows made gigabytes of short-lived strings, and in the main thread V8 let ≈ 150 MB of
 * them pile up before collecting (peak RSS ≈ 380 MB; 314 MB with the thread); the byte-level reader
 * makes far fewer, but the thread still keeps them off the API's heap.
 *
 * The thread runs one script: parse-chunks.ts and what it imports, bundled from the TypeScript by
 * esbuild once per process (`threadScript`). A thread that registered a TypeScript loader instead,
 * as the main thread does, cost 26–30 MB more (the loader keeps a thread of its own), at the
 * moment an import's memory peaks.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ImportFileError } from './csv.ts';
import { parseHere, type ParseEnd, type ParseJob, type ParsedChunk, type ThreadMessage } from './parse-chunks.ts';
import { SegmentPool, type ChunkData } from './stage.ts';

export type { ParseEnd, ParseJob, ParsedChunk } from './parse-chunks.ts';

/** The heap a parsing thread may use; its live data is a few tens of MB (the ZIP memo, a chunk's phones). */
const THREAD_OLD_SPACE_MB = 64;
/** Files at least this large (8 MiB, ≈ 100,000 rows) are parsed in a worker thread. */
export const THREAD_MIN_BYTES = 8 * 1024 * 1024;

const HERE = path.dirname(fileURLToPath(import.meta.url));
let script: Promise<string> | undefined;

/**
 * The parsing thread's code: parse-chunks.ts and its imports (ours and the packages') as one
 * CommonJS script, bundled on first use and kept for the process's life. Each module's
 * `import.meta.url` is written in as its own file's URL (a CommonJS script has none), so that
 * `zip-places.ts` still finds the `zipcodes` package from where it lies. A failed bundle is tried
 * again by the next import.
 */
function threadScript(): Promise<string> {
  script ??= (async () => {
    const { build } = await import('esbuild');
    const out = await build({
      stdin: { contents: "import { runParseThread } from './parse-chunks.ts';\nvoid runParseThread();\n", resolveDir: HERE, sourcefile: 'parse-thread-entry.ts', loader: 'ts' },
      bundle: true, platform: 'node', format: 'cjs', target: 'node20', write: false, logLevel: 'silent',
      plugins: [{
        name: 'import-meta-url',
        setup(b) {
          b.onLoad({ filter: /\.ts$/ }, async (args) => {
            const text = await readFile(args.path, 'utf8');
            return { contents: text.replace(/\bimport\.meta\.url\b/g, JSON.stringify(pathToFileURL(args.path).href)), loader: 'ts' };
          });
        },
      }],
    });
    return out.outputFiles[0]!.text;
  })();
  script.catch(() => (script = undefined));
  return script;
}

/** A file being parsed: its chunks, and where a chunk's buffers go back once COPYed (for reuse). */
export interface Parsing {
  chunks: AsyncGenerator<ParsedChunk, ParseEnd>;
  /** Hands a chunk's segments back to the parser once nothing reads them any more. */
  release(chunk: ChunkData): void;
}

function parseInThread(job: ParseJob): Parsing {
  let worker: Worker | null = null;
  return {
    chunks: threadChunks(job, (w) => (worker = w)),
    release(chunk) {
      const buffers = [...new Set(chunk.segments.map((s) => s.buffer as ArrayBuffer))];
      // A chunk was received, so the thread exists.
      worker!.postMessage({ release: buffers }, buffers);
    },
  };
}

/**
 * The file as chunks, parsed in a worker thread; each `next()` asks the thread for the next chunk,
 * so calling it early lets the thread parse while the caller writes the previous one. The
 * generator's return value is the thread's summary. Errors are the thread's, rebuilt: an
 * `ImportFileError` for the file's faults, an Error with the same `code` otherwise (ENOENT…).
 */
async function* threadChunks(job: ParseJob, started: (w: Worker) => void): AsyncGenerator<ParsedChunk, ParseEnd> {
  const worker = new Worker(await threadScript(), {
    eval: true, workerData: job, resourceLimits: { maxOldGenerationSizeMb: THREAD_OLD_SPACE_MB, maxYoungGenerationSizeMb: 8 },
  });
  started(worker);
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
 * The file as chunks (see threadChunks). A file under THREAD_MIN_BYTES is parsed in this thread:
 * starting a thread costs a tenth of a second or more, and a small file leaves little garbage.
 */
export function parseFile(job: ParseJob, fileBytes: number): Parsing {
  if (fileBytes >= THREAD_MIN_BYTES) return parseInThread(job);
  const pool = new SegmentPool();
  return { chunks: parseHere(job, pool), release: (chunk) => pool.give(chunk.segments.map(asBuffer)) };
}

/** A segment back as the whole Buffer it was allocated as. */
const asBuffer = (u: Uint8Array) => Buffer.from(u.buffer, 0, u.buffer.byteLength);
