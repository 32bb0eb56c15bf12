/**
 * Every outbound text goes through here: broadcasts, automatic replies, keyword answers and
 * agents' messages. A message row is the unit of "at most once": it moves PENDING → SENDING
 * (committed before the provider is called) → QUEUED (provider accepted) or FAILED.
 */
import { sql, type Selectable } from 'kysely';
import type { AppContext } from '../context.ts';
import { newId } from '../core/ids.ts';
import { addJob } from '../db/jobs.ts';
import type { DbOrTrx, Trx } from '../db/pool.ts';
import type { MessagesTable } from '../db/schema.ts';
import { addSuppression } from '../leads/suppression.ts';
import type { LeadRow } from '../leads/view.ts';
import type { SendResult } from '../providers/types.ts';

export type MessageRow = Selectable<MessagesTable>;
/** AUTOMATION: a rule's reply; FOLLOW_UP: a drip message to a lead who has not replied. */
export type OutboundKind = 'BROADCAST' | 'AGENT' | 'AUTO_RESPONSE' | 'AUTOMATION' | 'FOLLOW_UP' | 'HELP' | 'STOP' | 'START';

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
export async function queueReply(
  ctx: AppContext, trx: Trx, lead: LeadRow, kind: OutboundKind, body: string,
  /** `runAt`: not before this instant (schedule / quiet hours); default now. */
  opts: { runAt?: Date } = {},
): Promise<MessageRow> {
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
  await addJob(trx, 'send-message', { messageId: msg.id }, opts.runAt ? { runAt: opts.runAt } : {});
  return msg;
}

/**
 * Claims a queued reply for sending (PENDING → SENDING) and commits the claim.
 * Null when another worker has it or it was already sent: the second attempt does nothing.
 */
export async function claimReply(ctx: AppContext, messageId: string): Promise<MessageRow | null> {
  const row = await ctx.db
    .updateTable('messages')
    .set((eb) => ({ status: 'SENDING', updated: ctx.now(), attempts: eb('attempts', '+', 1) }))
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

/**
 * What becomes of a message after one provider call:
 * - `accepted`: the provider took it (QUEUED);
 * - `retry`: it surely did not go out and may later (429, 503, refused connection): try again at `retryAt`;
 * - `failed`: it will not go out (the provider's code in `statusMessage`); `suppress`: the provider
 *   refuses the phone for good (it texted STOP to the carrier);
 * - `unknown`: it may have gone out and the provider cannot deduplicate a repeat: never retried;
 * - `in-doubt`: it may have gone out, but the provider deduplicates by reference: left SENDING, and
 *   the lease recovery repeats it under the same reference.
 */
export type SendOutcome =
  | { kind: 'accepted'; providerMessageId: string }
  | { kind: 'retry'; statusMessage: string; retryAt: Date }
  | { kind: 'failed'; statusMessage: string; suppress: boolean }
  | { kind: 'unknown'; statusMessage: string }
  | { kind: 'in-doubt' };

/**
 * The retry policy: retryable failures are tried again after `retryBaseMs`, doubled per attempt (or
 * the provider's Retry-After when longer), up to `maxAttempts` calls in all.
 */
export function classifySend(
  result: SendResult,
  p: { attempt: number; maxAttempts: number; idempotent: boolean; now: Date; retryBaseMs: number },
): SendOutcome {
  if (result.ok) return { kind: 'accepted', providerMessageId: result.providerMessageId };
  const what = `${result.code}: ${result.message}`;
  if (result.maybeSent) {
    return p.idempotent ? { kind: 'in-doubt' } : { kind: 'unknown', statusMessage: `${what} (the provider may have sent it; not retried to avoid a second text)` };
  }
  if (result.retryable && p.attempt < p.maxAttempts) {
    const backoff = p.retryBaseMs * 2 ** (p.attempt - 1);
    const retryAt = new Date(p.now.getTime() + Math.max(backoff, result.retryAfterMs ?? 0));
    return { kind: 'retry', statusMessage: `${what} (attempt ${p.attempt} of ${p.maxAttempts}; retrying at ${retryAt.toISOString()})`, retryAt };
  }
  const suffix = result.retryable ? ` (gave up after ${p.attempt} attempts)` : '';
  return { kind: 'failed', statusMessage: what + suffix, suppress: result.suppress === true };
}

/** Calls the message's provider; never throws (an adapter's exception is a fatal PROVIDER_ERROR). */
export async function callProviderFor(ctx: AppContext, msg: MessageRow): Promise<{ result: SendResult; idempotent: boolean }> {
  let idempotent = false;
  try {
    const provider = ctx.providers.get(msg.provider ?? 'simulator');
    idempotent = provider.idempotentSend;
    const result = await provider.send({ reference: msg.id, from: msg.sender, to: msg.recipient, body: msg.body });
    if (ctx.config.crashPoint === 'after-provider-send') crashNow(ctx, 'after-provider-send');
    return { result, idempotent };
  } catch (err) {
    return { result: { ok: false, retryable: false, code: 'PROVIDER_ERROR', message: (err as Error).message }, idempotent };
  }
}

/** Hands one claimed (SENDING) message to its provider and records the outcome. */
export async function dispatchMessage(ctx: AppContext, msg: MessageRow, attempt = Math.max(1, msg.attempts)): Promise<SendOutcome> {
  const { result, idempotent } = await callProviderFor(ctx, msg);
  const outcome = classifySend(result, { attempt, maxAttempts: ctx.config.sendMaxAttempts, idempotent, now: ctx.now(), retryBaseMs: ctx.config.sendRetryBaseMs });
  await recordOutcomes(ctx, [{ msg, outcome }]);
  return outcome;
}

/**
 * Records provider outcomes, in one transaction for a whole batch. A broadcast message's lead
 * follows it: QUEUED with `sent`; back to PENDING with `retry_after`; FAILED / UNKNOWN with the
 * reason. A reply to retry goes back to PENDING with a new send job at `retryAt`.
 */
export async function recordOutcomes(ctx: AppContext, items: { msg: MessageRow; outcome: SendOutcome }[]): Promise<void> {
  const now = ctx.now();
  const accepted: { id: string; lead: string | null; pid: string; broadcast: boolean }[] = [];
  const ended: { id: string; lead: string | null; status: string; why: string; broadcast: boolean }[] = [];
  const retried: MessageRow[] = [];
  const retriedAt: string[] = [];
  const suppress: MessageRow[] = [];
  for (const { msg, outcome } of items) {
    const broadcast = msg.kind === 'BROADCAST';
    if (outcome.kind === 'accepted') accepted.push({ id: msg.id, lead: msg.lead_id, pid: outcome.providerMessageId, broadcast });
    else if (outcome.kind === 'failed' || outcome.kind === 'unknown') {
      ended.push({ id: msg.id, lead: msg.lead_id, status: outcome.kind === 'failed' ? 'FAILED' : 'UNKNOWN', why: outcome.statusMessage, broadcast });
      if (outcome.kind === 'failed' && outcome.suppress && msg.workspace_id !== null) suppress.push(msg);
    } else if (outcome.kind === 'retry') {
      retried.push(msg);
      retriedAt.push(outcome.retryAt.toISOString());
      ended.push({ id: msg.id, lead: msg.lead_id, status: broadcast ? 'FAILED' : 'PENDING', why: outcome.statusMessage, broadcast: false });
    }
  }
  if (accepted.length === 0 && ended.length === 0) return;
  await ctx.db.transaction().execute(async (trx) => {
    if (accepted.length > 0) {
      const v = JSON.stringify(accepted);
      await sql`UPDATE messages m SET status = 'QUEUED', provider_message_id = v.pid, updated = ${now}
        FROM json_to_recordset(${v}::json) AS v(id bpchar, pid text) WHERE m.id = v.id AND m.status = 'SENDING'`.execute(trx);
      await sql`UPDATE leads l SET status = 'QUEUED', sent = ${now}, claimed_at = NULL
        FROM json_to_recordset(${v}::json) AS v(lead bpchar, broadcast boolean) WHERE v.broadcast AND l.id = v.lead AND l.status = 'SENDING'`.execute(trx);
    }
    if (ended.length > 0) {
      const v = JSON.stringify(ended);
      await sql`UPDATE messages m SET status = v.status, status_message = v.why, updated = ${now}
        FROM json_to_recordset(${v}::json) AS v(id bpchar, status text, why text) WHERE m.id = v.id AND m.status = 'SENDING'`.execute(trx);
      await sql`UPDATE leads l SET status = v.status, status_message = v.why, result = ${now}, claimed_at = NULL
        FROM json_to_recordset(${v}::json) AS v(lead bpchar, status text, why text, broadcast boolean) WHERE v.broadcast AND l.id = v.lead AND l.status = 'SENDING'`.execute(trx);
    }
    const leadRetries = retried.map((m, i) => ({ m, at: retriedAt[i]! })).filter((r) => r.m.kind === 'BROADCAST' && r.m.lead_id);
    if (leadRetries.length > 0) {
      const v = JSON.stringify(leadRetries.map((r) => ({ lead: r.m.lead_id, at: r.at, why: ended.find((e) => e.id === r.m.id)!.why })));
      await sql`UPDATE leads l SET status = 'PENDING', retry_after = v.at, status_message = v.why, claimed_at = NULL
        FROM json_to_recordset(${v}::json) AS v(lead bpchar, at timestamptz, why text) WHERE l.id = v.lead AND l.status = 'SENDING'`.execute(trx);
    }
    for (let i = 0; i < retried.length; i += 1) {
      const m = retried[i]!;
      if (m.kind !== 'BROADCAST') await addJob(trx, 'send-message', { messageId: m.id }, { runAt: new Date(retriedAt[i]!) });
    }
    for (const m of suppress) {
      await addSuppression(trx, { workspaceId: m.workspace_id!, phone: m.recipient, kind: 'OPT_OUT', source: 'PROVIDER', detail: ended.find((e) => e.id === m.id)!.why, messageId: m.id });
    }
  });
}

/**
 * Ends a send that will not be retried: `FAILED` (the provider refused it) or `UNKNOWN` (the
 * process died before the provider's answer was recorded and the provider cannot tell us).
 */
export async function recordFailed(ctx: AppContext, msg: MessageRow, statusMessage: string, status: 'FAILED' | 'UNKNOWN' = 'FAILED'): Promise<void> {
  await recordOutcomes(ctx, [{ msg, outcome: status === 'FAILED' ? { kind: 'failed', statusMessage, suppress: false } : { kind: 'unknown', statusMessage } }]);
}

/** Test-only fault injection (ENGAGE_CRASH_POINT): die like `kill -9` would, with no cleanup. */
export function crashNow(ctx: AppContext, point: string): never {
  ctx.log.fatal({ point }, 'crash point reached: exiting');
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
}
