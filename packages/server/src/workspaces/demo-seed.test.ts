/**
 * The first `npm start`'s sample data, against a real PostgreSQL and over real HTTP: the demo
 * campaign's simulated leads are texted by the broadcast, one phone's reply becomes a conversation
 * in the inbox, and its ConversationStarted webhook is delivered to the built-in demo receiver
 * through the SSRF guard, which lets exactly that URL through (private webhooks stay off). Seeding
 * happens once, and never with a bootstrap API key or on a configured DATABASE_URL.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/db.ts';
import { LogCapture } from '../../test/log-capture.ts';
import { Receiver, eventually, testEnv } from '../../test/harness.ts';
import { welcomeText } from '../cli/welcome.ts';
import { loadConfig } from '../config.ts';
import type { DbOrTrx } from '../db/pool.ts';
import { startEngage, type Engage } from '../engage.ts';
import { demoReceiverUrl, isDemoReceiverUrl } from '../webhooks/demo-receiver.ts';
import { createWorkspace, freeSimulatorNumbers } from './bootstrap.ts';
import { DEMO_CAMPAIGN_NAME, DEMO_REPLY, findDemoSample, savedDemoSample, seedDemo } from './demo-seed.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A database and data directory for one test, dropped afterwards. */
async function fresh(): Promise<{ url: string; dataDir: string }> {
  const database = await createTestDatabase();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'engage-demo-seed-'));
  cleanups.push(async () => {
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  });
  return { url: database.url, dataDir };
}

/** `engage start` (API + worker, demo allowed) on that database; private webhooks stay OFF. */
async function start(where: { url: string; dataDir: string }, env: Record<string, string> = {}): Promise<Engage & { url: string }> {
  const config = loadConfig(testEnv(where.url, { ENGAGE_BOOTSTRAP_API_KEY: '', ENGAGE_ALLOW_PRIVATE_WEBHOOKS: 'false', ENGAGE_DATA_DIR: where.dataDir, ...env }));
  const engage = await startEngage(config, { api: true, worker: true, demo: true, logDestination: new LogCapture() });
  cleanups.push(() => engage.stop());
  // PUBLIC_URL must name the real port, known only after listening (as PORT=3000 does for npm start).
  engage.ctx.config.publicUrl = engage.url!;
  return engage as Engage & { url: string };
}

async function call(engage: { url: string }, key: string, method: string, p: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(engage.url + p, {
    method, headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function count(db: DbOrTrx, table: string, where = sql`true`): Promise<number> {
  const r = await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table)} WHERE ${where}`.execute(db);
  return Number(r.rows[0]!.n);
}

/** Everything seeding could add. */
async function tally(db: DbOrTrx) {
  return {
    workspaces: await count(db, 'workspaces'),
    users: await count(db, 'users'),
    campaigns: await count(db, 'campaigns'),
    leads: await count(db, 'leads'),
    replies: await count(db, 'messages', sql`direction = 'INBOUND'`),
    conversations: await count(db, 'leads', sql`conversation_started`),
    conversationEvents: await count(db, 'events', sql`event_type = 'ConversationStarted'`),
    deliveries: await count(db, 'webhook_deliveries'),
  };
}

describe('demo seeding on the first start', () => {
  it('texts the sample leads, leaves a conversation in the inbox and a delivered webhook, and only once', async () => {
    const where = await fresh();
    const engage = await start(where);
    if (engage.bootstrap.kind !== 'demo') throw new Error(`expected the demo workspace, got ${engage.bootstrap.kind}`);
    expect(engage.ctx.config.allowPrivateWebhooks).toBe(false);
    const key = engage.bootstrap.apiKey;
    const workspaceId = engage.bootstrap.workspace.workspaceId;

    const sample = await seedDemo(engage, { embeddedDatabase: true });
    expect(sample).not.toBeNull();
    expect(sample!.created).toBe(true);
    expect(sample!.leads).toHaveLength(5);
    expect(sample!.conversation).not.toBeNull();
    const conversation = sample!.conversation!;

    // The campaign: marked as sample data, active, its conversation webhooks on the built-in receiver.
    const campaign = await call(engage, key, 'GET', `/api/public/engage/campaigns/${sample!.campaignId}`);
    expect(campaign.status).toBe(200);
    expect(campaign.body.name).toBe('Demo Campaign (sample data)');
    expect(campaign.body.campaignStatus).toBe('ACTIVE');
    const receiverUrl = demoReceiverUrl(engage.ctx.config, workspaceId);
    expect(receiverUrl.startsWith(`${engage.url}/api/demo/webhook-receiver/${workspaceId}/`)).toBe(true);
    expect(campaign.body.webhooks.conversationStarted).toBe(receiverUrl);
    expect(campaign.body.webhooks.deliveryResult).toBeNull();

    // The leads: named, fictional 555-01XX US numbers over several states, each noted as sample data.
    const leads = await Promise.all(sample!.leads.map(async (l) => (await call(engage, key, 'GET', `/api/public/engage/leads/${l.id}`)).body));
    for (const lead of leads) {
      expect(lead.phone).toMatch(/^\+1[2-9]\d{2}55501\d{2}$/);
      expect(lead.leadData.FirstName).toMatch(/\w/);
      expect(lead.leadData.LastName).toMatch(/\w/);
      expect(lead.leadData.Note).toMatch(/sample data/i);
    }
    expect(new Set(leads.map((l) => l.state)).size).toBeGreaterThanOrEqual(2);
    expect(leads.every((l) => l.state !== null)).toBe(true);

    // Each simulated phone received the broadcast, through the simulator.
    for (const lead of leads) {
      await eventually(async () => {
        const inbox = await call(engage, key, 'GET', `/api/simulator/messages?phone=${encodeURIComponent(lead.phone)}`);
        return inbox.body.messages.some((m: { direction: string; text: string }) => m.direction === 'OUTBOUND' && m.text.startsWith(`Hi ${lead.leadData.FirstName} - this is the Engage demo`)) ? true : undefined;
      }, 15_000, `the broadcast on ${lead.phone}`);
    }
    const complete = await eventually(async () => {
      const c = await call(engage, key, 'GET', `/api/public/engage/campaigns/${sample!.campaignId}`);
      return c.body.sendingStatus === 'COMPLETE' ? c.body : undefined;
    }, 15_000, 'the campaign to complete');
    expect(complete.sendingStatusDescription).toBe('Every lead has been sent the broadcast.');

    // One conversation in the inbox: the reply, through the simulator's inbound path, waiting for an agent.
    const inbox = await call(engage, key, 'GET', '/api/console/conversations');
    expect(inbox.body.conversations).toHaveLength(1);
    expect(inbox.body.conversations[0].leadId).toBe(conversation.leadId);
    expect(inbox.body.conversations[0].campaignName).toBe(DEMO_CAMPAIGN_NAME);
    expect(inbox.body.conversations[0].needsReply).toBe(true);
    const phone = await call(engage, key, 'GET', `/api/simulator/messages?phone=${encodeURIComponent(conversation.phone)}`);
    expect(phone.body.messages.filter((m: { direction: string }) => m.direction === 'INBOUND').map((m: { text: string }) => m.text)).toEqual([DEMO_REPLY]);
    const lead = await call(engage, key, 'GET', `/api/public/engage/leads/${conversation.leadId}`);
    expect(lead.body.conversationStarted).toBe(true);

    // One webhook delivered: the ConversationStarted event, 204 from the built-in receiver at the first attempt.
    const delivered = await eventually(async () => {
      const log = await call(engage, key, 'GET', '/api/public/engage/events?eventType=ConversationStarted');
      const e = log.body.events[0];
      return e?.deliveries[0]?.status === 'DELIVERED' ? log.body.events : undefined;
    }, 15_000, 'the ConversationStarted webhook to be delivered');
    expect(delivered).toHaveLength(1);
    expect(delivered[0].leadId).toBe(conversation.leadId);
    expect(delivered[0].deliveries).toEqual([expect.objectContaining({ url: receiverUrl, status: 'DELIVERED', attempts: 1, lastStatus: 204, lastError: null })]);
    const event = await call(engage, key, 'GET', `/api/public/engage/events/${delivered[0].id}`);
    expect(event.body.deliveries[0].attemptLog).toEqual([expect.objectContaining({ responseStatus: 204, error: null })]);
    expect(await count(engage.ctx.db, 'webhook_deliveries')).toBe(1);

    // The welcome points at all of it, and keeps the curl lines.
    const welcome = welcomeText(engage, sample);
    expect(welcome).toContain(`${engage.url}/health`);
    expect(welcome).toContain(`${engage.url}/   (log in as owner@engage.local / `);
    expect(welcome).toContain(`Demo API key:      ${key}`);
    expect(welcome).toContain(DEMO_CAMPAIGN_NAME);
    expect(welcome).toContain(`${engage.url}/#/inbox/${conversation.leadId}`);
    expect(welcome).toContain(`${engage.url}/simulator?phone=%2B${conversation.phone.slice(1)}`);
    expect(welcome).toContain(`${engage.url}/#/webhooks`);
    expect(welcome).toContain(`curl -s -X POST ${engage.url}/api/public/engage/lead/load -H 'X-API-KEY: ${key}'`);
    expect(welcome).toContain(`"campaignId":"${sample!.campaignId}"`);
    expect(welcome).toContain(`curl -s '${engage.url}/api/simulator/messages?phone=%2B12125550123'`);

    // Seeding again adds nothing.
    const before = await tally(engage.ctx.db);
    expect(before).toMatchObject({ workspaces: 1, users: 1, campaigns: 1, leads: 5, replies: 1, conversations: 1, conversationEvents: 1, deliveries: 1 });
    const again = await seedDemo(engage, { embeddedDatabase: true });
    expect(again).toMatchObject({ campaignId: sample!.campaignId, created: false, conversation: { leadId: conversation.leadId, reply: DEMO_REPLY } });
    expect(await tally(engage.ctx.db)).toEqual(before);

    // A second start on the same data: the database is not empty, so nothing is seeded; the
    // welcome still finds the sample through the saved demo key.
    const second = await start(where);
    expect(second.bootstrap.kind).toBe('existing');
    expect(await seedDemo(second, { embeddedDatabase: true })).toBeNull();
    const saved = await savedDemoSample(second.ctx);
    expect(saved).toMatchObject({ campaignId: sample!.campaignId, created: false, conversation: { leadId: conversation.leadId } });
    expect(welcomeText(second, saved)).toContain(`${second.url}/#/inbox/${conversation.leadId}`);
    expect(await tally(engage.ctx.db)).toEqual(before);
  });

  it('opens the guard for the built-in receiver URL of its own workspace only', async () => {
    const where = await fresh();
    const engage = await start(where);
    if (engage.bootstrap.kind !== 'demo') throw new Error('expected the demo workspace');
    const demo = engage.bootstrap.workspace;
    const demoUrl = demoReceiverUrl(engage.ctx.config, demo.workspaceId);

    // The route: the minted URL verifies signatures; a wrong token is not found.
    expect((await fetch(demoUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(401);
    const forged = demoUrl.replace(/\/[^/]+$/, '/' + 'A'.repeat(43));
    expect((await fetch(forged, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(404);
    // A wrong token is refused before its body is read: 2 MiB (over the 1 MiB limit) is still a 404, not a 413.
    expect((await fetch(forged, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(2 * 1024 * 1024) })).status).toBe(404);

    // Another workspace pointing its webhooks at the demo's receiver URL, and the demo workspace
    // pointing a campaign at a loopback receiver, are both still refused by the guard.
    const otherKey = 'engk_other_workspace_key_0123456789';
    const other = await engage.ctx.db.transaction().execute(async (trx) =>
      createWorkspace(trx, { orgName: 'Other', workspaceName: 'Other', apiKey: otherKey, numbers: await freeSimulatorNumbers(trx, 1) }));
    await engage.ctx.db.updateTable('workspaces').set({ quiet_hours_policy: 'NONE' }).execute();
    expect(isDemoReceiverUrl(engage.ctx.config, demo.workspaceId, demoUrl)).toBe(true);
    expect(isDemoReceiverUrl(engage.ctx.config, other.workspaceId, demoUrl)).toBe(false);
    const loopback = await new Receiver().start();
    cleanups.push(() => loopback.stop());

    const replyVia = async (key: string, hook: string, phone: string) => {
      const always = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: 0, end: 1440 }]]));
      const c = await call(engage, key, 'POST', '/api/public/engage/campaigns', { name: 'Guarded', schedule: always, messages: { outgoingMessage: 'Hello' }, webhooks: { conversationStarted: hook } });
      expect(c.status).toBe(201);
      const loaded = await call(engage, key, 'POST', '/api/public/engage/lead/load', { campaignId: c.body.id, fields: [{ name: 'Phone', value: phone }] });
      expect(loaded.body.status).toBe('Accepted');
      await call(engage, key, 'POST', `/api/public/engage/campaigns/${c.body.id}/approve`);
      await call(engage, key, 'POST', `/api/public/engage/campaigns/${c.body.id}/activate`);
      const from = await eventually(async () => (await call(engage, key, 'GET', `/api/public/engage/leads/${loaded.body.leadId}`)).body.fromNumber ?? undefined, 15_000, 'the broadcast');
      expect((await call(engage, key, 'POST', '/api/simulator/messages', { from: phone, to: from, text: 'Hello back' })).status).toBe(201);
      return eventually(async () => {
        const log = await call(engage, key, 'GET', '/api/public/engage/events?eventType=ConversationStarted');
        const d = log.body.events[0]?.deliveries[0];
        return d?.status === 'FAILED' ? d : undefined;
      }, 15_000, 'the delivery to fail for good');
    };
    const borrowed = await replyVia(otherKey, demoUrl, '+13125550151');
    expect(borrowed.lastError).toMatch(/^blocked private address/);
    const local = await replyVia(engage.bootstrap.apiKey, `${loopback.url}/hook`, '+13125550152');
    expect(local.lastError).toMatch(/^blocked private address/);
    expect(loopback.attempts).toEqual([]);
    expect(await findDemoSample(engage.ctx, other.workspaceId)).toBeNull();
  });

  it('creates no sample data with a bootstrap API key', async () => {
    const engage = await start(await fresh(), { ENGAGE_BOOTSTRAP_API_KEY: 'engk_bootstrap_key_for_demo_seed_test' });
    expect(engage.bootstrap.kind).toBe('bootstrap-key');
    // Even as if on the embedded database: the bootstrap key alone rules the demo out.
    expect(await seedDemo(engage, { embeddedDatabase: true })).toBeNull();
    expect(await tally(engage.ctx.db)).toMatchObject({ workspaces: 1, users: 0, campaigns: 0, leads: 0 });
    expect(welcomeText(engage, null)).toContain('the one you bootstrapped with ENGAGE_BOOTSTRAP_API_KEY');
  });

  it('creates no sample data when DATABASE_URL is set, only the demo workspace and its console owner', async () => {
    const engage = await start(await fresh());
    expect(engage.ctx.config.databaseUrl).not.toBeNull();
    expect(engage.bootstrap.kind).toBe('demo');
    expect(await seedDemo(engage)).toBeNull();
    expect(await tally(engage.ctx.db)).toMatchObject({ workspaces: 1, users: 1, campaigns: 0, leads: 0 });
    const welcome = welcomeText(engage, await savedDemoSample(engage.ctx));
    expect(welcome).toContain('No sample data');
    expect(welcome).toContain('"campaignId":"<campaignId>"');
  });
});
