import type { DbOrTrx } from '../db/pool.ts';
import { iso } from '../core/time.ts';
import type { CampaignRow } from './service.ts';

/** The Campaign resource as the API returns it (SPEC §1.4 field names). */
export async function campaignViews(db: DbOrTrx, rows: CampaignRow[]): Promise<Record<string, unknown>[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const [events, sources, workspaces] = await Promise.all([
    db.selectFrom('campaign_events').selectAll().where('campaign_id', 'in', ids).orderBy('id').execute(),
    db.selectFrom('sender_sources').select(['id', 'sender_source_type']).where('id', 'in', rows.map((r) => r.sender_source_id ?? '00000000-0000-0000-0000-000000000000')).execute(),
    db.selectFrom('workspaces').select(['id', 'org_id']).where('id', 'in', [...new Set(rows.map((r) => r.workspace_id))]).execute(),
  ]);
  return rows.map((r) => ({
    id: r.id,
    orgId: workspaces.find((w) => w.id === r.workspace_id)?.org_id ?? null,
    workspaceId: r.workspace_id,
    name: r.name,
    created: iso(r.created),
    updated: iso(r.updated),
    campaignStatus: r.campaign_status,
    sendingStatus: r.sending_status,
    sendingStatusDescription: r.sending_status_description,
    nextRunTime: iso(r.next_run_time),
    senderSourceType: sources.find((s) => s.id === r.sender_source_id)?.sender_source_type ?? null,
    senderSourceId: r.sender_source_id,
    carrierDailyLimits: r.carrier_daily_limits,
    schedule: r.schedule,
    messages: r.messages,
    webhooks: r.webhooks,
    notifications: r.notifications,
    customFields: r.custom_fields,
    dispositions: r.dispositions,
    automations: r.automations,
    followUps: r.follow_ups,
    events: events
      .filter((e) => e.campaign_id === r.id)
      .map((e) => ({ type: e.type, fromStatus: e.from_status, toStatus: e.to_status, detail: e.detail, timestamp: iso(e.created) })),
  }));
}

export async function campaignView(db: DbOrTrx, row: CampaignRow): Promise<Record<string, unknown>> {
  const [view] = await campaignViews(db, [row]);
  return view!;
}
