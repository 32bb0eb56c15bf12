/**
 * The embedded cluster's roles: the superuser keeps the password from `<dataDir>/pgpass`, and the
 * application's own role `engage` (no superuser, no CREATEROLE, no CREATEDB) owns the `engage`
 * database. Run at every start, so a start that died half-way is finished by the next one.
 *
 * Clusters made by releases before 2026-12 had the superuser password `engage` and kept Engage's
 * tables in the `postgres` database, owned by the superuser: such a cluster gets a new password,
 * and its database is renamed `engage` and given, with everything in it, to the `engage` role.
 */
import pg from 'pg';
import { APP_DATABASE, APP_ROLE, SUPERUSER, clusterUrl, type ClusterPasswords } from './pgpass.ts';

/** The superuser password of clusters made before the password file existed. */
export const LEGACY_PASSWORD = 'engage';

const BAD_PASSWORD = '28P01';

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** A superuser connection to `database`; a legacy cluster's password is replaced by the saved one. */
async function superuser(port: number, pw: ClusterPasswords, database: string, allowLegacy: boolean): Promise<pg.Client> {
  try {
    return await connect(clusterUrl(SUPERUSER, pw.superuser, port, database));
  } catch (err) {
    if (!allowLegacy || (err as { code?: string }).code !== BAD_PASSWORD) throw err;
  }
  const client = await connect(clusterUrl(SUPERUSER, LEGACY_PASSWORD, port, database));
  await client.query(`ALTER ROLE ${SUPERUSER} PASSWORD ${client.escapeLiteral(pw.superuser)}`);
  return client;
}

/** Gives every object of a legacy database (outside the system schemas) to the application role. */
const GIVE_TO_APP = `
DO $give$
DECLARE r record;
BEGIN
  FOR r IN SELECT nspname FROM pg_namespace
           WHERE nspowner = '${SUPERUSER}'::regrole AND nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' LOOP
    EXECUTE format('ALTER SCHEMA %I OWNER TO ${APP_ROLE}', r.nspname);
  END LOOP;
  FOR r IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relowner = '${SUPERUSER}'::regrole AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
             AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
             -- sequences of serial and identity columns follow their table
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')) LOOP
    EXECUTE format('ALTER %s %s OWNER TO ${APP_ROLE}',
      CASE r.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, r.name);
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE p.proowner = '${SUPERUSER}'::regrole AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' LOOP
    EXECUTE format('ALTER ROUTINE %s OWNER TO ${APP_ROLE}', r.name);
  END LOOP;
  FOR r IN SELECT t.oid::regtype AS name, t.typtype FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
           WHERE t.typowner = '${SUPERUSER}'::regrole AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
             AND t.typelem = 0 AND t.typtype IN ('c', 'e', 'd', 'r')
             AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c') LOOP
    EXECUTE format('ALTER %s %s OWNER TO ${APP_ROLE}', CASE r.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, r.name);
  END LOOP;
END
$give$`;

/**
 * Makes the roles and the database what they should be; every step may run again.
 * `mayBeLegacy`: the cluster existed before this start and there was no password file.
 */
export async function ensureRoles(port: number, pw: ClusterPasswords, mayBeLegacy: boolean): Promise<void> {
  const admin = await superuser(port, pw, 'template1', mayBeLegacy);
  try {
    const role = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [APP_ROLE]);
    const verb = role.rowCount ? 'ALTER' : 'CREATE';
    await admin.query(`${verb} ROLE ${APP_ROLE} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD ${admin.escapeLiteral(pw.app)}`);
    const db = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [APP_DATABASE]);
    if (!db.rowCount) {
      // An earlier release kept Engage's tables in the `postgres` database: that one becomes `engage`.
      const legacy = await superuser(port, pw, 'postgres', false);
      const hasData = await legacy.query(`SELECT 1 FROM pg_class WHERE relname = 'engage_migrations' AND relkind = 'r'`).finally(() => legacy.end());
      if (hasData.rowCount) {
        await admin.query(`ALTER DATABASE postgres RENAME TO ${APP_DATABASE}`);
        await admin.query('CREATE DATABASE postgres');
      } else {
        await admin.query(`CREATE DATABASE ${APP_DATABASE} OWNER ${APP_ROLE}`);
      }
    }
    await admin.query(`ALTER DATABASE ${APP_DATABASE} OWNER TO ${APP_ROLE}`);
  } finally {
    await admin.end();
  }
  // Whatever the superuser still owns in Engage's database (a legacy cluster's tables) goes to the app role.
  const own = await superuser(port, pw, APP_DATABASE, false);
  try {
    await own.query(GIVE_TO_APP);
  } finally {
    await own.end();
  }
}
