/**
 * The broadcast sender: a loop in every worker process that sends active campaigns to their
 * eligible leads. Woken by NOTIFY engage_broadcast (lead loaded, campaign activated) and by a poll.
 */
import pg from 'pg';
import { campaignSchedule, type CampaignRow } from '../campaigns/service.ts';
import type { AppContext } from '../context.ts';
import { isWithinSchedule, nextScheduleStart } from '../core/schedule.ts';
import { crashNow, dispatchMessage, recordFailed } from '../conversations/outbound.ts';
import { claimBatch, closeSuppressedLeads } from './claim.ts';
import { sql } from 'kysely';

/** Leads without a known time zone may be texted only when every continental US zone is inside the schedule. */
export const UNKNOWN_ZONE_STAND_INS = ['America/New_York', 'America/Chicago', 'America/Denver', 'America/Los_Angeles'];
const BATCH = 50;
/** How long one pass may keep sending for one campaign before moving on. */
const PASS_BUDGET_MS = 2000;

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

/**
 * Sends in flight when a process died (claimed, provider answer not recorded) are settled here,
 * once their lease ran out. With an idempotent provider the send is repeated under the same
 * reference (the provider texts once); otherwise it is marked UNKNOWN for the operator: never a
 * second text.
 */
export async function recoverInterruptedSends(ctx: AppContext): Promise<number> {
  const cutoff = new Date(ctx.now().getTime() - ctx.config.sendLeaseMs);
  // Taking the rows (by refreshing `updated`) leases them to this process.
  const rows = await sql<{ id: string }>`
    UPDATE messages SET updated = ${ctx.now()}
    WHERE id IN (SELECT id FROM messages WHERE status = 'SENDING' AND direction = 'OUTBOUND' AND updated < ${cutoff}
                 ORDER BY id LIMIT 100 FOR UPDATE SKIP LOCKED)
    RETURNING id`.execute(ctx.db);
  for (const { id } of rows.rows) {
    const msg = await ctx.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    let idempotent = false;
    try {
      idempotent = ctx.providers.get(msg.provider ?? 'simulator').idempotentSend;
    } catch (err) {
      // A provider this process cannot resolve is treated as one that cannot deduplicate:
      // the message is settled as UNKNOWN rather than wedging every later recovery pass.
      ctx.log.error({ err, messageId: id, provider: msg.provider }, 'interrupted send of an unknown provider');
    }
    if (idempotent) {
      ctx.log.warn({ messageId: id }, 'repeating an interrupted send under its original reference');
      await dispatchMessage(ctx, msg);
    } else {
      ctx.log.warn({ messageId: id }, 'interrupted send marked UNKNOWN: the provider cannot tell whether it went out');
      await recordFailed(ctx, msg, 'INTERRUPTED: the sending process stopped before the provider answered; not retried to avoid a second text', 'UNKNOWN');
    }
  }
  return rows.rows.length;
}

/** One pass over the active campaigns; returns how many messages were handed to providers. */
export async function broadcastTick(ctx: AppContext): Promise<number> {
  await recoverInterruptedSends(ctx);
  const campaigns = await ctx.db.selectFrom('campaigns').selectAll().where('campaign_status', '=', 'ACTIVE').execute();
  let sent = 0;
  for (const c of campaigns) {
    const zones = await ctx.db.selectFrom('leads').select('time_zone').distinct().where('campaign_id', '=', c.id).where('status', '=', 'PENDING').execute();
    if (zones.length === 0) {
      const inFlight = await ctx.db.selectFrom('leads').select('id').where('campaign_id', '=', c.id).where('status', '=', 'SENDING').limit(1).executeTakeFirst();
      await setSendingStatus(ctx, c, inFlight ? 'SENDING' : 'COMPLETE', inFlight ? 'Sending the last messages.' : 'Every lead has been sent the broadcast.', null);
      continue;
    }
    const now = ctx.now();
    const schedule = campaignSchedule(c);
    const named = zones.map((z) => z.time_zone).filter((z): z is string => z !== null);
    const open = named.filter((z) => isWithinSchedule(schedule, z, now));
    const unknownPending = zones.some((z) => z.time_zone === null);
    const unknownOpen = unknownPending && UNKNOWN_ZONE_STAND_INS.every((z) => isWithinSchedule(schedule, z, now));
    if (open.length === 0 && !unknownOpen) {
      const starts = [...named, ...(unknownPending ? UNKNOWN_ZONE_STAND_INS : [])]
        .map((z) => nextScheduleStart(schedule, z, now))
        .filter((d): d is Date => d !== null)
        .sort((a, b) => a.getTime() - b.getTime());
      const next = starts[0] ?? null;
      await setSendingStatus(ctx, c, 'OUTSIDE_SCHEDULE', next ? `Outside the schedule for every pending lead; next sending at ${next.toISOString()}.` : 'No sending hours in the next two weeks for the pending leads.', next);
      continue;
    }
    // Keep claiming for this campaign while full batches come back: the zone scan above is
    // paid once per pass, not once per batch. The budget keeps other campaigns (and the
    // schedule check) moving.
    const started = performance.now();
    for (;;) {
      const batch = await claimBatch(ctx, c, { named: open, unknownOpen }, BATCH);
      if (batch.length === 0) {
        // Nothing claimable although leads are pending in open zones: they are suppressed
        // phones (or on paused lists); closing the suppressed ones lets the campaign complete.
        await closeSuppressedLeads(ctx, c.id);
        break;
      }
      await setSendingStatus(ctx, c, 'SENDING', 'Sending to eligible leads.', null);
      if (ctx.config.crashPoint === 'after-claim') crashNow(ctx, 'after-claim');
      for (const msg of batch) await dispatchMessage(ctx, msg);
      sent += batch.length;
      if (batch.length < BATCH || performance.now() - started > PASS_BUDGET_MS) break;
    }
  }
  return sent;
}

/** Runs `broadcastTick` until stopped: again at once while there is work, else on NOTIFY or poll. */
export function startBroadcastSender(ctx: AppContext, connectionString: string): { stop: () => Promise<void> } {
  let stopped = false;
  let wake: (() => void) | null = null;
  const listener = new pg.Client({ connectionString });
  listener.on('notification', () => wake?.());
  listener.on('error', (err) => ctx.log.warn({ err }, 'broadcast listener lost its connection; polling only'));
  const listening = listener.connect().then(() => listener.query('LISTEN engage_broadcast')).catch((err) => ctx.log.warn({ err }, 'broadcast LISTEN failed; polling only'));

  const loop = (async () => {
    await listening;
    while (!stopped) {
      let sent = 0;
      try {
        sent = await broadcastTick(ctx);
      } catch (err) {
        ctx.log.error({ err }, 'broadcast tick failed');
      }
      if (sent > 0 || stopped) continue;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ctx.config.broadcastPollMs);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = null;
    }
  })();

  return {
    async stop() {
      stopped = true;
      wake?.();
      await loop;
      await listener.end().catch(() => undefined);
    },
  };
}
