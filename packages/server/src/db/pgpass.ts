/**
 * The embedded cluster's passwords, generated on its first start and kept in `<dataDir>/pgpass`
 * (mode 0600) in libpq's password-file format, so `PGPASSFILE=<dataDir>/pgpass psql -h 127.0.0.1
 * -p <port> engage` works too. Two roles: the superuser `postgres` (the cluster's owner: only
 * Engage's own set-up and the tests use it) and `engage`, the non-superuser role that owns the
 * `engage` database and that the application connects as.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const SUPERUSER = 'postgres';
export const APP_ROLE = 'engage';
export const APP_DATABASE = 'engage';

export interface ClusterPasswords {
  superuser: string;
  app: string;
}

export function pgpassFile(dataDir: string): string {
  return path.join(dataDir, 'pgpass');
}

export function newPasswords(): ClusterPasswords {
  return { superuser: randomBytes(24).toString('base64url'), app: randomBytes(24).toString('base64url') };
}

/** Writes the file whole or not at all (beside it, then renamed), readable by this user only. */
export async function savePasswords(dataDir: string, pw: ClusterPasswords): Promise<void> {
  const file = pgpassFile(dataDir);
  const lines = [`127.0.0.1:*:*:${SUPERUSER}:${pw.superuser}`, `127.0.0.1:*:${APP_DATABASE}:${APP_ROLE}:${pw.app}`];
  await writeFile(`${file}.new`, lines.join('\n') + '\n', { mode: 0o600 });
  await rename(`${file}.new`, file);
}

/** The saved passwords, or null when there is no file. */
export async function loadPasswords(dataDir: string): Promise<ClusterPasswords | null> {
  let text: string;
  try {
    text = await readFile(pgpassFile(dataDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const byUser = new Map<string, string>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length === 5) byUser.set(f[3]!, f[4]!);
  }
  const superuser = byUser.get(SUPERUSER);
  const app = byUser.get(APP_ROLE);
  if (!superuser || !app) throw new Error(`${pgpassFile(dataDir)} does not hold the passwords of ${SUPERUSER} and ${APP_ROLE}`);
  return { superuser, app };
}

export function clusterUrl(user: string, password: string, port: number, database: string): string {
  return `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}
