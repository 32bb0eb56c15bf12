/**
 * Looks up the line type of a campaign's leads the broadcast set aside (`lookup_status` PENDING,
 * see broadcast/claim.ts), through the Twilio credential of the campaign's sender source.
 *
 * Each answer is stored on the lead: `carrier` (Twilio's spelling), `normalizedCarrier`,
 * `line_type`. A landline or another line that cannot take a text ends the lead `FAILED` with
 * `statusMessage` `LANDLINE` (or `NON_SMS_LINE: <type>`), and an invalid number `FAILED`
 * `INVALID_PHONE`: never texted. Every other lead goes back to the broadcast. A lookup Twilio
 * refuses for good (bad credentials, no Lookup access) ends as `lookup_status` FAILED and the lead
 * is texted anyway: the lookup saves money, it must not stop a campaign. A provider that is down is
 * retried with the job's backoff; after the last attempt its leads are texted unlooked.
 *
 * Idempotent: only leads still PENDING (and still waiting for a lookup) are written.
 */
import type { Task } from 'graphile-worker';
import { sql } from 'kysely';
import type { AppContext } from '../context.ts';
import { normalizeCarrier } from '../core/carriers.ts';
import { addJob, notifyBroadcast } from '../db/jobs.ts';
import type { DbOrTrx } from '../db/pool.ts';
import { lineTypeLookupFor } from '../providers/line-type.ts';
import { NON_SMS_LINE_TYPES, lineTypeStatusMessage, type LineTypeResult } from '../providers/twilio/lookup.ts';

export const LOOKUP_LINE_TYPES_TASK = 'lookup-line-types';
/** Attempts of a job before leads whose lookup keeps failing are texted unlooked. */
export const LOOKUP_MAX_ATTEMPTS = 8;
/**
 * Leads looked up per round, and at once. A round whose lookups time out holds a job slot for at
 * most BATCH / CONCURRENCY provider deadlines, and the job stops at the first round with an
 * outage: a slow or down Lookup API never holds the worker's slots (replies, imports) for long.
 */
const BATCH = 20;
const CONCURRENCY = 10;

/** Queues the lookup of a campaign's PENDING-lookup leads, in the caller's transaction (one job per campaign at a time). */
export async function queueLineTypeLookup(db: DbOrTrx, campaignId: string): Promise<void> {
  await addJob(db, LOOKUP_LINE_TYPES_TASK, { campaignId }, { jobKey: `lookup:${campaignId}`, queueName: `lookup:${campaignId}`, maxAttempts: LOOKUP_MAX_ATTEMPTS });
}

/** Sets leads aside for a lookup (they are locked by the caller's claim). */
export async function markForLookup(db: DbOrTrx, campaignId: string, leadIds: string[]): Promise<void> {
  if (leadIds.length === 0) return;
  await db.updateTable('leads').set({ lookup_status: 'PENDING' }).where('id', 'in', leadIds).where('lookup_status', 'is', null).execute();
  await queueLineTypeLookup(db, campaignId);
}

interface Outcome {
  id: string;
  lookup: 'DONE' | 'FAILED' | null;
  lineType: string | null;
  carrier: string | null;
  /** Ends the lead unsent with this status message. */
  end: string | null;
}

function outcomeOf(id: string, r: LineTypeResult): Outcome | 'retry' {
  if (!r.ok) return r.retryable ? 'retry' : { id, lookup: 'FAILED', lineType: null, carrier: null, end: null };
  if (!r.valid) return { id, lookup: 'DONE', lineType: r.lineType, carrier: r.carrier, end: 'INVALID_PHONE' };
  const end = r.lineType && NON_SMS_LINE_TYPES.has(r.lineType) ? lineTypeStatusMessage(r.lineType) : null;
  return { id, lookup: 'DONE', lineType: r.lineType, carrier: r.carrier, end };
}

async function record(ctx: AppContext, outcomes: Outcome[]): Promise<void> {
  if (outcomes.length === 0) return;
  const now = ctx.now();
  const rows = JSON.stringify(outcomes.map((o) => ({ ...o, normalized: normalizeCarrier(o.carrier) })));
  await ctx.db.transaction().execute(async (trx) => {
    await sql`UPDATE leads l SET lookup_status = v.lookup, line_type = coalesce(v."lineType", l.line_type),
        carrier = coalesce(v.carrier, l.carrier), normalized_carrier = coalesce(v.normalized, l.normalized_carrier),
        status = CASE WHEN v."end" IS NULL THEN l.status ELSE 'FAILED' END,
        status_message = CASE WHEN v."end" IS NULL THEN l.status_message ELSE v."end" END,
        result = CASE WHEN v."end" IS NULL THEN l.result ELSE ${now}::timestamptz END
      FROM json_to_recordset(${rows}::json) AS v(id bpchar, lookup text, "lineType" text, carrier text, normalized text, "end" text)
      WHERE l.id = v.id AND l.status = 'PENDING' AND l.lookup_status = 'PENDING'`.execute(trx);
    await notifyBroadcast(trx);
  });
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  }));
  return out;
}

export function lookupLineTypesTask(ctx: AppContext): Task {
  return async (payload, helpers) => {
    const campaignId = (payload as { campaignId?: unknown } | null)?.campaignId;
    if (typeof campaignId !== 'string') throw new Error('lookup-line-types: payload.campaignId must be a string');
    const lastAttempt = helpers.job.attempts >= helpers.job.max_attempts;
    const campaign = await ctx.db
      .selectFrom('campaigns')
      .leftJoin('sender_sources', 'sender_sources.id', 'campaigns.sender_source_id')
      .select('sender_sources.provider')
      .where('campaigns.id', '=', campaignId)
      .executeTakeFirst();
    const lookup = campaign?.provider ? await lineTypeLookupFor(ctx, campaign.provider) : null;
    if (!lookup) {
      // The source no longer looks up (switched off, moved to another provider): back to the broadcast.
      await ctx.db.updateTable('leads').set({ lookup_status: null }).where('campaign_id', '=', campaignId).where('lookup_status', '=', 'PENDING').execute();
      await notifyBroadcast(ctx.db);
      return;
    }
    let after = '';
    let retry = 0;
    for (;;) {
      const leads = await ctx.db
        .selectFrom('leads')
        .select(['id', 'phone'])
        .where('campaign_id', '=', campaignId)
        .where('lookup_status', '=', 'PENDING')
        .where('status', '=', 'PENDING')
        .where('id', '>', after)
        .orderBy('id')
        .limit(BATCH)
        .execute();
      if (leads.length === 0) break;
      after = leads.at(-1)!.id;
      const results = await mapLimited(leads, CONCURRENCY, async (l) => ({ id: l.id, r: await lookup(l.phone) }));
      const outcomes: Outcome[] = [];
      for (const { id, r } of results) {
        const o = outcomeOf(id, r);
        if (o !== 'retry') outcomes.push(o);
        else if (lastAttempt) outcomes.push({ id, lookup: 'FAILED', lineType: null, carrier: null, end: null });
        else retry += 1;
        if (!r.ok) ctx.log.warn({ campaignId, leadId: id, code: r.code, retryable: r.retryable }, 'line type lookup failed');
      }
      await record(ctx, outcomes);
      if (retry > 0) break;
    }
    // Thrown so the job runner retries with its backoff; the leads answered above are kept.
    if (retry > 0) throw new Error(`lookup-line-types: ${retry} lookup(s) failed for now and will be tried again`);
  };
}
