/**
 * What the agent widget shows of one conversation: the contract's `data` (as the conversation
 * endpoint returns it) plus what an agent needs beyond the contract — each message's delivery
 * status and whether the phone may be texted at all.
 */
import { Type } from 'typebox';
import type { AppContext } from '../context.ts';
import { iso } from '../core/time.ts';
import { conversationData, type ConversationData } from '../events/payload.ts';
import type { LeadRow } from '../leads/view.ts';

export interface MessageDelivery { status: string; statusMessage: string | null }
export interface MessageMedia { url: string; contentType: string | null }
export interface WidgetSuppression { kind: 'OPT_OUT' | 'DNC'; since: string; source: string }
export interface WidgetState {
  data: ConversationData;
  /** Per message id: `QUEUED`, `SENT`, `DELIVERED`, `UNDELIVERED`, `FAILED`… (inbound: `RECEIVED`). */
  delivery: Record<string, MessageDelivery>;
  /** Why the lead must not be texted, or null. Opt-out wins over do-not-contact. */
  suppression: WidgetSuppression | null;
  /**
   * Per message id, the media of an inbound MMS (URL and content type, as the provider sent them;
   * Engage does not download them). Only messages with media appear. Beside `data` because the
   * contract's message has no media field.
   */
  media: Record<string, MessageMedia[]>;
}

/** OpenAPI description of the state (the same object the event stream sends as `state`). */
export const WidgetStateSchema = Type.Object({
  data: Type.Object({}, { additionalProperties: true, description: 'The contract conversation data (campaign, lead, messages, dispositions).' }),
  delivery: Type.Record(Type.String(), Type.Object({ status: Type.String(), statusMessage: Type.Union([Type.String(), Type.Null()]) })),
  suppression: Type.Union([
    Type.Object({ kind: Type.Union([Type.Literal('OPT_OUT'), Type.Literal('DNC')]), since: Type.String(), source: Type.String() }),
    Type.Null(),
  ]),
  media: Type.Record(Type.String(), Type.Array(Type.Object({ url: Type.String(), contentType: Type.Union([Type.String(), Type.Null()]) })), {
    description: 'Per message id, the media of an inbound MMS (URL and content type; never downloaded by Engage). Untrusted: links only.',
  }),
});

export async function widgetState(ctx: AppContext, lead: LeadRow): Promise<WidgetState> {
  const [data, statuses, suppressions, media] = await Promise.all([
    conversationData(ctx.db, lead),
    ctx.db.selectFrom('messages').select(['id', 'status', 'status_message']).where('lead_id', '=', lead.id).execute(),
    ctx.db
      .selectFrom('suppressions')
      .select(['kind', 'created', 'source'])
      .where('workspace_id', '=', lead.workspace_id)
      .where('phone', '=', lead.phone)
      .execute(),
    ctx.db
      .selectFrom('message_media')
      .innerJoin('messages', 'messages.id', 'message_media.message_id')
      .select(['message_media.message_id', 'message_media.url', 'message_media.content_type'])
      .where('messages.lead_id', '=', lead.id)
      .orderBy('message_media.message_id')
      .orderBy('message_media.position')
      .execute(),
  ]);
  const byMessage: Record<string, MessageMedia[]> = {};
  for (const m of media) (byMessage[m.message_id] ??= []).push({ url: m.url, contentType: m.content_type });
  const s = suppressions.find((r) => r.kind === 'OPT_OUT') ?? suppressions[0] ?? null;
  return {
    data,
    delivery: Object.fromEntries(statuses.map((m) => [m.id, { status: m.status, statusMessage: m.status_message }])),
    suppression: s ? { kind: s.kind, since: iso(s.created), source: s.source } : null,
    media: byMessage,
  };
}
