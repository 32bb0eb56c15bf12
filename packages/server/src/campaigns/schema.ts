/**
 * The Campaign resource, with the commercial product's field names (SPEC §1.4).
 * TypeBox schemas validate input and describe output for OpenAPI.
 */
import { Type, type Static } from 'typebox';
import { AutomationsSchema, FollowUpsSchema } from '../automations/schema.ts';

export const CampaignStatusSchema = Type.Union(
  ['DRAFT', 'PENDING_APPROVAL', 'READY', 'ACTIVE', 'PAUSED', 'COMPLETED'].map((s) => Type.Literal(s)),
);
export type CampaignStatus = 'DRAFT' | 'PENDING_APPROVAL' | 'READY' | 'ACTIVE' | 'PAUSED' | 'COMPLETED';

export const SendingStatusSchema = Type.Union(
  ['IDLE', 'SENDING', 'OUTSIDE_SCHEDULE', 'THROTTLED', 'LIMIT_REACHED', 'COMPLETE'].map((s) => Type.Literal(s)),
);
export type SendingStatus = 'IDLE' | 'SENDING' | 'OUTSIDE_SCHEDULE' | 'THROTTLED' | 'LIMIT_REACHED' | 'COMPLETE';

export const SenderSourceTypeSchema = Type.Union(
  ['TEN_DLC', 'TOLL_FREE', 'SHORT_CODE', 'CORE_CAMPAIGN'].map((s) => Type.Literal(s)),
);

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const MessagesSchema = Type.Object(
  {
    outgoingMessage: Type.Optional(Type.String({ maxLength: 1600 })),
    responseMessage: Type.Optional(Type.String({ maxLength: 1600 })),
    helpMessage: Type.Optional(Type.String({ maxLength: 1600 })),
    stopMessage: Type.Optional(Type.String({ maxLength: 1600 })),
    startMessage: Type.Optional(Type.String({ maxLength: 1600 })),
  },
  { additionalProperties: false },
);
export interface CampaignMessages {
  outgoingMessage: string;
  responseMessage: string;
  helpMessage: string;
  stopMessage: string;
  startMessage: string;
}

const Url = Nullable(Type.String({ maxLength: 2048 }));
export const WebhooksSchema = Type.Object(
  {
    deliveryResult: Type.Optional(Url),
    conversationStarted: Type.Optional(Url),
    incomingMessage: Type.Optional(Url),
    disposition: Type.Optional(Url),
    optOut: Type.Optional(Url),
    optIn: Type.Optional(Url),
  },
  { additionalProperties: false },
);
export type WebhookKey = 'deliveryResult' | 'conversationStarted' | 'incomingMessage' | 'disposition' | 'optOut' | 'optIn';
export type CampaignWebhooks = Record<WebhookKey, string | null>;
export const WEBHOOK_KEYS: readonly WebhookKey[] = ['deliveryResult', 'conversationStarted', 'incomingMessage', 'disposition', 'optOut', 'optIn'];

const EmailList = Type.Array(Type.String({ maxLength: 320 }), { maxItems: 50 });
export const ConversationEmailSchema = Type.Object(
  {
    to: Type.Optional(EmailList),
    cc: Type.Optional(EmailList),
    bcc: Type.Optional(EmailList),
    from: Type.Optional(Nullable(Type.String({ maxLength: 320 }))),
    replyTo: Type.Optional(Nullable(Type.String({ maxLength: 320 }))),
    subject: Type.Optional(Type.String({ maxLength: 998 })),
    htmlBody: Type.Optional(Type.String({ maxLength: 100_000 })),
    textBody: Type.Optional(Type.String({ maxLength: 100_000 })),
  },
  { additionalProperties: false },
);
export const NotificationsSchema = Type.Object(
  {
    sendConversationEmail: Type.Optional(Type.Boolean()),
    conversationEmail: Type.Optional(ConversationEmailSchema),
  },
  { additionalProperties: false },
);
export interface CampaignNotifications {
  sendConversationEmail: boolean;
  conversationEmail: {
    to: string[]; cc: string[]; bcc: string[]; from: string | null; replyTo: string | null;
    subject: string; htmlBody: string; textBody: string;
  };
}

export const DispositionInputSchema = Type.Object(
  {
    id: Type.Optional(Type.String({ format: 'uuid' })),
    disposition: Type.String({ minLength: 1, maxLength: 100 }),
    success: Type.Optional(Type.Boolean()),
    doNotContact: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export interface Disposition { id: string; disposition: string; success: boolean; doNotContact: boolean }

export const CarrierDailyLimitSchema = Type.Object(
  { carrier: Type.String({ minLength: 1, maxLength: 100 }), limit: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);
export const CustomFieldSchema = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 100 }), type: Type.Optional(Type.String({ maxLength: 30 })) },
  { additionalProperties: false },
);

const RangeSchema = Type.Object({ start: Type.Integer(), end: Type.Integer() }, { additionalProperties: false });
// The shape only; ranges and dates are checked by core/schedule's validateSchedule.
export const ScheduleInputSchema = Type.Object(
  {
    monday: Type.Optional(Type.Array(RangeSchema)),
    tuesday: Type.Optional(Type.Array(RangeSchema)),
    wednesday: Type.Optional(Type.Array(RangeSchema)),
    thursday: Type.Optional(Type.Array(RangeSchema)),
    friday: Type.Optional(Type.Array(RangeSchema)),
    saturday: Type.Optional(Type.Array(RangeSchema)),
    sunday: Type.Optional(Type.Array(RangeSchema)),
    exceptions: Type.Optional(
      Type.Array(Type.Object({ date: Type.String(), ranges: Type.Optional(Type.Array(RangeSchema)) }, { additionalProperties: false })),
    ),
  },
  { additionalProperties: false },
);

const editable = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  senderSourceId: Type.String({ format: 'uuid' }),
  carrierDailyLimits: Type.Array(CarrierDailyLimitSchema, { maxItems: 100 }),
  schedule: ScheduleInputSchema,
  messages: MessagesSchema,
  webhooks: WebhooksSchema,
  notifications: NotificationsSchema,
  customFields: Type.Array(CustomFieldSchema, { maxItems: 500 }),
  dispositions: Type.Array(DispositionInputSchema, { maxItems: 100 }),
  automations: AutomationsSchema,
  followUps: FollowUpsSchema,
};

export const CampaignCreateSchema = Type.Object(
  {
    name: editable.name,
    senderSourceId: Type.Optional(editable.senderSourceId),
    carrierDailyLimits: Type.Optional(editable.carrierDailyLimits),
    schedule: Type.Optional(editable.schedule),
    messages: Type.Optional(editable.messages),
    webhooks: Type.Optional(editable.webhooks),
    notifications: Type.Optional(editable.notifications),
    customFields: Type.Optional(editable.customFields),
    dispositions: Type.Optional(editable.dispositions),
    automations: Type.Optional(editable.automations),
    followUps: Type.Optional(editable.followUps),
  },
  { additionalProperties: false },
);
export type CampaignCreate = Static<typeof CampaignCreateSchema>;

export const CampaignPatchSchema = Type.Partial(CampaignCreateSchema, { additionalProperties: false });
export type CampaignPatch = Static<typeof CampaignPatchSchema>;

/** The output shape, for documentation; responses are built by `campaignView`. */
export const CampaignSchema = Type.Object({
  id: Type.String(),
  orgId: Type.Integer(),
  workspaceId: Type.Integer(),
  name: Type.String(),
  created: Type.String(),
  updated: Type.String(),
  campaignStatus: CampaignStatusSchema,
  sendingStatus: SendingStatusSchema,
  sendingStatusDescription: Type.String(),
  nextRunTime: Nullable(Type.String()),
  senderSourceType: Nullable(SenderSourceTypeSchema),
  senderSourceId: Nullable(Type.String()),
  carrierDailyLimits: Type.Array(CarrierDailyLimitSchema),
  schedule: Type.Unknown(),
  messages: Type.Unknown(),
  webhooks: Type.Unknown(),
  notifications: Type.Unknown(),
  customFields: Type.Array(Type.Unknown()),
  dispositions: Type.Array(Type.Unknown()),
  automations: Type.Array(Type.Unknown()),
  followUps: Type.Array(Type.Unknown()),
  events: Type.Array(Type.Unknown()),
});

export const CampaignIdParamsSchema = Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{24}$' }) });
