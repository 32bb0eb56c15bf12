/**
 * The broadcast sender: in every worker process, a planner and a few lanes.
 *
 * The planner (refreshed about once a second, or when NOTIFY engage_broadcast wakes it) looks at
 * each active campaign: the (time zone, state) pairs of its pending leads, which of them the
 * campaign schedule and the workspace's quiet-hours policy allow now, and what the campaign's
 * `sendingStatus` honestly is. Each lane then loops: take the next open (campaign, pair), claim a
 * batch (committed SENDING before any provider call), hand the whole batch to the provider
 * concurrently, and record the outcomes in one transaction. Several lanes keep the provider busy
 * while another lane talks to the database.
 */
import pg from 'pg';
import { sql } from 'kysely';
import { campaignMessages, campaignSchedule, type CampaignRow } from '../campaigns/service.ts';
import { renderTemplate } from '../core/template.ts';
import type { LeadRow } from '../leads/view.ts';
import type { AppContext } from '../context.ts';
import { currentWindowEnd, nextSendTime, type QuietHoursPolicy } from '../core/quiet-hours.ts';
import { ALWAYS_SCHEDULE, localTime, nextScheduleStart } from '../core/schedule.ts';
import { crashNow, dispatchMessages, providersOfNumbers, recordOutcomes, type MessageRow, type SendOutcome } from '../conversations/outbound.ts';
import type { SentMessage, SmsProvider } from '../providers/types.ts';
import { applyDeliveryReceipt, type DeliveryReceipt } from './delivery-status.ts';
import { broadcastMessage, claimBatch, closeSuppressedLeads, pendingPairs, type ClaimResult, type ZonePair } from './claim.ts';

export { UNKNOWN_ZONE_STAND_INS } from '../core/quiet-hours.ts';

/**
 * `sendingStatusDescription` of an active campaign that has never had a lead: its sendingStatus is
 * COMPLETE (nothing to send), and the words say why instead of claiming every lead was texted.
 */
export const NO_LEADS_DESCRIPTION = 'No leads have been loaded yet.';

/** How stale a plan may get before a lane refreshes it, ms. */
const PLAN_MS = 1000;

/**
 * How long a plan keeps its campaign's (time zone, state) pairs, the pairs found drained and the
 * claim cursors, ms, unless a NOTIFY (leads loaded, a campaign or list made active) or every open
 * pair being drained calls for a new look sooner. Finding the pairs (`pendingPairs`) and claiming
 * from a pair's start both walk the index entries that sent leads left behind until vacuum: at a
 * million leads they cost 26 and 14 ms a time, 9 µs of database time per message when done every
 * second (docs/decisions.md). A retry that falls due in a drained pair waits this long at most.
 */
export const PAIRS_MS = 10_000;

/**
 * Sends in flight when a process died (claimed, provider answer not recorded) are settled here,
 * once their lease ran out. With an idempotent provider the send is repeated under the same
 * reference (the provider texts once). Otherwise the provider is asked what it has, where its
 * adapter can say (`findSent`, Twilio): a text it has is recorded as sent, under its id; else the
 * send is marked UNKNOWN for the operator: never a second text. Broadcasts are found by their
 * leads (SENDING since `claimed_at`), replies by their message rows.
 */
export async function recoverInterruptedSends(ctx: AppContext): Promise<number> {
  const cutoff = new Date(ctx.now().getTime() - ctx.config.sendLeaseMs);
  // Taking the rows (by refreshing the lease's timestamp) leases them to this process.
  const replies = await sql<MessageRow>`
    UPDATE messages SET updated = ${ctx.now()}
    WHERE id IN (SELECT id FROM messages WHERE status = 'SENDING' AND direction = 'OUTBOUND' AND updated < ${cutoff}
                 ORDER BY id LIMIT 200 FOR UPDATE SKIP LOCKED)
    RETURNING *`.execute(ctx.db);
  const leads = await sql<LeadRow>`
    UPDATE leads SET claimed_at = ${ctx.now()}
    WHERE id IN (SELECT id FROM leads WHERE status = 'SENDING' AND claimed_at < ${cutoff}
                 ORDER BY claimed_at LIMIT 200 FOR UPDATE SKIP LOCKED)
    RETURNING *`.execute(ctx.db);
  const broadcasts = await interruptedBroadcasts(ctx, leads.rows);
  const repeat: MessageRow[] = [];
  const unknown: MessageRow[] = [];
  const lookUp: { msg: MessageRow; provider: SmsProvider }[] = [];
  for (const msg of [...replies.rows.filter((m) => m.kind !== 'BROADCAST' || !broadcasts.some((b) => b.id === m.id)), ...broadcasts]) {
    let provider: SmsProvider | null = null;
    try {
      provider = ctx.providers.get(msg.provider ?? 'simulator');
    } catch (err) {
      // A provider this process cannot resolve is treated as one that cannot deduplicate:
      // the message is settled as UNKNOWN rather than wedging every later recovery pass.
      ctx.log.error({ err, messageId: msg.id, provider: msg.provider }, 'interrupted send of an unknown provider');
    }
    if (provider?.idempotentSend) repeat.push(msg);
    else if (provider?.findSent) lookUp.push({ msg, provider });
    else unknown.push(msg);
  }
  const found = await reconcile(ctx, lookUp);
  const settled = [...unknown.map((msg) => ({ msg, outcome: { kind: 'unknown', statusMessage: INTERRUPTED } as const })), ...found.settled];
  if (settled.length > 0) {
    const reconciled = settled.filter((s) => s.outcome.kind === 'accepted').length;
    ctx.log.warn({ reconciled, unknown: settled.length - reconciled }, 'interrupted sends settled: found at the provider (recorded as sent) or marked UNKNOWN (never resent)');
    await recordOutcomes(ctx, settled);
  }
  // A found text's status at the provider now: its status callbacks came while no message had its id.
  for (const r of found.receipts) await applyDeliveryReceipt(ctx, r);
  if (repeat.length > 0) {
    ctx.log.warn({ count: repeat.length }, 'repeating interrupted sends under their original references');
    await dispatchMessages(ctx, repeat);
  }
  return replies.rows.length + leads.rows.length;
}

const INTERRUPTED = 'INTERRUPTED: the sending process stopped before the provider answered; not retried to avoid a second text';

/** How many provider lookups one recovery pass runs at a time. */
const LOOKUP_CONCURRENCY = 8;

/**
 * Asks each message's provider whether it has the text (`findSent`): found → accepted under the
 * provider's id (one not already recorded for another message), and a receipt of the status the
 * provider has for it now when that is past QUEUED; not found, or the provider could not be asked
 * → UNKNOWN, with the reason.
 */
async function reconcile(
  ctx: AppContext,
  items: { msg: MessageRow; provider: SmsProvider }[],
): Promise<{ settled: { msg: MessageRow; outcome: SendOutcome }[]; receipts: DeliveryReceipt[] }> {
  const found = new Map<MessageRow, SentMessage[] | Error>();
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) {
      const { msg, provider } = items[i]!;
      try {
        found.set(msg, await provider.findSent!({ from: msg.sender, to: msg.recipient, body: msg.body, since: msg.created }));
      } catch (err) {
        found.set(msg, err as Error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(LOOKUP_CONCURRENCY, items.length) }, lane));
  // A provider id may already belong to another message (the same text to the same phone from the
  // same number, sent and recorded): each id settles one message at most.
  const candidates = items.flatMap(({ msg }) => {
    const v = found.get(msg);
    return Array.isArray(v) ? v.map((m) => ({ provider: msg.provider ?? '', pid: m.id })) : [];
  });
  const known = candidates.length === 0 ? [] : (await sql<{ provider: string; pid: string }>`
    SELECT provider, provider_message_id AS pid FROM messages
    WHERE (provider, provider_message_id) IN (SELECT * FROM unnest(${candidates.map((c) => c.provider)}::text[], ${candidates.map((c) => c.pid)}::text[]))`.execute(ctx.db)).rows;
  const taken = new Set(known.map((r) => `${r.provider}|${r.pid}`));
  const receipts: DeliveryReceipt[] = [];
  const settled = items.map(({ msg }): { msg: MessageRow; outcome: SendOutcome } => {
    const v = found.get(msg)!;
    if (v instanceof Error) return { msg, outcome: { kind: 'unknown', statusMessage: `${INTERRUPTED}; the provider could not be asked whether it has the text (${v.message})` } };
    const sent = v.find((m) => !taken.has(`${msg.provider}|${m.id}`));
    if (sent === undefined) return { msg, outcome: { kind: 'unknown', statusMessage: `${INTERRUPTED}; the provider has no such text since the claim` } };
    taken.add(`${msg.provider}|${sent.id}`);
    if (sent.status && sent.status !== 'QUEUED') {
      receipts.push({ provider: msg.provider ?? '', providerMessageId: sent.id, status: sent.status, errorCode: sent.errorCode, errorMessage: sent.errorMessage });
    }
    return { msg, outcome: { kind: 'accepted', providerMessageId: sent.id } };
  });
  return { settled, receipts };
}

/** The broadcast messages of interrupted leads, as their claim made them (same id, number and text). */
async function interruptedBroadcasts(ctx: AppContext, leads: LeadRow[]): Promise<MessageRow[]> {
  if (leads.length === 0) return [];
  const campaigns = new Map<string, CampaignRow>();
  for (const id of new Set(leads.map((l) => l.campaign_id))) {
    const c = await ctx.db.selectFrom('campaigns').selectAll().where('id', '=', id).executeTakeFirst();
    if (c) campaigns.set(id, c);
  }
  const providers = await providersOfNumbers(ctx.db, [...new Set(leads.map((l) => l.from_number).filter((n): n is string => n !== null))]);
  // An older version wrote the message row at claim time: keep what it holds.
  const stored = new Map((await ctx.db.selectFrom('messages').selectAll().where('id', 'in', leads.map((l) => l.broadcast_message_id ?? '')).execute()).map((m) => [m.id, m]));
  const now = ctx.now();
  return leads.map((l) => {
    const id = l.broadcast_message_id ?? '';
    const campaign = campaigns.get(l.campaign_id);
    return stored.get(id) ?? broadcastMessage(l, {
      id, from: l.from_number ?? '', at: l.claimed_at ?? now,
      body: campaign ? renderTemplate(campaignMessages(campaign).outgoingMessage, l.lead_data as Record<string, unknown>) : '',
      provider: (l.from_number && providers.get(l.from_number)) || 'unresolved',
    });
  });
}

interface CampaignPlan {
  campaign: CampaignRow;
  policy: QuietHoursPolicy;
  /** The pairs of pending leads, as `pendingPairs` found them at `pairsAt` (the planner's clock, ms). */
  pairs: ZonePair[];
  pairsAt: number;
  open: ZonePair[];
  cursor: number;
  /** Pairs that came back empty since the pairs were found (`pairsAt`). */
  drained: Set<string>;
  /**
   * Per pair, the lead id the next claim starts after (`ClaimResult.cursor`). Cleared when the
   * pairs are found anew (PAIRS_MS) and whenever a claim after it comes back short, so leads behind
   * it (a retry now due, a lead another process had locked) wait PAIRS_MS at most.
   */
  cursors: Map<string, string>;
  /** Not before this instant (rate limit), ms. */
  blockedUntil: number;
  throttled: boolean;
  limitedCarriers: Set<string>;
  claimed: number;
}

const pairKey = (p: ZonePair) => `${p.tz}|${p.st}`;

/** Which pairs the schedule and policy allow now, and when the earliest closed one opens. */
export function openPairs(schedule: ReturnType<typeof campaignSchedule>, policy: QuietHoursPolicy, pairs: ZonePair[], now: Date): { open: ZonePair[]; next: Date | null } {
  const open: ZonePair[] = [];
  let next: Date | null = null;
  for (const p of pairs) {
    let at: Date | null;
    try {
      at = nextSendTime({ schedule, policy, timeZone: p.tz || null, state: p.st || null, now });
    } catch {
      // A zone the runtime does not know is treated as unknown.
      at = nextSendTime({ schedule, policy, timeZone: null, state: p.st || null, now });
    }
    if (at === null) continue;
    if (at.getTime() <= now.getTime()) open.push(p);
    else if (next === null || at < next) next = at;
  }
  return { open, next };
}

/** The start of the next calendar day in `timeZone` (when carrier daily limits reset). */
export function nextLocalMidnight(timeZone: string, now: Date): Date {
  try {
    const today = localTime(timeZone, now).date;
    return nextScheduleStart({ ...ALWAYS_SCHEDULE, exceptions: [{ date: today, ranges: [] }] }, timeZone, now) ?? new Date(now.getTime() + 86_400_000);
  } catch {
    return new Date(now.getTime() + 86_400_000);
  }
}

export class Planner {
  private plans: CampaignPlan[] = [];
  private order = 0;
  private refreshedAt = -Infinity;
  private refreshing: Promise<void> | null = null;
  private stale = true;
  /** Pairs must be found anew at the next refresh (a NOTIFY came), not taken from the last plan. */
  private rescan = true;

  /** `clock`: a monotonic clock in ms for the plan's ages (replaceable in tests). */
  constructor(
    private readonly ctx: AppContext,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Marks the plan stale (a NOTIFY: a lead was loaded, a campaign activated or resumed). */
  invalidate(): void {
    this.stale = true;
    this.rescan = true;
  }

  async ensureFresh(): Promise<void> {
    if (!this.stale && this.clock() - this.refreshedAt < PLAN_MS) return;
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = null;
    });
    await this.refreshing;
  }

  private async refresh(): Promise<void> {
    const ctx = this.ctx;
    this.stale = false;
    const rescan = this.rescan;
    this.rescan = false;
    const startedAt = (this.refreshedAt = this.clock());
    const previous = new Map(this.plans.map((p) => [p.campaign.id, p]));
    await recoverInterruptedSends(ctx);
    const campaigns = await ctx.db
      .selectFrom('campaigns')
      .innerJoin('workspaces', 'workspaces.id', 'campaigns.workspace_id')
      .selectAll('campaigns')
      .select(['workspaces.quiet_hours_policy', 'workspaces.timezone as workspace_tz'])
      .where('campaign_status', '=', 'ACTIVE')
      .execute();
    const plans: CampaignPlan[] = [];
    const now = ctx.now();
    for (const row of campaigns) {
      const { quiet_hours_policy, workspace_tz, ...c } = row;
      const before = previous.get(c.id);
      // The last plan's pairs, drained pairs and cursors while they are recent and a pair is still open.
      const kept = before && !rescan && startedAt - before.pairsAt < PAIRS_MS && before.open.some((p) => !before.drained.has(pairKey(p))) ? before : null;
      const pairs = kept ? kept.pairs : await pendingPairs(ctx, c.id);
      if (pairs.length === 0) {
        const inFlight = await ctx.db.selectFrom('leads').select('id').where('campaign_id', '=', c.id).where('status', '=', 'SENDING').limit(1).executeTakeFirst();
        if (inFlight) {
          await setSendingStatus(ctx, c, 'SENDING', 'Sending the last messages.', null);
          continue;
        }
        // Nothing pending: either every lead was handled, or there has never been a lead to send to.
        const anyLead = await ctx.db.selectFrom('leads').select('id').where('campaign_id', '=', c.id).limit(1).executeTakeFirst();
        await setSendingStatus(ctx, c, 'COMPLETE', anyLead ? 'Every lead has been sent the broadcast.' : NO_LEADS_DESCRIPTION, null);
        continue;
      }
      const { open, next } = openPairs(campaignSchedule(c), quiet_hours_policy as QuietHoursPolicy, pairs, now);
      if (open.length === 0) {
        const description = next
          ? `Outside the schedule or quiet hours for every pending lead; next sending at ${next.toISOString()}.`
          : 'No sending hours in the next two weeks for the pending leads (schedule and quiet-hours policy).';
        await setSendingStatus(ctx, c, 'OUTSIDE_SCHEDULE', description, next);
        continue;
      }
      // The status the lanes saw since the last refresh.
      if (before && before.claimed === 0 && before.limitedCarriers.size > 0 && !before.throttled) {
        const tomorrow = nextLocalMidnight(workspace_tz, now);
        await setSendingStatus(ctx, c, 'LIMIT_REACHED', `Carrier daily limit reached for ${[...before.limitedCarriers].sort().join(', ')}; their leads wait for the next day.`, tomorrow);
      } else if (before?.throttled) {
        await setSendingStatus(ctx, c, 'THROTTLED', 'Sending at the sender source\'s messages-per-second limit.', null);
      } else if (before && before.claimed > 0) {
        await setSendingStatus(ctx, c, 'SENDING', 'Sending to eligible leads.', null);
      }
      plans.push({
        campaign: c, policy: quiet_hours_policy as QuietHoursPolicy, pairs, pairsAt: kept ? kept.pairsAt : startedAt, open, cursor: before?.cursor ?? 0,
        drained: kept ? kept.drained : new Set(), cursors: kept ? kept.cursors : new Map(),
        blockedUntil: before?.blockedUntil ?? 0, throttled: false, limitedCarriers: new Set(), claimed: 0,
      });
    }
    this.plans = plans;
  }

  /** The next campaign and pair to claim from, round robin, and where in the pair to start; null when nothing is claimable now. */
  next(): { plan: CampaignPlan; pair: ZonePair; after: string | null } | null {
    const nowMs = Date.now();
    for (let i = 0; i < this.plans.length; i += 1) {
      const plan = this.plans[(this.order + i) % this.plans.length]!;
      if (plan.blockedUntil > nowMs) continue;
      for (let j = 0; j < plan.open.length; j += 1) {
        const pair = plan.open[(plan.cursor + j) % plan.open.length]!;
        if (plan.drained.has(pairKey(pair))) continue;
        plan.cursor = (plan.cursor + j) % plan.open.length;
        this.order = (this.order + i + 1) % this.plans.length;
        return { plan, pair, after: plan.cursors.get(pairKey(pair)) ?? null };
      }
    }
    return null;
  }

  /** When a lane with nothing to do should look again, ms from now. */
  idleMs(): number {
    const nowMs = Date.now();
    const blocked = this.plans.filter((p) => p.blockedUntil > nowMs).map((p) => p.blockedUntil - nowMs);
    return Math.max(1, Math.min(this.ctx.config.broadcastPollMs, ...blocked));
  }

  async report(work: { plan: CampaignPlan; pair: ZonePair; after: string | null }, r: ClaimResult, limit: number): Promise<void> {
    const { plan, pair } = work;
    const key = pairKey(pair);
    plan.claimed += r.messages.length;
    if (r.cursor !== null) {
      const at = plan.cursors.get(key);
      // Lanes claim side by side: the furthest one wins.
      if (at === undefined || r.cursor > at) plan.cursors.set(key, r.cursor);
    }
    for (const c of r.limitedCarriers) plan.limitedCarriers.add(c);
    if (r.throttledMs !== null) {
      plan.throttled = true;
      plan.blockedUntil = Date.now() + r.throttledMs;
      if (plan.campaign.sending_status !== 'THROTTLED') {
        await setSendingStatus(this.ctx, plan.campaign, 'THROTTLED', 'Sending at the sender source\'s messages-per-second limit.', null);
      }
    } else if (r.messages.length > 0 && plan.campaign.sending_status !== 'SENDING' && plan.campaign.sending_status !== 'THROTTLED') {
      await setSendingStatus(this.ctx, plan.campaign, 'SENDING', 'Sending to eligible leads.', null);
    }
    if (r.candidates < limit && r.throttledMs === null && work.after !== null) {
      // Short after the cursor: before the pair counts as drained, the next claim looks behind it.
      plan.cursors.delete(key);
    } else if (r.candidates < limit && r.throttledMs === null) {
      plan.drained.add(key);
      plan.cursor += 1;
      // Nothing claimable although leads are pending: suppressed phones (closing them lets the
      // campaign complete), paused lists, retries not due, or carriers at their daily limit.
      if (r.messages.length === 0) await closeSuppressedLeads(this.ctx, plan.campaign.id);
    }
  }
}

async function setSendingStatus(ctx: AppContext, c: CampaignRow, status: string, description: string, nextRunTime: Date | null) {
  if (c.sending_status === status && c.sending_status_description === description && (c.next_run_time?.getTime() ?? null) === (nextRunTime?.getTime() ?? null)) return;
  await ctx.db
    .updateTable('campaigns')
    .set({ sending_status: status, sending_status_description: description, next_run_time: nextRunTime })
    .where('id', '=', c.id)
    .where('campaign_status', '=', 'ACTIVE')
    .execute();
  Object.assign(c, { sending_status: status, sending_status_description: description, next_run_time: nextRunTime });
}

/** One lane: claim, send, record, until there is nothing to do now. Returns messages sent. */
async function laneStep(ctx: AppContext, planner: Planner): Promise<number | null> {
  await planner.ensureFresh();
  const work = planner.next();
  if (!work) return null;
  const limit = ctx.config.senderBatch;
  const r = await claimBatch(ctx, work.plan.campaign, work.pair, limit, work.after);
  await planner.report(work, r, limit);
  if (r.messages.length === 0) return 0;
  if (ctx.config.crashPoint === 'after-claim') crashNow(ctx, 'after-claim');
  // The batch is one (zone, state) pair: one window, whose end bounds how long the provider may
  // keep the messages queued (Twilio's ValidityPeriod), so none lands after quiet hours begin.
  const validUntil = currentWindowEnd({ schedule: campaignSchedule(work.plan.campaign), policy: work.plan.policy, timeZone: work.pair.tz || null, state: work.pair.st || null, now: ctx.now() });
  await dispatchMessages(ctx, r.messages, validUntil);
  return r.messages.length;
}

/** Runs the planner and the lanes until stopped: at once while there is work, else on NOTIFY or poll. */
export function startBroadcastSender(ctx: AppContext, connectionString: string): { stop: () => Promise<void> } {
  let stopped = false;
  const planner = new Planner(ctx);
  const sleepers = new Set<() => void>();
  const wakeAll = () => {
    planner.invalidate();
    for (const w of sleepers) w();
  };
  const listener = new pg.Client({ connectionString });
  listener.on('notification', wakeAll);
  listener.on('error', (err) => ctx.log.warn({ err }, 'broadcast listener lost its connection; polling only'));
  const listening = listener.connect().then(() => listener.query('LISTEN engage_broadcast')).catch((err) => ctx.log.warn({ err }, 'broadcast LISTEN failed; polling only'));

  const lane = async () => {
    await listening;
    while (!stopped) {
      let sent: number | null = null;
      try {
        sent = await laneStep(ctx, planner);
      } catch (err) {
        ctx.log.error({ err }, 'broadcast lane failed');
      }
      if (stopped) break;
      if (sent !== null) continue;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          sleepers.delete(done);
          resolve();
        };
        const t = setTimeout(done, planner.idleMs());
        sleepers.add(done);
      });
    }
  };
  const lanes = Array.from({ length: ctx.config.senderLanes }, lane);

  return {
    async stop() {
      stopped = true;
      for (const w of [...sleepers]) w();
      await Promise.all(lanes);
      await listener.end().catch(() => undefined);
    },
  };
}

/** One synchronous pass for tests and tools: plan, then claim and send until nothing is claimable. */
export async function broadcastTick(ctx: AppContext): Promise<number> {
  const planner = new Planner(ctx);
  let sent = 0;
  for (;;) {
    const n = await laneStep(ctx, planner);
    if (n === null) break;
    sent += n;
  }
  // A last look, so that sendingStatus tells what the pass left behind.
  planner.invalidate();
  await planner.ensureFresh();
  return sent;
}
