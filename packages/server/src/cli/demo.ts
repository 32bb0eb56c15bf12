/**
 * `engage demo`: what a newcomer runs first. Starts Engage with the simulator, creates a campaign
 * whose webhooks go to a local receiver, loads a few leads, plays their phones' replies (a
 * conversation, a question, an opt-out, a help request), answers one through the conversation
 * endpoints and closes it with a disposition — printing each step and each verified webhook — then
 * prints the URLs to open and keeps running until Ctrl-C.
 */
import { mkdirSync } from 'node:fs';
import { ConversationClient, EngageClient, type Lead } from '@engage/sdk';
import { newApiKey } from '../auth/api-keys.ts';
import { createApiKey } from '../auth/key-admin.ts';
import type { Config } from '../config.ts';
import { ALWAYS_SCHEDULE } from '../core/schedule.ts';
import { startEngage, type Engage } from '../engage.ts';
import { createWorkspace, freeSimulatorNumbers } from '../workspaces/bootstrap.ts';
import { startDemoReceiver, type DemoReceiver } from './demo-receiver.ts';
import { EXIT, USAGE, intOption, parse, printable } from './usage.ts';

const NAMES = ['Ada', 'Grace', 'Alan', 'Barbara', 'Edsger', 'Margaret', 'Donald', 'Frances', 'Ken', 'Radia'];
const AREA_CODES = ['212', '312', '415', '617', '206', '305', '512', '303', '404', '702'];

const say = (text: string) => console.log(`demo    › ${text}`);

/** A fictional number (555-01XX is reserved for fiction) in a real area code, for enrichment. */
function demoPhone(i: number): string {
  return `+1${AREA_CODES[i % AREA_CODES.length]}555${String(100 + Math.floor(Math.random() * 100)).padStart(4, '0')}`;
}

const DEMO_WORKSPACE = 'Engage demo (simulated phones)';

/**
 * The demo's own workspace (created once, reused later) and a fresh API key for it. Its own, so
 * that switching quiet hours off — the simulated phones must answer at any hour — and the demo's
 * campaigns never touch a real workspace.
 */
async function demoWorkspaceKey(engage: Engage): Promise<string> {
  const db = engage.ctx.db;
  const existing = await db.selectFrom('workspaces').select('id').where('name', '=', DEMO_WORKSPACE).orderBy('id').executeTakeFirst();
  if (existing) return (await createApiKey(db, existing.id, 'engage demo')).key;
  const key = newApiKey();
  await db.transaction().execute(async (trx) =>
    createWorkspace(trx, { orgName: 'Engage demo', workspaceName: DEMO_WORKSPACE, apiKey: key, numbers: await freeSimulatorNumbers(trx, 2) }),
  );
  return key;
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The lead's phone texts Engage, through the simulator's API. */
async function phoneReplies(base: string, apiKey: string, lead: Lead, text: string): Promise<void> {
  const res = await fetch(`${base}/api/simulator/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify({ from: lead.phone, to: lead.fromNumber, text }),
  });
  if (res.status !== 201) throw new Error(`the simulator refused the reply: HTTP ${res.status} ${await res.text()}`);
  say(`${lead.phone} (${printable(String(lead.leadData.FirstName))}) replies ${JSON.stringify(text)}`);
}

async function runStory(engage: Engage, apiKey: string, receiver: DemoReceiver, leadCount: number): Promise<{ campaignId: string; widget: string | null }> {
  const api = engage.url!;
  const client = new EngageClient({ baseUrl: api, apiKey });
  const patched = await fetch(`${api}/api/public/engage/workspace`, {
    method: 'PATCH', headers: { 'content-type': 'application/json', 'x-api-key': apiKey }, body: JSON.stringify({ quietHoursPolicy: 'NONE' }),
  });
  if (!patched.ok) throw new Error(`could not switch the demo workspace's quiet hours off: HTTP ${patched.status}`);
  const sources = await client.senderSources.list();
  const source = sources.find((s) => s.provider === 'simulator') ?? sources[0];
  const hook = receiver.url;
  const campaign = await client.campaigns.create({
    name: `Engage demo ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`,
    ...(source ? { senderSourceId: source.id } : {}),
    schedule: ALWAYS_SCHEDULE,
    messages: {
      outgoingMessage: 'Hi {{FirstName}}, this is the Engage demo. Interested in a free trial? Reply YES, or STOP to opt out.',
      responseMessage: 'Thanks {{FirstName}}! An agent will be right with you.',
      helpMessage: 'Engage demo: reply STOP to opt out.',
    },
    dispositions: [{ disposition: 'Interested', success: true }, { disposition: 'Not interested' }, { disposition: 'Do not contact', doNotContact: true }],
    webhooks: { deliveryResult: hook, conversationStarted: hook, incomingMessage: hook, disposition: hook, optOut: hook, optIn: hook },
  });
  await client.campaigns.approve(campaign.id);
  await client.campaigns.activate(campaign.id);
  say(`campaign ${campaign.id} "${campaign.name}" is ACTIVE; its webhooks go to ${hook}`);

  const leads: Lead[] = [];
  for (let i = 0; i < leadCount; i++) {
    const name = NAMES[i % NAMES.length]!;
    const r = await client.leads.load({ campaignId: campaign.id, listName: 'Demo leads', fields: [{ name: 'Phone', value: demoPhone(i) }, { name: 'FirstName', value: name }] });
    if (r.status === 'Accepted' && r.leadId) leads.push(await client.leads.get(r.leadId));
    else say(`lead ${name} rejected: ${r.reason}`);
  }
  say(`loaded ${leads.length} lead(s); the broadcast is sending…`);
  const sent = await Promise.all(leads.map((l) => until(`the broadcast to ${l.phone}`, async () => {
    const now = await client.leads.get(l.id);
    return now.fromNumber && now.status !== 'PENDING' && now.status !== 'SENDING' ? now : undefined;
  })));

  // The phones answer: a conversation, a question, an opt-out, a help request.
  const script: [number, string][] = [[0, 'Yes! Tell me more.'], [1, 'What does it cost?'], [2, 'STOP'], [3, 'HELP']];
  for (const [i, text] of script) if (sent[i]) await phoneReplies(api, apiKey, sent[i]!, text);
  let widget: string | null = null;
  if (sent[0]) {
    const started = await receiver.waitFor('ConversationStarted', sent[0].id);
    widget = started.endpoints.embeddableWidget;
    const conversation = new ConversationClient(started.endpoints);
    await conversation.send(`Hi ${sent[0].leadData.FirstName}, the trial is free for 30 days. Want me to set it up?`);
    say(`an agent answered ${sent[0].phone} through sendMessageEndpoint`);
    await phoneReplies(api, apiKey, sent[0], 'Sounds great, please do!');
    await receiver.waitFor('NewMessage', sent[0].id);
    await conversation.dispose('Interested');
    say(`the agent closed the conversation with ${sent[0].phone} as "Interested" (dispositionEndpoint)`);
    await receiver.waitFor('Disposition', sent[0].id);
  }
  if (sent[2]) await receiver.waitFor('OptOut', sent[2].id);
  return { campaignId: campaign.id, widget };
}

async function reachable(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { redirect: 'manual' })).status < 400;
  } catch {
    return false;
  }
}

export async function demoCommand(config: Config, argv: string[]): Promise<number> {
  const { values } = parse('demo', argv, { leads: { type: 'string' } }, false);
  if (values.help) {
    console.log(USAGE.demo);
    return EXIT.OK;
  }
  const leadCount = intOption('demo', 'leads', values.leads, 5, 1, 50);
  // The demo's receiver is on loopback, which the SSRF guard refuses unless allowed.
  config.allowPrivateWebhooks = true;
  if (config.logLevel === 'info') config.logLevel = 'warn';
  // Ctrl-C at any point stops the demo gracefully (exit 0), even while the story is still playing.
  const interrupted = new Promise<'stop'>((resolve) => {
    process.once('SIGINT', () => resolve('stop'));
    process.once('SIGTERM', () => resolve('stop'));
  });
  say('starting Engage (API + worker, SMS simulator)…');
  // Bootstrap saves the demo key there, even when DATABASE_URL and ENGAGE_SECRET leave it unused.
  mkdirSync(config.dataDir, { recursive: true });
  const engage = await startEngage(config, { api: true, worker: true, demo: false });
  // PORT=0 picks a free port: the links must name the real one.
  if (config.port === 0 && engage.url) engage.ctx.config.publicUrl = engage.url;
  const base = engage.ctx.config.publicUrl;
  let receiver: DemoReceiver | null = null;
  try {
    const apiKey = await demoWorkspaceKey(engage);
    const secret = await new EngageClient({ baseUrl: engage.url!, apiKey }).webhookSecret();
    receiver = await startDemoReceiver(() => secret);
    say(`webhook receiver listening on ${receiver.url}`);
    const story = await Promise.race([runStory(engage, apiKey, receiver, leadCount), interrupted]);
    if (story === 'stop') {
      say('stopping…');
      return EXIT.OK;
    }
    const { campaignId, widget } = story;
    const lines = [
      '',
      'The demo is running. Open:',
      ...((await reachable(`${base}/`)) ? [`  Console:          ${base}/`] : []),
      `  Simulated phones: ${base}/simulator   (API key below; play a lead and reply)`,
      ...(widget ? [`  Agent widget:     ${widget}`] : []),
      `  API reference:    ${base}/docs`,
      `  OpenAPI:          ${base}/api/openapi.json`,
      `  Campaign:         ${base}/api/public/engage/campaigns/${campaignId}`,
      `  API key:          ${apiKey}`,
      '',
      'Webhooks keep printing here as events happen. Press Ctrl-C to stop.',
    ];
    console.log(lines.join('\n'));
    await interrupted;
    say('stopping…');
    return EXIT.OK;
  } finally {
    await receiver?.close();
    await engage.stop();
  }
}
