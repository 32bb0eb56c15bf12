/**
 * End to end through a Twilio-backed sender source: the broadcast goes out through the fake Twilio
 * (the real adapter, the real HTTP), the fake posts signed status callbacks — out of order — to
 * Engage's real endpoint, the lead ends DELIVERED; the lead's reply comes in through the signed
 * incoming-message webhook and starts the conversation, whose automatic answer goes out the same way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receiver, eventually, startTestEngage, type TestEngage } from '../../../test/harness.ts';
import { FakeTwilio, postAsTwilio } from './fake-twilio.ts';
import { EMPTY_TWIML } from './routes.ts';

const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';
const TOKEN = 'e2e0auth0token0e2e0auth0token000';
const OUR_NUMBER = '+12125550140';
const LEAD = '+13125550177';
const ALL_DAY = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: 0, end: 1440 }]]));

let fake: FakeTwilio;
let engage: TestEngage;
let receiver: Receiver;

beforeAll(async () => {
  fake = await new FakeTwilio({ [ACCOUNT]: TOKEN }).start();
  receiver = await new Receiver().start();
  engage = await startTestEngage({ env: { ENGAGE_TWILIO_API_URL: fake.url } });
});
afterAll(async () => {
  await engage?.close();
  await fake?.stop();
  await receiver?.stop();
});

describe('a campaign sending through Twilio', () => {
  it('texts the lead through Twilio, follows its callbacks to DELIVERED, and takes the reply', async () => {
    const cred = (await engage.api('POST', '/api/public/engage/provider-credentials', { provider: 'twilio', name: 'Prod', accountSid: ACCOUNT, authToken: TOKEN })).body;
    const source = await engage.api('POST', `/api/public/engage/provider-credentials/${cred.id}/sender-sources`, { name: 'Twilio', senderSourceType: 'TEN_DLC', numbers: [OUR_NUMBER] });
    expect(source.body).toMatchObject({ provider: `twilio:${cred.id}`, numbers: [OUR_NUMBER] });
    const campaign = (await engage.api('POST', '/api/public/engage/campaigns', {
      name: 'Via Twilio', senderSourceId: source.body.id, schedule: ALL_DAY,
      messages: { outgoingMessage: 'Hi {{Name}}, want a quote?', responseMessage: 'Thanks {{Name}}, an agent will text you.' },
      webhooks: { deliveryResult: `${receiver.url}/dr`, conversationStarted: `${receiver.url}/cs`, incomingMessage: `${receiver.url}/nm` },
    })).body;
    expect(campaign.senderSourceId).toBe(source.body.id);
    // Twilio reports delivery before "sent": the lead must still end DELIVERED.
    fake.callbackStatuses = ['delivered', 'sent'];
    await engage.api('POST', `/api/public/engage/campaigns/${campaign.id}/approve`);
    await engage.api('POST', `/api/public/engage/campaigns/${campaign.id}/activate`);
    const loaded = await engage.api('POST', '/api/public/engage/lead/load', { campaignId: campaign.id, fields: [{ name: 'Phone', value: LEAD }, { name: 'Name', value: 'Kim' }] });
    expect(loaded.body.status).toBe('Accepted');

    const lead = await eventually(async () => {
      const l = (await engage.api('GET', `/api/public/engage/leads/${loaded.body.leadId}`)).body;
      return l.status === 'DELIVERED' ? l : undefined;
    }, 15_000, 'the lead to be DELIVERED');
    expect(lead.fromNumber).toBe(OUR_NUMBER);

    expect(fake.requests).toHaveLength(1);
    const sent = fake.requests[0]!;
    expect(sent.path).toBe(`/2010-04-01/Accounts/${ACCOUNT}/Messages.json`);
    expect(sent.form).toEqual({ To: LEAD, From: OUR_NUMBER, Body: 'Hi Kim, want a quote?', StatusCallback: `${engage.url}/api/providers/twilio/${cred.id}/status` });
    const broadcast = await engage.ctx.db.selectFrom('messages').selectAll().where('lead_id', '=', loaded.body.leadId).where('kind', '=', 'BROADCAST').executeTakeFirstOrThrow();
    expect(broadcast).toMatchObject({ provider: `twilio:${cred.id}`, provider_message_id: 'SM00000000000000000000000000000001', status: 'DELIVERED' });
    await eventually(() => (fake.callbackResults.length === 2 ? true : undefined));
    expect(fake.callbackResults.map((c) => [c.status, c.result.status])).toEqual([['delivered', 200], ['sent', 200]]);
    const [result] = await receiver.waitFor('DeliveryResult');
    expect(result!.body.data.lead).toMatchObject({ status: 'DELIVERED', phone: LEAD });
    // What a crash recovery would ask (sender.ts, reconcile): the credential's provider finds this text.
    const provider = engage.ctx.providers.get(`twilio:${cred.id}`);
    expect(await provider.findSent!({ from: OUR_NUMBER, to: LEAD, body: 'Hi Kim, want a quote?', since: broadcast.created })).toEqual([{ id: 'SM00000000000000000000000000000001', status: 'QUEUED', errorCode: null, errorMessage: null }]);

    // The reply, as Twilio posts it.
    fake.callbackStatuses = [];
    const reply = await postAsTwilio(cred.webhookUrls.inbound, TOKEN, {
      ToCountry: 'US', SmsMessageSid: 'SM0000000000000000000000000000e2e1', NumMedia: '0', SmsSid: 'SM0000000000000000000000000000e2e1', SmsStatus: 'received',
      Body: 'Yes please', To: OUR_NUMBER, NumSegments: '1', MessageSid: 'SM0000000000000000000000000000e2e1', AccountSid: ACCOUNT, From: LEAD, ApiVersion: '2010-04-01',
    });
    expect(reply).toMatchObject({ status: 200, text: EMPTY_TWIML });
    const [started] = await receiver.waitFor('ConversationStarted');
    expect(started!.body.data.messages.map((m: { message: string }) => m.message)).toEqual(['Hi Kim, want a quote?', 'Yes please']);
    // The automatic answer goes out through Twilio too, from the number the lead texted.
    await eventually(() => (fake.requests.length === 2 ? true : undefined), 10_000, 'the automatic answer');
    expect(fake.requests[1]!.form).toMatchObject({ To: LEAD, From: OUR_NUMBER, Body: 'Thanks Kim, an agent will text you.' });

    // A picture: the contract's message keeps its text (the URL stands in), the widget state has the media.
    const picture = 'https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages/MM0000000000000000000000000000e2e2/Media/ME0000000000000000000000000000e2e2';
    expect((await postAsTwilio(cred.webhookUrls.inbound, TOKEN, {
      MessageSid: 'MM0000000000000000000000000000e2e2', NumMedia: '1', MediaUrl0: picture, MediaContentType0: 'image/jpeg',
      Body: '', To: OUR_NUMBER, AccountSid: ACCOUNT, From: LEAD, ApiVersion: '2010-04-01',
    })).status).toBe(200);
    const [newMessage] = await receiver.waitFor('NewMessage');
    expect(newMessage!.body.data.messages).toEqual([{ id: expect.any(String), sender: LEAD, direction: 'INBOUND', timestamp: expect.any(String), message: picture }]);
    const key = new URL(started!.body.endpoints.conversationEndpoint).searchParams.get('key')!;
    const conversation = (await engage.api('GET', `/api/public/engage/conversation?key=${encodeURIComponent(key)}`)).body;
    expect(Object.keys(conversation)).toEqual(['data', 'endpoints']);
    expect(Object.keys(conversation.data.messages.at(-1))).toEqual(['id', 'sender', 'direction', 'timestamp', 'message']);
    const state = (await engage.api('GET', `/api/public/engage/conversation/state?key=${encodeURIComponent(key)}`)).body;
    expect(state.media).toEqual({ [newMessage!.body.data.messages[0].id]: [{ url: picture, contentType: 'image/jpeg' }] });
  });
});
