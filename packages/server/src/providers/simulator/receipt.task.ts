import type { Task } from 'graphile-worker';
import { applyDeliveryReceipt } from '../../broadcast/delivery-status.ts';
import type { AppContext } from '../../context.ts';
import type { DeliveryStatus } from '../types.ts';
import { SIMULATOR } from './provider.ts';

const STATUSES = new Set<DeliveryStatus>(['QUEUED', 'SENT', 'DELIVERED', 'UNDELIVERED', 'FAILED']);

/** Plays the carrier's delivery receipt for a simulated message. */
export function simulatorReceiptTask(ctx: AppContext): Task {
  return async (payload) => {
    const p = payload as { providerMessageId?: unknown; status?: unknown; errorCode?: unknown; carrier?: unknown } | null;
    if (typeof p?.providerMessageId !== 'string' || !STATUSES.has(p.status as DeliveryStatus)) {
      throw new Error('simulator-receipt: payload needs providerMessageId and a delivery status');
    }
    const outcome = await applyDeliveryReceipt(ctx, {
      provider: SIMULATOR,
      providerMessageId: p.providerMessageId,
      status: p.status as DeliveryStatus,
      errorCode: typeof p.errorCode === 'string' ? p.errorCode : null,
      errorMessage: typeof p.errorCode === 'string' ? 'simulated carrier failure' : null,
      carrier: typeof p.carrier === 'string' ? p.carrier : null,
    });
    // The send's answer is not recorded yet (or its process died before recording it and the
    // send is being recovered): throw, so graphile-worker retries the receipt later.
    if (outcome === 'unknown') throw new Error(`simulator-receipt: no message with provider id ${p.providerMessageId} yet`);
  };
}
