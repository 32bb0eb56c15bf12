/**
 * Every outbound text goes through here: broadcasts, automatic replies, keyword answers and
 * agents' messages. A message row is the unit of "at most once": it moves PENDING → SENDING
 * (committed before the provider is called) → QUEUED (provider accepted) or FAILED.
 */
import type { Selectable } from 'kysely';
import type { AppContext } from '../context.ts';
import { newId } from '../core/ids.ts';
import { addJob } from '../db/jobs.ts';
import type { DbOrTrx, Trx } from '../db/pool.ts';
import type { MessagesTable } from '../db/schema.ts';
import type { LeadRow } from '../leads/view.ts';
import type { SendResult } from '../providers/types.ts';

export type MessageRow = Selectable<MessagesTable>;
export type OutboundKind = 'BROADCAST' | 'AGENT' | 'AUTO_RESPONSE' | 'HELP' | 'STOP' | 'START';

/** Compliance answers go out even to a suppressed phone (the STOP confirmation must reach it). */
const COMPLIANCE_KINDS = new Set(['HELP', 'STOP', 'START']);

/** The provider behind one of our numbers. */
export async function providerOfNumber(db: DbOrTrx, phone: string): Promise<string | null> {
  const row = await db
    .selectFrom('sender_numbers')
    .innerJoin('sender_sources', 'sender_sources.id', 'sender_numbers.sender_source_id')
    .select('sender_sources.provider')
    .where('sender_numbers.phone', '=', phone)
    .executeTakeFirst();
  return row?.provider ?? null;
}

/**
 * Stores a reply to a lead and queues its sending, in the caller's transaction: the reply exists
 * if and only if its cause committed. Returns the stored message.
 */
export async function queueReply(ctx: AppContext, trx: Trx, lead: LeadRow, kind: OutboundKind, body: string): Promise<MessageRow> {
  if (!lead.from_number) throw new Error(`lead ${lead.id} has no number to reply from`);
  const now = ctx.now();
  const msg = await trx
    .insertInto('messages')
    .values({
      id: newId(now), workspace_id: lead.workspace_id, lead_id: lead.id, direction: 'OUTBOUND', kind,
      sender: lead.from_number, recipient: lead.phone, body, status: 'PENDING', status_message: null,
      provider: await providerOfNumber(trx, lead.from_number), provider_message_id: null, created: now, updated: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await addJob(trx, 'send-message', { messageId: msg.id });
  return msg;
}

/**
 * Claims a queued reply for sending (PENDING → SENDING) and commits the claim.
 * Null when another worker has it or it was already sent: the second attempt does nothing.
 */
export async function claimReply(ctx: AppContext, messageId: string): Promise<MessageRow | null> {
  const row = await ctx.db
    .updateTable('messages')
    .set({ status: 'SENDING', updated: ctx.now() })
    .where('id', '=', messageId)
    .where('status', '=', 'PENDING')
    .returningAll()
    .executeTakeFirst();
  return row ?? null;
}

/** Whether a claimed message may still go out (suppression may have changed since it was queued). */
export async function mayStillSend(db: DbOrTrx, msg: MessageRow): Promise<boolean> {
  if (COMPLIANCE_KINDS.has(msg.kind) || msg.workspace_id === null) return true;
  const s = await db.selectFrom('suppressions').select('kind').where('workspace_id', '=', msg.workspace_id).where('phone', '=', msg.recipient).executeTakeFirst();
  return !s;
}

/** Hands a claimed (SENDING) message to its provider and records the answer. */
export async function dispatchMessage(ctx: AppContext, msg: MessageRow): Promise<SendResult> {
  let result: SendResult;
  try {
    const provider = ctx.providers.get(msg.provider ?? 'simulator');
    result = await provider.send({ reference: msg.id, from: msg.sender, to: msg.recipient, body: msg.body });
  } catch (err) {
    result = { ok: false, retryable: false, code: 'PROVIDER_ERROR', message: (err as Error).message };
  }
  if (ctx.config.crashPoint === 'after-provider-send') crashNow(ctx, 'after-provider-send');
  if (result.ok) await recordAccepted(ctx, msg, result.providerMessageId);
  else await recordFailed(ctx, msg, `${result.code}: ${result.message}`);
  return result;
}

async function recordAccepted(ctx: AppContext, msg: MessageRow, providerMessageId: string): Promise<void> {
  const now = ctx.now();
  await ctx.db.transaction().execute(async (trx) => {
    await trx.updateTable('messages').set({ status: 'QUEUED', provider_message_id: providerMessageId, updated: now }).where('id', '=', msg.id).where('status', '=', 'SENDING').execute();
    if (msg.kind === 'BROADCAST' && msg.lead_id) {
      await trx.updateTable('leads').set({ status: 'QUEUED', sent: now, claimed_at: null }).where('id', '=', msg.lead_id).where('status', '=', 'SENDING').execute();
    }
  });
}

/**
 * Ends a send that will not be retried: `FAILED` (the provider refused it) or `UNKNOWN` (the
 * process died before the provider's answer was recorded and the provider cannot tell us).
 */
export async function recordFailed(ctx: AppContext, msg: MessageRow, statusMessage: string, status: 'FAILED' | 'UNKNOWN' = 'FAILED'): Promise<void> {
  const now = ctx.now();
  await ctx.db.transaction().execute(async (trx) => {
    await trx.updateTable('messages').set({ status, status_message: statusMessage, updated: now }).where('id', '=', msg.id).execute();
    if (msg.kind === 'BROADCAST' && msg.lead_id) {
      await trx.updateTable('leads').set({ status, status_message: statusMessage, result: now, claimed_at: null }).where('id', '=', msg.lead_id).where('status', '=', 'SENDING').execute();
    }
  });
}

/** Test-only fault injection (ENGAGE_CRASH_POINT): die like `kill -9` would, with no cleanup. */
export function crashNow(ctx: AppContext, point: string): never {
  ctx.log.fatal({ point }, 'crash point reached: exiting');
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
}
