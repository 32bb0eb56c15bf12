/** Shapes of the management API's resources (see Engage's OpenAPI document at /api/openapi.json). */
import type { Disposition, Endpoints, Lead } from './events.ts';

export type CampaignStatus = 'DRAFT' | 'PENDING_APPROVAL' | 'READY' | 'ACTIVE' | 'PAUSED' | 'COMPLETED';
export type SendingStatus = 'IDLE' | 'SENDING' | 'OUTSIDE_SCHEDULE' | 'THROTTLED' | 'LIMIT_REACHED' | 'COMPLETE';
export type SenderSourceType = 'TEN_DLC' | 'TOLL_FREE' | 'SHORT_CODE' | 'CORE_CAMPAIGN';
export type Weekday = 'monday' | 'tuesday' | 'wednesday' | 'thursday' | 'friday' | 'saturday' | 'sunday';

/** Minutes after midnight in the lead's local time, `end` exclusive (0–1440). */
export interface TimeRange { start: number; end: number }
export type Schedule = Partial<Record<Weekday, TimeRange[]>> & { exceptions?: { date: string; ranges?: TimeRange[] }[] };

export interface CampaignMessages {
  /** The broadcast; `{{Column}}` tokens are lead columns. */
  outgoingMessage: string;
  /** Automatic answer to a lead's first reply; empty = off. */
  responseMessage: string;
  helpMessage: string;
  stopMessage: string;
  startMessage: string;
}

/** Per event, the URL that receives it (null = not sent). `incomingMessage` receives NewMessage. */
export interface CampaignWebhooks {
  deliveryResult: string | null;
  conversationStarted: string | null;
  incomingMessage: string | null;
  disposition: string | null;
  optOut: string | null;
  optIn: string | null;
}

export interface CampaignResource {
  id: string;
  orgId: number;
  workspaceId: number;
  name: string;
  created: string;
  updated: string;
  campaignStatus: CampaignStatus;
  sendingStatus: SendingStatus;
  sendingStatusDescription: string;
  nextRunTime: string | null;
  senderSourceType: SenderSourceType | null;
  senderSourceId: string | null;
  carrierDailyLimits: { carrier: string; limit: number }[];
  schedule: Schedule;
  messages: CampaignMessages;
  webhooks: CampaignWebhooks;
  notifications: Record<string, unknown>;
  customFields: { name: string; type?: string }[];
  dispositions: Disposition[];
  events: { type: string; fromStatus: string | null; toStatus: string | null; detail: string | null; created: string }[];
}

export interface CampaignInput {
  name: string;
  senderSourceId?: string;
  carrierDailyLimits?: { carrier: string; limit: number }[];
  schedule?: Schedule;
  messages?: Partial<CampaignMessages>;
  webhooks?: Partial<CampaignWebhooks>;
  notifications?: Record<string, unknown>;
  customFields?: { name: string; type?: string }[];
  dispositions?: { id?: string; disposition: string; success?: boolean; doNotContact?: boolean }[];
}

export interface LeadField { name: string; value: string | number | boolean | null; type?: string }

export interface LeadLoadRequest {
  campaignId: string;
  /** The list to add the lead to; reused or created. Default "API Leads". */
  listName?: string;
  /** Reject a phone already in the campaign. Default false. */
  deDupe?: boolean;
  fields: LeadField[];
}

export type LeadRejectionReason = 'DUPLICATE' | 'INVALID_PHONE' | 'OPTED_OUT' | 'DNC' | 'CAMPAIGN_INACTIVE' | (string & {});
export interface LeadLoadResult {
  status: 'Accepted' | 'Rejected';
  reason: LeadRejectionReason | null;
  message: string;
  leadId: string | null;
  listId: string | null;
}

export interface ListProcessRequest {
  /** Reject phones already in the campaign or earlier in the file. Default true. */
  deDupe?: boolean;
  /** The first row is a header row. Default false. */
  firstRowHeaders?: boolean;
  /** Receives the completion summary. */
  webhookUrl?: string | null;
  /** Default: the file's name. */
  listName?: string;
  /** Required: CSV column (0-based) → lead column name; `Phone` marks the phone column. Unmapped columns are ignored. */
  mappedCols: { columnIndex: number; columnId: string }[];
}

export type ListLoadStatus = 'PROCESSING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';
export interface ListLoadAccepted { listId: string; jobId: string; status: ListLoadStatus }
export interface ListLoadJob {
  jobId: string;
  listId: string;
  campaignId: string;
  fileName: string | null;
  status: ListLoadStatus;
  message: string | null;
  total: number | null;
  processed: number;
  /** 0..1 */
  progress: number;
  accepted: number;
  rejected: number;
  reasons: Record<string, number>;
  rejections: { row: number; reason: string; value: string | null }[];
  rejectionsOmitted: number;
  created: string;
  started: string | null;
  finished: string | null;
}

export interface LeadList {
  id: string;
  campaignId: string;
  name: string;
  listStatus: string;
  created: string;
  /** Number of leads (list endpoints). */
  leads?: number;
  /** Leads not sent yet (a campaign's lists). */
  pending?: number;
}

export interface SenderSource {
  id: string;
  name: string;
  senderSourceType: SenderSourceType;
  provider: string;
  mps: number;
  numbers: string[];
  created: string;
}

export interface Page<T> { items: T[]; nextCursor: string | null }
export type { Lead, Endpoints };
