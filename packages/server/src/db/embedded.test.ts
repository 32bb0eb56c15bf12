/**
 * The embedded PostgreSQL, started for real: its passwords and roles, and every way a start can
 * fail ending in one message that says what went wrong, PostgreSQL's own lines and what to do.
 * Runs as root (CI) and as an ordinary user alike; where they differ (who owns the cluster), the
 * test says what each must see.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withDatabase } from '../cli/database.ts';
import { loadConfig } from '../config.ts';
import { EmbeddedPostgresError, explainFailure } from './embedded-errors.ts';
import { DEDICATED_USER, isRoot } from './embedded-host.ts';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './embedded.ts';
import { migrate } from './migrate.ts';
import { LEGACY_PASSWORD } from './embedded-roles.ts';
import { clusterUrl, pgpassFile } from './pgpass.ts';

const ENGAGE_BIN = fileURLToPath(new URL('../../bin/engage.js', import.meta.url));
const EMBEDDED = fileURLToPath(new URL('./embedded.ts', import.meta.url));

// Every start below makes or opens a real cluster: seconds each on a loaded two-core machine.
const dirs: string[] = [];
async function dataDir(): Promise<string> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'engage-embedded-'));
  // As root the cluster's own user must reach it (else it would live in /var/lib/engage).
  await chmod(tmp, 0o755);
  dirs.push(tmp);
  return path.join(tmp, '.engage');
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

/** The failure a start ends in. */
async function failure(start: Promise<EmbeddedDatabase>): Promise<EmbeddedPostgresError> {
  const err = await start.then(
    async (db) => {
      await db.stop();
      throw new Error('the start was expected to fail');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EmbeddedPostgresError);
  return err as EmbeddedPostgresError;
}

function listen(port = 0): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}

/**
 * A separate process that starts the cluster of `dir`, says "ready <port>" and waits to be killed
 * (or, should this test process die first, stops the cluster when its stdin closes).
 */
async function holder(dir: string): Promise<{ child: ChildProcess; port: number }> {
  const script = `
    const { startEmbeddedPostgres } = await import(${JSON.stringify(EMBEDDED)});
    const db = await startEmbeddedPostgres(${JSON.stringify(dir)});
    console.log('ready ' + db.port);
    process.stdin.resume();
    process.stdin.on('end', () => db.stop().then(() => process.exit(0)));`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`holder exited with ${code}: ${err}`)));
  });
  return { child, port };
}

afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('a new embedded cluster', { timeout: 120_000 }, () => {
  let dir: string;
  let db: EmbeddedDatabase;
  beforeAll(async () => {
    dir = await dataDir();
    db = await startEmbeddedPostgres(dir);
  }, 120_000);
  afterAll(async () => db?.stop());

  it('has a random superuser password kept in the data dir, readable by its owner only', async () => {
    const file = await stat(pgpassFile(dir));
    expect(file.mode & 0o777).toBe(0o600);
    const text = await readFile(pgpassFile(dir), 'utf8');
    const superuserPassword = /^127\.0\.0\.1:\*:\*:postgres:(.+)$/m.exec(text)?.[1];
    expect(superuserPassword).toMatch(/^[\w-]{32}$/);
    expect(superuserPassword).not.toBe(LEGACY_PASSWORD);
    expect(db.adminUrl).toContain(superuserPassword);
    // The old constant no longer opens it, and neither does no password at all.
    await expect(query(clusterUrl('postgres', LEGACY_PASSWORD, db.port, 'postgres'), 'SELECT 1')).rejects.toThrow(/password authentication failed/);
    await expect(query(`postgres://postgres@127.0.0.1:${db.port}/postgres`, 'SELECT 1')).rejects.toThrow();
  });

  it('lets the application in as a role that owns its database and is no superuser', async () => {
    const [me] = await query<{ user: string; db: string; rolsuper: boolean; rolcreaterole: boolean; rolcreatedb: boolean; owner: string }>(
      db.connectionString,
      `SELECT current_user AS user, current_database() AS db, r.rolsuper, r.rolcreaterole, r.rolcreatedb,
              pg_get_userbyid(d.datdba) AS owner
         FROM pg_roles r, pg_database d WHERE r.rolname = current_user AND d.datname = current_database()`,
    );
    expect(me).toEqual({ user: 'engage', db: 'engage', rolsuper: false, rolcreaterole: false, rolcreatedb: false, owner: 'engage' });
    // Engage's migrations (its own and graphile-worker's) run as that role.
    await migrate(db.connectionString);
    const [t] = await query<{ owner: string }>(db.connectionString, `SELECT tableowner AS owner FROM pg_tables WHERE tablename = 'workspaces'`);
    expect(t!.owner).toBe('engage');
    // …which cannot do what only a superuser may (COPY … TO PROGRAM runs a shell command).
    await expect(query(db.connectionString, `COPY (SELECT 1) TO PROGRAM 'true'`)).rejects.toThrow(/permission denied|must be superuser|pg_execute_server_program/);
  });

  it('listens on 127.0.0.1 only, with no Unix socket, and asks for SCRAM passwords', async () => {
    const rows = await query<{ name: string; setting: string }>(
      db.adminUrl,
      `SELECT name, setting FROM pg_settings WHERE name IN ('listen_addresses', 'unix_socket_directories', 'password_encryption') ORDER BY name`,
    );
    expect(rows).toEqual([
      { name: 'listen_addresses', setting: '127.0.0.1' },
      { name: 'password_encryption', setting: 'scram-sha-256' },
      { name: 'unix_socket_directories', setting: '' },
    ]);
    const hba = await query<{ type: string; address: string | null; auth_method: string }>(db.adminUrl, 'SELECT type, address, auth_method FROM pg_hba_file_rules');
    expect(hba).toEqual([{ type: 'host', address: '127.0.0.1', auth_method: 'scram-sha-256' }]);
  });

  it('runs as the dedicated user when we are root, else as ourselves', async () => {
    const owner = (await stat(db.clusterDir)).uid;
    if (isRoot()) {
      expect(owner).toBe(Number(execFileSync('id', ['-u', DEDICATED_USER], { encoding: 'utf8' })));
      expect(db.clusterDir).toBe(path.join(dir, 'postgres'));
    } else {
      expect(owner).toBe(process.getuid!());
    }
    expect((await stat(db.clusterDir)).mode & 0o777).toBe(0o700);
  });
});

/** A process's process group, from /proc (field 5). */
async function processGroup(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

describe('a Ctrl-C in the terminal', { timeout: 120_000 }, () => {
  it('reaches Engage alone: the server is in a process group of its own, and Engage stops it', async () => {
    const dir = await dataDir();
    const db = await startEmbeddedPostgres(dir);
    const postmaster = Number((await readFile(path.join(db.clusterDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    try {
      expect(await processGroup(postmaster)).toBe(postmaster);
      expect(await processGroup(process.pid)).not.toBe(postmaster);
    } finally {
      await db.stop();
    }
    expect(() => process.kill(postmaster, 0)).toThrow();
  });
});

describe('starting again', { timeout: 120_000 }, () => {
  it('keeps the data and the passwords', async () => {
    const dir = await dataDir();
    const first = await startEmbeddedPostgres(dir);
    await query(first.connectionString, 'CREATE TABLE kept (v text); INSERT INTO kept VALUES ($$still here$$)');
    const pgpass = await readFile(pgpassFile(dir), 'utf8');
    await first.stop();
    const second = await startEmbeddedPostgres(dir);
    try {
      expect(await query(second.connectionString, 'SELECT v FROM kept')).toEqual([{ v: 'still here' }]);
      expect(await readFile(pgpassFile(dir), 'utf8')).toBe(pgpass);
    } finally {
      await second.stop();
    }
  });

  it('takes over a cluster made by an earlier release (password "engage", tables in the postgres database)', async () => {
    const dir = await dataDir();
    const db = await startEmbeddedPostgres(dir);
    // Turn it into what the earlier release left: the superuser's constant password, Engage's
    // tables in `postgres` owned by the superuser, no app role, no password file.
    await query(db.adminUrl, `ALTER ROLE postgres PASSWORD '${LEGACY_PASSWORD}'`);
    const legacyUrl = clusterUrl('postgres', LEGACY_PASSWORD, db.port, 'postgres');
    await query(legacyUrl, 'DROP DATABASE engage');
    await query(legacyUrl, 'DROP ROLE engage');
    await migrate(legacyUrl);
    await query(legacyUrl, `INSERT INTO engage_migrations (name) VALUES ('from-the-old-release')`);
    await db.stop();
    await rm(pgpassFile(dir));

    const upgraded = await startEmbeddedPostgres(dir);
    try {
      const names = await query<{ name: string }>(upgraded.connectionString, `SELECT name FROM engage_migrations WHERE name = 'from-the-old-release'`);
      expect(names).toHaveLength(1);
      const notOurs = await query<{ n: number }>(
        upgraded.connectionString,
        `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname IN ('public', 'graphile_worker', 'graphile_worker._private') AND pg_get_userbyid(c.relowner) <> 'engage'`,
      );
      expect(notOurs).toEqual([{ n: 0 }]);
      // The app role can run the migrations (ALTERs need ownership) and the old password is gone.
      await migrate(upgraded.connectionString);
      await expect(query(clusterUrl('postgres', LEGACY_PASSWORD, upgraded.port, 'postgres'), 'SELECT 1')).rejects.toThrow(/password authentication failed/);
    } finally {
      await upgraded.stop();
    }
  });
});

describe('a start that fails says why and what to do', { timeout: 120_000 }, () => {
  it('port taken', async () => {
    const srv = await listen();
    const port = (srv.address() as net.AddressInfo).port;
    try {
      const err = await failure(startEmbeddedPostgres(await dataDir(), { port }));
      expect(err.reason).toBe('port');
      expect(err.message).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(err.message).toMatch(/PostgreSQL said:\n[\s\S]*could not bind IPv4 address "127\.0\.0\.1": Address already in use/);
      expect(err.message).toContain('What to do: unset ENGAGE_EMBEDDED_PG_PORT');
    } finally {
      srv.close();
    }
  });

  it('permission denied', async () => {
    const dir = await dataDir();
    const db = await startEmbeddedPostgres(dir);
    await db.stop();
    // The server's own user (ourselves, or the dedicated user under root) can no longer read its configuration.
    await chmod(path.join(db.clusterDir, 'postgresql.conf'), 0o000);
    const err = await failure(startEmbeddedPostgres(dir));
    expect(err.reason).toBe('permission');
    expect(err.message).toContain(`cannot use ${db.clusterDir}`);
    expect(err.message).toMatch(/\| .*postgresql\.conf.*Permission denied/);
    expect(err.message).toContain(`usable by the OS user "${isRoot() ? DEDICATED_USER : os.userInfo().username}"`);
  });

  it('a cluster of another PostgreSQL major version', async () => {
    const dir = await dataDir();
    const db = await startEmbeddedPostgres(dir);
    await db.stop();
    await writeFile(path.join(db.clusterDir, 'PG_VERSION'), '15\n');
    const err = await failure(startEmbeddedPostgres(dir));
    expect(err.reason).toBe('version');
    expect(err.message).toMatch(/was created by PostgreSQL 15, and this Engage ships PostgreSQL 18\.\d+/);
    expect(err.message).toContain('pg_dump');
  });

  it('a full disk (PostgreSQL\'s own words)', () => {
    const place = { clusterDir: '/srv/engage/postgres', runAs: 'engage', port: 5433, version: '18.4' };
    const err = explainFailure(['2026-12-07 10:00:00 UTC [42] FATAL:  could not write to file "pg_wal/xlogtemp.42": No space left on device'], place);
    expect(err.reason).toBe('disk');
    expect(err.message).toContain('the disk holding /srv/engage/postgres is full');
    expect(err.message).toContain('| 2026-12-07 10:00:00 UTC [42] FATAL:  could not write to file "pg_wal/xlogtemp.42": No space left on device');
    expect(err.message).toMatch(/What to do: free some space/);
  });

  it('engage start prints it whole, not "undefined" and no stack trace', async () => {
    const srv = await listen();
    const port = (srv.address() as net.AddressInfo).port;
    try {
      const child = spawn(process.execPath, [ENGAGE_BIN, 'start'], {
        env: { ...process.env, ENGAGE_DATA_DIR: await dataDir(), ENGAGE_EMBEDDED_PG_PORT: String(port), PORT: '0', DATABASE_URL: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const [code] = (await once(child, 'exit')) as [number];
      expect(code).toBe(1);
      expect(stderr).toMatch(/^engage: the embedded PostgreSQL could not start: port \d+ on 127\.0\.0\.1 is already in use/);
      expect(stderr).toContain('Address already in use');
      expect(stderr).not.toContain('undefined');
      expect(stderr).not.toMatch(/\n\s+at /);
    } finally {
      srv.close();
    }
  });
});

describe('a postmaster.pid left behind', { timeout: 120_000 }, () => {
  it('naming a PID that another program has now is removed, and the start goes on', async () => {
    const dir = await dataDir();
    const db = await startEmbeddedPostgres(dir);
    await db.stop();
    const other = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      // PostgreSQL alone refuses this file: its PID is alive.
      await writeFile(path.join(db.clusterDir, 'postmaster.pid'), `${other.pid}\n${db.clusterDir}\n1700000000\n${db.port}\n\n127.0.0.1\n  1234  5678\nready\n`);
      const lines: string[] = [];
      const again = await startEmbeddedPostgres(dir, { log: (l) => lines.push(l) });
      await again.stop();
      expect(lines).toContain(`removed a stale postmaster.pid (PID ${other.pid} is another program now)`);
    } finally {
      other.kill();
    }
  });

  it('by a killed Engage, whose PostgreSQL still runs, is recovered; a live Engage on the same dir is an error', async () => {
    const dir = await dataDir();
    const { child, port } = await holder(dir);
    const [pidLine] = (await readFile(path.join(dir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n');
    const orphan = Number(pidLine);
    await query(clusterUrl('postgres', /^127\.0\.0\.1:\*:\*:postgres:(.+)$/m.exec(await readFile(pgpassFile(dir), 'utf8'))![1]!, port, 'engage'), 'CREATE TABLE survived (v int)');

    // `engage keys` and friends use the running cluster, as the application's role.
    const config = loadConfig({ ENGAGE_DATA_DIR: dir, ENGAGE_SECRET: 'test-secret-0123456789abcdef' });
    const who = await withDatabase(config, async (db) => (await sql<{ u: string; port: number }>`SELECT current_user AS u, inet_server_port() AS port`.execute(db)).rows[0]);
    expect(who).toEqual({ u: 'engage', port });

    const busy = await failure(startEmbeddedPostgres(dir));
    expect(busy.reason).toBe('running');
    expect(busy.message).toContain(`another Engage process (PID ${child.pid}) is running this database`);

    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(() => process.kill(orphan, 0)).not.toThrow(); // its PostgreSQL lives on
    const lines: string[] = [];
    const again = await startEmbeddedPostgres(dir, { log: (l) => lines.push(l) });
    try {
      expect(lines).toContain(`stopping PostgreSQL (PID ${orphan}) left running by an Engage process that was killed`);
      expect(() => process.kill(orphan, 0)).toThrow();
      expect(await query(again.connectionString, `SELECT to_regclass('survived') IS NOT NULL AS ok`)).toEqual([{ ok: true }]);
    } finally {
      await again.stop();
    }
  });
});
