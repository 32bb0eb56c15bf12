/**
 * Claiming leads for the broadcast. The leads themselves are the work queue: a batch is locked
 * with FOR UPDATE SKIP LOCKED (so any number of senders share the work), and each claimed lead
 * gets its message row and moves PENDING → SENDING in the same transaction, committed *before*
 * the provider is called. A lead leaves PENDING exactly once, so it is texted at most once.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { campaignMessages, type CampaignRow } from '../campaigns/service.ts';
import type { AppContext } from '../context.ts';
import { newId } from '../core/ids.ts';
import { renderTemplate } from '../core/template.ts';
import type { MessageRow } from '../conversations/outbound.ts';

/** The same number for a phone every time (sticky sender), spread evenly over the pool. */
export function stickyNumber(phone: string, pool: string[]): string {
  const h = createHash('sha256').update(phone).digest().readUInt32BE(0);
  return pool[h % pool.length]!;
}

export async function claimBatch(
  ctx: AppContext,
  campaign: CampaignRow,
  zones: { named: string[]; unknownOpen: boolean },
  limit: number,
): Promise<MessageRow[]> {
  return ctx.db.transaction().execute(async (trx) => {
    // FOR SHARE: a pause (FOR UPDATE) waits for in-flight claims, and no claim starts after it.
    const current = await trx.selectFrom('campaigns').select('campaign_status').where('id', '=', campaign.id).forShare().executeTakeFirst();
    if (current?.campaign_status !== 'ACTIVE' || !campaign.sender_source_id) return [];
    const source = await trx.selectFrom('sender_sources').select(['provider']).where('id', '=', campaign.sender_source_id).executeTakeFirstOrThrow();
    const pool = (await trx.selectFrom('sender_numbers').select('phone').where('sender_source_id', '=', campaign.sender_source_id).orderBy('phone').execute()).map((r) => r.phone);
    if (pool.length === 0) return [];

    const leads = await trx
      .selectFrom('leads as l')
      .innerJoin('lists as li', 'li.id', 'l.list_id')
      .selectAll('l')
      .where('l.campaign_id', '=', campaign.id)
      .where('l.status', '=', 'PENDING')
      .where('li.list_status', '=', 'ACTIVE')
      .where((eb) =>
        eb.or([
          ...(zones.named.length ? [eb('l.time_zone', 'in', zones.named)] : []),
          ...(zones.unknownOpen ? [eb('l.time_zone', 'is', null)] : []),
          sql<boolean>`false`,
        ]),
      )
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('suppressions as s').select('s.phone').whereRef('s.workspace_id', '=', 'l.workspace_id').whereRef('s.phone', '=', 'l.phone'))),
      )
      .orderBy('l.id')
      .limit(limit)
      .forUpdate('l')
      .skipLocked()
      .execute();
    if (leads.length === 0) return [];

    const now = ctx.now();
    const template = campaignMessages(campaign).outgoingMessage;
    const claimed: MessageRow[] = [];
    for (const lead of leads) {
      const from = lead.from_number && pool.includes(lead.from_number) ? lead.from_number : stickyNumber(lead.phone, pool);
      const msg = await trx
        .insertInto('messages')
        .values({
          id: newId(now), workspace_id: lead.workspace_id, lead_id: lead.id, direction: 'OUTBOUND', kind: 'BROADCAST',
          sender: from, recipient: lead.phone, body: renderTemplate(template, lead.lead_data), status: 'SENDING',
          status_message: null, provider: source.provider, provider_message_id: null, created: now, updated: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await trx
        .updateTable('leads')
        .set({ status: 'SENDING', claimed_at: now, broadcast_message_id: msg.id, from_number: from })
        .where('id', '=', lead.id)
        .execute();
      claimed.push(msg);
    }
    return claimed;
  });
}

/** Pending leads whose phone got suppressed are closed, so the campaign can complete. */
export async function closeSuppressedLeads(ctx: AppContext, campaignId: string): Promise<number> {
  const r = await sql`
    UPDATE leads l SET status = 'SUPPRESSED', status_message = s.kind, result = ${ctx.now()}
    FROM suppressions s
    WHERE l.campaign_id = ${campaignId} AND l.status = 'PENDING' AND s.workspace_id = l.workspace_id AND s.phone = l.phone`.execute(ctx.db);
  return Number(r.numAffectedRows ?? 0);
}
