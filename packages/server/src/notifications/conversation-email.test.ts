import { describe, expect, it } from 'vitest';
import { buildConversationEmail, validateConversationEmail } from './conversation-email.ts';

const base = {
  sendConversationEmail: true,
  conversationEmail: { to: ['sales@example.com'], cc: [], bcc: [], from: null, replyTo: null, subject: '', htmlBody: '', textBody: '' },
};

describe('conversation email', () => {
  it('fills tokens, escapes lead data in HTML, and always links the widget', () => {
    const mail = buildConversationEmail({
      notifications: { ...base, conversationEmail: { ...base.conversationEmail, subject: 'Lead {{FirstName}} {{Note}}', htmlBody: '<p>Hi team, {{FirstName}} said {{Engage.Message}}</p>', textBody: 'Text: {{FirstName}} / {{Engage.WidgetUrl}}' } },
      campaignName: 'Promo',
      lead: { phone: '+15555551212', lead_data: { FirstName: '<b>Kim</b> & "co"', Note: 'hi\r\nBcc: x@evil' } },
      firstReply: '<script>alert(1)</script>',
      widgetUrl: 'https://engage.example.com/engage?key=abc&x=1',
      defaultFrom: 'Engage <engage@example.com>',
    });
    expect(mail.subject).toBe('Lead <b>Kim</b> & "co" hi Bcc: x@evil');
    expect(mail.html).toContain('&lt;b&gt;Kim&lt;/b&gt; &amp; &quot;co&quot;');
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('href="https://engage.example.com/engage?key=abc&amp;x=1"');
    expect(mail.text).toBe('Text: <b>Kim</b> & "co" / https://engage.example.com/engage?key=abc&x=1');
    expect(mail.from).toBe('Engage <engage@example.com>');
  });

  it('refuses bad addresses naming the field', () => {
    const bad = (patch: object) => () => validateConversationEmail({ ...base, conversationEmail: { ...base.conversationEmail, ...patch } });
    expect(bad({ to: ['ok@example.com', 'not-an-address'] })).toThrow(expect.objectContaining({ field: 'notifications.conversationEmail.to[1]' }));
    expect(bad({ cc: ['a@b.c, d@e.f'] })).toThrow(expect.objectContaining({ field: 'notifications.conversationEmail.cc[0]' }));
    expect(bad({ replyTo: 'x' })).toThrow(expect.objectContaining({ field: 'notifications.conversationEmail.replyTo' }));
    expect(bad({ to: [] })).toThrow(expect.objectContaining({ field: 'notifications.conversationEmail.to' }));
    expect(bad({ to: ['Sales Team <sales@example.com>'] })).not.toThrow();
  });
});
