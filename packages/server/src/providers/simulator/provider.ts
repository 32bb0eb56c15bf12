/**
 * The built-in SMS simulator: a fake carrier whose phones live in the database
 * (`simulator_messages`). Sending stores the text in the phone's inbox and schedules delivery
 * receipts; a simulated phone's reply enters Engage through the same inbound pipeline a real
 * provider's webhook uses.
 */
import type { AppContext } from '../../context.ts';
import { newId } from '../../core/ids.ts';
import { addJob } from '../../db/jobs.ts';
import type { SendRequest, SendResult, SmsProvider } from '../types.ts';

export const SIMULATOR = 'simulator';

/** Carrier names as real carriers' lookups spell them; the simulator assigns one per phone. */
const SIMULATED_CARRIERS = ['CELLCO PARTNERSHIP DBA VERIZON WIRELESS ', 'NEW CINGULAR WIRELESS PCS, LLC', 'T-MOBILE USA, INC.'];
export function simulatedCarrier(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return SIMULATED_CARRIERS[Number(digits.slice(-2)) % SIMULATED_CARRIERS.length]!;
}

export interface SimulatorOptions {
  /** Delay before each receipt (SENT, then DELIVERED/FAILED), ms. */
  receiptDelayMs: number;
  /** Fraction of messages whose final receipt is FAILED. */
  failureRate: number;
  /** How long the simulated carrier API takes to answer a send, ms (a slow provider). Default 0. */
  latencyMs?: number;
  /** Fraction of messages whose final receipt arrives before their SENT receipt. Default 0. */
  outOfOrderRate?: number;
  /** Random source, replaceable in tests. Default Math.random. */
  random?: () => number;
}

export function createSimulatorProvider(ctx: Pick<AppContext, 'db' | 'now'>, opts: SimulatorOptions): SmsProvider {
  const random = opts.random ?? Math.random;
  return {
    name: SIMULATOR,
    idempotentSend: true,
    async send(req: SendRequest): Promise<SendResult> {
      // The carrier's answer time, outside the transaction: a slow provider holds no database connection.
      if (opts.latencyMs) await new Promise((r) => setTimeout(r, opts.latencyMs));
      return ctx.db.transaction().execute(async (trx) => {
        const now = ctx.now();
        // The reference makes a repeated send (after a crash) return the first one's id.
        const inserted = await trx
          .insertInto('simulator_messages')
          .values({ id: newId(now), reference: req.reference, sender: req.from, recipient: req.to, body: req.body, direction: 'OUTBOUND', created: now })
          .onConflict((oc) => oc.column('reference').doNothing())
          .returning('id')
          .executeTakeFirst();
        if (!inserted) {
          const existing = await trx.selectFrom('simulator_messages').select('id').where('reference', '=', req.reference).executeTakeFirstOrThrow();
          return { ok: true, providerMessageId: `SM${existing.id}` };
        }
        const providerMessageId = `SM${inserted.id}`;
        const final = random() < opts.failureRate ? 'UNDELIVERED' : 'DELIVERED';
        // Out of order: the final receipt overtakes SENT, as real carriers' receipts sometimes do.
        const outOfOrderRate = opts.outOfOrderRate ?? 0;
        const swapped = outOfOrderRate > 0 && random() < outOfOrderRate;
        const [sentAt, finalAt] = swapped ? [2, 1] : [1, 2];
        await addJob(trx, 'simulator-receipt', { providerMessageId, status: 'SENT', carrier: simulatedCarrier(req.to) }, { runAt: new Date(now.getTime() + sentAt * opts.receiptDelayMs) });
        await addJob(trx, 'simulator-receipt', { providerMessageId, status: final, errorCode: final === 'DELIVERED' ? null : '30003', carrier: simulatedCarrier(req.to) }, {
          runAt: new Date(now.getTime() + finalAt * opts.receiptDelayMs),
        });
        return { ok: true, providerMessageId };
      });
    },
  };
}
