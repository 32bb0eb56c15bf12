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

/** The providers behind some of our numbers, by number (numbers of no sender source are absent). */
export async function providersOfNumbers(db: DbOrTrx, phones: string[]): Promise<Map<string, string>> {
  if (phones.length === 0) return new Map();
  const rows = await db
    .selectFrom('sender_numbers')
    .innerJoin('sender_sources', 'sender_sources.id', 'sender_numbers.sender_source_id')
    .select(['sender_numbers.phone', 'sender_sources.provider'])
    .where('sender_numbers.phone', 'in', phones)
    .execute();
  return new Map(rows.map((r) => [r.phone, r.provider]));
}

/** The provider behind one of our numbers. */
export async function providerOfNumber(db: DbOrTrx, phone: string): Promise<string | null> {
  return (await providersOfNumbers(db, [phone])).get(phone) ?? null;
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
 * - `in-doubt`: it may have gone out, but the provider deduplicates by reference or can say what it
 *   sent (`findSent`): left SENDING, and the lease recovery repeats it under the same reference or
 *   looks it up.
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
  p: { attempt: number; maxAttempts: number; idempotent: boolean; findable?: boolean; now: Date; retryBaseMs: number },
): SendOutcome {
  if (result.ok) return { kind: 'accepted', providerMessageId: result.providerMessageId };
  const what = `${result.code}: ${result.message}`;
  if (result.maybeSent) {
    return p.idempotent || p.findable ? { kind: 'in-doubt' } : { kind: 'unknown', statusMessage: `${what} (the provider may have sent it; not retried to avoid a second text)` };
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
export async function callProviderFor(ctx: AppContext, msg: MessageRow, validUntil: Date | null = null): Promise<{ result: SendResult; idempotent: boolean; findable: boolean }> {
  let idempotent = false;
  let findable = false;
  try {
    const provider = ctx.providers.get(msg.provider ?? 'simulator');
    idempotent = provider.idempotentSend;
    findable = typeof provider.findSent === 'function';
    const result = await provider.send({ reference: msg.id, from: msg.sender, to: msg.recipient, body: msg.body, ...(validUntil ? { validUntil } : {}) });
    if (ctx.config.crashPoint === 'after-provider-send') crashNow(ctx, 'after-provider-send');
    return { result, idempotent, findable };
  } catch (err) {
    return { result: { ok: false, retryable: false, code: 'PROVIDER_ERROR', message: (err as Error).message }, idempotent, findable };
  }
}

/**
 * Hands claimed (SENDING) messages to their providers, all at once, and records every outcome in
 * one transaction. `msg.attempts` is which attempt each is; `validUntil` bounds how long a
 * provider may keep them queued.
 */
export async function dispatchMessages(ctx: AppContext, messages: MessageRow[], validUntil: Date | null = null): Promise<SendOutcome[]> {
  const outcomes = await Promise.all(
    messages.map(async (msg) => {
      const { result, idempotent, findable } = await callProviderFor(ctx, msg, validUntil);
      return classifySend(result, { attempt: Math.max(1, msg.attempts), maxAttempts: ctx.config.sendMaxAttempts, idempotent, findable, now: ctx.now(), retryBaseMs: ctx.config.sendRetryBaseMs });
    }),
  );
  await recordOutcomes(ctx, messages.map((msg, i) => ({ msg, outcome: outcomes[i]! })));
  return outcomes;
}

/** Hands one claimed (SENDING) message to its provider and records the outcome. */
export async function dispatchMessage(ctx: AppContext, msg: MessageRow): Promise<SendOutcome> {
  return (await dispatchMessages(ctx, [msg]))[0]!;
}

/**
 * Records provider outcomes, in one transaction for a whole batch. A broadcast's message row is
 * written here, with its outcome (the claim only marked the lead SENDING, with the message's id as
 * `broadcast_message_id`): one insert per message instead of an insert and an update. A reply's
 * row exists from `queueReply` and is updated. A broadcast message's lead follows it: QUEUED with
 * `sent`; back to PENDING with `retry_after`; FAILED / UNKNOWN with the reason. A reply to retry
 * goes back to PENDING with a new send job at `retryAt`. `in-doubt` records nothing: the lease
 * recovery repeats the send under the same reference.
 */
export async function recordOutcomes(ctx: AppContext, items: { msg: MessageRow; outcome: SendOutcome }[]): Promise<void> {
  const now = ctx.now();
  type Settled = { msg: MessageRow; status: string; why: string | null; pid: string | null; retryAt: string | null };
  const settled: Settled[] = [];
  const suppress: Settled[] = [];
  for (const { msg, outcome } of items) {
    const broadcast = msg.kind === 'BROADCAST';
    let s: Settled | null = null;
    if (outcome.kind === 'accepted') s = { msg, status: 'QUEUED', why: null, pid: outcome.providerMessageId, retryAt: null };
    else if (outcome.kind === 'failed' || outcome.kind === 'unknown') s = { msg, status: outcome.kind === 'failed' ? 'FAILED' : 'UNKNOWN', why: outcome.statusMessage, pid: null, retryAt: null };
    // A broadcast attempt that will be retried stays as a FAILED message; the retry is a new one.
    else if (outcome.kind === 'retry') s = { msg, status: broadcast ? 'FAILED' : 'PENDING', why: outcome.statusMessage, pid: null, retryAt: outcome.retryAt.toISOString() };
    if (!s) continue;
    settled.push(s);
    if (outcome.kind === 'failed' && outcome.suppress && msg.workspace_id !== null) suppress.push(s);
  }
  if (settled.length === 0) return;
  const broadcasts = settled.filter((x) => x.msg.kind === 'BROADCAST');
  const replies = settled.filter((x) => x.msg.kind !== 'BROADCAST');
  await ctx.db.transaction().execute(async (trx) => {
    // This commit need not wait for the disk: if the database loses it in a crash, the leads are
    // still SENDING from their claim (which was durable before the provider call), and the lease
    // recovery settles them without a second text — repeated under the same reference or marked
    // UNKNOWN. A provider opt-out, which must not be forgotten, keeps the durable commit.
    if (suppress.length === 0) await sql`SET LOCAL synchronous_commit = off`.execute(trx);
    if (broadcasts.length > 0) {
      const rows = JSON.stringify(broadcasts.map(({ msg: m, status, why, pid }) => ({
        id: m.id, workspace_id: m.workspace_id, lead_id: m.lead_id, sender: m.sender, recipient: m.recipient, body: m.body,
        provider: m.provider, attempts: m.attempts, status, why, pid, created: m.created,
      })));
      // ON CONFLICT: a row a recovery already settled stays as it is; a SENDING row (written by an
      // older version at claim time) takes the outcome.
      await sql`INSERT INTO messages (id, workspace_id, lead_id, direction, kind, sender, recipient, body, status, status_message, provider, provider_message_id, created, updated, attempts)
        SELECT x.id, x.workspace_id, x.lead_id, 'OUTBOUND', 'BROADCAST', x.sender, x.recipient, x.body, x.status, x.why, x.provider, x.pid, x.created, ${now}, x.attempts
        FROM json_to_recordset(${rows}::json) AS x(id bpchar, workspace_id int, lead_id bpchar, sender text, recipient text, body text, provider text, attempts int, status text, why text, pid text, created timestamptz)
        ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, status_message = EXCLUDED.status_message, provider_message_id = EXCLUDED.provider_message_id, updated = EXCLUDED.updated
        WHERE messages.status = 'SENDING'`.execute(trx);
      const leads = JSON.stringify(broadcasts.filter((b) => b.msg.lead_id).map(({ msg: m, status, why, retryAt }) => ({ lead: m.lead_id, status, why, retry: retryAt })));
      await sql`UPDATE leads l SET
          status = CASE WHEN v.retry IS NOT NULL THEN 'PENDING' ELSE v.status END,
          status_message = v.why,
          sent = CASE WHEN v.status = 'QUEUED' THEN ${now}::timestamptz ELSE l.sent END,
          result = CASE WHEN v.status IN ('FAILED', 'UNKNOWN') AND v.retry IS NULL THEN ${now}::timestamptz ELSE l.result END,
          retry_after = v.retry,
          claimed_at = NULL
        FROM json_to_recordset(${leads}::json) AS v(lead bpchar, status text, why text, retry timestamptz)
        WHERE l.id = v.lead AND l.status = 'SENDING'`.execute(trx);
    }
    if (replies.length > 0) {
      const v = JSON.stringify(replies.map(({ msg: m, status, why, pid }) => ({ id: m.id, status, why, pid })));
      await sql`UPDATE messages m SET status = v.status, status_message = v.why, provider_message_id = coalesce(v.pid, m.provider_message_id), updated = ${now}
        FROM json_to_recordset(${v}::json) AS v(id bpchar, status text, why text, pid text) WHERE m.id = v.id AND m.status = 'SENDING'`.execute(trx);
      for (const r of replies) if (r.retryAt) await addJob(trx, 'send-message', { messageId: r.msg.id }, { runAt: new Date(r.retryAt) });
    }
    for (const { msg: m, why } of suppress) {
      await addSuppression(trx, { workspaceId: m.workspace_id!, phone: m.recipient, kind: 'OPT_OUT', source: 'PROVIDER', detail: why, messageId: m.id });
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
