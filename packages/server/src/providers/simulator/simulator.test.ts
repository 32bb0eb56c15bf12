/**
 * The simulator's phone page and knobs: a slow carrier API (latency), delivery receipts out of
 * order — which must still leave the lead DELIVERED — and the page served under a strict CSP.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestEngage, type TestEngage } from '../../../test/harness.ts';
import { createSimulatorProvider } from './provider.ts';

const ALL_DAY = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: 0, end: 1440 }]]));
let engage: TestEngage;

/** The simulator-receipt jobs still queued for a message, in the order they will run. */
async function receiptsOf(providerMessageId: string): Promise<{ status: string }[]> {
  const jobs = await sql<{ status: string }>`
    SELECT j.payload->>'status' AS status FROM graphile_worker._private_jobs j
    JOIN graphile_worker._private_tasks t ON t.id = j.task_id
    WHERE t.identifier = 'simulator-receipt' AND j.payload->>'providerMessageId' = ${providerMessageId}
    ORDER BY j.run_at`.execute(engage.ctx.db);
  return jobs.rows;
}

beforeAll(async () => {
  engage = await startTestEngage({ env: { ENGAGE_SIMULATOR_OUT_OF_ORDER_RATE: '1', ENGAGE_SIMULATOR_LATENCY_MS: '30' } });
});
afterAll(() => engage?.close());

describe('the phone page', () => {
  it('is served with a nonce-only CSP and inserts message text as text', async () => {
    const res = await fetch(`${engage.url}/simulator`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy')!;
    const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe');
    const html = await res.text();
    expect(html).toContain(`<script nonce="${nonce}">`);
    expect(html).toContain('li.textContent = m.text');
    expect(html).not.toMatch(/innerHTML|on(click|submit|load)=/);
    const again = await fetch(`${engage.url}/simulator`);
    expect(again.headers.get('content-security-policy')).not.toContain(nonce);
  });
});

describe('knobs', () => {
  it('latency: the simulated carrier API answers a send after the configured delay', async () => {
    const slow = createSimulatorProvider(engage.ctx, { receiptDelayMs: 3_600_000, failureRate: 0, latencyMs: 150 });
    const started = performance.now();
    expect(await slow.send({ reference: 'latency-test-ref', from: '+12025550100', to: '+13125550190', body: 'x' })).toMatchObject({ ok: true });
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
  });

  it('out-of-order receipts: the final receipt is scheduled before SENT', async () => {
    const p = createSimulatorProvider(engage.ctx, { receiptDelayMs: 3_600_000, failureRate: 0, outOfOrderRate: 1, random: () => 0.5 });
    const r = await p.send({ reference: 'out-of-order-ref', from: '+12025550100', to: '+13125550191', body: 'x' });
    if (!r.ok) throw new Error('send failed');
    expect((await receiptsOf(r.providerMessageId)).map((j) => j.status)).toEqual(['DELIVERED', 'SENT']);
  });

  it('a broadcast whose receipts all arrive out of order still ends DELIVERED', async () => {
    const c = (await engage.api('POST', '/api/public/engage/campaigns', { name: 'Out of order', schedule: ALL_DAY, messages: { outgoingMessage: 'Hi' } })).body;
    await engage.api('POST', `/api/public/engage/campaigns/${c.id}/approve`);
    await engage.api('POST', `/api/public/engage/campaigns/${c.id}/activate`);
    const loaded = await engage.api('POST', '/api/public/engage/lead/load', { campaignId: c.id, fields: [{ name: 'Phone', value: '+13125550192' }] });
    const leadId = loaded.body.leadId;
    await eventually(async () => ((await engage.api('GET', `/api/public/engage/leads/${leadId}`)).body.status === 'DELIVERED' ? true : undefined), 10_000, 'DELIVERED');
    // The late SENT receipt has run too, and changed nothing.
    const msg = await engage.ctx.db.selectFrom('messages').select('provider_message_id').where('lead_id', '=', leadId).executeTakeFirstOrThrow();
    await eventually(async () => ((await receiptsOf(msg.provider_message_id!)).length === 0 ? true : undefined), 10_000, 'the receipts to run');
    expect((await engage.api('GET', `/api/public/engage/leads/${leadId}`)).body.status).toBe('DELIVERED');
  });
});
