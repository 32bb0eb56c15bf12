/**
 * What the first `npm start` leaves to look at. On the start that created the demo workspace
 * (bootstrap outcome `demo`: an empty database, no ENGAGE_BOOTSTRAP_API_KEY, `engage start`):
 *
 * - the console owner (auth/demo-owner.ts), as before;
 * - and, on the embedded database only (DATABASE_URL unset: a newcomer's machine, never a server
 *   someone configured), sample data marked as such: the campaign "Demo Campaign (sample data)"
 *   with five simulated leads (fictional 555-01XX numbers in New York, California and Texas) that
 *   the broadcast texts through the built-in simulator; one lead's simulated phone replying through
 *   the simulator's inbound path, so a real conversation (ConversationStarted) waits in the inbox;
 *   and that event's webhook delivered to Engage's built-in demo receiver
 *   (webhooks/demo-receiver.ts), so the webhook log shows a 204.
 *
 * Once only: a later start finds the database non-empty (bootstrap outcome `existing`) and seeds
 * nothing, and seeding again finds the sample campaign and adds nothing.
 */
import { hashSecret, type Principal } from '../auth/api-keys.ts';
import { createDemoOwner, DEMO_OWNER_EMAIL } from '../auth/demo-owner.ts';
import { createCampaign, transitionCampaign } from '../campaigns/service.ts';
import type { AppContext } from '../context.ts';
import { ALWAYS_SCHEDULE } from '../core/schedule.ts';
import { loadLead } from '../leads/load.ts';
import { simulatedPhoneTexts } from '../providers/simulator/routes.ts';
import { demoReceiverUrl } from '../webhooks/demo-receiver.ts';
import { savedDemoKey, type BootstrapOutcome, type CreatedWorkspace } from './bootstrap.ts';

export const DEMO_CAMPAIGN_NAME = 'Demo Campaign (sample data)';
const LIST_NAME = 'Sample leads (simulated phones)';
const NOTE = 'Sample data: a simulated phone created by the Engage demo';

/** Fictional numbers (555-0100…0199 is reserved for fiction) in real area codes, so they enrich to a state. */
export const DEMO_LEADS = [
  { firstName: 'Ada', lastName: 'Lovelace', phone: '+12125550142' }, // New York
  { firstName: 'Grace', lastName: 'Hopper', phone: '+14155550118' }, // California
  { firstName: 'Alan', lastName: 'Turing', phone: '+15125550163' }, // Texas
  { firstName: 'Katherine', lastName: 'Johnson', phone: '+12125550175' }, // New York
  { firstName: 'Edsger', lastName: 'Dijkstra', phone: '+14155550129' }, // California
] as const;

/** The simulated lead who answers the broadcast, and what she says. */
const REPLIER = DEMO_LEADS[0];
export const DEMO_REPLY = 'Yes please! What does the free trial include?';

export interface DemoSample {
  campaignId: string;
  campaignName: string;
  leads: { id: string; phone: string; name: string }[];
  /** The conversation waiting in the inbox; null if the simulated reply has not happened. */
  conversation: { leadId: string; phone: string; name: string; reply: string } | null;
  /** False when the sample already existed and nothing was added. */
  created: boolean;
}

export interface SeedDemoOptions {
  /**
   * Whether Engage runs on its embedded database. Default: DATABASE_URL is unset. Sample data goes
   * only into the embedded database; tests on a configured server say `true` to exercise it.
   */
  embeddedDatabase?: boolean;
  /** How long to wait for the broadcast to reach the replying lead's phone, ms. Default 30000. */
  replyTimeoutMs?: number;
}

/**
 * Seeds the demo after `startEngage`: nothing unless this start created the demo workspace; then
 * the console owner, and the sample data on an embedded database. Returns the sample (null when
 * none was created). Needs the worker running in this process or another: it waits for the
 * broadcast before the simulated reply.
 */
export async function seedDemo(engage: { ctx: AppContext; bootstrap: BootstrapOutcome }, opts: SeedDemoOptions = {}): Promise<DemoSample | null> {
  const { ctx, bootstrap } = engage;
  if (bootstrap.kind !== 'demo') return null;
  const workspace = bootstrap.workspace;
  const owner = await ctx.db.selectFrom('users').select('id').where('email', '=', DEMO_OWNER_EMAIL).executeTakeFirst();
  if (!owner) await createDemoOwner(ctx, workspace.workspaceId);
  if (!(opts.embeddedDatabase ?? ctx.config.databaseUrl === null)) return null;
  return seedDemoSample(ctx, workspace, opts.replyTimeoutMs ?? 30_000);
}

async function seedDemoSample(ctx: AppContext, workspace: CreatedWorkspace, replyTimeoutMs: number): Promise<DemoSample> {
  const existing = await findDemoSample(ctx, workspace.workspaceId);
  if (existing) return existing;
  const who: Principal = { workspaceId: workspace.workspaceId, orgId: workspace.orgId };
  const receiver = demoReceiverUrl(ctx.config, workspace.workspaceId);
  const campaign = await createCampaign(ctx, who, {
    name: DEMO_CAMPAIGN_NAME,
    schedule: ALWAYS_SCHEDULE,
    messages: {
      outgoingMessage: 'Hi {{FirstName}} - this is the Engage demo (sample data). Want a free trial? Reply to start a conversation, or STOP to opt out.',
      responseMessage: 'Thanks {{FirstName}}! An agent will be with you shortly.',
      helpMessage: 'Engage demo (sample data): reply STOP to opt out.',
    },
    dispositions: [
      { disposition: 'Interested', success: true },
      { disposition: 'Not interested' },
      { disposition: 'Do not contact', doNotContact: true },
    ],
    // Every conversation event goes to the built-in receiver; DeliveryResult is left off so the
    // webhook log shows the conversation rather than five delivery receipts.
    webhooks: { conversationStarted: receiver, incomingMessage: receiver, disposition: receiver, optOut: receiver, optIn: receiver },
  });
  await transitionCampaign(ctx, who, campaign.id, 'approve');
  const leads: DemoSample['leads'] = [];
  for (const l of DEMO_LEADS) {
    const r = await loadLead(ctx, who, {
      campaignId: campaign.id,
      listName: LIST_NAME,
      fields: [
        { name: 'Phone', value: l.phone },
        { name: 'FirstName', value: l.firstName },
        { name: 'LastName', value: l.lastName },
        { name: 'Note', value: NOTE },
      ],
    });
    if (r.status !== 'Accepted' || !r.leadId) throw new Error(`demo seeding: lead ${l.phone} was rejected (${r.reason}: ${r.message})`);
    leads.push({ id: r.leadId, phone: l.phone, name: `${l.firstName} ${l.lastName}` });
  }
  // Activated with its leads in place, so it never shows as an active campaign without any.
  await transitionCampaign(ctx, who, campaign.id, 'activate');

  const replier = leads.find((l) => l.phone === REPLIER.phone)!;
  const texted = await poll(replyTimeoutMs, () => broadcastReached(ctx, replier.id));
  let conversation: DemoSample['conversation'] = null;
  if (texted) {
    await simulatedPhoneTexts(ctx, { from: replier.phone, to: texted.fromNumber, text: DEMO_REPLY });
    conversation = { leadId: replier.id, phone: replier.phone, name: replier.name, reply: DEMO_REPLY };
  } else {
    ctx.log.warn({ leadId: replier.id, timeoutMs: replyTimeoutMs }, 'demo seeding: the broadcast did not reach the sample lead in time; no simulated reply');
  }
  return { campaignId: campaign.id, campaignName: campaign.name, leads, conversation, created: true };
}

/** The number that texted the lead, once the broadcast is on the lead's simulated phone. */
async function broadcastReached(ctx: AppContext, leadId: string): Promise<{ fromNumber: string } | undefined> {
  const row = await ctx.db
    .selectFrom('leads')
    .innerJoin('simulator_messages', (j) => j.onRef('simulator_messages.recipient', '=', 'leads.phone').onRef('simulator_messages.sender', '=', 'leads.from_number'))
    .select('leads.from_number')
    .where('leads.id', '=', leadId)
    .where('simulator_messages.direction', '=', 'OUTBOUND')
    .limit(1)
    .executeTakeFirst();
  return row?.from_number ? { fromNumber: row.from_number } : undefined;
}

async function poll<T>(timeoutMs: number, check: () => Promise<T | undefined>): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined || Date.now() >= deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The sample data of the workspace, if it was seeded. */
export async function findDemoSample(ctx: AppContext, workspaceId: number): Promise<DemoSample | null> {
  const campaign = await ctx.db
    .selectFrom('campaigns').select(['id', 'name'])
    .where('workspace_id', '=', workspaceId).where('name', '=', DEMO_CAMPAIGN_NAME)
    .orderBy('id').limit(1).executeTakeFirst();
  if (!campaign) return null;
  const rows = await ctx.db.selectFrom('leads').select(['id', 'phone', 'lead_data', 'conversation_started']).where('campaign_id', '=', campaign.id).orderBy('id').execute();
  const nameOf = (data: unknown) => {
    const d = (data ?? {}) as Record<string, unknown>;
    return [d.FirstName, d.LastName].filter((x) => typeof x === 'string' && x !== '').join(' ');
  };
  const leads = rows.map((r) => ({ id: r.id, phone: r.phone, name: nameOf(r.lead_data) }));
  const started = rows.find((r) => r.conversation_started);
  let conversation: DemoSample['conversation'] = null;
  if (started) {
    const first = await ctx.db
      .selectFrom('messages').select('body')
      .where('lead_id', '=', started.id).where('direction', '=', 'INBOUND')
      .orderBy('created').orderBy('id').limit(1).executeTakeFirst();
    conversation = { leadId: started.id, phone: started.phone, name: nameOf(started.lead_data), reply: first?.body ?? '' };
  }
  return { campaignId: campaign.id, campaignName: campaign.name, leads, conversation, created: false };
}

/** On a later start: the sample data of the workspace whose demo key is saved in the data directory. */
export async function savedDemoSample(ctx: AppContext): Promise<DemoSample | null> {
  const key = savedDemoKey(ctx);
  if (!key) return null;
  const row = await ctx.db.selectFrom('api_keys').select('workspace_id').where('key_hash', '=', hashSecret(key)).executeTakeFirst();
  return row ? findDemoSample(ctx, row.workspace_id) : null;
}
