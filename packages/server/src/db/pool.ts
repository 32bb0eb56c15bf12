import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';

export type Db = Kysely<Database>;
export type Trx = Transaction<Database>;
/** Either the pool or an open transaction; row-locking functions take `Trx` only. */
export type DbOrTrx = Db | Trx;

// int8 (bigserial ids, counts) as strings would leak into JSON; our bigints stay below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

export function createDb(connectionString: string, max = 10): { db: Db; pool: pg.Pool } {
  const pool = new pg.Pool({ connectionString, max });
  // An idle client losing its server (restart, failover) must not crash the process.
  pool.on('error', () => undefined);
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), pool };
}
