/**
 * The SDK against a real Engage (HTTP on loopback + worker + PostgreSQL): the management client
 * sets up a campaign, a lead's conversation produces every event type, each captured webhook is
 * verified with `verifyWebhook` and validated against the server's payload schema, and the
 * ConversationClient answers, hits the typed 401/409/422 errors, and disposes.
 */
import { Value } from 'typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookPayloadSchema } from '../../server/src/events/payload-schema.ts';
import { Receiver, TEST_API_KEY, eventually, startTestEngage, type TestEngage } from '../../server/test/harness.ts';
import {
  ConflictError, ConversationClient, EngageClient, UnauthorizedError, UnprocessableError, verifyWebhook,
  type EventType, type WebhookEvent,
} from '../src/index.ts';

const PHONE = '+12125550123';
let engage: TestEngage;
let receiver: Receiver;
let client: EngageClient;
let secret: string;
let campaignId: string;
let ourNumber: string;

/** Every webhook received so far, verified by the SDK; throws if any fails verification. */
function verified(): WebhookEvent[] {
  return receiver.received.map((r) => verifyWebhook(r.raw, r.headers, secret));
}
function waitForEvent(type: EventType, count = 1): Promise<WebhookEvent[]> {
  return eventually(() => {
    const found = verified().filter((e) => e.eventType === type);
    return found.length >= count ? found : undefined;
  }, 15_000, `${type} webhook`);
}
async function reply(text: string) {
  const r = await engage.api('POST', '/api/simulator/messages', { from: PHONE, to: ourNumber, text });
  expect(r.status).toBe(201);
}

beforeAll(async () => {
  receiver = await new Receiver().start();
  engage = await startTestEngage();
  client = new EngageClient({ baseUrl: engage.url, apiKey: TEST_API_KEY, retryDelayMs: 10 });
  secret = await client.webhookSecret();
});
afterAll(async () => {
  await engage?.close();
  await receiver?.stop();
});

describe('EngageClient (management)', () => {
  it('lists sender sources, creates and activates a campaign, loads a lead', async () => {
    const [source] = await client.senderSources.list();
    expect(source!.numbers.length).toBeGreaterThan(0);
    const hook = `${receiver.url}/events`;
    const created = await client.campaigns.create({
      name: 'SDK campaign',
      senderSourceId: source!.id,
      schedule: Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: 0, end: 1440 }]])),
      messages: { outgoingMessage: 'Hi {{FirstName}}, reply to chat.' },
      dispositions: [{ disposition: 'Interested', success: true }, { disposition: 'Not interested' }],
      webhooks: { deliveryResult: hook, conversationStarted: hook, incomingMessage: hook, disposition: hook, optOut: hook, optIn: hook },
    });
    expect(created.campaignStatus).toBe('DRAFT');
    campaignId = created.id;
    await client.campaigns.approve(campaignId);
    expect((await client.campaigns.activate(campaignId)).campaignStatus).toBe('ACTIVE');
    expect((await client.campaigns.get(campaignId)).name).toBe('SDK campaign');
    expect((await client.campaigns.list()).items.map((c) => c.id)).toContain(campaignId);
    await expect(client.campaigns.update(campaignId, { messages: { outgoingMessage: 'changed' } })).rejects.toMatchObject({ status: 409, code: 'CAMPAIGN_ACTIVE' });

    const loaded = await client.leads.load({ campaignId, listName: 'SDK list', fields: [{ name: 'Phone', value: '(212) 555-0123' }, { name: 'FirstName', value: 'Ada' }] });
    expect(loaded).toMatchObject({ status: 'Accepted', reason: null });
    const lead = await client.leads.get(loaded.leadId!);
    expect(lead.phone).toBe(PHONE);
    expect(lead.leadData).toEqual({ Phone: '(212) 555-0123', FirstName: 'Ada' });
  });

  it('loads a CSV list in bulk and follows the job to completion', async () => {
    const csv = 'Phone,FirstName\n2125550101,Bo\nnot-a-phone,Cy\n2125550102,Di\n';
    const accepted = await client.leads.loadList({ campaignId, file: csv, fileName: 'bulk.csv', processRequest: { firstRowHeaders: true, deDupe: true, mappedCols: [{ columnIndex: 0, columnId: 'Phone' }, { columnIndex: 1, columnId: 'FirstName' }] } });
    const progress: number[] = [];
    const job = await client.leads.waitForListLoad(accepted.jobId, { intervalMs: 50, onProgress: (j) => progress.push(j.progress) });
    expect(job).toMatchObject({ status: 'COMPLETED', accepted: 2, rejected: 1, reasons: { INVALID_PHONE: 1 } });
    expect(progress.at(-1)).toBe(1);
    const lists = await client.lists.ofCampaign(campaignId);
    expect(lists.map((l) => [l.name, l.leads])).toEqual([['SDK list', 1], ['bulk.csv', 2]]);
    const page = await client.lists.leads(accepted.listId, { limit: 1 });
    expect(page.items).toHaveLength(1);
    expect(page.nextCursor).toBe(page.items[0]!.id);
    expect((await client.lists.pause(accepted.listId)).listStatus).toBe('PAUSED');
  });

  it('a wrong API key is an UnauthorizedError', async () => {
    const bad = new EngageClient({ baseUrl: engage.url, apiKey: 'engk_wrong' });
    await expect(bad.campaigns.list()).rejects.toBeInstanceOf(UnauthorizedError);
  });
});

describe('captured webhooks and the ConversationClient', () => {
  it('ConversationStarted verifies, matches the schema, and the client reads and answers', async () => {
    const [delivery] = await waitForEvent('DeliveryResult');
    ourNumber = delivery!.data.lead.fromNumber!;
    await reply('Yes, tell me more');
    const [started] = await waitForEvent('ConversationStarted');
    if (started!.eventType !== 'ConversationStarted') throw new Error('narrowing');
    expect(started!.data.messages.map((m) => m.direction)).toEqual(['OUTBOUND', 'INBOUND']);

    const conversation = new ConversationClient(started!);
    const now = await conversation.get();
    expect(now.data.lead.conversationStarted).toBe(true);
    const sent = await conversation.send('Happy to help, Ada!');
    expect(sent).toMatchObject({ direction: 'OUTBOUND', sender: ourNumber, message: 'Happy to help, Ada!' });
    await reply('Call me at 5pm');
    const [newMessage] = await waitForEvent('NewMessage');
    expect(newMessage!.data.messages.map((m) => m.message)).toEqual(['Call me at 5pm']);

    const wrong = await conversation.dispose('Maybe').catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(UnprocessableError);
    expect((wrong as UnprocessableError).code).toBe('UNKNOWN_DISPOSITION');
    expect((wrong as UnprocessableError).validDispositions).toEqual(['Interested', 'Not interested']);
    const disposed = await conversation.dispose('Interested');
    expect(disposed.data.lead.disposition).toBe('Interested');
    await waitForEvent('Disposition');
  });

  it('an opted-out lead is a ConflictError; START opts back in; a rotated key is an UnauthorizedError', async () => {
    await reply('STOP');
    const [optOut] = await waitForEvent('OptOut');
    const conversation = new ConversationClient(optOut!.endpoints);
    const refused = await conversation.send('are you there?').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConflictError);
    expect((refused as ConflictError).code).toBe('OPTED_OUT');
    await reply('START');
    await waitForEvent('OptIn');

    const rotated = await client.leads.rotateConversationKey(optOut!.data.lead.id);
    await expect(conversation.get()).rejects.toBeInstanceOf(UnauthorizedError);
    expect((await new ConversationClient(rotated.endpoints).get()).data.lead.id).toBe(optOut!.data.lead.id);
  });

  it('after a secret rotation, webhooks verify with the old and the new secret during the overlap', async () => {
    const rotated = await client.rotateWebhookSecret({ overlapSeconds: 3600 });
    expect(rotated.previousSecret).toBe(secret);
    const before = receiver.received.length;
    await reply('One more question');
    const latest = await eventually(() => receiver.received.slice(before).find((r) => r.body?.eventType === 'NewMessage'), 15_000, 'NewMessage after rotation');
    expect(String(latest.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifyWebhook(latest.raw, latest.headers, secret).eventType).toBe('NewMessage');
    expect(verifyWebhook(latest.raw, latest.headers, rotated.secret).eventType).toBe('NewMessage');
    // One signature per secret: each entry alone verifies with exactly one of them.
    const verifiesWith = String(latest.headers['webhook-signature']).split(' ').map((sig) => {
      const headers = { ...latest.headers, 'webhook-signature': sig };
      return [secret, rotated.secret].filter((s) => { try { return !!verifyWebhook(latest.raw, headers, s); } catch { return false; } });
    });
    expect(verifiesWith.map((v) => v.length)).toEqual([1, 1]);
    expect(new Set(verifiesWith.flat())).toEqual(new Set([secret, rotated.secret]));
  });

  it('every captured payload validates against the server schema and narrows by eventType', () => {
    const events = verified();
    expect(new Set(events.map((e) => e.eventType))).toEqual(new Set(['DeliveryResult', 'ConversationStarted', 'NewMessage', 'Disposition', 'OptOut', 'OptIn']));
    for (const r of receiver.received) {
      const errors = [...Value.Errors(WebhookPayloadSchema, r.body)].map((e) => JSON.stringify(e));
      expect(errors, r.body.eventType).toEqual([]);
    }
    for (const e of events) {
      switch (e.eventType) {
        case 'NewMessage':
          expect(e.data.messages).toHaveLength(1);
          break;
        case 'Disposition':
          expect(e.data.lead.dispositionTimestamp).toMatch(/Z$/);
          break;
        default:
          expect(e.data.messages.length).toBeGreaterThan(0);
      }
    }
  });
});
