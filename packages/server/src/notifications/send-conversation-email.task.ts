import type { Task } from 'graphile-worker';
import nodemailer from 'nodemailer';
import type { CampaignNotifications } from '../campaigns/schema.ts';
import type { AppContext } from '../context.ts';
import { conversationKeyFor } from '../conversations/keys.ts';
import { endpointsFor } from '../events/payload.ts';
import { buildConversationEmail } from './conversation-email.ts';

type Transport = ReturnType<typeof nodemailer.createTransport>;

/**
 * Sends one conversation email. Throws on an SMTP failure, so graphile-worker retries it with
 * backoff. The Message-ID is derived from the lead, so a resend after a crash between the
 * server's acceptance and the job's completion is recognisably the same email.
 */
export function sendConversationEmailTask(ctx: AppContext): Task {
  let transport: Transport | null = null;
  return async (payload) => {
    const p = payload as { leadId?: unknown; messageId?: unknown } | null;
    if (typeof p?.leadId !== 'string' || typeof p.messageId !== 'string') throw new Error('send-conversation-email: payload needs leadId and messageId');
    if (!ctx.config.smtpUrl) {
      ctx.log.warn({ leadId: p.leadId }, 'conversation email dropped: SMTP_URL is not set');
      return;
    }
    const lead = await ctx.db.selectFrom('leads').selectAll().where('id', '=', p.leadId).executeTakeFirst();
    if (!lead) return;
    const campaign = await ctx.db.selectFrom('campaigns').select(['name', 'notifications']).where('id', '=', lead.campaign_id).executeTakeFirstOrThrow();
    const reply = await ctx.db.selectFrom('messages').select('body').where('id', '=', p.messageId).executeTakeFirst();
    const key = await conversationKeyFor(ctx, ctx.db, lead);
    const host = new URL(ctx.config.publicUrl).hostname || 'localhost';
    const mail = buildConversationEmail({
      notifications: campaign.notifications as CampaignNotifications,
      campaignName: campaign.name,
      lead,
      firstReply: reply?.body ?? '',
      widgetUrl: endpointsFor(ctx.config.publicUrl, key).embeddableWidget,
      defaultFrom: `Engage <engage@${host}>`,
    });
    transport ??= nodemailer.createTransport(ctx.config.smtpUrl);
    await transport.sendMail({
      from: mail.from, to: mail.to, cc: mail.cc, bcc: mail.bcc, ...(mail.replyTo ? { replyTo: mail.replyTo } : {}),
      subject: mail.subject, text: mail.text, html: mail.html,
      messageId: `<conversation-${lead.id}@${host}>`,
    });
  };
}
