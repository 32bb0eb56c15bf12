/**
 * The agent widget in a real browser (Debian Chromium) against a real Engage: framed by a page
 * on another origin, live replies from the simulated phone, answering, dispositions, opt-out,
 * keyboard and screen-reader semantics, a phone-sized screen, and untrusted text.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FrameLocator, Page } from 'playwright-core';
import { Receiver, eventually, startTestEngage, type TestEngage } from '../../server/test/harness.ts';
import { closeServer, listenOnLoopback } from '../../server/test/loopback.ts';
import { PHONE, launchBrowser, screenshot, type TestBrowser } from './browser.ts';

let engage: TestEngage;
let receiver: Receiver;
let browser: TestBrowser;
let campaignId: string;
/** An integrator's page on another origin that may frame the widget (ENGAGE_WIDGET_FRAME_ORIGINS). */
let allowedHost: HostPage;
/** Another origin, not allowed to frame it. */
let foreignHost: HostPage;

interface HostPage { url: string; server: http.Server }

/** A CRM-like page that frames `?src=` in an iframe. */
async function hostPage(): Promise<HostPage> {
  const server = http.createServer((req, res) => {
    const src = new URL(req.url ?? '/', 'http://x').searchParams.get('src') ?? '';
    const attr = src.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><html><head><title>Acme CRM</title><link rel="icon" href="data:,">
<style>body{font-family:system-ui;margin:0;background:#eef1f5}header{background:#1f2937;color:#fff;padding:12px 20px;font-weight:600}
main{display:flex;gap:20px;padding:20px}aside{flex:1;background:#fff;border-radius:12px;padding:16px}
iframe{width:420px;height:640px;border:1px solid #d0d5dd;border-radius:12px;background:#fff}</style></head>
<body><header>Acme CRM — Lead record</header><main><aside><h2>Kim</h2><p>Lead details from the CRM.</p></aside>
<iframe title="Engage conversation" src="${attr}"></iframe></main></body></html>`);
  });
  return { url: await listenOnLoopback(server), server };
}

const everyDay = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: 0, end: 1440 }]]));

/** Broadcasts to a new lead, has it reply, returns the widget URL and the lead's numbers. */
async function conversation(phone: string, reply: string, fields: Record<string, string> = { FirstName: 'Kim', LastName: 'Doe' }) {
  const r = await engage.api('POST', '/api/public/engage/lead/load', {
    campaignId, fields: [{ name: 'Phone', value: phone }, ...Object.entries(fields).map(([name, value]) => ({ name, value }))],
  });
  expect(r.body.status).toBe('Accepted');
  const lead = await eventually(async () => {
    const l = (await engage.api('GET', `/api/public/engage/leads/${r.body.leadId}`)).body;
    return l.status === 'DELIVERED' ? l : undefined;
  }, 15_000, 'broadcast delivered');
  await phoneTexts(phone, lead.fromNumber, reply);
  const started = await eventually(() => receiver.received.find((w) => w.body.eventType === 'ConversationStarted' && w.body.data.lead.id === r.body.leadId), 15_000, 'ConversationStarted');
  return { leadId: r.body.leadId as string, from: lead.fromNumber as string, widgetUrl: started.body.endpoints.embeddableWidget as string };
}

async function phoneTexts(phone: string, to: string, text: string) {
  expect((await engage.api('POST', '/api/simulator/messages', { from: phone, to, text })).status).toBe(201);
}

const phoneInbox = async (phone: string) =>
  (await engage.api('GET', `/api/simulator/messages?phone=${encodeURIComponent(phone)}`)).body.messages as { text: string; direction: string }[];

async function framedWidget(widgetUrl: string, host = allowedHost, viewport?: { width: number; height: number }) {
  const { page, watch } = await browser.newPage(viewport ? { viewport } : {});
  await page.goto(`${host.url}/?src=${encodeURIComponent(widgetUrl)}`);
  return { page, watch, frame: page.frameLocator('iframe[title="Engage conversation"]') };
}

beforeAll(async () => {
  allowedHost = await hostPage();
  foreignHost = await hostPage();
  receiver = await new Receiver().start();
  engage = await startTestEngage({ env: { ENGAGE_WIDGET_FRAME_ORIGINS: allowedHost.url } });
  expect((await engage.api('PATCH', '/api/public/engage/workspace', { quietHoursPolicy: 'NONE' })).status).toBe(200);
  const hook = `${receiver.url}/hook`;
  const c = await engage.api('POST', '/api/public/engage/campaigns', {
    name: 'Spring roof inspections',
    schedule: everyDay,
    messages: { outgoingMessage: 'Hi {{FirstName}}, this is Acme Roofing. Want a free roof inspection this spring? Reply YES to book.' },
    dispositions: [
      { disposition: 'Booked', success: true },
      { disposition: 'Not interested' },
      { disposition: 'Do not contact', doNotContact: true },
    ],
    webhooks: { conversationStarted: hook, disposition: hook },
  });
  expect(c.status).toBe(201);
  campaignId = c.body.id;
  await engage.api('POST', `/api/public/engage/campaigns/${campaignId}/approve`);
  expect((await engage.api('POST', `/api/public/engage/campaigns/${campaignId}/activate`)).status).toBe(200);
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await engage?.close();
  await receiver?.stop();
  if (allowedHost) await closeServer(allowedHost.server);
  if (foreignHost) await closeServer(foreignHost.server);
});

const bubbles = (frame: FrameLocator | Page) => frame.locator('.eg-thread .eg-bubble');

describe('agent widget in a browser', { timeout: 90_000 }, () => {
  it('shows a reply live inside an iframe on another origin; the agent answers and sets a disposition', async () => {
    const phone = '+13125550301';
    const { widgetUrl, from, leadId } = await conversation(phone, 'Yes! Is Thursday morning possible?');
    const { page, frame, watch } = await framedWidget(widgetUrl);

    await expect.poll(() => frame.getByRole('heading', { level: 1 }).textContent()).toBe('Kim Doe');
    await expect.poll(() => bubbles(frame).allTextContents()).toEqual([
      'Hi Kim, this is Acme Roofing. Want a free roof inspection this spring? Reply YES to book.',
      'Yes! Is Thursday morning possible?',
    ]);
    await expect.poll(() => frame.getByRole('status').filter({ hasText: 'Live' }).count()).toBe(1);
    // Mark the frame's document: if it were reloaded, the mark would be gone.
    await frame.locator('body').evaluate(() => ((window as unknown as { mark: number }).mark = 42));

    await phoneTexts(phone, from, 'Also, do you do gutters?');
    await expect.poll(() => bubbles(frame).last().textContent(), { timeout: 10_000 }).toBe('Also, do you do gutters?');
    expect(await frame.locator('body').evaluate(() => (window as unknown as { mark?: number }).mark)).toBe(42);

    const box = frame.getByRole('textbox', { name: 'Reply to Kim Doe' });
    await box.fill('Thursday 9am works. We do gutters too 👍');
    await expect.poll(() => frame.locator('.eg-count').getAttribute('data-encoding')).toBe('UCS-2');
    await box.fill('Thursday 9am works. We do gutters too.');
    await expect.poll(() => frame.locator('.eg-count').textContent()).toBe('38 / 160 · 1 SMS GSM-7');
    await screenshot(page, 'widget-in-iframe');
    await frame.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => box.inputValue()).toBe('');
    const mine = frame.locator('.eg-out').last();
    await expect.poll(() => mine.locator('.eg-bubble').textContent()).toBe('Thursday 9am works. We do gutters too.');
    await expect.poll(() => mine.locator('.eg-status').getAttribute('data-status'), { timeout: 10_000 }).toBe('DELIVERED');
    expect((await phoneInbox(phone)).some((m) => m.text === 'Thursday 9am works. We do gutters too.')).toBe(true);

    await frame.getByRole('combobox', { name: 'Choose a disposition' }).selectOption('Booked');
    await frame.getByRole('button', { name: 'Set disposition' }).click();
    const dialog = frame.getByRole('dialog', { name: 'Set the final disposition?' });
    await expect.poll(() => dialog.isVisible()).toBe(true);
    await dialog.getByRole('button', { name: 'Confirm Booked' }).click();
    await expect.poll(() => frame.getByTestId('current-disposition').locator('.eg-w-pill').textContent()).toBe('Booked');
    expect(await dialog.isVisible()).toBe(false);
    const lead = (await engage.api('GET', `/api/public/engage/leads/${leadId}`)).body;
    expect(lead.disposition).toBe('Booked');
    await eventually(() => receiver.received.find((w) => w.body.eventType === 'Disposition' && w.body.data.lead.id === leadId));
    await screenshot(page.frameLocator('iframe').locator('main'), 'widget');
    expect(watch.errors).toEqual([]);
    expect(watch.dialogs).toEqual([]);
  });

  it('refuses to be framed by an origin not in ENGAGE_WIDGET_FRAME_ORIGINS', async () => {
    const { widgetUrl } = await conversation('+13125550302', 'hello');
    const { page, watch } = await browser.newPage();
    const refused = page.waitForEvent('console', { predicate: (m) => /frame-ancestors/.test(m.text()), timeout: 10_000 });
    await page.goto(`${foreignHost.url}/?src=${encodeURIComponent(widgetUrl)}`);
    expect((await refused).text()).toMatch(/violates the following Content Security Policy directive: "frame-ancestors 'self' http:\/\/127\.0\.0\.1:\d+"/);
    expect(await page.frameLocator('iframe').locator('.eg-w').count()).toBe(0);
    expect(watch.dialogs).toEqual([]);
  });

  it('renders a lead message and lead data that look like HTML as plain text', async () => {
    const phone = '+13125550303';
    const { widgetUrl, from } = await conversation(phone, '<img src=x onerror=alert(1)>', { FirstName: '<script>alert(2)</script>', LastName: '"><b>x</b>' });
    const { page, frame, watch } = await framedWidget(widgetUrl);
    await expect.poll(() => bubbles(frame).last().textContent()).toBe('<img src=x onerror=alert(1)>');
    await phoneTexts(phone, from, '<script>alert(3)</script><iframe src="javascript:alert(4)"></iframe>');
    await expect.poll(() => bubbles(frame).last().textContent()).toBe('<script>alert(3)</script><iframe src="javascript:alert(4)"></iframe>');
    expect(await frame.getByRole('heading', { level: 1 }).textContent()).toBe('<script>alert(2)</script> "><b>x</b>');
    expect(await frame.locator('.eg-thread img, .eg-thread script, .eg-thread iframe, header b').count()).toBe(0);
    expect(await page.frames()[1]!.evaluate(() => document.querySelectorAll('img').length)).toBe(0);
    expect(watch.dialogs).toEqual([]);
    expect(watch.errors).toEqual([]);
  });

  it('shows the opt-out live and disables the composer with the reason', async () => {
    const phone = '+13125550304';
    const { widgetUrl, from } = await conversation(phone, 'Who is this?');
    const { page, frame } = await framedWidget(widgetUrl);
    const box = frame.getByRole('textbox', { name: 'Reply to Kim Doe' });
    await expect.poll(() => box.isEnabled()).toBe(true);
    await phoneTexts(phone, from, 'STOP');
    await expect.poll(() => frame.getByTestId('opted-out').textContent(), { timeout: 10_000 }).toMatch(/^Kim Doe opted outThey replied STOP on .+\. Texting is turned off; they can opt back in by replying START\.$/);
    expect(await box.isDisabled()).toBe(true);
    expect(await frame.getByRole('button', { name: 'Send' }).isDisabled()).toBe(true);
    expect(await frame.locator('.eg-composer-disabled').textContent()).toBe('This lead opted out (replied STOP): messages cannot be sent.');
    // The reason is part of the textbox's accessible description.
    expect(await box.evaluate((el) => el.getAttribute('aria-describedby')!.split(' ').map((id) => document.getElementById(id)?.textContent ?? '').join(' '))).toContain('opted out');
    await screenshot(page.frameLocator('iframe').locator('main'), 'widget-opted-out');
  });

  it('works by keyboard alone, with labelled controls for screen readers', async () => {
    const phone = '+13125550305';
    const { widgetUrl, leadId } = await conversation(phone, 'Can you call me instead?');
    const { page, watch } = await browser.newPage();
    await page.goto(widgetUrl);
    await expect.poll(() => page.getByRole('log', { name: 'Conversation with Kim Doe' }).locator('.eg-msg').count()).toBe(2);

    await page.keyboard.press('Tab');
    const box = page.getByRole('textbox', { name: 'Reply to Kim Doe' });
    expect(await box.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.type('Sure, calling you in 5 minutes.');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('- Sam');
    expect(await box.inputValue()).toBe('Sure, calling you in 5 minutes.\n- Sam');
    await page.keyboard.press('Enter');
    await expect.poll(() => bubbles(page).last().textContent()).toBe('Sure, calling you in 5 minutes.\n- Sam');

    // The composer keeps focus after sending; Tab moves on to the disposition picker.
    expect(await box.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('Tab');
    const select = page.getByRole('combobox', { name: 'Choose a disposition' });
    expect(await select.evaluate((el) => el === document.activeElement)).toBe(true);
    await select.selectOption('Not interested');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Set disposition');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Set the final disposition?' });
    await expect.poll(() => dialog.isVisible()).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Confirm Not interested');
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible()).toBe(false);
    expect((await engage.api('GET', `/api/public/engage/leads/${leadId}`)).body.disposition).toBeNull();

    await page.getByRole('button', { name: 'Set disposition' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await engage.api('GET', `/api/public/engage/leads/${leadId}`)).body.disposition).toBe('Not interested');
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Disposition set to Not interested.' }).count()).toBe(1);
    expect(watch.errors).toEqual([]);
  });

  it('fits a phone-sized screen, long unbroken text included', async () => {
    const phone = '+13125550306';
    const long = 'https://example.com/' + 'a'.repeat(300);
    const { widgetUrl } = await conversation(phone, long);
    const { page } = await browser.newPage({ viewport: PHONE, isMobile: true, hasTouch: true });
    await page.goto(widgetUrl);
    await expect.poll(() => bubbles(page).last().textContent()).toBe(long);
    const fits = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      width: document.documentElement.clientWidth,
      bubbles: [...document.querySelectorAll('.eg-bubble')].every((b) => b.getBoundingClientRect().right <= document.documentElement.clientWidth),
    }));
    expect(fits.scroll).toBeLessThanOrEqual(fits.width);
    expect(fits.bubbles).toBe(true);
    for (const control of [page.getByRole('textbox', { name: 'Reply to Kim Doe' }), page.getByRole('button', { name: 'Send' }), page.getByRole('button', { name: 'Set disposition' })]) {
      const b = (await control.boundingBox())!;
      expect(b.x).toBeGreaterThanOrEqual(0);
      expect(b.x + b.width).toBeLessThanOrEqual(PHONE.width);
      expect(b.y + b.height).toBeLessThanOrEqual(PHONE.height);
    }
    await page.getByRole('textbox', { name: 'Reply to Kim Doe' }).fill('On my way!');
    await screenshot(page, 'widget-phone');
  });
});
