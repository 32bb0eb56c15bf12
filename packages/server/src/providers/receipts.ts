/**
 * Delivery receipts from real providers' status webhooks. A receipt can overtake the recording of
 * the provider's answer to the send (the provider calls back before our worker stored its message
 * id): such an `unknown` receipt is tried again for a moment before the webhook is answered, since
 * neither Twilio nor Telnyx retries a status webhook that was answered 2xx.
 */
import { applyDeliveryReceipt, type DeliveryReceipt } from '../broadcast/delivery-status.ts';
import type { AppContext } from '../context.ts';

/** Waits between tries of an `unknown` receipt, ms: about 1.5 s in all (Telnyx wants an answer within 2 s). */
export const UNKNOWN_RECEIPT_RETRY_MS = [100, 300, 500, 600];

export async function applyReceiptPatiently(
  ctx: AppContext,
  receipt: DeliveryReceipt,
  waits: readonly number[] = UNKNOWN_RECEIPT_RETRY_MS,
): Promise<'applied' | 'stale' | 'unknown'> {
  let outcome = await applyDeliveryReceipt(ctx, receipt);
  for (const wait of waits) {
    if (outcome !== 'unknown') break;
    await new Promise((r) => setTimeout(r, wait));
    outcome = await applyDeliveryReceipt(ctx, receipt);
  }
  return outcome;
}
