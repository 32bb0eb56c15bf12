/**
 * Timers: NO_REPLY rules and follow-up drips. Nothing is scheduled ahead; every worker scans for
 * what is due by the (injected) clock, so a timer survives any restart and needs no hook in the
 * broadcast path. The scan locks leads with SKIP LOCKED, and each firing's primary key
 * (lead, rule, cause) makes it happen once even when two workers or a retried scan meet it:
 *   follow-up step n — cause `step:n`, due `delayHours` after the broadcast (n = 0) or after step
 *     n-1 went out, while the lead has sent nothing, has no disposition and is not suppressed;
 *   NO_REPLY rule — cause `silence:<last inbound id | none>`, due `hours` after the last outbound
 *     message with no inbound message since; a reply from the lead re-arms it.
 * Only ACTIVE campaigns run timers; conversations handed to agents are left alone.
 */
import { sql } from 'kysely';
import type { CampaignRow } from '../campaigns/service.ts';
import type { AppContext } from '../context.ts';
import type { LeadRow } from '../leads/view.ts';
import { queueAutomatedText, runActions } from './actions.ts';
import { campaignAutomations, campaignFollowUps, completeFiring, recordFiring } from './engine.ts';

const HOUR_MS = 3_600_000;
/** Leads handled per campaign, rule and transaction; the next tick takes the rest. */
export const TIMER_BATCH = 200;

const textable = sql<boolean>`l.sent IS NOT NULL AND l.from_number IS NOT NULL AND l.disposition IS NULL
  AND l.status IN ('QUEUED', 'SENT', 'DELIVERED')
  AND NOT EXISTS (SELECT 1 FROM suppressions s WHERE s.workspace_id = l.workspace_id AND s.phone = l.phone)
  AND NOT EXISTS (SELECT 1 FROM lead_automation_states st WHERE st.lead_id = l.id AND st.handed_off_at IS NOT NULL)`;

async function followUpStep(ctx: AppContext, campaign: CampaignRow, step: number, delayHours: number, message: string): Promise<number> {
  const cutoff = new Date(ctx.now().getTime() - delayHours * HOUR_MS);
  const anchor = step === 0
    ? sql`l.sent`
    : sql`(SELECT coalesce(f.send_at, f.fired_at) FROM automation_firings f WHERE f.lead_id = l.id AND f.rule_id = 'follow-up' AND f.cause = ${`step:${step - 1}`})`;
  return ctx.db.transaction().execute(async (trx) => {
    const leads = await sql<LeadRow>`
      SELECT l.* FROM leads l
      WHERE l.campaign_id = ${campaign.id} AND NOT l.conversation_started AND ${textable}
        AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.lead_id = l.id AND m.direction = 'INBOUND')
        AND NOT EXISTS (SELECT 1 FROM automation_firings f WHERE f.lead_id = l.id AND f.rule_id = 'follow-up' AND f.cause = ${`step:${step}`})
        AND ${anchor} <= ${cutoff}
      ORDER BY l.id LIMIT ${TIMER_BATCH}
      FOR UPDATE OF l SKIP LOCKED`.execute(trx);
    let fired = 0;
    for (const lead of leads.rows) {
      const cause = `step:${step}`;
      if (!(await recordFiring(trx, { leadId: lead.id, ruleId: 'follow-up', cause, messageId: null, firedAt: ctx.now() }))) continue;
      const outcome = await queueAutomatedText(ctx, trx, lead, campaign, 'FOLLOW_UP', message);
      await completeFiring(trx, lead.id, 'follow-up', cause, [outcome]);
      fired += 1;
    }
    return fired;
  });
}

async function noReplyRule(ctx: AppContext, campaign: CampaignRow, ruleIndex: number): Promise<number> {
  const rule = campaignAutomations(campaign)[ruleIndex]!;
  const cutoff = new Date(ctx.now().getTime() - rule.when.hours! * HOUR_MS);
  return ctx.db.transaction().execute(async (trx) => {
    const leads = await sql<LeadRow & { last_inbound_id: string | null }>`
      SELECT l.*, li.id AS last_inbound_id FROM leads l
      LEFT JOIN LATERAL (
        SELECT m.id, m.created FROM messages m WHERE m.lead_id = l.id AND m.direction = 'INBOUND' ORDER BY m.created DESC, m.id DESC LIMIT 1
      ) li ON true
      CROSS JOIN LATERAL (
        SELECT max(m.created) AS at FROM messages m WHERE m.lead_id = l.id AND m.direction = 'OUTBOUND' AND m.status NOT IN ('FAILED', 'UNKNOWN')
      ) lo
      WHERE l.campaign_id = ${campaign.id} AND ${textable}
        AND lo.at IS NOT NULL AND lo.at <= ${cutoff}
        AND (li.created IS NULL OR li.created < lo.at)
        AND NOT EXISTS (SELECT 1 FROM automation_firings f WHERE f.lead_id = l.id AND f.rule_id = ${rule.id} AND f.cause = 'silence:' || coalesce(li.id, 'none'))
      ORDER BY l.id LIMIT ${TIMER_BATCH}
      FOR UPDATE OF l SKIP LOCKED`.execute(trx);
    let fired = 0;
    for (const row of leads.rows) {
      const { last_inbound_id: lastInbound, ...lead } = row;
      const cause = `silence:${lastInbound ?? 'none'}`;
      if (!(await recordFiring(trx, { leadId: lead.id, ruleId: rule.id, cause, messageId: null, firedAt: ctx.now() }))) continue;
      const result = await runActions(ctx, trx, lead as LeadRow, campaign, rule.then);
      await completeFiring(trx, lead.id, rule.id, cause, result.outcomes);
      fired += 1;
    }
    return fired;
  });
}

/** One pass over every active campaign's due timers; returns how many fired. */
export async function automationTick(ctx: AppContext): Promise<number> {
  const campaigns = await ctx.db.selectFrom('campaigns').selectAll().where('campaign_status', '=', 'ACTIVE')
    .where(sql<boolean>`(json_array_length(follow_ups) > 0 OR automations::text LIKE '%NO_REPLY%')`)
    .execute();
  let fired = 0;
  for (const campaign of campaigns) {
    const steps = campaignFollowUps(campaign);
    for (let i = 0; i < steps.length; i += 1) fired += await followUpStep(ctx, campaign, i, steps[i]!.delayHours, steps[i]!.message);
    const rules = campaignAutomations(campaign);
    for (let i = 0; i < rules.length; i += 1) {
      if (rules[i]!.enabled && rules[i]!.when.type === 'NO_REPLY') fired += await noReplyRule(ctx, campaign, i);
    }
  }
  return fired;
}

/** Runs `automationTick` every `automationPollMs` in a worker process until stopped. */
export function startAutomationTimers(ctx: AppContext): { stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();
  const loop = () => {
    if (stopped) return;
    running = automationTick(ctx)
      .then(() => undefined)
      .catch((err: unknown) => ctx.log.error({ err }, 'automation timers failed; retrying at the next tick'))
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, ctx.config.automationPollMs);
      });
  };
  timer = setTimeout(loop, 0);
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
