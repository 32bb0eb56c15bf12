/**
 * The inbound pipeline every provider feeds (SPEC §2.4): de-duplicate by the provider's message
 * id, match (lead phone, our number) to the lead, handle keywords, start or continue the
 * conversation, answer automatically, run the campaign's automation rules and queue the conversation
 * email — all in one transaction with the events it causes, so the message is committed before the
 * provider gets its answer and nothing is half-done after a crash.
 */
import { sql } from 'kysely';
import { runMessageRules } from '../automations/engine.ts';
import { campaignMessages } from '../campaigns/service.ts';
import type { AppContext } from '../context.ts';
import { newId } from '../core/ids.ts';
import { classifyKeyword } from '../core/keywords.ts';
import { renderTemplate } from '../core/template.ts';
import type { Trx } from '../db/pool.ts';
import { emitEvent } from '../events/outbox.ts';
import { addSuppression, removeSuppression, suppressionOf } from '../leads/suppression.ts';
import { queueConversationEmail } from '../notifications/conversation-email.ts';
import type { LeadRow } from '../leads/view.ts';
import { queueReply, type OutboundKind } from './outbound.ts';

export interface InboundMessage {
  provider: string;
  providerMessageId: string;
  from: string;
  to: string;
  text: string;
  receivedAt: Date;
  /** MMS media, in the provider's order: kept as URL and content type (never downloaded). Optional; default none. */
  media?: InboundMedia[];
}

export interface InboundMedia {
  url: string;
  contentType: string | null;
}

export type InboundOutcome =
  | { kind: 'duplicate' }
  | { kind: 'unmatched'; messageId: string }
  | { kind: 'opt-out' | 'opt-in' | 'help' | 'conversation-started' | 'new-message' | 'ignored-opt-out'; messageId: string; leadId: string };

/** The lead this phone is talking to on this number: the one most recently texted from it. */
async function matchLead(trx: Trx, from: string, to: string): Promise<LeadRow | undefined> {
  return trx
    .selectFrom('leads')
    .selectAll()
    .where('phone', '=', from)
    .where('from_number', '=', to)
    .orderBy(sql`sent DESC NULLS LAST`)
    .orderBy('id', 'desc')
    .limit(1)
    .forUpdate()
    .executeTakeFirst();
}

async function reply(ctx: AppContext, trx: Trx, lead: LeadRow, kind: OutboundKind, template: string): Promise<void> {
  const body = renderTemplate(template, lead.lead_data).trim();
  if (body) await queueReply(ctx, trx, lead, kind, body);
}

export async function receiveInbound(ctx: AppContext, m: InboundMessage): Promise<InboundOutcome> {
  return ctx.db.transaction().execute(async (trx) => {
    const number = await trx.selectFrom('sender_numbers').select('workspace_id').where('phone', '=', m.to).executeTakeFirst();
    const id = newId(ctx.now());
    const stored = await trx
      .insertInto('messages')
      .values({
        id, workspace_id: number?.workspace_id ?? null, lead_id: null, direction: 'INBOUND', kind: 'REPLY',
        sender: m.from, recipient: m.to, body: m.text, status: 'RECEIVED', status_message: null,
        provider: m.provider, provider_message_id: m.providerMessageId, created: m.receivedAt, updated: m.receivedAt,
      })
      .onConflict((oc) => oc.columns(['provider', 'provider_message_id']).where('provider_message_id', 'is not', null).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!stored) return { kind: 'duplicate' } as const;
    if (m.media && m.media.length > 0) {
      await trx.insertInto('message_media').values(m.media.map((x, position) => ({ message_id: id, position, url: x.url, content_type: x.contentType }))).execute();
    }

    const lead = await matchLead(trx, m.from, m.to);
    const keyword = classifyKeyword(m.text);
    if (!lead) {
      // Kept for operators; a keyword still changes the workspace's suppression of the phone.
      if (number && keyword === 'OPT_OUT') {
        await addSuppression(trx, { workspaceId: number.workspace_id, phone: m.from, kind: 'OPT_OUT', source: 'KEYWORD', messageId: id });
      } else if (number && keyword === 'OPT_IN') {
        await removeSuppression(trx, { workspaceId: number.workspace_id, phone: m.from, kind: 'OPT_OUT', source: 'KEYWORD', messageId: id });
      }
      return { kind: 'unmatched', messageId: id } as const;
    }
    await trx.updateTable('messages').set({ lead_id: lead.id, workspace_id: lead.workspace_id }).where('id', '=', id).execute();
    const campaign = await trx.selectFrom('campaigns').selectAll().where('id', '=', lead.campaign_id).executeTakeFirstOrThrow();
    const texts = campaignMessages(campaign);
    const base = { messageId: id, leadId: lead.id };

    if (keyword === 'OPT_OUT') {
      const isNew = await addSuppression(trx, { workspaceId: lead.workspace_id, phone: lead.phone, kind: 'OPT_OUT', source: 'KEYWORD', messageId: id });
      // A repeated STOP is recorded but not answered again: the stop message is sent once.
      if (!isNew) return { kind: 'ignored-opt-out', ...base } as const;
      await emitEvent(ctx, trx, 'OptOut', lead);
      await reply(ctx, trx, lead, 'STOP', texts.stopMessage);
      return { kind: 'opt-out', ...base } as const;
    }
    if (keyword === 'OPT_IN' && (await suppressionOf(trx, lead.workspace_id, lead.phone)) === 'OPT_OUT') {
      await removeSuppression(trx, { workspaceId: lead.workspace_id, phone: lead.phone, kind: 'OPT_OUT', source: 'KEYWORD', messageId: id });
      await emitEvent(ctx, trx, 'OptIn', lead);
      await reply(ctx, trx, lead, 'START', texts.startMessage);
      return { kind: 'opt-in', ...base } as const;
    }
    if (keyword === 'HELP') {
      await reply(ctx, trx, lead, 'HELP', texts.helpMessage);
      return { kind: 'help', ...base } as const;
    }
    if (!lead.conversation_started) {
      const started = await trx.updateTable('leads').set({ conversation_started: true }).where('id', '=', lead.id).returningAll().executeTakeFirstOrThrow();
      await emitEvent(ctx, trx, 'ConversationStarted', started);
      // The automatic answer to a first reply; a suppressed (DNC) phone is not answered.
      if ((await suppressionOf(trx, lead.workspace_id, lead.phone)) === null) {
        await reply(ctx, trx, started, 'AUTO_RESPONSE', texts.responseMessage);
      }
      await queueConversationEmail(ctx, trx, started, campaign, id);
      await runMessageRules(ctx, trx, started, campaign, { messageId: id, text: m.text, firstReply: true });
      return { kind: 'conversation-started', ...base } as const;
    }
    await emitEvent(ctx, trx, 'NewMessage', lead, { onlyMessageId: id });
    await runMessageRules(ctx, trx, lead, campaign, { messageId: id, text: m.text, firstReply: false });
    return { kind: 'new-message', ...base } as const;
  });
}
