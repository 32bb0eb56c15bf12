/**
 * Telnyx through Engage's real HTTP server and worker: signed events are taken, unsigned, stale or
 * mis-signed ones refused (403, logged, nothing stored); a campaign sends through the fake Telnyx
 * and its signed delivery events move the lead to DELIVERED with the carrier Telnyx named.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestEngage, type TestEngage } from '../../../test/harness.ts';
import { FakeTelnyx, fixture, postAsTelnyx, statusEvent, telnyxKeyPair, telnyxSign } from './fake-telnyx.ts';

const API_KEY = 'KEY0190ABCDEF_e2eTelnyxApiKey00000';
const OUR_NUMBER = '+12125550150';
const LEAD = '+13125550123';
const ALL_DAY = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: 0, end: 1440 }]]));
const keys = telnyxKeyPair();

let fake: FakeTelnyx;
let engage: TestEngage;
let cred: { id: string; providerKey: string; webhookUrls: { webhook: string } };
let logLines: string[] = [];
const messageCount = async () => Number((await engage.ctx.db.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

beforeAll(async () => {
  fake = await new FakeTelnyx(API_KEY, keys.privateKey).start();
  engage = await startTestEngage({ env: { ENGAGE_TELNYX_API_URL: fake.url } });
  cred = (await engage.api('POST', '/api/public/engage/provider-credentials', { provider: 'telnyx', name: 'Telnyx', apiKey: API_KEY, publicKey: keys.publicKey })).body;
  const s = await engage.api('POST', `/api/public/engage/provider-credentials/${cred.id}/sender-sources`, { name: 'Telnyx', senderSourceType: 'TEN_DLC', numbers: [OUR_NUMBER] });
  expect(s.status).toBe(201);
  engage.ctx.log = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, cb) => (logLines.push(String(chunk)), cb()) }));
});
afterAll(async () => {
  await engage?.close();
  await fake?.stop();
});

describe('the Telnyx webhook', () => {
  it('stores a signed inbound message once, under its Telnyx id', async () => {
    const body = fixture('message-received.json');
    expect((await postAsTelnyx(cred.webhookUrls.webhook, keys.privateKey, body)).status).toBe(200);
    expect((await postAsTelnyx(cred.webhookUrls.webhook, keys.privateKey, body)).status).toBe(200);
    const rows = await engage.ctx.db.selectFrom('messages').selectAll().where('provider_message_id', '=', '84cca175-9755-4859-b67f-4730d7f58aa3').execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ direction: 'INBOUND', provider: cred.providerKey, sender: LEAD, recipient: OUR_NUMBER, body: 'Yes, send me a quote' });
    expect(rows[0]!.created.toISOString()).toBe('2025-11-24T15:41:07.436Z');
  });

  it('stores an MMS with its media (URL and content type)', async () => {
    expect((await postAsTelnyx(cred.webhookUrls.webhook, keys.privateKey, fixture('message-received-mms.json'))).status).toBe(200);
    const row = await engage.ctx.db.selectFrom('messages').selectAll().where('provider_message_id', '=', '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d').executeTakeFirstOrThrow();
    expect(row.body).toBe('https://media.telnyx.example/84cca175/photo.jpg');
    const media = await engage.ctx.db.selectFrom('message_media').select(['position', 'url', 'content_type']).where('message_id', '=', row.id).execute();
    expect(media).toEqual([{ position: 0, url: 'https://media.telnyx.example/84cca175/photo.jpg', content_type: 'image/jpeg' }]);
  });

  const body = fixture('message-received.json').replace('84cca175-9755-4859-b67f-4730d7f58aa3', '00000000-0000-4000-8000-00000000bad1');
  const now = () => String(Math.floor(Date.now() / 1000));
  it.each([
    ['no signature', () => ({ signature: null })],
    ['a signature by another key', () => {
      const ts = now();
      return { timestamp: ts, signature: telnyxSign(telnyxKeyPair().privateKey, ts, body) };
    }],
    ['a timestamp older than 300 s (a replay)', () => {
      const ts = String(Number(now()) - 301);
      return { timestamp: ts, signature: telnyxSign(keys.privateKey, ts, body) };
    }],
    ['a signature over another body', () => {
      const ts = now();
      return { timestamp: ts, signature: telnyxSign(keys.privateKey, ts, fixture('message-received.json')) };
    }],
    ['garbage', () => ({ signature: 'AAAA' })],
  ])('refuses %s with 403, logs it, stores nothing', async (_what, make) => {
    const before = await messageCount();
    logLines = [];
    const r = await postAsTelnyx(cred.webhookUrls.webhook, keys.privateKey, body, make());
    expect(r.status).toBe(403);
    expect(JSON.parse(r.text).error.code).toBe('INVALID_SIGNATURE');
    expect(await messageCount()).toBe(before);
    expect(logLines.map((l) => JSON.parse(l))).toContainEqual(expect.objectContaining({ msg: 'provider webhook refused', provider: 'telnyx', credentialId: cred.id, status: 403 }));
  });

  it('answers 404 for an unknown or non-Telnyx credential, 400 for a signed non-event, 200 for other events', async () => {
    const before = await messageCount();
    const unknown = cred.webhookUrls.webhook.replace(cred.id, '00000000-0000-4000-8000-000000000000');
    expect((await postAsTelnyx(unknown, keys.privateKey, fixture('message-received.json'))).status).toBe(404);
    expect((await postAsTelnyx(cred.webhookUrls.webhook, keys.privateKey, '{"hello": "world"}')).status).toBe(400);
    expect((await postAsTelnyx(cred.webhookUrls.webhook, keys.privateKey, fixture('other-number-order.json'))).status).toBe(200);
    expect(await messageCount()).toBe(before);
  });
});

describe('a campaign sending through Telnyx', () => {
  it('sends through the fake, follows message.sent / message.finalized to DELIVERED, never backwards', async () => {
    const source = (await engage.api('GET', '/api/public/engage/sender-sources')).body.senderSources.find((s: { provider: string }) => s.provider === cred.providerKey);
    const campaign = (await engage.api('POST', '/api/public/engage/campaigns', { name: 'Via Telnyx', senderSourceId: source.id, schedule: ALL_DAY, messages: { outgoingMessage: 'Hi {{Name}}' } })).body;
    fake.events = [['message.finalized', 'delivered'], ['message.sent', 'sent']];
    await engage.api('POST', `/api/public/engage/campaigns/${campaign.id}/approve`);
    await engage.api('POST', `/api/public/engage/campaigns/${campaign.id}/activate`);
    const loaded = await engage.api('POST', '/api/public/engage/lead/load', { campaignId: campaign.id, fields: [{ name: 'Phone', value: '+13125550124' }, { name: 'Name', value: 'Lee' }] });
    const lead = await eventually(async () => {
      const l = (await engage.api('GET', `/api/public/engage/leads/${loaded.body.leadId}`)).body;
      return l.status === 'DELIVERED' ? l : undefined;
    }, 15_000, 'the lead to be DELIVERED');
    expect(lead).toMatchObject({ fromNumber: OUR_NUMBER, carrier: 'T-MOBILE USA, INC.' });
    expect(fake.requests.at(-1)!.json).toEqual({ from: OUR_NUMBER, to: '+13125550124', text: 'Hi Lee', webhook_url: `${engage.url}/api/providers/telnyx/${cred.id}/webhook` });
    await eventually(() => (fake.eventResults.length === 2 ? true : undefined));
    expect(fake.eventResults.map((r) => r.status)).toEqual([200, 200]);

    // A late failure report changes nothing either.
    const msg = await engage.ctx.db.selectFrom('messages').selectAll().where('lead_id', '=', loaded.body.leadId).executeTakeFirstOrThrow();
    const late = statusEvent('message.finalized', { id: msg.provider_message_id!, from: OUR_NUMBER, to: '+13125550124', text: 'Hi Lee' }, 'delivery_failed', [{ code: '40006', title: 'Recipient server unavailable' }]);
    expect((await postAsTelnyx(cred.webhookUrls.webhook, keys.privateKey, late)).status).toBe(200);
    expect((await engage.api('GET', `/api/public/engage/leads/${loaded.body.leadId}`)).body.status).toBe('DELIVERED');
  });
});
