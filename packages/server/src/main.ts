/**
 * CLI entry: `engage start | api | worker | migrate | demo | import | keys` (see cli/usage.ts).
 * `start` runs the API and the worker in one process (embedded PostgreSQL unless DATABASE_URL is set).
 * Exit codes: 0 success, 1 failure, 2 usage error.
 */
import { ALWAYS_SCHEDULE } from './core/schedule.ts';
import { ConfigError, loadConfig } from './config.ts';
import { createCampaign, transitionCampaign } from './campaigns/service.ts';
import { startEmbeddedPostgres } from './db/embedded.ts';
import { migrate } from './db/migrate.ts';
import { startEngage, type Engage } from './engage.ts';
import { savedDemoKey } from './workspaces/bootstrap.ts';
import { createDemoOwner, savedDemoOwner } from './auth/demo-owner.ts';
import { demoCommand } from './cli/demo.ts';
import { importCommand } from './cli/import.ts';
import { keysCommand } from './cli/keys.ts';
import { EXIT, UsageError, preflight, reportUsageError } from './cli/usage.ts';

async function seedDemo(engage: Engage): Promise<string | null> {
  if (engage.bootstrap.kind !== 'demo') return null;
  const { workspace } = engage.bootstrap;
  const who = { workspaceId: workspace.workspaceId, orgId: workspace.orgId };
  const campaign = await createCampaign(engage.ctx, who, {
    name: 'Demo Campaign',
    schedule: ALWAYS_SCHEDULE,
    messages: {
      outgoingMessage: 'Hi {{FirstName}} - this is the Engage demo. Reply to start a conversation, or STOP to opt out.',
      responseMessage: 'Thanks {{FirstName}}! An agent will be with you shortly.',
    },
    dispositions: [
      { disposition: 'Interested', success: true },
      { disposition: 'Not interested' },
      { disposition: 'Do not contact', doNotContact: true },
    ],
  });
  await transitionCampaign(engage.ctx, who, campaign.id, 'approve');
  await transitionCampaign(engage.ctx, who, campaign.id, 'activate');
  await createDemoOwner(engage.ctx, workspace.workspaceId);
  return campaign.id;
}

function printWelcome(engage: Engage, demoCampaignId: string | null): void {
  const base = engage.ctx.config.publicUrl;
  const key = engage.bootstrap.kind === 'demo' ? engage.bootstrap.apiKey : savedDemoKey(engage.ctx);
  const lines = [
    '',
    `Engage is running at ${base}`,
    `  Health:            ${base}/health`,
    ...((owner) => (owner ? [`  Console:           ${base}/   (log in as ${owner.email} / ${owner.password}; saved in ${engage.ctx.config.dataDir}/demo-owner)`] : []))(savedDemoOwner(engage.ctx)),
    key ? `  Demo API key:      ${key}   (X-API-KEY; saved in ${engage.ctx.config.dataDir}/demo-api-key)` : '  API key:           the one you bootstrapped with ENGAGE_BOOTSTRAP_API_KEY',
    demoCampaignId ? `  Demo campaign:     ${demoCampaignId} (active, sends around the clock)` : '',
    '',
    'Load a lead, then read the simulated phone:',
    `  curl -s -X POST ${base}/api/public/engage/lead/load -H 'X-API-KEY: ${key ?? '<key>'}' -H 'content-type: application/json' \\`,
    `    -d '{"campaignId":"${demoCampaignId ?? '<campaignId>'}","fields":[{"name":"Phone","value":"2125550123"},{"name":"FirstName","value":"Ada"}]}'`,
    `  curl -s '${base}/api/simulator/messages?phone=%2B12125550123' -H 'X-API-KEY: ${key ?? '<key>'}'`,
    '',
  ];
  console.log(lines.filter((l, i, all) => l !== '' || all[i - 1] !== '').join('\n'));
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
    const embedded = url ? null : await startEmbeddedPostgres(config.dataDir);
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
  if (command !== 'worker') printWelcome(engage, await seedDemo(engage));
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
    // The one-shot commands say what failed without a stack trace; a server that cannot start shows it.
    else if (command === 'demo' || command === 'import' || command === 'keys') console.error(`engage ${command}: ${(err as Error).message}`);
    else console.error('engage: failed to start:', err);
    process.exit(1);
  },
);
