/**
 * The webhook payload of Engage (the Engage Messaging compatibility contract, SPEC §1.1).
 *
 * Every webhook is `{ eventType, data, endpoints }`. These types are checked against the server's
 * own payload types at compile time (test/types-match.test.ts) and against real payloads captured
 * from a running server (test/captured-payloads.test.ts), so they cannot drift.
 *
 * Glossary: a *campaign* texts its *leads* a broadcast; a lead who replies starts a
 * *conversation*, reached through the `endpoints` (each carries the conversation's key); an agent
 * closes it with a *disposition*, one of the campaign's `dispositions`.
 */

/** Every `eventType` Engage sends. */
export type EventType = 'ConversationStarted' | 'NewMessage' | 'Disposition' | 'OptOut' | 'OptIn' | 'DeliveryResult';
export const EVENT_TYPES: readonly EventType[] = ['ConversationStarted', 'NewMessage', 'Disposition', 'OptOut', 'OptIn', 'DeliveryResult'];

/** One SMS of the conversation. `sender` is the E.164 number that sent it. */
export interface Message {
  /** 24-character lowercase hex id. */
  id: string;
  sender: string;
  /** OUTBOUND = Engage texted the lead; INBOUND = the lead texted Engage. */
  direction: 'OUTBOUND' | 'INBOUND';
  /** ISO-8601 UTC with milliseconds. */
  timestamp: string;
  message: string;
}

/** One of the campaign's disposition choices. */
export interface Disposition {
  /** UUID. */
  id: string;
  /** The name an agent picks, and the value to POST to `dispositionEndpoint`. */
  disposition: string;
  success: boolean;
  /** Picking it also suppresses the phone for the whole workspace. */
  doNotContact: boolean;
}

export interface Campaign {
  id: string;
  name: string;
  /** `TEN_DLC`, `TOLL_FREE`, `SHORT_CODE` or `CORE_CAMPAIGN`; null without a sender source. */
  senderSourceType: string | null;
}

/** The lead, with every property of the contract in its order; unknown values are null. */
export interface Lead {
  id: string;
  orgId: number;
  workspaceId: number;
  messagingCampaignId: string;
  messagingListId: string;
  /** PENDING, SENDING, QUEUED, SENT, DELIVERED, UNDELIVERED, FAILED… */
  status: string;
  statusMessage: string | null;
  carrier: string | null;
  normalizedCarrier: string | null;
  /** E.164. */
  phone: string;
  /** Our number that texts this lead (sticky). */
  fromNumber: string | null;
  timeZone: string | null;
  zip: string | null;
  state: string | null;
  lat: number | null;
  lon: number | null;
  /** Every column the lead was loaded with, under its original column name. */
  leadData: Record<string, unknown>;
  created: string | null;
  sent: string | null;
  result: string | null;
  retryAfter: string | null;
  conversationStarted: boolean;
  disposition: string | null;
  dispositionTimestamp: string | null;
}

export interface ConversationData {
  campaign: Campaign;
  lead: Lead;
  /** ConversationStarted and GET conversation: the whole history; NewMessage: only the newest inbound one. */
  messages: Message[];
  dispositions: Disposition[];
}

/** Absolute URLs of one conversation, each carrying its key as `?key=`. */
export interface Endpoints {
  embeddableWidget: string;
  conversationEndpoint: string;
  sendMessageEndpoint: string;
  dispositionEndpoint: string;
}

/** A webhook of one event type. */
export interface WebhookEventOf<T extends EventType> {
  eventType: T;
  data: ConversationData;
  endpoints: Endpoints;
}

/** Any webhook; narrow it with `switch (event.eventType)`. */
export type WebhookEvent = { [T in EventType]: WebhookEventOf<T> }[EventType];

export type ConversationStartedEvent = WebhookEventOf<'ConversationStarted'>;
export type NewMessageEvent = WebhookEventOf<'NewMessage'>;
export type DispositionEvent = WebhookEventOf<'Disposition'>;
export type OptOutEvent = WebhookEventOf<'OptOut'>;
export type OptInEvent = WebhookEventOf<'OptIn'>;
export type DeliveryResultEvent = WebhookEventOf<'DeliveryResult'>;

/** What `GET conversationEndpoint` answers: the same `data` and `endpoints` as a webhook. */
export interface Conversation {
  data: ConversationData;
  endpoints: Endpoints;
}

/** The message `sendMessageEndpoint` stored and handed to the carrier; `status` is its delivery status so far. */
export interface SentMessage extends Message {
  status: string;
}

/** A loose structural check of a parsed webhook body (the signature already proved its origin). */
export function isWebhookEvent(value: unknown): value is WebhookEvent {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const data = v.data as Record<string, unknown> | null | undefined;
  return (
    typeof v.eventType === 'string' &&
    (EVENT_TYPES as readonly string[]).includes(v.eventType) &&
    typeof data === 'object' && data !== null &&
    typeof data.lead === 'object' && data.lead !== null &&
    Array.isArray(data.messages) &&
    typeof v.endpoints === 'object' && v.endpoints !== null
  );
}
