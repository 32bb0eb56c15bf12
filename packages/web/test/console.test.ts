/**
 * The operator console in a real browser (Debian's Chromium via playwright-core) against a real
 * Engage (HTTP + worker + PostgreSQL, the SMS simulator as the carrier): log in, create and
 * activate a campaign, upload a CSV through the mapping step, watch the broadcast counts rise,
 * answer a reply from the simulated phone in the inbox and set a disposition — with lead data
 * and message text that try to run script rendered as text. Screenshots go to docs/screenshots.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestEngage, type TestEngage } from '../../server/test/harness.ts';
import { launchBrowser, pageText, screenshot, type PageWatch, type TestBrowser } from './browser.ts';

const OWNER = { email: 'owner@example.com', password: 'owner password 123' };
const AGENT = { email: 'agent@example.com', password: 'agent password 123' };
const ADA = '+12125550141';
const SCRIPTY = '+12125550142';
const CSV = [
  'Mobile Number,First Name,Last Name,Zip',
  '(212) 555-0141,Ada,Lovelace,10001',
  '212-555-0142,<script>alert(1)</script>,Hopper,10002',
  '2125550143,Grace,Hopper,10003',
  'not-a-phone,Bad,Row,10004',
].join('\n');

let engage: TestEngage;
let browser: TestBrowser;
let page: Page;
let watch: PageWatch;
let campaignId = '';

const go = async (hash: string) => {
  await page.evaluate((h) => (window.location.hash = h), hash);
};
const { text, waitText } = pageText(() => page);

async function leadOf(phone: string) {
  const lists = (await engage.api('GET', `/api/public/engage/campaigns/${campaignId}/lists`)).body.lists;
  for (const l of lists) {
    const leads = (await engage.api('GET', `/api/public/engage/lists/${l.id}/leads`)).body.leads;
    const lead = leads.find((x: any) => x.phone === phone);
    if (lead) return lead;
  }
  throw new Error(`no lead ${phone}`);
}

async function phoneTexts(phone: string, body: string) {
  const lead = await leadOf(phone);
  const r = await engage.api('POST', '/api/simulator/messages', { from: phone, to: lead.fromNumber, text: body });
  expect(r.status).toBe(201);
}

beforeAll(async () => {
  engage = await startTestEngage();
  for (const [u, role] of [[OWNER, 'owner'], [AGENT, 'agent']] as const) {
    const r = await engage.api('POST', '/api/public/engage/users', { ...u, role, name: role === 'owner' ? 'Olivia Owner' : 'Andy Agent' });
    expect(r.status).toBe(201);
  }
  browser = await launchBrowser();
  ({ page, watch } = await browser.newPage({ viewport: { width: 1360, height: 860 } }));
});
afterAll(async () => {
  await browser?.close();
  await engage?.close();
});

describe('operator console', () => {
  it('logs in (and refuses a wrong password)', async () => {
    await page.goto(`${engage.url}/`);
    await page.getByLabel('E-mail').fill(OWNER.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await waitText('[role=alert]', 'wrong e-mail or password', 'login error');
    await screenshot(page, 'console-login');
    await page.getByLabel('Password').fill(OWNER.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await waitText('h1', 'Campaigns', 'campaigns page');
    expect(await text('.topbar .who')).toContain('Olivia Owner');
    // The session cookie is HttpOnly: page script cannot read it.
    expect(await page.evaluate(() => document.cookie)).not.toContain('engage_session');
  }, 60_000);

  it('creates a campaign with the token picker, live preview and segment counter, then approves and activates it', async () => {
    await page.getByRole('link', { name: 'New campaign' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Spring promo');
    const broadcast = page.getByLabel('Broadcast message', { exact: true });
    await broadcast.fill('Hi ');
    await page.getByLabel('Insert a token into Broadcast message').selectOption('FirstName');
    expect(await broadcast.inputValue()).toBe('Hi {{FirstName}}');
    await broadcast.fill('Hi {{FirstName}}, want a free quote? Reply YES.');
    await waitText('[aria-label="Broadcast message preview"]', 'Hi Ada, want a free quote? Reply YES.', 'preview');
    expect(await text('[data-testid="msg-outgoingMessage-counter"]')).toMatch(/^51 characters · 1 segment · GSM-7/);
    await broadcast.fill('Hi {{FirstName}} 👋 want a free quote? Reply YES.');
    await waitText('[data-testid="msg-outgoingMessage-counter"]', 'UCS-2', 'UCS-2 counter');
    await broadcast.fill('Hi {{FirstName}}, want a free quote? Reply YES.');
    await page.getByLabel('Automatic response', { exact: true }).fill('Thanks {{FirstName}}! An agent will text you shortly.');
    await page.getByRole('button', { name: 'Around the clock' }).click();
    expect(await page.locator('.cell.on').count()).toBe(7 * 24);
    await page.getByRole('button', { name: 'Create campaign' }).click();
    const url = await eventually(() => (/#\/campaigns\/[0-9a-f]{24}$/.test(page.url()) ? page.url() : undefined), 10_000, 'campaign url');
    campaignId = url.split('/').pop()!;
    await waitText('.editor .badge', 'DRAFT', 'draft badge');
    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    await waitText('.editor .badge', 'READY', 'ready badge');
    await page.getByRole('button', { name: 'Activate', exact: true }).click();
    await waitText('.editor .badge', 'ACTIVE', 'active badge');
    await screenshot(page, 'console-campaign-editor');
    const saved = (await engage.api('GET', `/api/public/engage/campaigns/${campaignId}`)).body;
    expect(saved).toMatchObject({ name: 'Spring promo', campaignStatus: 'ACTIVE', messages: { outgoingMessage: 'Hi {{FirstName}}, want a free quote? Reply YES.' } });
    expect(saved.schedule.sunday).toEqual([{ start: 0, end: 1440 }]);
    expect(saved.dispositions.map((d: any) => d.disposition)).toEqual(['Interested', 'Not interested']);
  }, 60_000);

  it('uploads a CSV through the column-mapping step, shows progress and the rejection report', async () => {
    await go(`/campaigns/${campaignId}/lists`);
    await page.getByLabel('CSV file').setInputFiles({ name: 'spring-leads.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV) });
    const phoneField = page.getByLabel('Field name for column 1 (Mobile Number)');
    await eventually(async () => ((await phoneField.inputValue()) === 'Phone' ? true : undefined), 5000, 'phone mapping');
    expect(await page.getByLabel('Field name for column 2 (First Name)').inputValue()).toBe('FirstName');
    // The preview shows the file's first rows as text, script tags included.
    expect(await page.locator('table.mapping td', { hasText: '<script>alert(1)</script>' }).count()).toBe(1);
    await page.getByLabel('Field name for column 4 (Zip)').fill('');
    await screenshot(page, 'console-list-mapping');
    await page.getByRole('button', { name: 'Start import' }).click();
    await waitText('.import-status', 'Done: 3 accepted, 1 rejected.', 'import done');
    expect(await page.locator('progress').getAttribute('value')).toBe('100');
    const rejected = await text('table.rejections tbody');
    expect(rejected).toContain('INVALID_PHONE');
    expect(rejected).toContain('not-a-phone');
    await screenshot(page, 'console-list-import');
    const ada = await leadOf(ADA);
    expect(ada.leadData).toEqual({ Phone: '(212) 555-0141', FirstName: 'Ada', LastName: 'Lovelace' });
  }, 60_000);

  it('shows the broadcast counts rising live on the campaign list', async () => {
    await go('/campaigns');
    const cell = (k: string) => `tr[data-campaign-id="${campaignId}"] [data-count="${k}"]`;
    await waitText(cell('delivered'), /^3$/, 'three delivered');
    await page.evaluate(() => ((window as unknown as { stillHere: boolean }).stillHere = true));
    const r = await engage.api('POST', '/api/public/engage/lead/load', { campaignId, listName: 'Web form', fields: [{ name: 'Phone', value: '2125550144' }, { name: 'FirstName', value: 'Linus' }] });
    expect(r.body.status).toBe('Accepted');
    await waitText(cell('leads'), /^4$/, 'four leads');
    await waitText(cell('delivered'), /^4$/, 'four delivered');
    // Updated in place, without a reload.
    expect(await page.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere)).toBe(true);
    await screenshot(page, 'console-campaigns');
  }, 60_000);

  it('shows a reply in the inbox, answers it, sees the next reply live, assigns and sets a disposition', async () => {
    await phoneTexts(ADA, 'Yes, tell me more');
    await go('/inbox');
    const item = page.locator('.conversations a', { hasText: 'Ada Lovelace' });
    await eventually(async () => ((await item.count()) === 1 ? true : undefined), 10_000, 'conversation in the inbox');
    expect(await item.textContent()).toContain('Needs reply');
    await item.click();
    await waitText('.eg-thread', 'Yes, tell me more', 'reply in the thread');
    const composer = page.getByLabel('Reply to Ada Lovelace');
    await composer.fill('Happy to help, Ada! When suits you?');
    await composer.press('Enter');
    await eventually(async () => {
      const msgs = (await engage.api('GET', `/api/simulator/messages?phone=${encodeURIComponent(ADA)}`)).body.messages;
      return msgs.some((m: any) => m.direction === 'OUTBOUND' && m.text === 'Happy to help, Ada! When suits you?') ? true : undefined;
    }, 10_000, 'the phone to receive the answer');
    await phoneTexts(ADA, 'Tomorrow at 5pm works');
    await waitText('.eg-thread', 'Tomorrow at 5pm works', 'the new reply to appear live');

    await page.locator('.assign select').selectOption({ label: 'Andy Agent (agent)' });
    await eventually(async () => ((await engage.api('GET', '/api/console/conversations?assignee=none')).body.conversations.every((c: any) => c.phone !== ADA) ? true : undefined), 5000, 'assignment');

    await page.getByLabel('Choose a disposition').selectOption('Interested');
    await page.getByRole('button', { name: 'Set disposition' }).click();
    await page.getByRole('button', { name: 'Confirm Interested' }).click();
    await waitText('[data-testid="current-disposition"]', 'Interested', 'disposition shown');
    expect((await leadOf(ADA)).disposition).toBe('Interested');
    await screenshot(page, 'console-inbox');
  }, 60_000);

  it('renders a lead name of <script> and a message of <img onerror> as text', async () => {
    await phoneTexts(SCRIPTY, '<img src=x onerror=alert(1)>');
    await go('/inbox');
    const item = page.locator('.conversations a', { hasText: '<script>alert(1)</script> Hopper' });
    await eventually(async () => ((await item.count()) === 1 ? true : undefined), 10_000, 'the scripty conversation');
    // The automatic response rendered the name into the message: still text.
    expect(await item.textContent()).toContain('Thanks <script>alert(1)</script>!');
    await item.click();
    await waitText('.eg-thread', '<img src=x onerror=alert(1)>', 'the message as text');
    expect(await text('.eg-w-name')).toBe('<script>alert(1)</script> Hopper');
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.evaluate(() => Array.from(document.scripts).filter((s) => !s.src).length)).toBe(0);
    expect(watch.dialogs).toEqual([]);
  }, 60_000);

  it('charts the campaign on its dashboard', async () => {
    await go(`/campaigns/${campaignId}/dashboard`);
    await waitText('.kpis', 'Reply rate', 'dashboard');
    const kpis = await text('.kpis');
    expect(kpis).toContain('100%'); // delivery rate: 4 of 4
    expect(kpis).toContain('50%'); // reply rate: 2 of 4
    expect(await page.locator('svg.bars').first().getAttribute('aria-label')).toBe('Leads: 4, Queued: 4, Sent: 4, Delivered: 4, Failed: 0');
    expect(await page.locator('svg.bars').nth(1).getAttribute('aria-label')).toBe('Interested: 1');
    await screenshot(page, 'console-dashboard');
  }, 60_000);

  it('shows the webhook log, the opt-out list and API keys (the new key once)', async () => {
    await go('/webhooks');
    await waitText('table.grid tbody', 'ConversationStarted', 'events in the log');
    await screenshot(page, 'console-webhook-log');
    await go('/opt-outs');
    await page.getByLabel('Phone', { exact: true }).fill('+12125550199');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await waitText('table.grid tbody', '+12125550199', 'the added number');
    await go('/api-keys');
    await page.getByLabel('Name', { exact: true }).fill('CRM');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = await waitText('[data-testid="new-api-key"]', /^engk_/, 'the new key');
    expect((await engage.api('GET', '/api/public/engage/campaigns', undefined, { 'x-api-key': key })).status).toBe(200);
    await screenshot(page, 'console-api-keys');
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.locator('main').textContent()).not.toContain(key);
    // Only the expected 401 of the first visit (not logged in yet) was refused; no script errors.
    expect(watch.errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
  }, 60_000);

  it('hides management pages from agents', async () => {
    const agent = await browser.newPage();
    await agent.page.goto(`${engage.url}/`);
    await agent.page.getByLabel('E-mail').fill(AGENT.email);
    await agent.page.getByLabel('Password').fill(AGENT.password);
    await agent.page.getByRole('button', { name: 'Log in' }).click();
    await eventually(async () => ((await agent.page.locator('nav').textContent())?.includes('Inbox') ? true : undefined), 10_000, 'agent nav');
    const nav = (await agent.page.locator('nav').textContent()) ?? '';
    expect(nav).not.toContain('API keys');
    expect(nav).not.toContain('Users');
    await agent.page.evaluate(() => (window.location.hash = '/api-keys'));
    await eventually(async () => ((await agent.page.locator('[role=alert]').textContent())?.includes('owner or admin') ? true : undefined), 10_000, 'forbidden message');
  }, 60_000);
});
