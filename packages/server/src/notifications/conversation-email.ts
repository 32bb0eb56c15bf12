/**
 * The conversation email (`notifications.conversationEmail`, SPEC §1.4): when a conversation
 * starts, an email to the campaign's recipients with the first reply and a link to the agent
 * widget. Queued as a job in the inbound transaction (one per lead: job key), sent through SMTP
 * by the `send-conversation-email` task, retried by graphile-worker when the server fails.
 *
 * Templates use `{{Token}}` from lead data plus `{{Engage.Phone}}`, `{{Engage.Message}}` (the
 * reply that started the conversation), `{{Engage.CampaignName}}` and `{{Engage.WidgetUrl}}`.
 * In `htmlBody` every value is HTML-escaped; in `subject` line breaks are removed.
 */
import type { CampaignNotifications } from '../campaigns/schema.ts';
import type { CampaignRow } from '../campaigns/service.ts';
import type { AppContext } from '../context.ts';
import { renderTemplate } from '../core/template.ts';
import { addJob } from '../db/jobs.ts';
import type { Trx } from '../db/pool.ts';
import { badRequest } from '../http/errors.ts';
import type { LeadRow } from '../leads/view.ts';

export const CONVERSATION_EMAIL_TASK = 'send-conversation-email';
/** Attempts before giving up (graphile-worker's exponential backoff: about 6 hours in all). */
export const CONVERSATION_EMAIL_ATTEMPTS = 10;

export const DEFAULT_SUBJECT = 'New conversation with {{Engage.Phone}} ({{Engage.CampaignName}})';
export const DEFAULT_TEXT_BODY = '{{Engage.Phone}} replied to {{Engage.CampaignName}}:\n\n{{Engage.Message}}';
export const DEFAULT_HTML_BODY = '<p>{{Engage.Phone}} replied to <b>{{Engage.CampaignName}}</b>:</p>\n<blockquote>{{Engage.Message}}</blockquote>';
const WIDGET_TOKEN = 'Engage.WidgetUrl';

/** A bare address or `Name <address>`; no line breaks, commas or semicolons (one address each). */
const ADDRESS = /^(?:[^<>\r\n,;"]*<[^\s<>@,;"]+@[^\s<>@,;"]+>|[^\s<>@,;"]+@[^\s<>@,;"]+)$/;

/** Checks the stored notification settings; 400 naming the field. */
export function validateConversationEmail(n: CampaignNotifications): void {
  const e = n.conversationEmail;
  for (const key of ['to', 'cc', 'bcc'] as const) {
    e[key].forEach((a, i) => {
      if (!ADDRESS.test(a.trim())) throw badRequest(`notifications.conversationEmail.${key}[${i}]`, 'must be an email address (name@example.com or Name <name@example.com>)');
    });
  }
  for (const key of ['from', 'replyTo'] as const) {
    const a = e[key];
    if (a !== null && a.trim() !== '' && !ADDRESS.test(a.trim())) throw badRequest(`notifications.conversationEmail.${key}`, 'must be an email address');
  }
  if (/[\r\n]/.test(e.subject)) throw badRequest('notifications.conversationEmail.subject', 'must be one line');
  if (n.sendConversationEmail && e.to.length + e.cc.length + e.bcc.length === 0) {
    throw badRequest('notifications.conversationEmail.to', 'sendConversationEmail needs at least one recipient');
  }
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

function mapValues(data: Record<string, unknown>, f: (s: string) => string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, typeof v === 'string' ? f(v) : v]));
}

export interface ConversationEmailInput {
  notifications: CampaignNotifications;
  campaignName: string;
  lead: Pick<LeadRow, 'phone' | 'lead_data'>;
  firstReply: string;
  widgetUrl: string;
  /** Used when the campaign names no sender. */
  defaultFrom: string;
}

export interface BuiltEmail {
  from: string; to: string[]; cc: string[]; bcc: string[]; replyTo: string | null;
  subject: string; text: string; html: string;
}

/** Renders the email; pure. */
export function buildConversationEmail(input: ConversationEmailInput): BuiltEmail {
  const e = input.notifications.conversationEmail;
  const data: Record<string, unknown> = {
    ...input.lead.lead_data,
    'Engage.Phone': input.lead.phone,
    'Engage.Message': input.firstReply,
    'Engage.CampaignName': input.campaignName,
    [WIDGET_TOKEN]: input.widgetUrl,
  };
  const subjectTpl = e.subject.trim() || DEFAULT_SUBJECT;
  const textTpl = e.textBody.trim() ? e.textBody : DEFAULT_TEXT_BODY;
  const htmlTpl = e.htmlBody.trim() ? e.htmlBody : DEFAULT_HTML_BODY;
  const hasLink = (t: string) => t.includes(WIDGET_TOKEN);
  let text = renderTemplate(textTpl, data);
  if (!hasLink(textTpl)) text += `\n\nOpen the conversation: ${input.widgetUrl}\n`;
  let html = renderTemplate(htmlTpl, mapValues(data, escapeHtml));
  if (!hasLink(htmlTpl)) html += `\n<p><a href="${escapeHtml(input.widgetUrl)}">Open the conversation</a></p>\n`;
  // A header: no value may start a new header line.
  const subject = renderTemplate(subjectTpl, mapValues(data, (s) => s.replace(/[\r\n]+/g, ' '))).replace(/[\r\n]+/g, ' ').slice(0, 998);
  return {
    from: e.from?.trim() || input.defaultFrom,
    to: e.to, cc: e.cc, bcc: e.bcc,
    replyTo: e.replyTo?.trim() || null,
    subject, text, html,
  };
}

let warnedDisabled = false;

/** Queues the email for a conversation that just started, in the inbound transaction. */
export async function queueConversationEmail(ctx: AppContext, trx: Trx, lead: LeadRow, campaign: CampaignRow, firstReplyMessageId: string): Promise<boolean> {
  const n = campaign.notifications as CampaignNotifications;
  if (!n.sendConversationEmail) return false;
  const e = n.conversationEmail;
  if (e.to.length + e.cc.length + e.bcc.length === 0) return false;
  if (!ctx.config.smtpUrl) {
    if (!warnedDisabled) ctx.log.warn('conversation emails are configured but SMTP_URL is not set: email is off');
    warnedDisabled = true;
    return false;
  }
  await addJob(trx, CONVERSATION_EMAIL_TASK, { leadId: lead.id, messageId: firstReplyMessageId }, {
    jobKey: `conversation-email:${lead.id}`,
    jobKeyMode: 'preserve_run_at',
    maxAttempts: CONVERSATION_EMAIL_ATTEMPTS,
  });
  return true;
}
