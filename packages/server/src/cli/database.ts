/**
 * A database connection for CLI commands that work on the database directly (`keys`):
 * DATABASE_URL when set; else the embedded PostgreSQL of the data dir — the running one when
 * `engage start` has it open (its port is in postmaster.pid), or started just for this command.
 */
import path from 'node:path';
import type { Config } from '../config.ts';
import { processAlive, readPostmasterPid, startEmbeddedPostgres } from '../db/embedded.ts';
import { migrate } from '../db/migrate.ts';
import { APP_DATABASE, APP_ROLE, clusterUrl, loadPasswords } from '../db/pgpass.ts';
import { createDb, type Db } from '../db/pool.ts';

/** The embedded cluster's port when its postmaster is alive, else null. */
async function runningEmbeddedPort(dataDir: string): Promise<number | null> {
  const running = await readPostmasterPid(path.join(dataDir, 'postgres'));
  return running && Number.isInteger(running.port) && processAlive(running.pid) ? running.port : null;
}

export async function withDatabase<T>(config: Config, fn: (db: Db) => Promise<T>): Promise<T> {
  let url = config.databaseUrl;
  let stopEmbedded: (() => Promise<void>) | null = null;
  if (!url) {
    const port = await runningEmbeddedPort(config.dataDir);
    const passwords = port ? await loadPasswords(config.dataDir) : null;
    if (port && passwords) url = clusterUrl(APP_ROLE, passwords.app, port, APP_DATABASE);
    else {
      const embedded = await startEmbeddedPostgres(config.dataDir, { port: config.embeddedPgPort });
      url = embedded.connectionString;
      stopEmbedded = embedded.stop;
    }
  }
  try {
    await migrate(url);
    const { db } = createDb(url, 2);
    try {
      return await fn(db);
    } finally {
      await db.destroy();
    }
  } finally {
    await stopEmbedded?.();
  }
}
