import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receiver, eventually, startTestEngage, type TestEngage } from '../../test/harness.ts';
import { advances, applyDeliveryReceipt } from './delivery-status.ts';

describe('advances', () => {
  it.each([
    ['PENDING', 'QUEUED', true], ['QUEUED', 'SENT', true], ['SENT', 'DELIVERED', true], ['QUEUED', 'DELIVERED', true],
    ['DELIVERED', 'SENT', false], ['DELIVERED', 'FAILED', false], ['UNDELIVERED', 'DELIVERED', false], ['SENT', 'SENT', false],
  ])('%s → %s: %s', (from, to, ok) => {
    expect(advances(from, to)).toBe(ok);
  });
});

describe('delivery receipts', () => {
  let engage: TestEngage;
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await new Receiver().start();
    engage = await startTestEngage({ env: { ENGAGE_SIMULATOR_FAILURE_RATE: '1' } });
  });
  afterAll(async () => {
    await engage?.close();
    await receiver?.stop();
  });

  it('a simulated carrier failure ends the lead UNDELIVERED and fires DeliveryResult; late receipts change nothing', async () => {
    const c = await engage.api('POST', '/api/public/engage/campaigns', {
      name: 'Failing', messages: { outgoingMessage: 'Hi' }, webhooks: { deliveryResult: `${receiver.url}/dr` },
      schedule: Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: 0, end: 1440 }]])),
    });
    await engage.api('POST', `/api/public/engage/campaigns/${c.body.id}/approve`);
    await engage.api('POST', `/api/public/engage/campaigns/${c.body.id}/activate`);
    const lead = await engage.api('POST', '/api/public/engage/lead/load', { campaignId: c.body.id, fields: [{ name: 'Phone', value: '2125550401' }] });
    const [event] = await receiver.waitFor('DeliveryResult');
    expect(event!.body.data.lead).toMatchObject({ status: 'UNDELIVERED', statusMessage: '30003: simulated carrier failure', normalizedCarrier: expect.any(String) });
    expect(event!.body.data.lead.result).toMatch(/Z$/);

    const msg = await engage.ctx.db.selectFrom('messages').selectAll().where('lead_id', '=', lead.body.leadId).where('kind', '=', 'BROADCAST').executeTakeFirstOrThrow();
    const late = { provider: 'simulator', providerMessageId: msg.provider_message_id!, errorCode: null };
    expect(await applyDeliveryReceipt(engage.ctx, { ...late, status: 'SENT' })).toBe('stale');
    expect(await applyDeliveryReceipt(engage.ctx, { ...late, status: 'DELIVERED' })).toBe('stale');
    expect(await applyDeliveryReceipt(engage.ctx, { ...late, providerMessageId: 'SMnope', status: 'DELIVERED' })).toBe('unknown');
    const after = (await engage.api('GET', `/api/public/engage/leads/${lead.body.leadId}`)).body;
    expect(after.status).toBe('UNDELIVERED');
    // Once the job queue is empty (but for the hourly retention job, always queued), no further
    // webhook can be on its way.
    await eventually(async () => ((await sql<{ n: number }>`SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE task_identifier <> 'engage-retention'`.execute(engage.ctx.db)).rows[0]!.n === 0 ? true : undefined));
    expect(receiver.ofType('DeliveryResult')).toHaveLength(1);
  });
});
