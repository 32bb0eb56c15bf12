/**
 * Row types of Engage's tables (see migrations/). Nullable columns are `T | null`, never optional.
 *
 * Glossary:
 * - organization: the customer account; owns workspaces (integer `orgId`).
 * - workspace: a team's space (integer `workspaceId`): API keys, sender sources, campaigns, suppressions.
 * - sender source: where texts come from (a provider + a pool of numbers), typed TEN_DLC/TOLL_FREE/….
 * - campaign: a broadcast message and its conversation rules, sent to the leads of its lists.
 * - list: a named batch of leads loaded into one campaign.
 * - lead: one phone in one campaign, with the columns it was loaded with (`leadData`).
 * - conversation: the exchange with one lead once it replied; reached with a conversation key.
 * - disposition: the final outcome an agent records on a conversation.
 * - suppression: a phone the workspace must not text (opted out, or do-not-contact).
 * - event: something an integrator is told about by webhook (the outbox row).
 * - list import: one uploaded CSV file being loaded into a list (its id is the import's job id).
 */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string, string>;

export interface OrganizationsTable { id: Generated<number>; name: string; created: Timestamp }

export interface WorkspacesTable {
  id: Generated<number>;
  org_id: number;
  name: string;
  quiet_hours_policy: ColumnType<string, string | undefined, string>;
  timezone: ColumnType<string, string | undefined, string>;
  webhook_secret: string;
  created: Timestamp;
  updated: Timestamp;
}

export interface ApiKeysTable {
  id: Generated<string>;
  workspace_id: number;
  name: string;
  key_hash: Buffer;
  key_hint: string;
  created: Timestamp;
  revoked_at: NullableTimestamp;
}

export interface SenderSourcesTable {
  id: string;
  workspace_id: number;
  name: string;
  sender_source_type: string;
  provider: string;
  mps: ColumnType<number, number | undefined, number>;
  created: Timestamp;
}

export interface SenderNumbersTable { phone: string; sender_source_id: string; workspace_id: number; created: Timestamp }

export interface CampaignsTable {
  id: string;
  workspace_id: number;
  name: string;
  campaign_status: ColumnType<string, string | undefined, string>;
  sending_status: ColumnType<string, string | undefined, string>;
  sending_status_description: ColumnType<string, string | undefined, string>;
  next_run_time: NullableTimestamp;
  sender_source_id: string | null;
  carrier_daily_limits: Json<unknown[]>;
  schedule: Json<unknown>;
  messages: Json<unknown>;
  webhooks: Json<unknown>;
  notifications: Json<unknown>;
  custom_fields: Json<unknown[]>;
  dispositions: Json<unknown[]>;
  created: Timestamp;
  updated: Timestamp;
}

export interface CampaignEventsTable {
  id: Generated<string>;
  campaign_id: string;
  type: string;
  from_status: string | null;
  to_status: string | null;
  detail: string | null;
  created: Timestamp;
}

export interface ListsTable {
  id: string;
  workspace_id: number;
  campaign_id: string;
  name: string;
  list_status: ColumnType<string, string | undefined, string>;
  created: Timestamp;
}

export interface LeadsTable {
  id: string;
  workspace_id: number;
  campaign_id: string;
  list_id: string;
  phone: string;
  status: ColumnType<string, string | undefined, string>;
  status_message: string | null;
  carrier: string | null;
  normalized_carrier: string | null;
  from_number: string | null;
  time_zone: string | null;
  zip: string | null;
  state: string | null;
  lat: number | null;
  lon: number | null;
  lead_data: Json<Record<string, unknown>>;
  created: Timestamp;
  sent: NullableTimestamp;
  result: NullableTimestamp;
  retry_after: NullableTimestamp;
  conversation_started: ColumnType<boolean, boolean | undefined, boolean>;
  disposition: string | null;
  disposition_timestamp: NullableTimestamp;
  claimed_at: NullableTimestamp;
  broadcast_message_id: string | null;
  conversation_key_version: ColumnType<number, number | undefined, number>;
}

export interface MessagesTable {
  id: string;
  workspace_id: number | null;
  lead_id: string | null;
  direction: 'INBOUND' | 'OUTBOUND';
  kind: string;
  sender: string;
  recipient: string;
  body: string;
  status: string;
  status_message: string | null;
  provider: string | null;
  provider_message_id: string | null;
  created: Timestamp;
  updated: Timestamp;
}

export interface SuppressionsTable {
  workspace_id: number;
  phone: string;
  kind: 'OPT_OUT' | 'DNC';
  source: string;
  message_id: string | null;
  created: Timestamp;
}

export interface ConversationKeysTable {
  key_hash: Buffer;
  lead_id: string;
  version: number;
  created: Timestamp;
  revoked_at: NullableTimestamp;
}

export interface EventsTable {
  id: string;
  workspace_id: number;
  campaign_id: string | null;
  lead_id: string | null;
  event_type: string;
  payload: Json<unknown>;
  created: Timestamp;
}

export interface WebhookDeliveriesTable {
  id: Generated<string>;
  event_id: string;
  stream: string;
  url: string;
  status: ColumnType<string, string | undefined, string>;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: Timestamp;
  last_status: number | null;
  last_error: string | null;
  created: Timestamp;
  finished: NullableTimestamp;
}

export interface SimulatorMessagesTable {
  id: string;
  reference: string | null;
  sender: string;
  recipient: string;
  body: string;
  direction: 'INBOUND' | 'OUTBOUND';
  created: Timestamp;
}

/** A workspace's account at a real SMS provider; secrets only inside `secret_box` (003). */
export interface ProviderCredentialsTable {
  id: string;
  workspace_id: number;
  provider: 'twilio' | 'telnyx';
  name: string;
  settings: Json<Record<string, string | null>>;
  secret_box: Buffer;
  secret_hints: Json<Record<string, string>>;
  created: Timestamp;
  updated: Timestamp;
}

export interface ListImportsTable {
  id: string;
  workspace_id: number;
  campaign_id: string;
  list_id: string;
  file_name: string | null;
  file_bytes: number;
  options: Json<unknown>;
  webhook_url: string | null;
  status: ColumnType<'PROCESSING' | 'COMPLETED' | 'FAILED' | 'CANCELLED', 'PROCESSING' | undefined, 'PROCESSING' | 'COMPLETED' | 'FAILED' | 'CANCELLED'>;
  message: string | null;
  total: number | null;
  processed: ColumnType<number, number | undefined, number>;
  bytes_processed: ColumnType<number, number | undefined, number>;
  accepted: ColumnType<number, number | undefined, number>;
  rejected: ColumnType<number, number | undefined, number>;
  reasons: ColumnType<Record<string, number>, string | undefined, string>;
  rejections: ColumnType<{ row: number; reason: string; value: string | null }[], string | undefined, string>;
  rejections_omitted: ColumnType<number, number | undefined, number>;
  webhook_status: 'PENDING' | 'DELIVERED' | 'FAILED' | null;
  webhook_attempts: ColumnType<number, number | undefined, number>;
  webhook_last_error: string | null;
  created: Timestamp;
  started: NullableTimestamp;
  finished: NullableTimestamp;
}

export interface Database {
  organizations: OrganizationsTable;
  workspaces: WorkspacesTable;
  api_keys: ApiKeysTable;
  sender_sources: SenderSourcesTable;
  sender_numbers: SenderNumbersTable;
  campaigns: CampaignsTable;
  campaign_events: CampaignEventsTable;
  lists: ListsTable;
  leads: LeadsTable;
  messages: MessagesTable;
  suppressions: SuppressionsTable;
  conversation_keys: ConversationKeysTable;
  events: EventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  simulator_messages: SimulatorMessagesTable;
  provider_credentials: ProviderCredentialsTable;
  list_imports: ListImportsTable;
}
