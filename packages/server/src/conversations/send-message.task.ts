import type { Task } from 'graphile-worker';
import type { AppContext } from '../context.ts';
import { claimReply, dispatchMessage, mayStillSend, recordFailed } from './outbound.ts';

/** Sends one queued reply. Idempotent: a message already claimed or sent is left alone. */
export function sendMessageTask(ctx: AppContext): Task {
  return async (payload) => {
    const messageId = (payload as { messageId?: unknown } | null)?.messageId;
    if (typeof messageId !== 'string') throw new Error('send-message: payload.messageId must be a string');
    const msg = await claimReply(ctx, messageId);
    if (!msg) return;
    if (!(await mayStillSend(ctx.db, msg))) {
      await recordFailed(ctx, msg, 'SUPPRESSED: the phone opted out or is do-not-contact');
      return;
    }
    await dispatchMessage(ctx, msg);
  };
}
