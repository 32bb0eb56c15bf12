import type { Selectable } from 'kysely';
import { iso } from '../core/time.ts';
import type { LeadsTable } from '../db/schema.ts';

export type LeadRow = Selectable<LeadsTable>;

/**
 * A lead in the contract's shape: every property of the seed's "Lead Object Properties", in that
 * order, unknown values null (never omitted). Our internal statuses before the provider accepted
 * the message (PENDING, SENDING) are shown as they are.
 */
export function leadView(l: LeadRow, orgId: number) {
  return {
    id: l.id,
    orgId,
    workspaceId: l.workspace_id,
    messagingCampaignId: l.campaign_id,
    messagingListId: l.list_id,
    status: l.status,
    statusMessage: l.status_message,
    carrier: l.carrier,
    normalizedCarrier: l.normalized_carrier,
    phone: l.phone,
    fromNumber: l.from_number,
    timeZone: l.time_zone,
    zip: l.zip,
    state: l.state,
    lat: l.lat,
    lon: l.lon,
    leadData: l.lead_data,
    created: iso(l.created),
    sent: iso(l.sent),
    result: iso(l.result),
    retryAfter: iso(l.retry_after),
    conversationStarted: l.conversation_started,
    disposition: l.disposition,
    dispositionTimestamp: iso(l.disposition_timestamp),
  };
}
export type LeadView = ReturnType<typeof leadView>;
