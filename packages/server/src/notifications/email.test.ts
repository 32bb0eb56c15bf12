/**
 * Conversation emails end to end: a real Engage, the simulator carrier, and a real SMTP server
 * process on loopback. Checks headers, both bodies, HTML escaping of lead data, the widget link,
 * one email per conversation, and retries after an SMTP failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { Receiver, eventually, startTestEngage, type TestEngage } from '../../test/harness.ts';
import { parseMail, TestSmtpServer } from './mime-testkit.ts';

let engage: TestEngage;
let smtp: TestSmtpServer;
let receiver: Receiver;
const ALL_DAY = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: 0, end: 1440 }]]));

async function campaign(conversationEmail: Record<string, unknown>): Promise<string> {
  const hook = `${receiver.url}/hook`;
  const c = await engage.api('POST', '/api/public/engage/campaigns', {
    name: 'Email <Promo>', schedule: ALL_DAY, messages: { outgoingMessage: 'Hi {{FirstName}}' },
    webhooks: { conversationStarted: hook, incomingMessage: hook },
    notifications: { sendConversationEmail: true, conversationEmail },
  });
  expect(c.status).toBe(201);
  await engage.api('POST', `/api/public/engage/campaigns/${c.body.id}/approve`);
  await engage.api('POST', `/api/public/engage/campaigns/${c.body.id}/activate`);
  return c.body.id;
}

async function reply(campaignId: string, phone: string, fields: Record<string, string>, text: string): Promise<string> {
  const r = await engage.api('POST', '/api/public/engage/lead/load', { campaignId, fields: [{ name: 'Phone', value: phone }, ...Object.entries(fields).map(([name, value]) => ({ name, value }))] });
  expect(r.body.status).toBe('Accepted');
  const lead = await eventually(async () => {
    const l = (await engage.api('GET', `/api/public/engage/leads/${r.body.leadId}`)).body;
    return l.status === 'DELIVERED' ? l : undefined;
  }, 10_000, 'broadcast delivered');
  expect((await engage.api('POST', '/api/simulator/messages', { from: phone, to: lead.fromNumber, text })).status).toBe(201);
  return r.body.leadId;
}

beforeAll(async () => {
  smtp = await new TestSmtpServer().start();
  receiver = await new Receiver().start();
  engage = await startTestEngage({ env: { SMTP_URL: smtp.url } });
  await engage.api('PATCH', '/api/public/engage/workspace', { quietHoursPolicy: 'NONE' });
});
afterAll(async () => {
  await engage?.close();
  await smtp?.stop();
  await receiver?.stop();
});

describe('conversation email', () => {
  it('sends one email per conversation with the configured headers, both bodies escaped, and the widget link', async () => {
    const id = await campaign({
      to: ['sales@example.com'], cc: ['Boss <boss@example.com>'], bcc: ['audit@example.com'],
      from: 'Engage Bot <bot@example.com>', replyTo: 'desk@example.com',
      subject: 'Reply from {{FirstName}} {{LastName}}',
      htmlBody: '<p>{{FirstName}} {{LastName}} wrote: {{Engage.Message}}</p><p><a href="{{Engage.WidgetUrl}}">Answer</a></p>',
      textBody: '{{FirstName}} {{LastName}} wrote: {{Engage.Message}}\nAnswer: {{Engage.WidgetUrl}}',
    });
    const phone = '+12125550601';
    const leadId = await reply(id, phone, { FirstName: '<img src=x onerror=alert(1)>', LastName: "O'Brien & Sons" }, 'Is <b>tomorrow</b> ok?');
    const mail = await eventually(() => smtp.mails[0], 10_000, 'an email');
    const started = await eventually(() => receiver.ofType('ConversationStarted').find((r) => r.body.data.lead.id === leadId));
    const widget = started.body.endpoints.embeddableWidget as string;

    expect(mail.envelope.from).toBe('bot@example.com');
    expect(mail.envelope.to.sort()).toEqual(['audit@example.com', 'boss@example.com', 'sales@example.com']);
    const parsed = parseMail(mail.raw);
    expect(parsed.headers.from).toBe('Engage Bot <bot@example.com>');
    expect(parsed.headers.to).toBe('sales@example.com');
    expect(parsed.headers.cc).toBe('Boss <boss@example.com>');
    expect(parsed.headers.bcc).toBeUndefined();
    expect(parsed.headers['reply-to']).toBe('desk@example.com');
    expect(parsed.headers.subject).toBe("Reply from <img src=x onerror=alert(1)> O'Brien & Sons");
    expect(parsed.headers['message-id']).toMatch(new RegExp(`^<conversation-${leadId}@`));
    expect(parsed.text).toBe(`<img src=x onerror=alert(1)> O'Brien & Sons wrote: Is <b>tomorrow</b> ok?\nAnswer: ${widget}`);
    expect(parsed.html).toBe(
      `<p>&lt;img src=x onerror=alert(1)&gt; O&#39;Brien &amp; Sons wrote: Is &lt;b&gt;tomorrow&lt;/b&gt; ok?</p><p><a href="${widget}">Answer</a></p>`,
    );
    expect((await fetch(widget)).status).toBe(200);

    // A later message is a NewMessage, not a new conversation: no second email is queued.
    const lead = (await engage.api('GET', `/api/public/engage/leads/${leadId}`)).body;
    await engage.api('POST', '/api/simulator/messages', { from: phone, to: lead.fromNumber, text: 'hello?' });
    await eventually(() => receiver.ofType('NewMessage').find((r) => r.body.data.lead.id === leadId));
    const pending = await sql<{ n: number }>`SELECT count(*)::int AS n FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id WHERE t.identifier = 'send-conversation-email'`.execute(engage.ctx.db);
    expect(pending.rows[0]!.n).toBe(0);
    expect(smtp.mails).toHaveLength(1);
  });

  it('uses the defaults when the templates are empty, and retries when the SMTP server refuses', async () => {
    const id = await campaign({ to: ['team@example.com'] });
    let refusals = 1;
    smtp.refuse = () => refusals-- > 0;
    const before = smtp.attempts;
    const leadId = await reply(id, '+12125550602', { FirstName: 'Ann' }, 'Call me <now>');
    const mail = await eventually(() => smtp.mails.find((m) => m.raw.includes(`conversation-${leadId}@`)), 20_000, 'the retried email');
    expect(smtp.attempts - before).toBe(2);
    const parsed = parseMail(mail.raw);
    expect(parsed.headers.subject).toBe('New conversation with +12125550602 (Email <Promo>)');
    expect(parsed.headers.from).toMatch(/^Engage <engage@/);
    expect(parsed.text).toContain('Call me <now>');
    expect(parsed.text).toMatch(/Open the conversation: http:\/\/127\.0\.0\.1:\d+\/engage\?key=/);
    expect(parsed.html).toContain('<b>Email &lt;Promo&gt;</b>');
    expect(parsed.html).toContain('<blockquote>Call me &lt;now&gt;</blockquote>');
    expect(parsed.html).toMatch(/<a href="http:\/\/127\.0\.0\.1:\d+\/engage\?key=[^"]+">Open the conversation<\/a>/);
  });

  it('refuses bad addresses with 400 naming the field, and keeps the campaign as it was', async () => {
    const id = await campaign({ to: ['ok@example.com'] });
    await engage.api('POST', `/api/public/engage/campaigns/${id}/pause`);
    const r = await engage.api('PATCH', `/api/public/engage/campaigns/${id}`, { notifications: { conversationEmail: { cc: ['fine@example.com', 'oops'] } } });
    expect(r.status).toBe(400);
    expect(r.body.error.field).toBe('notifications.conversationEmail.cc[1]');
    const none = await engage.api('PATCH', `/api/public/engage/campaigns/${id}`, { notifications: { conversationEmail: { to: [] } } });
    expect(none.body.error.field).toBe('notifications.conversationEmail.to');
    expect((await engage.api('GET', `/api/public/engage/campaigns/${id}`)).body.notifications.conversationEmail.cc).toEqual([]);
  });
});
