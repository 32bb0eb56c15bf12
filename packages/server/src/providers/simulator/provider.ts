/**
 * The built-in SMS simulator: a fake carrier whose phones live in the database
 * (`simulator_messages`). Sending stores the text in the phone's inbox and schedules delivery
 * receipts; a simulated phone's reply enters Engage through the same inbound pipeline a real
 * provider's webhook uses.
 */
import { createHmac } from 'node:crypto';
import { sql } from 'kysely';
import { Pool } from 'undici';
import type { AppContext } from '../../context.ts';
import { GroupCommit } from '../../core/group-commit.ts';
import { newId } from '../../core/ids.ts';
import { addJobs, type JobSpec } from '../../db/jobs.ts';
import { callProvider, failureFromError, failureFromResponse, type ProviderResponse } from '../http-errors.ts';
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
  /** Whether to play delivery receipts. Default true. */
  receipts?: boolean;
}

/** One simulated carrier's store of sends: group-committed, idempotent by reference. */
export interface SimulatorCarrier {
  /** Accepts a send (as the carrier would) and returns its provider message id. */
  accept(req: SendRequest): Promise<string>;
}

export function createSimulatorCarrier(ctx: Pick<AppContext, 'db' | 'now'>, opts: SimulatorOptions): SimulatorCarrier {
  const random = opts.random ?? Math.random;
  const receipts = opts.receipts ?? true;
  const commit = new GroupCommit<SendRequest, string>(
    (reqs) =>
      ctx.db.transaction().execute(async (trx) => {
        const now = ctx.now();
        const rows = reqs.map((r) => ({ id: newId(now), reference: r.reference, sender: r.from, recipient: r.to, body: r.body }));
        // The reference makes a repeated send (after a crash) return the first one's id.
        const inserted = await sql<{ id: string; reference: string }>`
          INSERT INTO simulator_messages (id, reference, sender, recipient, body, direction, created)
          SELECT x.id, x.reference, x.sender, x.recipient, x.body, 'OUTBOUND', ${now}
          FROM json_to_recordset(${JSON.stringify(rows)}::json) AS x(id text, reference text, sender text, recipient text, body text)
          ON CONFLICT (reference) DO NOTHING
          RETURNING id, reference`.execute(trx);
        const idOf = new Map(inserted.rows.map((r) => [r.reference, r.id]));
        const repeated = reqs.map((r) => r.reference).filter((ref) => !idOf.has(ref));
        if (repeated.length > 0) {
          const existing = await trx.selectFrom('simulator_messages').select(['id', 'reference']).where('reference', 'in', repeated).execute();
          for (const e of existing) idOf.set(e.reference!, e.id);
        }
        if (receipts) {
          const jobs: JobSpec[] = [];
          for (const row of inserted.rows) {
            const req = reqs.find((r) => r.reference === row.reference)!;
            const providerMessageId = `SM${row.id}`;
            const final = random() < opts.failureRate ? 'UNDELIVERED' : 'DELIVERED';
            // Out of order: the final receipt overtakes SENT, as real carriers' receipts sometimes do.
            const outOfOrderRate = opts.outOfOrderRate ?? 0;
            const swapped = outOfOrderRate > 0 && random() < outOfOrderRate;
            const [sentAt, finalAt] = swapped ? [2, 1] : [1, 2];
            const carrier = simulatedCarrier(req.to);
            jobs.push(
              { task: 'simulator-receipt', payload: { providerMessageId, status: 'SENT', carrier }, runAt: new Date(now.getTime() + sentAt * opts.receiptDelayMs) },
              { task: 'simulator-receipt', payload: { providerMessageId, status: final, errorCode: final === 'DELIVERED' ? null : '30003', carrier }, runAt: new Date(now.getTime() + finalAt * opts.receiptDelayMs) },
            );
          }
          await addJobs(trx, jobs);
        }
        return reqs.map((r) => `SM${idOf.get(r.reference)!}`);
      }),
    { maxBatch: 500, concurrency: 2 },
  );
  return {
    async accept(req) {
      // The carrier's answer time, outside the transaction: a slow provider holds no database connection.
      if (opts.latencyMs) await new Promise((r) => setTimeout(r, opts.latencyMs));
      return commit.submit(req);
    },
  };
}

/** The simulator as a provider that writes to the simulator's tables in this process. */
export function createSimulatorProvider(ctx: Pick<AppContext, 'db' | 'now'>, opts: SimulatorOptions): SmsProvider {
  const carrier = createSimulatorCarrier(ctx, opts);
  return {
    name: SIMULATOR,
    idempotentSend: true,
    async send(req: SendRequest): Promise<SendResult> {
      return { ok: true, providerMessageId: await carrier.accept(req) };
    },
  };
}

/** The path of the simulated carrier's send API (served by the API process). */
export const SIMULATOR_CARRIER_PATH = '/api/simulator/carrier/messages';

/** The bearer token of the simulated carrier's API: derived from ENGAGE_SECRET, which every process shares. */
export function simulatorCarrierToken(secret: string): string {
  return createHmac('sha256', secret).update('engage simulator carrier').digest('base64url');
}

/**
 * The simulator as a provider reached over HTTP, like a real carrier API: what a worker on
 * another machine uses (ENGAGE_SIMULATOR_URL), and what the broadcast benchmark measures.
 */
export function createHttpSimulatorProvider(opts: { baseUrl: string; secret: string; timeoutMs: number; connections?: number }): SmsProvider {
  const dispatcher = new Pool(opts.baseUrl, {
    connections: opts.connections ?? 64,
    connect: { timeout: opts.timeoutMs },
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    keepAliveTimeout: 10_000,
  });
  const authorization = `Bearer ${simulatorCarrierToken(opts.secret)}`;
  return {
    name: SIMULATOR,
    idempotentSend: true,
    async send(req: SendRequest): Promise<SendResult> {
      let res: ProviderResponse;
      try {
        res = await callProvider(dispatcher, opts.baseUrl + SIMULATOR_CARRIER_PATH, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/json' },
          body: JSON.stringify({ reference: req.reference, from: req.from, to: req.to, body: req.body }),
          timeoutMs: opts.timeoutMs,
        });
      } catch (err) {
        return failureFromError(err);
      }
      if (res.status === 201 || res.status === 200) {
        const id = (JSON.parse(res.text) as { id?: unknown }).id;
        if (typeof id === 'string') return { ok: true, providerMessageId: id };
      }
      let body: { code?: string; message?: string } = {};
      try {
        body = JSON.parse(res.text) as typeof body;
      } catch {
        // not JSON: the status decides
      }
      return failureFromResponse(res, { code: body.code ?? null, message: body.message ?? null }, {}, new Date());
    },
  };
}
