/**
 * The rule engine for inbound messages. Called by the inbound pipeline inside its transaction
 * (after keyword handling), so a rule's effects commit with the message they answer: a crash
 * before commit leaves nothing, and a redelivered message is a duplicate before it gets here.
 * Each firing also writes an `automation_firings` row keyed by (lead, rule, message): a second
 * evaluation of the same message cannot fire the rule again.
 */
import type { CampaignRow } from '../campaigns/service.ts';
import type { AppContext } from '../context.ts';
import type { Trx } from '../db/pool.ts';
import type { LeadRow } from '../leads/view.ts';
import { runActions, type ActionOutcome } from './actions.ts';
import { conditionMatches, type InboundFacts } from './match.ts';
import type { AutomationRule, FollowUp } from './schema.ts';
import { automationStateOf, setNeedsReply } from './state.ts';

export function campaignAutomations(campaign: CampaignRow): AutomationRule[] {
  return (campaign.automations ?? []) as AutomationRule[];
}
export function campaignFollowUps(campaign: CampaignRow): FollowUp[] {
  return (campaign.follow_ups ?? []) as FollowUp[];
}

export interface FiredRule {
  ruleId: string;
  name: string;
  index: number;
  actions: ActionOutcome[];
}

/** Records a firing; false when this (lead, rule, cause) already fired. */
export async function recordFiring(
  trx: Trx,
  f: { leadId: string; ruleId: string; cause: string; messageId: string | null; firedAt: Date },
): Promise<boolean> {
  const row = await trx
    .insertInto('automation_firings')
    .values({ lead_id: f.leadId, rule_id: f.ruleId, cause: f.cause, message_id: f.messageId, fired_at: f.firedAt })
    .onConflict((oc) => oc.columns(['lead_id', 'rule_id', 'cause']).doNothing())
    .returning('rule_id')
    .executeTakeFirst();
  return row !== undefined;
}

export async function completeFiring(trx: Trx, leadId: string, ruleId: string, cause: string, outcomes: ActionOutcome[]): Promise<void> {
  const sendAt = outcomes.find((o) => o.type === 'REPLY' && o.sendAt)?.sendAt ?? null;
  await trx.updateTable('automation_firings').set({ actions: JSON.stringify(outcomes), send_at: sendAt }).where('lead_id', '=', leadId).where('rule_id', '=', ruleId).where('cause', '=', cause).execute();
}

/** The rules that match a message, in order, up to the first that stops; pure apart from the regex time limit. */
export function matchingRules(rules: AutomationRule[], facts: InboundFacts): { rule: AutomationRule; index: number; timedOut: boolean }[] {
  const out: { rule: AutomationRule; index: number; timedOut: boolean }[] = [];
  rules.forEach((rule, index) => {
    if (!rule.enabled || rule.when.type === 'NO_REPLY') return;
    const m = conditionMatches(rule.when, facts);
    if (m === true) out.push({ rule, index, timedOut: false });
    else if (m === 'timeout') out.push({ rule, index, timedOut: true });
  });
  return out;
}

/**
 * Evaluates the campaign's rules on one inbound message and carries out those that fire.
 * A conversation handed to agents skips the rules and is marked as needing a reply.
 */
export async function runMessageRules(
  ctx: AppContext, trx: Trx, lead: LeadRow, campaign: CampaignRow, message: InboundFacts & { messageId: string },
): Promise<FiredRule[]> {
  const rules = campaignAutomations(campaign);
  const state = await automationStateOf(trx, lead.id);
  if (state.handedOff) {
    await setNeedsReply(trx, lead.id, true, ctx.now());
    return [];
  }
  if (rules.length === 0) return [];
  const fired: FiredRule[] = [];
  let current = lead;
  for (const { rule, index, timedOut } of matchingRules(rules, message)) {
    if (timedOut) {
      ctx.log.warn({ campaignId: campaign.id, ruleId: rule.id }, 'automation rule pattern timed out; treated as no match');
      continue;
    }
    const cause = `msg:${message.messageId}`;
    if (!(await recordFiring(trx, { leadId: lead.id, ruleId: rule.id, cause, messageId: message.messageId, firedAt: ctx.now() }))) continue;
    const result = await runActions(ctx, trx, current, campaign, rule.then);
    await completeFiring(trx, lead.id, rule.id, cause, result.outcomes);
    current = result.lead;
    fired.push({ ruleId: rule.id, name: rule.name, index, actions: result.outcomes });
    if (result.stop || result.outcomes.some((o) => o.type === 'HANDOFF')) break;
  }
  return fired;
}
