/**
 * An MMS in the agent widget, in a real browser: a lead on a Twilio-backed campaign sends a
 * picture (through the fake Twilio's signed incoming-message webhook); the widget shows it as a
 * link to the provider's URL — never loaded inline — and drops a media URL that is not http(s).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receiver, eventually, startTestEngage, type TestEngage } from '../../server/test/harness.ts';
import { FakeTwilio, postAsTwilio } from '../../server/src/providers/twilio/fake-twilio.ts';
import { launchBrowser, type TestBrowser } from './browser.ts';

const ACCOUNT = 'AC00112233445566778899aabbccddeeff';
const TOKEN = 'widget0media0token0widget0media0';
const OUR_NUMBER = '+12125550190';
const LEAD = '+13125550191';
const PICTURE = `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT}/Messages/MM00000000000000000000000000000m01/Media/ME00000000000000000000000000000m01`;
const everyDay = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: 0, end: 1440 }]]));

let fake: FakeTwilio;
let engage: TestEngage;
let receiver: Receiver;
let browser: TestBrowser;

beforeAll(async () => {
  fake = await new FakeTwilio({ [ACCOUNT]: TOKEN }).start();
  receiver = await new Receiver().start();
  engage = await startTestEngage({ env: { ENGAGE_TWILIO_API_URL: fake.url } });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await engage?.close();
  await fake?.stop();
  await receiver?.stop();
});

describe('MMS media in the widget', () => {
  it('shows a picture-only reply as a link, not as its URL text nor an inline image', async () => {
    const cred = (await engage.api('POST', '/api/public/engage/provider-credentials', { provider: 'twilio', name: 'Prod', accountSid: ACCOUNT, authToken: TOKEN })).body;
    const source = (await engage.api('POST', `/api/public/engage/provider-credentials/${cred.id}/sender-sources`, { name: 'Twilio', senderSourceType: 'TEN_DLC', mps: 50, numbers: [OUR_NUMBER] })).body;
    const campaign = (await engage.api('POST', '/api/public/engage/campaigns', {
      name: 'Pictures', senderSourceId: source.id, schedule: everyDay, messages: { outgoingMessage: 'Send us a photo of your roof!' },
      webhooks: { conversationStarted: `${receiver.url}/cs` },
    })).body;
    await engage.api('POST', `/api/public/engage/campaigns/${campaign.id}/approve`);
    await engage.api('POST', `/api/public/engage/campaigns/${campaign.id}/activate`);
    const loaded = await engage.api('POST', '/api/public/engage/lead/load', { campaignId: campaign.id, fields: [{ name: 'Phone', value: LEAD }, { name: 'FirstName', value: 'Kim' }] });
    await eventually(async () => ((await engage.api('GET', `/api/public/engage/leads/${loaded.body.leadId}`)).body.status === 'QUEUED' ? true : undefined), 15_000, 'the broadcast');

    const r = await postAsTwilio(cred.webhookUrls.inbound, TOKEN, {
      MessageSid: 'MM00000000000000000000000000000a01', NumMedia: '2', MediaUrl0: PICTURE, MediaContentType0: 'image/jpeg',
      MediaUrl1: 'javascript:alert(document.domain)', MediaContentType1: 'text/html', Body: '', To: OUR_NUMBER, AccountSid: ACCOUNT, From: LEAD, ApiVersion: '2010-04-01',
    });
    expect(r.status).toBe(200);
    const [started] = await receiver.waitFor('ConversationStarted', 1, 15_000);
    // The contract's message has text only: the kept picture's URL stands in for it (not the javascript: one).
    expect(started!.body.data.messages.at(-1)).toMatchObject({ direction: 'INBOUND', message: PICTURE });

    const { page, watch } = await browser.newPage();
    await page.goto(started!.body.endpoints.embeddableWidget);
    const bubble = page.locator('[data-direction="INBOUND"] .eg-bubble');
    await bubble.waitFor({ timeout: 10_000 });
    const link = bubble.getByRole('link');
    expect(await link.count()).toBe(1);
    expect(await link.getAttribute('href')).toBe(PICTURE);
    expect(await link.getAttribute('rel')).toContain('noopener');
    expect((await link.textContent())!.trim()).toBe('Picture (image/jpeg)');
    expect(await bubble.textContent()).not.toContain(PICTURE);
    expect(await page.locator('img[src^="https://api.twilio.com"], a[href^="javascript:"]').count()).toBe(0);
    expect(watch.dialogs).toEqual([]);
    expect(watch.errors).toEqual([]);
  });
});
