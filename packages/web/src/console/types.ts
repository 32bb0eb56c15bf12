/** Shapes the console reads from the API (see the server's OpenAPI at /api/openapi.json). */

export type Role = 'owner' | 'admin' | 'agent';
export interface User { id: string; email: string; name: string; role: Role; created: string; disabled: boolean }
export interface Session { user: User; workspace: { id: number; name: string }; csrfToken: string }

export interface Range { start: number; end: number }
export type Day = 'monday' | 'tuesday' | 'wednesday' | 'thursday' | 'friday' | 'saturday' | 'sunday';
export const DAYS: Day[] = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
export type Schedule = Record<Day, Range[]> & { exceptions?: { date: string; ranges?: Range[] }[] };

export interface Disposition { id?: string; disposition: string; success: boolean; doNotContact: boolean }
export type MessageKey = 'outgoingMessage' | 'responseMessage' | 'helpMessage' | 'stopMessage' | 'startMessage';
export type WebhookKey = 'deliveryResult' | 'conversationStarted' | 'incomingMessage' | 'disposition' | 'optOut' | 'optIn';

export interface Campaign {
  id: string;
  name: string;
  created: string;
  updated: string;
  campaignStatus: 'DRAFT' | 'PENDING_APPROVAL' | 'READY' | 'ACTIVE' | 'PAUSED' | 'COMPLETED';
  sendingStatus: string;
  sendingStatusDescription: string;
  senderSourceId: string | null;
  senderSourceType: string | null;
  schedule: Schedule;
  messages: Record<MessageKey, string>;
  webhooks: Record<WebhookKey, string | null>;
  dispositions: Disposition[];
  customFields: { name: string; type?: string }[];
}

export interface CampaignCounts {
  campaignId: string; leads: number; pending: number; queued: number; sent: number; delivered: number;
  failed: number; suppressed: number; replies: number; optOuts: number; dispositioned: number;
}

export interface ListSummary { id: string; campaignId: string; name: string; listStatus: string; leads: number; pending?: number; created: string }

export interface ImportJob {
  jobId: string; listId: string; campaignId: string; fileName: string | null;
  status: 'PROCESSING' | 'COMPLETED' | 'FAILED' | 'CANCELLED'; message: string | null;
  total: number | null; processed: number; progress: number; accepted: number; rejected: number;
  reasons: Record<string, number>; rejections: { row: number; reason: string; value: string | null }[]; rejectionsOmitted: number;
}

export interface InboxConversation {
  leadId: string; campaignId: string; campaignName: string; phone: string; leadData: Record<string, unknown>;
  lastMessage: { direction: 'INBOUND' | 'OUTBOUND'; message: string; timestamp: string };
  needsReply: boolean; disposition: string | null; optedOut: boolean; assignee: { id: string; name: string } | null;
}

export interface SenderSource { id: string; name: string; senderSourceType: string; provider: string; mps: number; areaCodeMatch?: boolean; numbers: string[] }
