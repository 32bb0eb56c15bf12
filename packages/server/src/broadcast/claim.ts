/**
 * Claiming leads for the broadcast. The leads themselves are the work queue: a batch is locked
 * with FOR UPDATE SKIP LOCKED (so any number of senders share the work), and each claimed lead
 * moves PENDING → SENDING with its message's id (`broadcast_message_id`, the reference the
 * provider gets) in one transaction, committed *before* the provider is called. A lead leaves
 * PENDING once per attempt and an attempt is only repeated after the provider said for sure that
 * it did not send: the lead is texted at most once.
 *
 * The claim also applies the rules that decide which leads may go now: the sender source's and
 * each number's rate (token buckets, throttle.ts) and the campaign's carrier daily limits.
 */
import { sql } from 'kysely';
import { campaignMessages, type CampaignRow } from '../campaigns/service.ts';
import type { AppContext } from '../context.ts';
import { normalizeCarrier } from '../core/carriers.ts';
import { fnv1a } from '../core/hash.ts';
import { newId } from '../core/ids.ts';
import { areaCodeOf } from '../core/phone.ts';
import { localTime } from '../core/schedule.ts';
import { countSegments } from '../core/segments.ts';
import { renderTemplate } from '../core/template.ts';
import type { MessageRow } from '../conversations/outbound.ts';
import { markForLookup } from '../leads/lookup-line-types.task.ts';
import { lineTypeLookupEnabled } from '../providers/line-type.ts';
import { affords, lockBuckets, saveBuckets, waitFor, type Bucket } from './throttle.ts';

/**
 * The same number for a phone every time (sticky sender), spread evenly over the pool: a 32-bit
 * FNV-1a hash of the phone. (SHA-256 did the same for 1 % of the sender's CPU; no secret is involved.)
 */
export function stickyNumber(phone: string, pool: string[]): string {
  return pool[fnv1a(phone) % pool.length]!;
}

/**
 * The number a lead hears from: the one it already heard from while it is still in the pool
 * (sticky); else, with area-code match, a pool number of the lead's area code when there is one;
 * else a pool number chosen by the phone (stable while the pool does not change).
 */
export function senderFor(lead: { phone: string; from_number: string | null }, pool: string[], areaCodeMatch: boolean): string {
  if (lead.from_number && pool.includes(lead.from_number)) return lead.from_number;
  if (areaCodeMatch) {
    const npa = areaCodeOf(lead.phone);
    const local = npa ? pool.filter((n) => areaCodeOf(n) === npa) : [];
    if (local.length > 0) return stickyNumber(lead.phone, local);
  }
  return stickyNumber(lead.phone, pool);
}

/**
 * A lead's broadcast message as its claim makes it: `id` is the lead's `broadcast_message_id` (the
 * provider's reference), `attempts` which attempt of the lead it is. The lease recovery rebuilds an
 * interrupted one the same way, so a repeated send is the same message.
 */
export function broadcastMessage(
  lead: { id: string; workspace_id: number; phone: string; attempts: number },
  m: { id: string; from: string; body: string; provider: string; at: Date },
): MessageRow {
  return {
    id: m.id, workspace_id: lead.workspace_id, lead_id: lead.id, direction: 'OUTBOUND', kind: 'BROADCAST', sender: m.from, recipient: lead.phone,
    body: m.body, status: 'SENDING', status_message: null, provider: m.provider, provider_message_id: null, created: m.at, updated: m.at, attempts: lead.attempts,
  };
}

/** A (time zone, state) pair of pending leads, with '' for unknown (as in the index). */
export interface ZonePair {
  tz: string;
  st: string;
}

export interface ClaimResult {
  messages: MessageRow[];
  /** Set when the rate limits held leads back: how long until the next may go, ms. */
  throttledMs: number | null;
  /** Carriers whose daily limit held leads back. */
  limitedCarriers: string[];
  /** Candidates looked at (a short count means the pair is drained for now). */
  candidates: number;
  /**
   * The id up to which every candidate left PENDING (claimed, or set aside for a line type lookup):
   * the next claim of the pair may start after it (`after`). Null when the first candidate stayed.
   */
  cursor: string | null;
}

const EMPTY: ClaimResult = { messages: [], throttledMs: null, limitedCarriers: [], candidates: 0, cursor: null };

/** The workspace calendar day the carrier daily limits count in. */
function limitDay(timeZone: string, now: Date): string {
  try {
    return localTime(timeZone, now).date;
  } catch {
    return now.toISOString().slice(0, 10);
  }
}

/**
 * Claims up to `limit` leads of one (time zone, state) pair. `after`: only leads with a greater id
 * (the pair's cursor, see `ClaimResult.cursor`). Claimed leads leave the pending index only when
 * vacuum removes their old versions, so a scan from the pair's first lead walks past every lead
 * claimed since (at a million leads the candidate query cost twice as much); the cursor starts the
 * scan where the last claim ended.
 */
export async function claimBatch(ctx: AppContext, campaign: CampaignRow, pair: ZonePair, limit: number, after: string | null = null): Promise<ClaimResult> {
  return ctx.db.transaction().execute(async (trx) => {
    // FOR SHARE: a pause (FOR UPDATE) waits for in-flight claims, and no claim starts after it.
    const current = await trx.selectFrom('campaigns').select(['campaign_status', 'sender_source_id']).where('id', '=', campaign.id).forShare().executeTakeFirst();
    if (current?.campaign_status !== 'ACTIVE' || !current.sender_source_id) return EMPTY;
    const source = await trx.selectFrom('sender_sources').selectAll().where('id', '=', current.sender_source_id).executeTakeFirst();
    if (!source) return EMPTY;
    const pool = (await trx.selectFrom('sender_numbers').select('phone').where('sender_source_id', '=', source.id).orderBy('phone').execute()).map((r) => r.phone);
    if (pool.length === 0) return EMPTY;
    const now = ctx.now();
    // A Twilio source with line type lookup on: leads not looked up yet are set aside for it.
    const lookupFirst = await lineTypeLookupEnabled(trx, source.provider);

    // Carrier daily limits: today's counts, locked so that concurrent claims add up.
    const limits = new Map<string, number>();
    for (const l of (campaign.carrier_daily_limits as { carrier: string; limit: number }[]) ?? []) {
      const name = normalizeCarrier(l.carrier);
      if (name) limits.set(name, Math.min(limits.get(name) ?? Infinity, l.limit));
    }
    let day = '';
    const remaining = new Map<string, number>();
    if (limits.size > 0) {
      const ws = await trx.selectFrom('workspaces').select('timezone').where('id', '=', campaign.workspace_id).executeTakeFirstOrThrow();
      day = limitDay(ws.timezone, now);
      await sql`INSERT INTO campaign_carrier_counts (campaign_id, carrier, day, sent)
        SELECT ${campaign.id}, c, ${day}::date, 0 FROM unnest(${[...limits.keys()]}::text[]) AS c ON CONFLICT DO NOTHING`.execute(trx);
      const counts = await sql<{ carrier: string; sent: number }>`
        SELECT carrier, sent FROM campaign_carrier_counts WHERE campaign_id = ${campaign.id} AND day = ${day}::date ORDER BY carrier FOR UPDATE`.execute(trx);
      for (const [carrier, max] of limits) remaining.set(carrier, max - (counts.rows.find((r) => r.carrier === carrier)?.sent ?? 0));
    }
    const exhausted = [...remaining].filter(([, n]) => n <= 0).map(([c]) => c);

    // Rate limits: the source's bucket and each number's.
    const wanted = [
      ...(source.mps ? [{ key: `source:${source.id}`, rate: source.mps }] : []),
      ...(source.number_mps ? pool.map((n) => ({ key: `number:${n}`, rate: source.number_mps! })) : []),
    ];
    const buckets = await lockBuckets(trx, wanted, now);
    const sourceBucket = source.mps ? buckets.get(`source:${source.id}`)! : null;
    let candidateLimit = limit;
    if (sourceBucket) candidateLimit = Math.min(candidateLimit, Math.max(1, Math.floor(sourceBucket.tokens)));
    if (source.number_mps) {
      const ready = pool.filter((n) => buckets.get(`number:${n}`)!.tokens >= 1 - 1e-9).length;
      candidateLimit = Math.min(candidateLimit, Math.max(1, ready * 4));
    }

    const candidates = await trx
      .selectFrom('leads as l')
      .innerJoin('lists as li', 'li.id', 'l.list_id')
      // Only what the claim uses: a lead row has a dozen timestamps the driver would parse for nothing.
      .select(['l.id', 'l.workspace_id', 'l.phone', 'l.from_number', 'l.lead_data', 'l.attempts', 'l.lookup_status', 'l.normalized_carrier'])
      .where('l.campaign_id', '=', campaign.id)
      .where('l.status', '=', 'PENDING')
      .where(sql<boolean>`coalesce(l.time_zone, '') = ${pair.tz} AND coalesce(l.state, '') = ${pair.st}`)
      .$if(after !== null, (q) => q.where('l.id', '>', after!))
      .where((eb) => eb.or([eb('l.retry_after', 'is', null), eb('l.retry_after', '<=', now)]))
      .where('li.list_status', '=', 'ACTIVE')
      .where((eb) => eb.or([eb('l.lookup_status', 'is', null), eb('l.lookup_status', '!=', 'PENDING')]))
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('suppressions as s').select('s.phone').whereRef('s.workspace_id', '=', 'l.workspace_id').whereRef('s.phone', '=', 'l.phone'))),
      )
      .$if(exhausted.length > 0, (q) => q.where((eb) => eb.or([eb('l.normalized_carrier', 'is', null), eb('l.normalized_carrier', 'not in', exhausted)])))
      .orderBy(sql`coalesce(l.time_zone, '')`)
      .orderBy(sql`coalesce(l.state, '')`)
      .orderBy('l.id')
      .limit(candidateLimit)
      .forUpdate('l')
      .skipLocked()
      .execute();
    if (candidates.length === 0) return { ...EMPTY, limitedCarriers: exhausted };
    // Candidates are in id order: the cursor moves over the leading run of those that leave PENDING.
    let cursor: string | null = null;
    let stayed = false;
    const advance = (id: string) => {
      if (!stayed) cursor = id;
    };

    const template = campaignMessages(campaign).outgoingMessage;
    const taken: { lead: (typeof candidates)[number]; from: string; body: string; id: string }[] = [];
    const limited = new Set(exhausted);
    const toLookUp: string[] = [];
    let throttledMs: number | null = null;
    const holdBack = (ms: number) => {
      throttledMs = throttledMs === null ? ms : Math.min(throttledMs, ms);
    };
    for (const lead of candidates) {
      if (lookupFirst && lead.lookup_status === null) {
        toLookUp.push(lead.id);
        advance(lead.id);
        continue;
      }
      const carrier = lead.normalized_carrier;
      const left = carrier ? remaining.get(carrier) : undefined;
      if (left !== undefined && left <= 0) {
        limited.add(carrier!);
        stayed = true;
        continue;
      }
      const from = senderFor(lead, pool, source.area_code_match);
      const body = renderTemplate(template, lead.lead_data as Record<string, unknown>);
      const segments = Math.max(1, countSegments(body).segments);
      const numberBucket: Bucket | undefined = source.number_mps ? buckets.get(`number:${from}`) : undefined;
      if (sourceBucket && !affords(sourceBucket.tokens, segments, sourceBucket.rate)) {
        holdBack(waitFor(sourceBucket.tokens, segments, sourceBucket.rate));
        break;
      }
      if (numberBucket && !affords(numberBucket.tokens, segments, numberBucket.rate)) {
        holdBack(waitFor(numberBucket.tokens, segments, numberBucket.rate));
        stayed = true;
        continue;
      }
      if (sourceBucket) sourceBucket.tokens -= segments;
      if (numberBucket) numberBucket.tokens -= segments;
      if (left !== undefined) remaining.set(carrier!, left - 1);
      taken.push({ lead, from, body, id: newId(now) });
      advance(lead.id);
    }
    // The buckets cut the batch short: more leads may be waiting for tokens, not drained.
    if (candidateLimit < limit && candidates.length === candidateLimit && throttledMs === null) {
      const waits = [...buckets.values()].map((b) => waitFor(b.tokens, 1, b.rate));
      holdBack(sourceBucket ? waitFor(sourceBucket.tokens, 1, sourceBucket.rate) : Math.min(...waits));
    }
    await saveBuckets(trx, buckets.values());
    await markForLookup(trx, campaign.id, toLookUp);
    if (taken.length === 0) return { messages: [], throttledMs, limitedCarriers: [...limited], candidates: candidates.length, cursor };

    if (limits.size > 0) {
      const perCarrier = new Map<string, number>();
      for (const t of taken) if (t.lead.normalized_carrier && limits.has(t.lead.normalized_carrier)) perCarrier.set(t.lead.normalized_carrier, (perCarrier.get(t.lead.normalized_carrier) ?? 0) + 1);
      for (const [carrier, n] of perCarrier) {
        await sql`UPDATE campaign_carrier_counts SET sent = sent + ${n} WHERE campaign_id = ${campaign.id} AND carrier = ${carrier} AND day = ${day}::date`.execute(trx);
      }
    }

    // The messages exist only here until their outcome is recorded (recordOutcomes writes each row
    // once, with its outcome); the lead's SENDING state and `broadcast_message_id` are what the
    // claim makes durable before the provider is called.
    const messages = taken.map((t) => broadcastMessage({ ...t.lead, attempts: t.lead.attempts + 1 }, { id: t.id, from: t.from, body: t.body, provider: source.provider, at: now }));
    const rows = messages.map((m) => ({ id: m.id, lead_id: m.lead_id, sender: m.sender }));
    await sql`UPDATE leads l SET status = 'SENDING', claimed_at = ${now}, broadcast_message_id = x.id, from_number = x.sender,
        attempts = l.attempts + 1, retry_after = NULL
      FROM json_to_recordset(${JSON.stringify(rows)}::json) AS x(id bpchar, lead_id bpchar, sender text)
      WHERE l.id = x.lead_id`.execute(trx);
    return { messages, throttledMs, limitedCarriers: [...limited], candidates: candidates.length, cursor };
  });
}

/**
 * The distinct (time zone, state) pairs of a campaign's pending leads, by a loose index scan over
 * `leads_pending_zone`: one index probe per pair, however many leads are pending.
 */
export async function pendingPairs(ctx: AppContext, campaignId: string): Promise<ZonePair[]> {
  const r = await sql<ZonePair>`
    WITH RECURSIVE z(tz, st) AS (
      (SELECT coalesce(time_zone, ''), coalesce(state, '') FROM leads
        WHERE campaign_id = ${campaignId} AND status = 'PENDING'
        ORDER BY coalesce(time_zone, ''), coalesce(state, '') LIMIT 1)
      UNION ALL
      SELECT n.tz, n.st FROM z CROSS JOIN LATERAL (
        SELECT coalesce(time_zone, '') AS tz, coalesce(state, '') AS st FROM leads
        WHERE campaign_id = ${campaignId} AND status = 'PENDING'
          AND (coalesce(time_zone, ''), coalesce(state, '')) > (z.tz, z.st)
        ORDER BY coalesce(time_zone, ''), coalesce(state, '') LIMIT 1) n
    )
    SELECT tz, st FROM z`.execute(ctx.db);
  return r.rows;
}

/** Pending leads whose phone got suppressed are closed, so the campaign can complete. */
export async function closeSuppressedLeads(ctx: AppContext, campaignId: string): Promise<number> {
  const r = await sql`
    UPDATE leads l SET status = 'SUPPRESSED', status_message = s.kind, result = ${ctx.now()}
    FROM suppressions s
    WHERE l.campaign_id = ${campaignId} AND l.status = 'PENDING' AND s.workspace_id = l.workspace_id AND s.phone = l.phone`.execute(ctx.db);
  return Number(r.numAffectedRows ?? 0);
}
