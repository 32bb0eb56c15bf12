/**
 * Provider delivery receipts, whatever the provider: they may arrive twice or out of order, and
 * must never move a message or a lead backwards. A broadcast reaching a final status fires
 * `DeliveryResult` once.
 */
import type { AppContext } from '../context.ts';
import { normalizeCarrier } from '../core/carriers.ts';
import { emitEvent } from '../events/outbox.ts';
import type { DeliveryStatus } from '../providers/types.ts';

const RANK: Record<string, number> = {
  PENDING: 0, SENDING: 1, UNKNOWN: 1, QUEUED: 2, SENT: 3, DELIVERED: 4, UNDELIVERED: 4, FAILED: 4,
};
const FINAL = new Set(['DELIVERED', 'UNDELIVERED', 'FAILED']);

/** True when `next` is a step forward from `current` (final statuses never change). */
export function advances(current: string, next: string): boolean {
  return (RANK[next] ?? -1) > (RANK[current] ?? 99);
}

export interface DeliveryReceipt {
  provider: string;
  providerMessageId: string;
  status: DeliveryStatus;
  /** The carrier's error code, if any (e.g. Twilio 30003). */
  errorCode: string | null;
  errorMessage?: string | null;
  /** The carrier as the provider names it, when the receipt tells. */
  carrier?: string | null;
}

/**
 * Applies one receipt. `unknown`: no message has that provider id (yet — a receipt can overtake
 * the recording of the provider's answer); `stale`: a repeat or a step backwards, ignored.
 */
export async function applyDeliveryReceipt(ctx: AppContext, r: DeliveryReceipt): Promise<'applied' | 'stale' | 'unknown'> {
  return ctx.db.transaction().execute(async (trx) => {
    const msg = await trx
      .selectFrom('messages')
      .selectAll()
      .where('provider', '=', r.provider)
      .where('provider_message_id', '=', r.providerMessageId)
      .forUpdate()
      .executeTakeFirst();
    if (!msg) return 'unknown';
    if (!advances(msg.status, r.status)) return 'stale';
    const now = ctx.now();
    const statusMessage = r.errorCode ? `${r.errorCode}${r.errorMessage ? `: ${r.errorMessage}` : ''}` : null;
    await trx.updateTable('messages').set({ status: r.status, status_message: statusMessage, updated: now }).where('id', '=', msg.id).execute();
    if (msg.kind !== 'BROADCAST' || !msg.lead_id) return 'applied';

    const lead = await trx.selectFrom('leads').selectAll().where('id', '=', msg.lead_id).forUpdate().executeTakeFirstOrThrow();
    if (lead.broadcast_message_id !== msg.id || !advances(lead.status, r.status)) return 'applied';
    const final = FINAL.has(r.status);
    const updated = await trx
      .updateTable('leads')
      .set({
        status: r.status,
        status_message: statusMessage,
        ...(final ? { result: now } : {}),
        ...(r.carrier ? { carrier: r.carrier, normalized_carrier: normalizeCarrier(r.carrier) } : {}),
      })
      .where('id', '=', lead.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    if (final) await emitEvent(ctx, trx, 'DeliveryResult', updated);
    return 'applied';
  });
}
