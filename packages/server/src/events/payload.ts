/**
 * The contract payload (SPEC §1.1): `{ eventType, data: { campaign, lead, messages, dispositions }, endpoints }`.
 * `data` is built here from the database; `endpoints` carry the conversation key (see conversations/keys).
 */
import type { DbOrTrx } from '../db/pool.ts';
import { iso } from '../core/time.ts';
import { leadView, type LeadRow, type LeadView } from '../leads/view.ts';

export type EventType = 'ConversationStarted' | 'NewMessage' | 'Disposition' | 'OptOut' | 'OptIn' | 'DeliveryResult';
export const EVENT_TYPES: readonly EventType[] = ['ConversationStarted', 'NewMessage', 'Disposition', 'OptOut', 'OptIn', 'DeliveryResult'];

export interface ContractMessage { id: string; sender: string; direction: 'OUTBOUND' | 'INBOUND'; timestamp: string; message: string }
export interface ContractDisposition { id: string; disposition: string; success: boolean; doNotContact: boolean }
export interface ConversationData {
  campaign: { id: string; name: string; senderSourceType: string | null };
  lead: LeadView;
  messages: ContractMessage[];
  dispositions: ContractDisposition[];
}
export interface Endpoints { embeddableWidget: string; conversationEndpoint: string; sendMessageEndpoint: string; dispositionEndpoint: string }

/**
 * The conversation of one lead as it is now. `onlyMessageId` keeps just that message
 * (NewMessage carries only the newest inbound message).
 */
export async function conversationData(db: DbOrTrx, lead: LeadRow, opts: { onlyMessageId?: string } = {}): Promise<ConversationData> {
  const campaign = await db
    .selectFrom('campaigns')
    .innerJoin('workspaces', 'workspaces.id', 'campaigns.workspace_id')
    .leftJoin('sender_sources', 'sender_sources.id', 'campaigns.sender_source_id')
    .select(['campaigns.id', 'campaigns.name', 'campaigns.dispositions', 'workspaces.org_id', 'sender_sources.sender_source_type'])
    .where('campaigns.id', '=', lead.campaign_id)
    .executeTakeFirstOrThrow();
  let q = db.selectFrom('messages').select(['id', 'sender', 'direction', 'created', 'body']).where('lead_id', '=', lead.id).orderBy('created').orderBy('id');
  if (opts.onlyMessageId) q = q.where('id', '=', opts.onlyMessageId);
  const messages = await q.execute();
  return {
    campaign: { id: campaign.id, name: campaign.name, senderSourceType: campaign.sender_source_type },
    lead: leadView(lead, campaign.org_id),
    messages: messages.map((m) => ({ id: m.id, sender: m.sender, direction: m.direction, timestamp: iso(m.created), message: m.body })),
    dispositions: (campaign.dispositions as ContractDisposition[]).map((d) => ({
      id: d.id, disposition: d.disposition, success: d.success, doNotContact: d.doNotContact,
    })),
  };
}

/** Absolute URLs for one conversation, each carrying its key. */
export function endpointsFor(publicUrl: string, key: string): Endpoints {
  const k = encodeURIComponent(key);
  return {
    embeddableWidget: `${publicUrl}/engage?key=${k}`,
    conversationEndpoint: `${publicUrl}/api/public/engage/conversation?key=${k}`,
    sendMessageEndpoint: `${publicUrl}/api/public/engage/conversation/send?key=${k}`,
    dispositionEndpoint: `${publicUrl}/api/public/engage/conversation/disposition?key=${k}`,
  };
}
