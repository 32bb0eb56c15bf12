/**
 * At most once, across crashes: a worker process that dies (SIGKILL, no cleanup) after claiming
 * leads — before the provider was called, or after it accepted but before we recorded it — must
 * never cause a second text when a worker starts again.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureOutput } from './child-process.ts';
import { createTestDatabase } from './db.ts';
import { eventually, startTestEngage, testEnv, type TestEngage } from './harness.ts';
import { recoverInterruptedSends } from '../src/broadcast/sender.ts';
import { providerAgent } from '../src/providers/http-errors.ts';
import { ProviderRegistry } from '../src/providers/registry.ts';
import { FakeTwilio } from '../src/providers/twilio/fake-twilio.ts';
import { createTwilioProvider } from '../src/providers/twilio/provider.ts';
import type { SmsProvider } from '../src/providers/types.ts';

const BIN = fileURLToPath(new URL('../bin/engage.js', import.meta.url));
const PHONES = ['+12125550101', '+12125550102', '+12125550103', '+12125550104', '+12125550105'];

let db: { url: string; drop: () => Promise<void> };
let api: TestEngage;

/** Runs `engage worker` as a child process; resolves with how it ended. */
async function runWorker(extra: Record<string, string>, until?: () => Promise<boolean>): Promise<{ signal: NodeJS.Signals | null; code: number | null }> {
  const child = spawn(process.execPath, [BIN, 'worker'], {
    env: { ...process.env, ...testEnv(db.url, { ENGAGE_SEND_LEASE_MS: '300', ...extra }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = captureOutput(child, 'engage worker');
  if (until) {
    await eventually(async () => ((await until()) ? true : undefined), 20_000, 'the worker to finish its work');
    child.kill('SIGTERM');
  }
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  if (code !== 0 && signal !== 'SIGKILL' && signal !== 'SIGTERM') throw new Error(`worker failed (${code}): ${output.stderr()}`);
  return { signal, code };
}

async function setUpCampaignWithLeads(): Promise<string> {
  const c = await api.api('POST', '/api/public/engage/campaigns', {
    name: 'Crash test',
    schedule: Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: 0, end: 1440 }]])),
    messages: { outgoingMessage: 'Hello {{Name}}' },
  });
  for (const [i, phone] of PHONES.entries()) {
    const r = await api.api('POST', '/api/public/engage/lead/load', { campaignId: c.body.id, fields: [{ name: 'Phone', value: phone }, { name: 'Name', value: `n${i}` }] });
    expect(r.body.status).toBe('Accepted');
  }
  await api.api('POST', `/api/public/engage/campaigns/${c.body.id}/approve`);
  await api.api('POST', `/api/public/engage/campaigns/${c.body.id}/activate`);
  return c.body.id;
}

const simulatedTexts = async (phone: string) =>
  (await api.ctx.db.selectFrom('simulator_messages').select('id').where('recipient', '=', phone).execute()).length;
const leadStatuses = async (campaignId: string) =>
  (await api.ctx.db.selectFrom('leads').select('status').where('campaign_id', '=', campaignId).execute()).map((l) => l.status);

beforeEach(async () => {
  db = await createTestDatabase();
  // API only: the broadcast runs in the child worker processes.
  api = await startTestEngage({ databaseUrl: db.url, worker: false });
});
afterEach(async () => {
  await api.close();
  await db.drop();
});

describe.each(['after-claim', 'after-provider-send'] as const)('a worker killed %s', (crashPoint) => {
  it('leaves every lead texted exactly once after a restart', async () => {
    const campaignId = await setUpCampaignWithLeads();
    const crashed = await runWorker({ ENGAGE_CRASH_POINT: crashPoint });
    expect(crashed.signal).toBe('SIGKILL');
    expect(await leadStatuses(campaignId)).toEqual(PHONES.map(() => 'SENDING'));
    // Killed before any provider call, or right after the first answer came back — the batch is
    // sent concurrently, so the carrier may have accepted several of its texts by then.
    const textedBeforeRestart = (await Promise.all(PHONES.map(simulatedTexts))).reduce((a, b) => a + b, 0);
    if (crashPoint === 'after-claim') expect(textedBeforeRestart).toBe(0);
    else expect(textedBeforeRestart).toBeGreaterThanOrEqual(1);

    await runWorker({}, async () => (await leadStatuses(campaignId)).every((s) => s === 'DELIVERED'));
    for (const phone of PHONES) expect(await simulatedTexts(phone)).toBe(1);
  });
});

describe('an interrupted send through a provider that cannot deduplicate', () => {
  it('is marked UNKNOWN for the operator, never sent again', async () => {
    const campaignId = await setUpCampaignWithLeads();
    await runWorker({ ENGAGE_CRASH_POINT: 'after-claim' });
    let sends = 0;
    const blind: SmsProvider = { name: 'simulator', idempotentSend: false, send: async () => ({ ok: true, providerMessageId: `X${++sends}` }) };
    api.ctx.providers = new ProviderRegistry([blind]);
    api.ctx.config.sendLeaseMs = 0;
    expect(await recoverInterruptedSends(api.ctx)).toBe(PHONES.length);
    expect(sends).toBe(0);
    const leads = await api.ctx.db.selectFrom('leads').select(['status', 'status_message']).where('campaign_id', '=', campaignId).execute();
    expect(leads.every((l) => l.status === 'UNKNOWN' && l.status_message?.startsWith('INTERRUPTED'))).toBe(true);
  });

  it('is reconciled where the provider can say what it has (Twilio): found → its status there, under its id, else UNKNOWN; nothing is resent', async () => {
    const campaignId = await setUpCampaignWithLeads();
    await runWorker({ ENGAGE_CRASH_POINT: 'after-claim' });
    const ACCOUNT = 'AC8f3b2c1d4e5f60718293a4b5c6d7e8f9';
    const TOKEN = '9f8e7d6c5b4a39281706f5e4d3c2b1a0';
    const fake = await new FakeTwilio({ [ACCOUNT]: TOKEN }).start();
    const dispatcher = providerAgent(2_000);
    try {
      const twilioAdapter = createTwilioProvider(
        { kind: 'twilio', id: '6f1c2d3e-4b5a-4978-8a6b-5c4d3e2f1a0b', workspaceId: 1, name: 'main', accountSid: ACCOUNT, messagingServiceSid: null, lookupLineType: false, authToken: TOKEN },
        { apiUrl: fake.url, timeoutMs: 2_000, statusCallbackUrl: () => 'http://127.0.0.1:9/status', dispatcher },
      );
      let sends = 0;
      // Under the sender source's provider key; Twilio's list is unreachable for one phone.
      const provider: SmsProvider = {
        name: 'simulator', idempotentSend: false,
        send: async () => ({ ok: true, providerMessageId: `X${++sends}` }),
        findSent: (q) => (q.to === PHONES[3] ? Promise.reject(new Error('twilio is down')) : twilioAdapter.findSent!(q)),
      };
      api.ctx.providers = new ProviderRegistry([provider]);
      api.ctx.config.sendLeaseMs = 0;

      const leads = await api.ctx.db.selectFrom('leads').select(['id', 'phone', 'from_number', 'lead_data', 'workspace_id']).where('campaign_id', '=', campaignId).execute();
      const byPhone = new Map(leads.map((l) => [l.phone, l]));
      const atTwilio = (i: number, more: { status?: string; errorCode?: number } = {}) =>
        fake.addMessage(ACCOUNT, { to: PHONES[i]!, from: byPhone.get(PHONES[i]!)!.from_number!, body: `Hello n${i}`, created: new Date(), ...more });
      // Twilio took the texts of the first two before the worker died; by now one was delivered
      // and the other could not be (its status callbacks came while Engage had no such message).
      const sid0 = atTwilio(0);
      const sid1 = atTwilio(1, { status: 'undelivered', errorCode: 30003 });
      // The third's only match is a text Engage already recorded (another message): not this one.
      const sid2 = atTwilio(2);
      await api.ctx.db.insertInto('messages').values({
        id: '000000000000000000000001', workspace_id: leads[0]!.workspace_id, lead_id: null, direction: 'OUTBOUND', kind: 'REPLY', sender: byPhone.get(PHONES[2]!)!.from_number!,
        recipient: PHONES[2]!, body: 'Hello n2', status: 'DELIVERED', status_message: null, provider: 'simulator', provider_message_id: sid2, created: new Date(), updated: new Date(),
      }).execute();

      expect(await recoverInterruptedSends(api.ctx)).toBe(PHONES.length);
      expect(sends).toBe(0);
      expect(fake.requests).toHaveLength(0); // no create reached Twilio
      const after = new Map((await api.ctx.db.selectFrom('leads').select(['phone', 'status', 'status_message', 'broadcast_message_id']).where('campaign_id', '=', campaignId).execute()).map((l) => [l.phone, l]));
      const messageOf = async (phone: string) => api.ctx.db.selectFrom('messages').select(['status', 'provider_message_id']).where('id', '=', after.get(phone)!.broadcast_message_id!).executeTakeFirstOrThrow();
      expect(after.get(PHONES[0]!)!.status).toBe('DELIVERED');
      expect(await messageOf(PHONES[0]!)).toEqual({ status: 'DELIVERED', provider_message_id: sid0 });
      expect(after.get(PHONES[1]!)!.status).toBe('UNDELIVERED');
      expect(await messageOf(PHONES[1]!)).toEqual({ status: 'UNDELIVERED', provider_message_id: sid1 });
      for (const i of [2, 4]) expect(after.get(PHONES[i]!)).toMatchObject({ status: 'UNKNOWN', status_message: expect.stringMatching(/^INTERRUPTED: .*the provider has no such text since the claim$/) });
      expect(after.get(PHONES[3]!)).toMatchObject({ status: 'UNKNOWN', status_message: expect.stringContaining('could not be asked whether it has the text (twilio is down)') });
    } finally {
      await dispatcher.close();
      await fake.stop();
    }
  });

  it('settles a send whose provider cannot be resolved as UNKNOWN instead of failing every pass', async () => {
    const campaignId = await setUpCampaignWithLeads();
    await runWorker({ ENGAGE_CRASH_POINT: 'after-claim' });
    // The numbers' sender source now names a provider this process cannot resolve.
    await api.ctx.db.updateTable('sender_sources').set({ provider: 'twilio:00000000-0000-0000-0000-000000000000' }).execute();
    api.ctx.providers = new ProviderRegistry([]);
    api.ctx.config.sendLeaseMs = 0;
    expect(await recoverInterruptedSends(api.ctx)).toBe(PHONES.length);
    const statuses = await leadStatuses(campaignId);
    expect(statuses.every((s) => s === 'UNKNOWN')).toBe(true);
    // The operator learns why from the log: each send's provider could not be resolved, and all were settled UNKNOWN.
    const unresolved = api.logs.find('interrupted send of an unknown provider', 'error');
    expect(unresolved).toHaveLength(PHONES.length);
    for (const line of unresolved) expect(line.err).toMatchObject({ message: 'no SMS provider named "twilio:00000000-0000-0000-0000-000000000000" is configured' });
    expect(api.logs.find(/^interrupted sends settled/, 'warn')).toEqual([expect.objectContaining({ reconciled: 0, unknown: PHONES.length })]);
  });
});
