/**
 * The simulator's phone page (`/simulator`) in a real browser (Debian Chromium) against a real
 * Engage: a person enters the workspace API key and a lead's phone, reads the broadcast that phone
 * received, answers, and the answer reaches Engage (it starts the lead's conversation). Message
 * text and lead data are untrusted: rendered as text, never run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receiver, TEST_API_KEY, eventually, startTestEngage, type TestEngage } from '../../server/test/harness.ts';
import { PHONE, launchBrowser, screenshot, type TestBrowser } from './browser.ts';

const LEAD_PHONE = '+13125550161';
const EVIL_NAME = '<img src=x onerror="alert(\'name\')">';
const EVIL_REPLY = 'Yes! <script>alert("reply")</script><b>bold?</b>';
const everyDay = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: 0, end: 1440 }]]));

let engage: TestEngage;
let receiver: Receiver;
let browser: TestBrowser;
let leadId: string;
let fromNumber: string;
let broadcast: string;

beforeAll(async () => {
  receiver = await new Receiver().start();
  engage = await startTestEngage();
  const c = await engage.api('POST', '/api/public/engage/campaigns', {
    name: 'Simulator page', schedule: everyDay,
    messages: { outgoingMessage: 'Hi {{FirstName}}, want a free quote? Reply YES.' },
    webhooks: { conversationStarted: `${receiver.url}/cs` },
  });
  expect(c.status).toBe(201);
  await engage.api('POST', `/api/public/engage/campaigns/${c.body.id}/approve`);
  await engage.api('POST', `/api/public/engage/campaigns/${c.body.id}/activate`);
  const r = await engage.api('POST', '/api/public/engage/lead/load', { campaignId: c.body.id, fields: [{ name: 'Phone', value: LEAD_PHONE }, { name: 'FirstName', value: EVIL_NAME }] });
  expect(r.body.status).toBe('Accepted');
  leadId = r.body.leadId;
  const lead = await eventually(async () => {
    const l = (await engage.api('GET', `/api/public/engage/leads/${leadId}`)).body;
    return l.status === 'DELIVERED' ? l : undefined;
  }, 15_000, 'the broadcast to be delivered');
  fromNumber = lead.fromNumber;
  broadcast = `Hi ${EVIL_NAME}, want a free quote? Reply YES.`;
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await engage?.close();
  await receiver?.stop();
});

describe('the simulator phone page', () => {
  it('shows the broadcast the phone received, sends its reply into Engage, and renders text as text', async () => {
    const { page, watch } = await browser.newPage({ viewport: PHONE, isMobile: true, hasTouch: true });
    await page.goto(`${engage.url}/simulator`);
    await page.getByLabel('API key').fill(TEST_API_KEY);
    await page.getByLabel('This phone').fill(LEAD_PHONE);
    await page.getByLabel('This phone').press('Enter');

    // The broadcast arrives on the phone, from the lead's sticky number, which the page answers.
    const received = page.locator('#thread li.received');
    await received.first().waitFor({ timeout: 10_000 });
    expect(await received.count()).toBe(1);
    expect(await received.first().evaluate((li) => li.firstChild?.textContent)).toBe(broadcast);
    await expect.poll(() => page.locator('#ours').inputValue(), { timeout: 10_000 }).toBe(fromNumber);

    await page.getByRole('textbox', { name: 'Message' }).fill(EVIL_REPLY);
    await page.getByRole('button', { name: 'Send' }).click();
    const sent = page.locator('#thread li.sent');
    await sent.first().waitFor({ timeout: 10_000 });
    expect(await sent.first().evaluate((li) => li.firstChild?.textContent)).toBe(EVIL_REPLY);
    expect(await page.getByRole('textbox', { name: 'Message' }).inputValue()).toBe('');

    // The reply reached Engage through the inbound pipeline: it started the conversation.
    const [started] = await receiver.waitFor('ConversationStarted', 1, 15_000);
    expect(started!.body.data.lead.id).toBe(leadId);
    expect(started!.body.data.messages.map((m: { direction: string; message: string }) => [m.direction, m.message])).toEqual([
      ['OUTBOUND', broadcast],
      ['INBOUND', EVIL_REPLY],
    ]);
    const conversation = (await fetch(started!.body.endpoints.conversationEndpoint).then((r) => r.json())) as { data: { messages: { sender: string; message: string }[] } };
    expect(conversation.data.messages.at(-1)).toMatchObject({ sender: LEAD_PHONE, message: EVIL_REPLY });

    // Nothing of the untrusted text became markup or ran.
    expect(await page.locator('#thread img, #thread script, #thread b').count()).toBe(0);
    expect(watch.dialogs).toEqual([]);
    expect(watch.errors).toEqual([]);
    await screenshot(page, 'simulator-phone');
  });

  it('says why when the API key is wrong, and shows nothing', async () => {
    const { page, watch } = await browser.newPage();
    await page.goto(`${engage.url}/simulator?phone=${encodeURIComponent(LEAD_PHONE)}`);
    await page.getByLabel('API key').fill('engk_wrong_key_0000000000000000000');
    await page.getByLabel('API key').press('Enter');
    await expect.poll(() => page.getByRole('status').textContent(), { timeout: 10_000 }).not.toBe('');
    expect(await page.locator('#thread li').count()).toBe(0);
    expect(watch.dialogs).toEqual([]);
  });
});
