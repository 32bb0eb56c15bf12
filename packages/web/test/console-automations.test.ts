/**
 * The campaign editor's Automations, Follow-ups and Try it sections in a real browser (Debian's
 * Chromium via playwright-core) against a real Engage (HTTP + worker + PostgreSQL, the SMS
 * simulator as the carrier): build two rules and a follow-up, see the server's 400 for a bad
 * regular expression next to the pattern, fix and save, reload and find everything again, try
 * messages in the test console, then activate (rules read-only) and have the simulated phone
 * answer "yes": the automated reply reaches the phone and the disposition is set. Rule names and
 * sample messages that look like HTML stay text.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestEngage, type TestEngage } from '../../server/test/harness.ts';
import { launchBrowser, pageText, screenshot, type PageWatch, type TestBrowser } from './browser.ts';

const OWNER = { email: 'owner@example.com', password: 'owner password 123' };
const PHONE = '+12125550171';
const RULE2 = '<b>time</b>';
const BAD_PATTERN = '\\b(\\d{1,2}\\s*(am|pm)\\b';
const GOOD_PATTERN = '\\b\\d{1,2}\\s*(am|pm)\\b';

let engage: TestEngage;
let browser: TestBrowser;
let page: Page;
let watch: PageWatch;
let campaignId = '';

const { text, waitText } = pageText(() => page);
const label = (name: string) => page.getByLabel(name, { exact: true });
const saved = async () => (await engage.api('GET', `/api/public/engage/campaigns/${campaignId}`)).body;

async function tryMessage(message: string, want: string) {
  await page.getByLabel('Sample message').fill(message);
  await page.getByLabel('Sample message').press('Enter');
  return waitText('.try-result', `For “${message}”`, `the result for ${message}`).then(() => waitText('.try-result', want, `"${want}" for ${message}`));
}

beforeAll(async () => {
  engage = await startTestEngage();
  const r = await engage.api('POST', '/api/public/engage/users', { ...OWNER, role: 'owner', name: 'Olivia Owner' });
  expect(r.status).toBe(201);
  browser = await launchBrowser();
  ({ page, watch } = await browser.newPage({ viewport: { width: 1280, height: 900 } }));
  await page.goto(`${engage.url}/`);
  await page.getByLabel('E-mail').fill(OWNER.email);
  await page.getByLabel('Password').fill(OWNER.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await waitText('h1', 'Campaigns', 'campaigns page');
});
afterAll(async () => {
  await browser?.close();
  await engage?.close();
});

describe('campaign automations in the console', () => {
  it('builds rules and a follow-up, shows the 400 for a bad regex next to the pattern, saves and reloads them', async () => {
    await page.getByRole('link', { name: 'New campaign' }).click();
    await label('Name').fill('Tuesday visits');
    await label('Broadcast message').fill('Hi {{FirstName}}, can we see you Tuesday at 10? Reply YES.');
    await page.getByRole('button', { name: 'Around the clock' }).click();
    await page.getByRole('button', { name: 'Create campaign' }).click();
    const url = await eventually(() => (/#\/campaigns\/[0-9a-f]{24}$/.test(page.url()) ? page.url() : undefined), 10_000, 'campaign url');
    campaignId = url.split('/').pop()!;
    await waitText('.editor .badge', 'DRAFT', 'draft badge');
    expect(await text('fieldset.automations')).toContain('No rules yet.');

    // Rule 1: the word "yes" → templated reply (token picker), disposition, stop.
    await page.getByRole('button', { name: 'Add rule' }).click();
    await label('Rule 1 name').fill('yes');
    expect(await label('Rule 1 when').inputValue()).toBe('EXACT');
    await page.getByLabel('Rule 1 words').fill('yes, y, yeah');
    const reply = label('Rule 1 action 1 reply');
    await reply.fill('Great ');
    await page.getByLabel('Insert a token into Rule 1 action 1 reply').selectOption('FirstName');
    expect(await reply.inputValue()).toBe('Great {{FirstName}}');
    await reply.fill('Great {{FirstName}}, see you Tuesday!');
    await waitText('[aria-label="Rule 1 action 1 reply preview"]', 'Great Ada, see you Tuesday!', 'reply preview');
    await page.getByRole('button', { name: 'Add action to rule 1' }).click();
    await label('Rule 1 action 2').selectOption('SET_DISPOSITION');
    await label('Rule 1 action 2 disposition').selectOption('Interested');
    await page.getByRole('button', { name: 'Add action to rule 1' }).click();
    expect(await label('Rule 1 action 3').inputValue()).toBe('STOP');

    // Rule 2: a regular expression (with a mistake) → tag. Its name looks like HTML.
    await page.getByRole('button', { name: 'Add rule' }).click();
    await label('Rule 2 name').fill(RULE2);
    await label('Rule 2 when').selectOption('REGEX');
    await page.getByLabel('Rule 2 pattern').fill(BAD_PATTERN);
    await label('Rule 2 action 1').selectOption('TAG');
    await label('Rule 2 action 1 tag').fill('reschedule');

    // Rule 3 is added, moved to the top, moved back down and removed.
    await page.getByRole('button', { name: 'Add rule' }).click();
    await label('Rule 3 when').selectOption('FIRST_REPLY');
    await page.getByRole('button', { name: 'Move rule 3 up' }).click();
    await page.getByRole('button', { name: 'Move rule 2 up' }).click();
    expect(await label('Rule 1 when').inputValue()).toBe('FIRST_REPLY');
    expect(await label('Rule 2 name').inputValue()).toBe('yes');
    expect(await label('Rule 3 name').inputValue()).toBe(RULE2);
    expect(await page.getByRole('button', { name: 'Move rule 1 up' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Move rule 1 down' }).click();
    await page.getByRole('button', { name: 'Move rule 2 down' }).click();
    expect(await label('Rule 3 when').inputValue()).toBe('FIRST_REPLY');
    await page.getByRole('button', { name: 'Remove rule 3', exact: true }).click();
    expect(await page.locator('li.rule').count()).toBe(2);
    expect(await label('Rule 1 name').inputValue()).toBe('yes');

    await page.getByRole('button', { name: 'Add follow-up' }).click();
    await page.getByLabel('Follow-up 1 delay (hours)').fill('24');
    await label('Follow-up 1 message').fill('Still on for Tuesday, {{FirstName}}?');

    // The server refuses the pattern; the message stands next to it, and nothing was saved.
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const err = await waitText('[data-error-for="automations[1].when.pattern"]', /invalid regular expression/, 'the pattern error');
    expect(err).not.toContain('automations[1]'); // the message itself, placed at the input
    expect(await page.getByLabel('Rule 2 pattern').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('.field-error').count()).toBe(1);
    expect((await saved()).automations).toEqual([]);
    expect((await saved()).followUps).toEqual([]);

    await page.getByLabel('Rule 2 pattern').fill(GOOD_PATTERN);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await waitText('[role=status].ok', 'Saved.', 'saved');
    expect(await page.locator('.field-error').count()).toBe(0);
    const c = await saved();
    expect(c.automations).toMatchObject([
      { name: 'yes', enabled: true, when: { type: 'EXACT', words: ['yes', 'y', 'yeah'] },
        then: [{ type: 'REPLY', message: 'Great {{FirstName}}, see you Tuesday!' }, { type: 'SET_DISPOSITION', disposition: 'Interested' }, { type: 'STOP' }] },
      { name: RULE2, enabled: true, when: { type: 'REGEX', pattern: GOOD_PATTERN, flags: 'i' }, then: [{ type: 'TAG', tag: 'reschedule' }] },
    ]);
    expect(c.followUps).toEqual([{ delayHours: 24, message: 'Still on for Tuesday, {{FirstName}}?' }]);

    await page.reload();
    await eventually(async () => ((await label('Rule 1 name').count()) === 1 && (await label('Rule 1 name').inputValue()) === 'yes' ? true : undefined), 10_000, 'the rules after a reload');
    expect(await page.getByLabel('Rule 1 words').inputValue()).toBe('yes, y, yeah');
    expect(await label('Rule 1 action 1 reply').inputValue()).toBe('Great {{FirstName}}, see you Tuesday!');
    expect(await label('Rule 1 action 2 disposition').inputValue()).toBe('Interested');
    expect(await label('Rule 1 action 3').inputValue()).toBe('STOP');
    expect(await label('Rule 2 name').inputValue()).toBe(RULE2);
    expect(await label('Rule 2 when').inputValue()).toBe('REGEX');
    expect(await page.getByLabel('Rule 2 pattern').inputValue()).toBe(GOOD_PATTERN);
    expect(await label('Rule 2 action 1 tag').inputValue()).toBe('reschedule');
    expect(await page.getByLabel('Follow-up 1 delay (hours)').inputValue()).toBe('24');
    expect(await label('Follow-up 1 message').inputValue()).toBe('Still on for Tuesday, {{FirstName}}?');
    // A rule name that looks like markup is an input's value, not markup.
    expect(await page.locator('fieldset.automations b').count()).toBe(0);
  }, 90_000);

  it('tries messages against the rules and the sample lead: which rule fires and what it would do', async () => {
    const yes = await tryMessage('Yes!', 'Rule 1: yes');
    expect(yes).toContain('Great Ada, see you Tuesday!');
    expect(yes).toContain('Interested');
    expect(yes).toContain('Stops: no further rules');
    expect(yes).not.toContain('Rule 2');
    // The section is taller than the window: a tall window shows it whole for the docs.
    await page.setViewportSize({ width: 1280, height: 2000 });
    await page.locator('fieldset.automations').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await screenshot(page.locator('fieldset.automations'), 'console-automations');
    await page.setViewportSize({ width: 1280, height: 900 });

    const other = await tryMessage('could you do 3pm instead?', `Rule 2: ${RULE2}`);
    expect(other).toContain('reschedule');
    expect(other).not.toContain('Rule 1');

    // An unsaved edit is tried as drafted: rule 2 now also wants "tomorrow".
    await page.getByLabel('Rule 2 pattern').fill(`${GOOD_PATTERN}|tomorrow`);
    await tryMessage('Tomorrow maybe', `Rule 2: ${RULE2}`);
    await page.getByLabel('Rule 2 pattern').fill(GOOD_PATTERN);

    const evil = '<img src=x onerror=alert(1)>';
    const none = await tryMessage(evil, 'No rule fires.');
    expect(none).toContain(evil);
    expect(await page.locator('.try-result img').count()).toBe(0);

    const stop = await tryMessage('STOP', 'No rule fires.');
    expect(stop).toContain('compliance keyword');
    expect(watch.dialogs).toEqual([]);
  }, 60_000);

  it('freezes the rules while active, and answers the phone\'s "yes" with the reply and the disposition', async () => {
    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    await waitText('.editor .badge', 'READY', 'ready badge');
    await page.getByRole('button', { name: 'Activate', exact: true }).click();
    await waitText('.editor .badge', 'ACTIVE', 'active badge');
    await waitText('fieldset.automations', 'frozen while the campaign is active', 'the frozen note');
    expect(await page.getByLabel('Rule 1 words').isDisabled()).toBe(true);
    expect(await label('Rule 2 action 1 tag').isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Add rule' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Remove rule 1', exact: true }).isDisabled()).toBe(true);
    expect(await label('Follow-up 1 message').isDisabled()).toBe(true);
    // Try it still works on the saved rules.
    await tryMessage('y', 'Rule 1: yes');

    const load = await engage.api('POST', '/api/public/engage/lead/load', { campaignId, fields: [{ name: 'Phone', value: PHONE }, { name: 'FirstName', value: 'Ada' }] });
    expect(load.body.status).toBe('Accepted');
    const lead = await eventually(async () => {
      const l = (await engage.api('GET', `/api/public/engage/leads/${load.body.leadId}`)).body;
      return l.status === 'DELIVERED' ? l : undefined;
    }, 15_000, 'the broadcast to be delivered');
    const sent = await engage.api('POST', '/api/simulator/messages', { from: PHONE, to: lead.fromNumber, text: 'yes' });
    expect(sent.status).toBe(201);
    await eventually(async () => {
      const msgs = (await engage.api('GET', `/api/simulator/messages?phone=${encodeURIComponent(PHONE)}`)).body.messages;
      return msgs.some((m: { direction: string; text: string }) => m.direction === 'OUTBOUND' && m.text === 'Great Ada, see you Tuesday!') ? true : undefined;
    }, 15_000, 'the automated reply to reach the phone');
    const after = await eventually(async () => {
      const l = (await engage.api('GET', `/api/public/engage/leads/${load.body.leadId}`)).body;
      return l.disposition === 'Interested' ? l : undefined;
    }, 10_000, 'the disposition');
    expect(after.disposition).toBe('Interested');
    const automation = (await engage.api('GET', `/api/public/engage/leads/${load.body.leadId}/automation`)).body;
    expect(automation.firings.map((f: { ruleId: string }) => f.ruleId)).toEqual([(await saved()).automations[0].id]);
    // Only the expected refusals (401 before login, the 400 of the bad pattern) — no script errors.
    expect(watch.errors.filter((e) => !/status of 40[01]/.test(e))).toEqual([]);
    expect(watch.dialogs).toEqual([]);
  }, 60_000);
});
