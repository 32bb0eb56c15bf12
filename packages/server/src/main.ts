/**
 * CLI entry: `engage start | api | worker | migrate | demo | import | keys` (see cli/usage.ts).
 * `start` runs the API and the worker in one process (embedded PostgreSQL unless DATABASE_URL is set).
 * Exit codes: 0 success, 1 failure, 2 usage error.
 */
import { ConfigError, loadConfig } from './config.ts';
import { EmbeddedPostgresError, startEmbeddedPostgres } from './db/embedded.ts';
import { migrate } from './db/migrate.ts';
import { startEngage, type Engage } from './engage.ts';
import { savedDemoSample, seedDemo, type DemoSample } from './workspaces/demo-seed.ts';
import { demoCommand } from './cli/demo.ts';
import { welcomeText } from './cli/welcome.ts';
import { importCommand } from './cli/import.ts';
import { keysCommand } from './cli/keys.ts';
import { EXIT, UsageError, preflight, reportUsageError } from './cli/usage.ts';

/**
 * The demo's console owner and sample data on the start that created the demo workspace, else the
 * sample data an earlier start left. Sample data is a welcome, not a requirement: if seeding fails,
 * Engage keeps running and says why in the log.
 */
async function demoSample(engage: Engage): Promise<DemoSample | null> {
  try {
    return (await seedDemo(engage)) ?? (await savedDemoSample(engage.ctx));
  } catch (err) {
    engage.ctx.log.error({ err }, 'demo seeding failed; Engage runs without the sample data');
    return null;
  }
}

async function main(argv: string[]): Promise<number> {
  const early = preflight(argv);
  if (early !== null) return early;
  const command = argv[0]!;
  const rest = argv.slice(1);
  const config = loadConfig();
  if (command === 'demo') return demoCommand(config, rest);
  if (command === 'import') return importCommand(config, rest);
  if (command === 'keys') return keysCommand(config, rest);
  if (command === 'migrate') {
    let url = config.databaseUrl;
    const embedded = url ? null : await startEmbeddedPostgres(config.dataDir, { port: config.embeddedPgPort });
    url ??= embedded!.connectionString;
    try {
      const applied = await migrate(url);
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    } finally {
      await embedded?.stop();
    }
    return 0;
  }
  const engage = await startEngage(config, { api: command !== 'worker', worker: command !== 'api', demo: command === 'start' });
  if (command !== 'worker') console.log(welcomeText(engage, await demoSample(engage)));
  else engage.ctx.log.info('worker started');
  await new Promise<void>((resolve) => {
    const shutdown = () => resolve();
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  });
  engage.ctx.log.info('shutting down');
  await engage.stop();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      reportUsageError(err);
      process.exit(EXIT.USAGE);
    }
    const command = process.argv[2];
    if (err instanceof ConfigError) console.error(`engage: configuration error: ${err.message}`);
    // Says what went wrong, PostgreSQL's own last lines and what to do: no stack trace needed.
    else if (err instanceof EmbeddedPostgresError) console.error(`engage: ${err.message}`);
    // The one-shot commands say what failed without a stack trace; a server that cannot start shows it.
    else if (command === 'demo' || command === 'import' || command === 'keys') console.error(`engage ${command}: ${(err as Error).message}`);
    else console.error('engage: failed to start:', err);
    process.exit(1);
  },
);
