/**
 * One Engage process: database (embedded or configured), migrations, bootstrap, and the roles
 * asked for — the HTTP API, the worker, or both.
 */
import type { FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import type { Config } from './config.ts';
import type { AppContext } from './context.ts';
import { startEmbeddedPostgres } from './db/embedded.ts';
import { migrate } from './db/migrate.ts';
import { createDb } from './db/pool.ts';
import { buildApp } from './http/app.ts';
import { createLogger, workerLogger } from './logger.ts';
import { loadCredential } from './providers/credentials.ts';
import { ProviderRegistry } from './providers/registry.ts';
import { createHttpSimulatorProvider, createSimulatorProvider } from './providers/simulator/provider.ts';
import { telnyxFamily } from './providers/telnyx/provider.ts';
import { twilioFamily } from './providers/twilio/provider.ts';
import { startWorker, type RunningWorker } from './worker.ts';
import { bootstrap, type BootstrapOutcome } from './workspaces/bootstrap.ts';

export interface EngageOptions {
  api: boolean;
  worker: boolean;
  /** Create a demo workspace on an empty database when no bootstrap key is set. Default false. */
  demo?: boolean;
  /** Replace the clock (tests). */
  now?: () => Date;
  /** Where log lines go instead of stdout (tests capture them in memory). */
  logDestination?: DestinationStream;
}

export interface Engage {
  ctx: AppContext;
  app: FastifyInstance | null;
  url: string | null;
  databaseUrl: string;
  bootstrap: BootstrapOutcome;
  stop(): Promise<void>;
}

export async function startEngage(config: Config, opts: EngageOptions): Promise<Engage> {
  const log = createLogger(config, opts.logDestination);
  let stopEmbedded: (() => Promise<void>) | null = null;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    const embedded = await startEmbeddedPostgres(config.dataDir, { port: config.embeddedPgPort, log: (line, level) => log[level]({ postgres: line }, 'embedded PostgreSQL') });
    databaseUrl = embedded.connectionString;
    stopEmbedded = embedded.stop;
    log.info({ dataDir: config.dataDir }, 'embedded PostgreSQL started');
  }
  try {
    await migrate(databaseUrl, workerLogger(log));
    const { db, pool } = createDb(databaseUrl);
    const ctx: AppContext = { config, db, log, now: opts.now ?? (() => new Date()), providers: new ProviderRegistry([]) };
    ctx.providers = new ProviderRegistry(
      [config.simulatorUrl
        ? createHttpSimulatorProvider({ baseUrl: config.simulatorUrl, secret: config.secret, timeoutMs: config.providerTimeoutMs })
        : createSimulatorProvider(ctx, {
            receiptDelayMs: config.simulatorReceiptDelayMs, failureRate: config.simulatorFailureRate,
            latencyMs: config.simulatorLatencyMs, outOfOrderRate: config.simulatorOutOfOrderRate, receipts: config.simulatorReceipts,
          })],
      // Real providers: one adapter per workspace credential, resolved from `<kind>:<credentialId>`.
      { families: [twilioFamily(ctx), telnyxFamily(ctx)], loadCredential: (id, kind) => loadCredential(ctx, id, kind) },
    );
    const outcome = await bootstrap(ctx, { demo: opts.demo ?? false });
    let app: FastifyInstance | null = null;
    let url: string | null = null;
    if (opts.api) {
      app = await buildApp(ctx, { databaseUrl });
      await app.listen({ port: config.port, host: config.host });
      const addr = app.server.address();
      url = typeof addr === 'object' && addr ? `http://127.0.0.1:${addr.port}` : null;
    }
    const worker: RunningWorker | null = opts.worker ? await startWorker(ctx, pool, databaseUrl) : null;
    return {
      ctx, app, url, databaseUrl, bootstrap: outcome,
      async stop() {
        await app?.close();
        await worker?.stop();
        await db.destroy();
        await stopEmbedded?.();
      },
    };
  } catch (err) {
    await stopEmbedded?.();
    throw err;
  }
}
