import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Db } from './db/pool.ts';
import type { ProviderRegistry } from './providers/registry.ts';

/** What every capability's routes, services and tasks receive. */
export interface AppContext {
  config: Config;
  db: Db;
  log: Logger;
  providers: ProviderRegistry;
  /** The clock; tests may replace it. */
  now: () => Date;
}
