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
  /** Still signs (beside the new one) until `previous_webhook_secret_expires` (005). */
  previous_webhook_secret: ColumnType<string | null, string | null | undefined, string | null>;
  previous_webhook_secret_expires: NullableTimestamp;
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
  /** Segments per second for the whole source; null = no limit. */
  mps: ColumnType<number | null, number | null | undefined, number | null>;
  /** Segments per second for each number; null = no limit. */
  number_mps: ColumnType<number | null, number | null | undefined, number | null>;
  area_code_match: ColumnType<boolean, boolean | undefined, boolean>;
  created: Timestamp;
  updated: Timestamp;
}

export interface SendRateBucketsTable { key: string; tokens: number; at: Date }

export interface CampaignCarrierCountsTable { campaign_id: string; carrier: string; day: ColumnType<string, string, string>; sent: number }

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
  /** Ordered `when → then` rules (006, automations/schema.ts). */
  automations: ColumnType<unknown[], string | undefined, string>;
  /** Follow-up drip steps (006). */
  follow_ups: ColumnType<unknown[], string | undefined, string>;
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
  /** Broadcast attempts so far (retryable failures put the lead back to PENDING). */
  attempts: ColumnType<number, number | undefined, number>;
  /** Twilio Lookup's line type (`mobile`, `landline`, `nonFixedVoip`…); null when not looked up (migration 009). */
  line_type: ColumnType<string | null, string | null | undefined, string | null>;
  /** null (no lookup needed or asked yet), PENDING, DONE or FAILED (migration 009). */
  lookup_status: ColumnType<'PENDING' | 'DONE' | 'FAILED' | null, 'PENDING' | 'DONE' | 'FAILED' | null | undefined, 'PENDING' | 'DONE' | 'FAILED' | null>;
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
  attempts: ColumnType<number, number | undefined, number>;
}

export interface SuppressionsTable {
  workspace_id: number;
  phone: string;
  kind: 'OPT_OUT' | 'DNC';
  source: string;
  message_id: string | null;
  created: Timestamp;
  /** The consent record that made this suppression (005); suppressions derive from the ledger. */
  record_id: ColumnType<number | null, number | null | undefined, number | null>;
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
  /** LIVE (its conversation's stream) or REPLAY (the rate-limited replay lane) (005). */
  lane: ColumnType<'LIVE' | 'REPLAY', 'LIVE' | 'REPLAY' | undefined, 'LIVE' | 'REPLAY'>;
  workspace_id: ColumnType<number | null, number | null | undefined, number | null>;
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
  settings: Json<Record<string, string | boolean | null>>;
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
  /** 010: the loading worker's lease, renewed while it runs (leads/import/lease.ts); null = nobody holds it. */
  heartbeat: NullableTimestamp;
  /** 010: claims of this import by a worker (each loads the file from the start). */
  attempts: ColumnType<number, number | undefined, number>;
}

/** A console user (007). `role`: owner > admin > agent. */
export interface UsersTable {
  id: Generated<number>;
  workspace_id: number;
  email: string;
  name: string;
  role: 'owner' | 'admin' | 'agent';
  password_hash: string;
  created: Timestamp;
  updated: Timestamp;
  disabled_at: NullableTimestamp;
}

/** A console login; only the SHA-256 of the cookie's token is stored (007). */
export interface SessionsTable {
  token_hash: Buffer;
  user_id: number;
  created: Timestamp;
  last_seen: Timestamp;
  expires_at: Timestamp;
}

/** The agent answering a conversation (007). */
export interface ConversationAssignmentsTable {
  lead_id: string;
  user_id: number;
  assigned_by: number | null;
  assigned_at: Timestamp;
}

/** An Idempotency-Key and the response it replays (005). */
export interface IdempotencyKeysTable {
  scope: string;
  key: string;
  fingerprint: Buffer;
  state: ColumnType<'IN_PROGRESS' | 'COMPLETED', 'IN_PROGRESS' | 'COMPLETED' | undefined, 'IN_PROGRESS' | 'COMPLETED'>;
  response_status: number | null;
  response_body: string | null;
  created: Timestamp;
  completed: NullableTimestamp;
}

/** One webhook delivery attempt (005). */
export interface WebhookAttemptsTable {
  id: Generated<string>;
  delivery_id: string;
  attempted_at: Timestamp;
  request_headers: Json<Record<string, string>>;
  response_status: number | null;
  response_body_excerpt: string | null;
  duration_ms: number;
  error: string | null;
}

/** Health of one receiver URL of one campaign (005). */
export interface WebhookEndpointsTable {
  campaign_id: string;
  url: string;
  workspace_id: number;
  first_failure_at: NullableTimestamp;
  consecutive_failures: ColumnType<number, number | undefined, number>;
  last_success_at: NullableTimestamp;
  attempt_lease_until: NullableTimestamp;
  disabled_at: NullableTimestamp;
  disabled_reason: string | null;
}

/** The consent ledger: one append-only record per suppression change (005). */
export interface ConsentRecordsTable {
  id: Generated<number>;
  workspace_id: number;
  phone: string;
  kind: 'OPT_OUT' | 'DNC';
  action: 'ADD' | 'REMOVE';
  source: string;
  detail: string | null;
  message_id: string | null;
  created: Timestamp;
}

/** What automations set on a lead (006): tags, and a hand-off to agents. */
export interface LeadAutomationStatesTable {
  lead_id: string;
  tags: ColumnType<string[], string[] | undefined, string[]>;
  handed_off_at: NullableTimestamp;
  needs_reply: ColumnType<boolean, boolean | undefined, boolean>;
  updated: Timestamp;
}

/** One rule or follow-up step acting once on one lead for one cause (006). */
export interface AutomationFiringsTable {
  lead_id: string;
  rule_id: string;
  cause: string;
  message_id: string | null;
  actions: ColumnType<unknown[], string | undefined, string>;
  fired_at: Timestamp;
  send_at: NullableTimestamp;
}

/** Media of an inbound MMS: URL and content type only, never downloaded (migration 009). */
export interface MessageMediaTable {
  message_id: string;
  position: number;
  url: string;
  content_type: string | null;
}

export interface Database {
  organizations: OrganizationsTable;
  workspaces: WorkspacesTable;
  api_keys: ApiKeysTable;
  sender_sources: SenderSourcesTable;
  sender_numbers: SenderNumbersTable;
  send_rate_buckets: SendRateBucketsTable;
  campaign_carrier_counts: CampaignCarrierCountsTable;
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
  idempotency_keys: IdempotencyKeysTable;
  webhook_attempts: WebhookAttemptsTable;
  webhook_endpoints: WebhookEndpointsTable;
  consent_records: ConsentRecordsTable;
  users: UsersTable;
  sessions: SessionsTable;
  conversation_assignments: ConversationAssignmentsTable;
  lead_automation_states: LeadAutomationStatesTable;
  automation_firings: AutomationFiringsTable;
  message_media: MessageMediaTable;
}
