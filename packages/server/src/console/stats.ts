/**
 * Read models for the console: live counts per campaign and a campaign's dashboard
 * (delivery funnel, reply and opt-out rates, dispositions, activity over time).
 */
import { sql } from 'kysely';
import type { DbOrTrx } from '../db/pool.ts';

export interface CampaignCounts {
  campaignId: string;
  /** Every lead loaded. */
  leads: number;
  /** Not handed to the provider yet (PENDING, SENDING). */
  pending: number;
  /** Handed to the provider (a broadcast went out): the funnel's first step. */
  queued: number;
  /** The carrier accepted it (SENT) or went further. */
  sent: number;
  delivered: number;
  /** UNDELIVERED, FAILED or UNKNOWN. */
  failed: number;
  /** Suppressed before their turn (opted out elsewhere, do-not-contact). */
  suppressed: number;
  /** Leads who replied (a conversation started). */
  replies: number;
  /** Leads who opted out with a keyword. */
  optOuts: number;
  /** Leads with a final disposition. */
  dispositioned: number;
}

const countsSelect = sql<Omit<CampaignCounts, 'campaignId' | 'optOuts'>>`
  count(*)::int AS leads,
  (count(*) FILTER (WHERE status IN ('PENDING', 'SENDING')))::int AS pending,
  (count(*) FILTER (WHERE sent IS NOT NULL))::int AS queued,
  (count(*) FILTER (WHERE status IN ('SENT', 'DELIVERED', 'UNDELIVERED')))::int AS sent,
  (count(*) FILTER (WHERE status = 'DELIVERED'))::int AS delivered,
  (count(*) FILTER (WHERE status IN ('UNDELIVERED', 'FAILED', 'UNKNOWN')))::int AS failed,
  (count(*) FILTER (WHERE status = 'SUPPRESSED'))::int AS suppressed,
  (count(*) FILTER (WHERE conversation_started))::int AS replies,
  (count(*) FILTER (WHERE disposition IS NOT NULL))::int AS dispositioned`;

/** Counts for every campaign of the workspace (or the given ones), in one pass over the leads. */
export async function campaignCounts(db: DbOrTrx, workspaceId: number, campaignIds?: string[]): Promise<CampaignCounts[]> {
  if (campaignIds && campaignIds.length === 0) return [];
  const ids = campaignIds ? sql`AND campaign_id IN (${sql.join(campaignIds)})` : sql``;
  const leads = await sql<Omit<CampaignCounts, 'optOuts'>>`
    SELECT campaign_id AS "campaignId", ${countsSelect}
    FROM leads WHERE workspace_id = ${workspaceId} ${ids} GROUP BY campaign_id`.execute(db);
  const optOuts = await sql<{ campaignId: string; n: number }>`
    SELECT campaign_id AS "campaignId", count(DISTINCT lead_id)::int AS n
    FROM events WHERE workspace_id = ${workspaceId} AND event_type = 'OptOut' AND campaign_id IS NOT NULL ${ids}
    GROUP BY campaign_id`.execute(db);
  const outs = new Map(optOuts.rows.map((r) => [r.campaignId.trim(), r.n]));
  return leads.rows.map((r) => ({ ...r, campaignId: r.campaignId.trim(), optOuts: outs.get(r.campaignId.trim()) ?? 0 }));
}

export function emptyCounts(campaignId: string): CampaignCounts {
  return { campaignId, leads: 0, pending: 0, queued: 0, sent: 0, delivered: 0, failed: 0, suppressed: 0, replies: 0, optOuts: 0, dispositioned: 0 };
}

export interface TimePoint { start: string; sent: number; delivered: number; failed: number; replies: number; optOuts: number }

export interface Dashboard {
  counts: CampaignCounts;
  /** replies / queued, 0..1 (0 when nothing was sent). */
  replyRate: number;
  /** optOuts / queued, 0..1. */
  optOutRate: number;
  /** delivered / (delivered + failed), 0..1. */
  deliveryRate: number;
  dispositions: { disposition: string; count: number }[];
  bucket: 'hour' | 'day';
  series: TimePoint[];
}

const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 10_000) / 10_000 : 0);

/**
 * The campaign's dashboard. The series covers the campaign's activity in hourly buckets (daily
 * when it spans more than three days): 12 to 60 buckets ending now, empty ones filled.
 */
export async function campaignDashboard(db: DbOrTrx, workspaceId: number, campaignId: string, now: Date): Promise<Dashboard> {
  const counts = (await campaignCounts(db, workspaceId, [campaignId]))[0] ?? emptyCounts(campaignId);
  const dispositions = await sql<{ disposition: string; count: number }>`
    SELECT disposition, count(*)::int AS count FROM leads
    WHERE campaign_id = ${campaignId} AND disposition IS NOT NULL GROUP BY disposition ORDER BY count(*) DESC, disposition`.execute(db);
  const first = await sql<{ t: Date | null }>`SELECT min(sent) AS t FROM leads WHERE campaign_id = ${campaignId}`.execute(db);
  const start = first.rows[0]?.t ?? now;
  const bucket: 'hour' | 'day' = now.getTime() - start.getTime() > 3 * 86_400_000 ? 'day' : 'hour';
  const step = bucket === 'hour' ? 3_600_000 : 86_400_000;
  const floor = (t: number) => Math.floor(t / step) * step;
  // At least the last 12 buckets, so a young campaign's chart still has a time axis.
  const from = Math.max(floor(now.getTime()) - 59 * step, Math.min(floor(start.getTime()), floor(now.getTime()) - 11 * step));
  const fromDate = new Date(from);
  const trunc = sql.lit(bucket);
  const rows = await sql<{ b: Date; sent: number; delivered: number; failed: number; replies: number; opt_outs: number }>`
    WITH activity AS (
      SELECT date_trunc(${trunc}, sent, 'UTC') AS b, 1 AS sent, 0 AS delivered, 0 AS failed, 0 AS replies, 0 AS opt_outs
        FROM leads WHERE campaign_id = ${campaignId} AND sent >= ${fromDate}
      UNION ALL
      SELECT date_trunc(${trunc}, result, 'UTC'), 0, (status = 'DELIVERED')::int, (status IN ('UNDELIVERED', 'FAILED'))::int, 0, 0
        FROM leads WHERE campaign_id = ${campaignId} AND result >= ${fromDate} AND status IN ('DELIVERED', 'UNDELIVERED', 'FAILED')
      UNION ALL
      SELECT date_trunc(${trunc}, created, 'UTC'), 0, 0, 0, (event_type = 'ConversationStarted')::int, (event_type = 'OptOut')::int
        FROM events WHERE campaign_id = ${campaignId} AND created >= ${fromDate} AND event_type IN ('ConversationStarted', 'OptOut')
    )
    SELECT b, sum(sent)::int AS sent, sum(delivered)::int AS delivered, sum(failed)::int AS failed,
           sum(replies)::int AS replies, sum(opt_outs)::int AS opt_outs
    FROM activity GROUP BY b ORDER BY b`.execute(db);
  const byTime = new Map(rows.rows.map((r) => [new Date(r.b).getTime(), r]));
  const series: TimePoint[] = [];
  for (let t = from; t <= floor(now.getTime()); t += step) {
    const r = byTime.get(t);
    series.push({ start: new Date(t).toISOString(), sent: r?.sent ?? 0, delivered: r?.delivered ?? 0, failed: r?.failed ?? 0, replies: r?.replies ?? 0, optOuts: r?.opt_outs ?? 0 });
  }
  return {
    counts,
    replyRate: ratio(counts.replies, counts.queued),
    optOutRate: ratio(counts.optOuts, counts.queued),
    deliveryRate: ratio(counts.delivered, counts.delivered + counts.failed),
    dispositions: dispositions.rows,
    bucket,
    series,
  };
}
