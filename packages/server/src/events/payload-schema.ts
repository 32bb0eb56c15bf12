/**
 * The webhook payload (SPEC §1.1) as TypeBox schemas: documented in the OpenAPI document's
 * `webhooks` section and the conversation endpoints' responses, and used by the SDK's tests to
 * validate payloads captured from a running server. `payload.ts` builds the payload; the SDK's
 * type test checks `Static<>` of these schemas, payload.ts's types and the SDK's types agree.
 */
import { Type, type Static } from 'typebox';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Timestamp = Type.String({ description: 'ISO-8601 UTC with milliseconds', examples: ['2025-03-04T11:33:52.948Z'] });
const HexId = Type.String({ pattern: '^[0-9a-f]{24}$', description: '24-character lowercase hex id' });

// Spelled out (not mapped from EVENT_TYPES) so `Static<>` keeps the literal union the SDK test compares.
export const EventTypeSchema = Type.Union(
  [
    Type.Literal('ConversationStarted'), Type.Literal('NewMessage'), Type.Literal('Disposition'),
    Type.Literal('OptOut'), Type.Literal('OptIn'), Type.Literal('DeliveryResult'),
  ],
  { description: 'The event that happened.' },
);

export const ContractMessageSchema = Type.Object({
  id: HexId,
  sender: Type.String({ description: 'E.164 number that sent the message' }),
  direction: Type.Union([Type.Literal('OUTBOUND'), Type.Literal('INBOUND')]),
  timestamp: Timestamp,
  message: Type.String(),
});

export const ContractDispositionSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  disposition: Type.String(),
  success: Type.Boolean(),
  doNotContact: Type.Boolean(),
});

export const ContractLeadSchema = Type.Object({
  id: HexId,
  orgId: Type.Integer(),
  workspaceId: Type.Integer(),
  messagingCampaignId: HexId,
  messagingListId: HexId,
  status: Type.String({ description: 'PENDING, SENDING, QUEUED, SENT, DELIVERED, UNDELIVERED or FAILED' }),
  statusMessage: Nullable(Type.String()),
  carrier: Nullable(Type.String()),
  normalizedCarrier: Nullable(Type.String()),
  phone: Type.String({ description: 'E.164' }),
  fromNumber: Nullable(Type.String()),
  timeZone: Nullable(Type.String()),
  zip: Nullable(Type.String()),
  state: Nullable(Type.String()),
  lat: Nullable(Type.Number()),
  lon: Nullable(Type.Number()),
  leadData: Type.Record(Type.String(), Type.Unknown(), { description: 'Every column the lead was loaded with, under its original name' }),
  created: Timestamp,
  sent: Nullable(Timestamp),
  result: Nullable(Timestamp),
  retryAfter: Nullable(Timestamp),
  conversationStarted: Type.Boolean(),
  disposition: Nullable(Type.String()),
  dispositionTimestamp: Nullable(Timestamp),
});

export const ConversationDataSchema = Type.Object({
  campaign: Type.Object({ id: HexId, name: Type.String(), senderSourceType: Nullable(Type.String()) }),
  lead: ContractLeadSchema,
  messages: Type.Array(ContractMessageSchema, { description: 'ConversationStarted and GET: the whole history; NewMessage: only the newest inbound message' }),
  dispositions: Type.Array(ContractDispositionSchema),
});

const KeyedUrl = Type.String({ description: 'Absolute URL carrying the conversation key as `?key=`' });
export const EndpointsSchema = Type.Object({
  embeddableWidget: KeyedUrl,
  conversationEndpoint: KeyedUrl,
  sendMessageEndpoint: KeyedUrl,
  dispositionEndpoint: KeyedUrl,
});

/** Exactly three keys, as the contract's sample. */
export const WebhookPayloadSchema = Type.Object(
  { eventType: EventTypeSchema, data: ConversationDataSchema, endpoints: EndpointsSchema },
  { additionalProperties: false },
);
export type WebhookPayload = Static<typeof WebhookPayloadSchema>;

/** GET /conversation and POST /conversation/disposition. */
export const ConversationSchema = Type.Object({ data: ConversationDataSchema, endpoints: EndpointsSchema }, { additionalProperties: false });

/** POST /conversation/send. */
export const SentMessageSchema = Type.Object({ ...ContractMessageSchema.properties, status: Type.String() });
