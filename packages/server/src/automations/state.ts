/** What automations set on a lead: tags, and whether the conversation was handed to agents. */
import { sql } from 'kysely';
import type { DbOrTrx } from '../db/pool.ts';

export interface LeadAutomationState {
  tags: string[];
  handedOff: boolean;
  needsReply: boolean;
}

export async function automationStateOf(db: DbOrTrx, leadId: string): Promise<LeadAutomationState> {
  const row = await db.selectFrom('lead_automation_states').selectAll().where('lead_id', '=', leadId).executeTakeFirst();
  return { tags: row?.tags ?? [], handedOff: row?.handed_off_at != null, needsReply: row?.needs_reply ?? false };
}

export async function addTag(db: DbOrTrx, leadId: string, tag: string, now: Date): Promise<void> {
  await db
    .insertInto('lead_automation_states')
    .values({ lead_id: leadId, tags: [tag], updated: now })
    .onConflict((oc) => oc.column('lead_id').doUpdateSet({
      tags: sql`CASE WHEN ${tag} = ANY(lead_automation_states.tags) THEN lead_automation_states.tags ELSE array_append(lead_automation_states.tags, ${tag}) END`,
      updated: now,
    }))
    .execute();
}

/** The conversation is the agents' now: it needs a reply, and automations leave it alone. */
export async function handOff(db: DbOrTrx, leadId: string, now: Date): Promise<void> {
  await db
    .insertInto('lead_automation_states')
    .values({ lead_id: leadId, handed_off_at: now, needs_reply: true, updated: now })
    .onConflict((oc) => oc.column('lead_id').doUpdateSet({ handed_off_at: sql`coalesce(lead_automation_states.handed_off_at, ${now})`, needs_reply: true, updated: now }))
    .execute();
}

/** A lead wrote again in a handed-off conversation; or an agent answered (`false`). */
export async function setNeedsReply(db: DbOrTrx, leadId: string, needsReply: boolean, now: Date): Promise<void> {
  await db.updateTable('lead_automation_states').set({ needs_reply: needsReply, updated: now }).where('lead_id', '=', leadId).where('handed_off_at', 'is not', null).execute();
}
