/**
 * Carrying out a rule's actions in the caller's transaction, so they commit (or not) with the
 * firing row that makes them happen once.
 */
import type { CampaignRow } from '../campaigns/service.ts';
import { campaignSchedule } from '../campaigns/service.ts';
import type { AppContext } from '../context.ts';
import { nextSendTime, type QuietHoursPolicy } from '../core/quiet-hours.ts';
import { renderTemplate } from '../core/template.ts';
import type { DbOrTrx, Trx } from '../db/pool.ts';
import { applyDisposition } from '../conversations/agent.ts';
import { queueReply, type OutboundKind } from '../conversations/outbound.ts';
import { suppressionOf } from '../leads/suppression.ts';
import type { LeadRow } from '../leads/view.ts';
import type { Action } from './schema.ts';
import { addTag, handOff } from './state.ts';

/** What one action did (stored with the firing; returned by the test console). */
export interface ActionOutcome {
  type: Action['type'];
  /** REPLY: the rendered text. */
  message?: string;
  /** REPLY: when it goes out (later than now outside the schedule or quiet hours). */
  sendAt?: string | null;
  /** SET_DISPOSITION / TAG: the value. */
  disposition?: string;
  tag?: string;
  /** Why nothing was done, when so. */
  skipped?: string;
}

/** When a message to this lead may go out: the campaign schedule within the workspace's quiet hours. */
export async function sendTimeFor(ctx: AppContext, db: DbOrTrx, lead: LeadRow, campaign: CampaignRow): Promise<Date | null> {
  const ws = await db.selectFrom('workspaces').select('quiet_hours_policy').where('id', '=', lead.workspace_id).executeTakeFirstOrThrow();
  return nextSendTime({ schedule: campaignSchedule(campaign), policy: ws.quiet_hours_policy as QuietHoursPolicy, timeZone: lead.time_zone, state: lead.state, now: ctx.now() });
}

/** Queues a templated text to the lead at the first allowed time; skipped when suppressed or never allowed. */
export async function queueAutomatedText(ctx: AppContext, trx: Trx, lead: LeadRow, campaign: CampaignRow, kind: OutboundKind, template: string): Promise<ActionOutcome> {
  const message = renderTemplate(template, lead.lead_data).trim();
  if (!message) return { type: 'REPLY', message, skipped: 'the message renders empty' };
  if (await suppressionOf(trx, lead.workspace_id, lead.phone)) return { type: 'REPLY', message, skipped: 'the phone is opted out or do-not-contact' };
  if (!lead.from_number) return { type: 'REPLY', message, skipped: 'the broadcast has not been sent to this lead' };
  const sendAt = await sendTimeFor(ctx, trx, lead, campaign);
  if (!sendAt) return { type: 'REPLY', message, sendAt: null, skipped: 'the schedule and quiet hours allow no time in the next two weeks' };
  const now = ctx.now();
  await queueReply(ctx, trx, lead, kind, message, sendAt > now ? { runAt: sendAt } : {});
  return { type: 'REPLY', message, sendAt: sendAt.toISOString() };
}

export interface ActionsResult {
  outcomes: ActionOutcome[];
  /** A STOP action: no further rules. */
  stop: boolean;
  /** The lead after the actions (a disposition changes it). */
  lead: LeadRow;
}

export async function runActions(ctx: AppContext, trx: Trx, lead: LeadRow, campaign: CampaignRow, actions: Action[]): Promise<ActionsResult> {
  const outcomes: ActionOutcome[] = [];
  let stop = false;
  let current = lead;
  for (const a of actions) {
    switch (a.type) {
      case 'REPLY':
        outcomes.push(await queueAutomatedText(ctx, trx, current, campaign, 'AUTOMATION', a.message!));
        break;
      case 'SET_DISPOSITION':
        current = await applyDisposition(ctx, trx, current, a.disposition!, 'automation');
        outcomes.push({ type: 'SET_DISPOSITION', disposition: current.disposition ?? a.disposition! });
        break;
      case 'TAG':
        await addTag(trx, current.id, a.tag!, ctx.now());
        outcomes.push({ type: 'TAG', tag: a.tag! });
        break;
      case 'HANDOFF':
        await handOff(trx, current.id, ctx.now());
        outcomes.push({ type: 'HANDOFF' });
        break;
      case 'STOP':
        stop = true;
        outcomes.push({ type: 'STOP' });
        break;
    }
  }
  return { outcomes, stop, lead: current };
}
