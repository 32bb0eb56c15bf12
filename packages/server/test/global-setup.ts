/**
 * Starts one real PostgreSQL for the whole test run (the server named by TEST_DATABASE_URL, else an
 * embedded one in a temporary directory) and migrates a template database that each test file
 * clones into a fresh database of its own.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../src/db/embedded.ts';
import { migrate } from '../src/db/migrate.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    templateDb: string;
  }
}

export function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = '/' + db;
  return u.toString();
}

export default async function setup(project: TestProject) {
  let adminUrl = process.env.TEST_DATABASE_URL ?? '';
  let stopEmbedded: (() => Promise<void>) | null = null;
  let tmp: string | null = null;
  if (!adminUrl) {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'engage-test-pg-'));
    // As root, PostgreSQL runs as a user of its own: with the directory open to it, the cluster
    // stays inside (else it would go to /var/lib/engage, see db/embedded-host.ts).
    await chmod(tmp, 0o755);
    const embedded = await startEmbeddedPostgres(tmp, { persistent: false, ownProcessGroup: false });
    // The tests make a database per file, which takes the superuser.
    adminUrl = embedded.adminUrl;
    stopEmbedded = embedded.stop;
  }
  const templateDb = `engage_tpl_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${templateDb}`);
  await admin.query(`CREATE DATABASE ${templateDb}`);
  await admin.end();
  await migrate(withDatabase(adminUrl, templateDb));
  project.provide('adminUrl', adminUrl);
  project.provide('templateDb', templateDb);

  return async () => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    const dbs = await c.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE $1 OR datname = $2`,
      [`engage_t_${process.pid}_%`, templateDb],
    );
    for (const { datname } of dbs.rows) await c.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    await c.end();
    if (stopEmbedded) await stopEmbedded();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  };
}
