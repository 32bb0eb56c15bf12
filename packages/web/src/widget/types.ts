/** The conversation as the widget receives it (GET /conversation/state and the event stream). */

export interface ContractMessage { id: string; sender: string; direction: 'OUTBOUND' | 'INBOUND'; timestamp: string; message: string }
export interface ContractDisposition { id: string; disposition: string; success: boolean; doNotContact: boolean }

export interface ConversationData {
  campaign: { id: string; name: string; senderSourceType: string | null };
  lead: {
    id: string;
    phone: string;
    fromNumber: string | null;
    status: string;
    leadData: Record<string, unknown>;
    conversationStarted: boolean;
    disposition: string | null;
    dispositionTimestamp: string | null;
    [more: string]: unknown;
  };
  messages: ContractMessage[];
  dispositions: ContractDisposition[];
}

export interface WidgetState {
  data: ConversationData;
  delivery: Record<string, { status: string; statusMessage: string | null }>;
  suppression: { kind: 'OPT_OUT' | 'DNC'; since: string; source: string } | null;
  /** Per message id, the media of an inbound MMS (optional: older servers do not send it). */
  media?: Record<string, { url: string; contentType: string | null }[]>;
}
