/** What an agent does in a conversation (widget, console or endpoints): send, disposition. */
import { setNeedsReply } from '../automations/state.ts';
import { campaignDispositions } from '../campaigns/service.ts';
import type { AppContext } from '../context.ts';
import { iso } from '../core/time.ts';
import type { Trx } from '../db/pool.ts';
import { emitEvent } from '../events/outbox.ts';
import type { ContractMessage } from '../events/payload.ts';
import { ApiError, badRequest } from '../http/errors.ts';
import { addSuppression, suppressionOf } from '../leads/suppression.ts';
import type { LeadRow } from '../leads/view.ts';
import { queueReply } from './outbound.ts';

export const MAX_MESSAGE_LENGTH = 1600;

export async function sendAgentMessage(ctx: AppContext, lead: LeadRow, text: unknown): Promise<ContractMessage & { status: string }> {
  if (typeof text !== 'string' || text.trim() === '') throw badRequest('message', 'message is required and must not be blank');
  if (text.length > MAX_MESSAGE_LENGTH) throw badRequest('message', `message is longer than ${MAX_MESSAGE_LENGTH} characters`);
  return ctx.db.transaction().execute(async (trx) => {
    const current = await trx.selectFrom('leads').selectAll().where('id', '=', lead.id).forUpdate().executeTakeFirstOrThrow();
    const suppressed = await suppressionOf(trx, current.workspace_id, current.phone);
    if (suppressed) {
      const why = suppressed === 'OPT_OUT' ? 'the lead opted out (replied STOP)' : 'the lead is on the do-not-contact list';
      throw new ApiError(409, 'OPTED_OUT', `cannot send: ${why}`, 'message', { suppression: suppressed });
    }
    if (!current.from_number) throw new ApiError(409, 'CONFLICT', 'cannot send: the broadcast has not been sent to this lead yet', 'message');
    const msg = await queueReply(ctx, trx, current, 'AGENT', text);
    // An agent answered: a conversation handed off by an automation no longer needs a reply.
    await setNeedsReply(trx, current.id, false, ctx.now());
    return { id: msg.id, sender: msg.sender, direction: msg.direction, timestamp: iso(msg.created), message: msg.body, status: msg.status };
  });
}

export async function setDisposition(ctx: AppContext, lead: LeadRow, name: unknown, source: string): Promise<LeadRow> {
  if (typeof name !== 'string' || name.trim() === '') throw badRequest('disposition', 'disposition is required');
  return ctx.db.transaction().execute((trx) => applyDisposition(ctx, trx, lead, name, source));
}

/**
 * Records a disposition in the caller's transaction and fires `Disposition` — the one path for
 * agents (widget, console, endpoint) and automation rules alike.
 */
export async function applyDisposition(ctx: AppContext, trx: Trx, lead: LeadRow, name: string, source: string): Promise<LeadRow> {
  const campaign = await trx.selectFrom('campaigns').selectAll().where('id', '=', lead.campaign_id).executeTakeFirstOrThrow();
  const choices = campaignDispositions(campaign);
  const chosen = choices.find((d) => d.disposition === name.trim()) ?? choices.find((d) => d.disposition.toLowerCase() === name.trim().toLowerCase());
  if (!chosen) {
    const valid = choices.map((d) => d.disposition);
    throw new ApiError(422, 'UNKNOWN_DISPOSITION', `"${name.slice(0, 100)}" is not a disposition of this campaign; valid: ${valid.join(', ') || '(none defined)'}`, 'disposition', { validDispositions: valid });
  }
  const updated = await trx
    .updateTable('leads')
    .set({ disposition: chosen.disposition, disposition_timestamp: ctx.now() })
    .where('id', '=', lead.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (chosen.doNotContact) {
    await addSuppression(trx, { workspaceId: lead.workspace_id, phone: lead.phone, kind: 'DNC', source: source === 'endpoint' ? 'API' : 'AGENT', detail: `disposition:${source}`, messageId: null });
  }
  await emitEvent(ctx, trx, 'Disposition', updated);
  return updated;
}
