/**
 * At most once, across crashes: a worker process that dies (SIGKILL, no cleanup) after claiming
 * leads — before the provider was called, or after it accepted but before we recorded it — must
 * never cause a second text when a worker starts again.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase } from './db.ts';
import { eventually, startTestEngage, testEnv, type TestEngage } from './harness.ts';
import { recoverInterruptedSends } from '../src/broadcast/sender.ts';
import { ProviderRegistry } from '../src/providers/registry.ts';
import type { SmsProvider } from '../src/providers/types.ts';

const BIN = fileURLToPath(new URL('../bin/engage.js', import.meta.url));
const PHONES = ['+12125550101', '+12125550102', '+12125550103', '+12125550104', '+12125550105'];

let db: { url: string; drop: () => Promise<void> };
let api: TestEngage;

/** Runs `engage worker` as a child process; resolves with how it ended. */
async function runWorker(extra: Record<string, string>, until?: () => Promise<boolean>): Promise<{ signal: NodeJS.Signals | null; code: number | null }> {
  const child = spawn(process.execPath, [BIN, 'worker'], {
    env: { ...process.env, ...testEnv(db.url, { ENGAGE_SEND_LEASE_MS: '300', ...extra }) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  if (until) {
    await eventually(async () => ((await until()) ? true : undefined), 20_000, 'the worker to finish its work');
    child.kill('SIGTERM');
  }
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  if (code !== 0 && signal !== 'SIGKILL' && signal !== 'SIGTERM') throw new Error(`worker failed (${code}): ${stderr}`);
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
  });
});
