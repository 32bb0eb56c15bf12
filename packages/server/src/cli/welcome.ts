/** The welcome `engage start` prints (main.ts). */
import { savedDemoOwner } from '../auth/demo-owner.ts';
import type { Engage } from '../engage.ts';
import { savedDemoKey } from '../workspaces/bootstrap.ts';
import type { DemoSample } from '../workspaces/demo-seed.ts';

/** The welcome's lines about the sample data (workspaces/demo-seed.ts), if there is any. */
function sampleLines(base: string, sample: DemoSample): string[] {
  const c = sample.conversation;
  const firstName = c ? c.name.split(' ')[0] : '';
  return [
    sample.created ? 'Sample data, to look at first (simulated phones, nothing real is texted):' : 'Sample data from the first start (simulated phones):',
    `  Campaign:          "${sample.campaignName}", ${sample.leads.length} simulated leads texted through the SMS simulator`,
    `                     ${base}/#/campaigns/${sample.campaignId}/dashboard`,
    ...(c
      ? [
          `  Inbox:             ${base}/#/inbox/${c.leadId}   (${c.name} replied ${JSON.stringify(c.reply)})`,
          `  Simulated phone:   ${base}/simulator?phone=${encodeURIComponent(c.phone)}   (paste the demo API key, answer as ${firstName})`,
          `  Webhook log:       ${base}/#/webhooks   (the ConversationStarted webhook, delivered to Engage's built-in demo receiver)`,
        ]
      : [`  Simulated phones:  ${base}/simulator   (paste the demo API key; no lead has replied yet)`]),
  ];
}

/**
 * What `engage start` (and `engage api`) print once running: where to go — health, the console and
 * its login, the API key —, the sample data to look at (the campaign, the conversation in the
 * inbox, the simulated phone, the webhook log), and two curl lines to load a lead and read its phone.
 */
export function welcomeText(engage: Pick<Engage, 'ctx' | 'bootstrap'>, sample: DemoSample | null): string {
  const base = engage.ctx.config.publicUrl;
  const key = engage.bootstrap.kind === 'demo' ? engage.bootstrap.apiKey : savedDemoKey(engage.ctx);
  const noSample = engage.bootstrap.kind === 'demo' && sample === null && engage.ctx.config.databaseUrl !== null;
  const lines = [
    '',
    `Engage is running at ${base}`,
    `  Health:            ${base}/health`,
    ...((owner) => (owner ? [`  Console:           ${base}/   (log in as ${owner.email} / ${owner.password}; saved in ${engage.ctx.config.dataDir}/demo-owner)`] : []))(savedDemoOwner(engage.ctx)),
    key ? `  Demo API key:      ${key}   (X-API-KEY; saved in ${engage.ctx.config.dataDir}/demo-api-key)` : '  API key:           the one you bootstrapped with ENGAGE_BOOTSTRAP_API_KEY',
    ...(noSample ? ['  (No sample data: it is created only on the embedded database, and DATABASE_URL is set.)'] : []),
    '',
    ...(sample ? [...sampleLines(base, sample), ''] : []),
    'Load a lead, then read the simulated phone:',
    `  curl -s -X POST ${base}/api/public/engage/lead/load -H 'X-API-KEY: ${key ?? '<key>'}' -H 'content-type: application/json' \\`,
    `    -d '{"campaignId":"${sample?.campaignId ?? '<campaignId>'}","fields":[{"name":"Phone","value":"2125550123"},{"name":"FirstName","value":"Ada"}]}'`,
    `  curl -s '${base}/api/simulator/messages?phone=%2B12125550123' -H 'X-API-KEY: ${key ?? '<key>'}'`,
    '',
  ];
  return lines.filter((l, i, all) => l !== '' || all[i - 1] !== '').join('\n');
}
