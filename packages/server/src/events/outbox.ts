/**
 * The transactional outbox: an event row (and its webhook deliveries and job) is written in the
 * transaction of the change that caused it, so an event exists if and only if its cause committed.
 */
import { createHash } from 'node:crypto';
import type { AppContext } from '../context.ts';
import { newId } from '../core/ids.ts';
import { addJob } from '../db/jobs.ts';
import type { Trx } from '../db/pool.ts';
import type { LeadRow } from '../leads/view.ts';
import type { CampaignWebhooks, WebhookKey } from '../campaigns/schema.ts';
import { conversationKeyFor } from '../conversations/keys.ts';
import { endpointDisabled } from '../webhooks/endpoint-health.ts';
import { conversationData, type EventType } from './payload.ts';

const WEBHOOK_KEY_OF: Record<EventType, WebhookKey> = {
  ConversationStarted: 'conversationStarted',
  NewMessage: 'incomingMessage',
  Disposition: 'disposition',
  OptOut: 'optOut',
  OptIn: 'optIn',
  DeliveryResult: 'deliveryResult',
};

/**
 * A delivery stream is one conversation's events to one receiver URL: delivered strictly in
 * order, one at a time, by the `deliver-webhooks` task.
 */
export function streamOf(leadId: string, url: string): string {
  return `${leadId}:${createHash('sha256').update(url).digest('hex').slice(0, 16)}`;
}

export async function emitEvent(
  ctx: AppContext,
  trx: Trx,
  eventType: EventType,
  lead: LeadRow,
  opts: { onlyMessageId?: string } = {},
): Promise<string> {
  const now = ctx.now();
  const data = await conversationData(trx, lead, opts);
  // The payload's endpoints carry the conversation key: register it once, with the event, so
  // deliveries (and their retries) only derive it.
  await conversationKeyFor(ctx, trx, lead);
  const id = newId(now);
  await trx
    .insertInto('events')
    .values({ id, workspace_id: lead.workspace_id, campaign_id: lead.campaign_id, lead_id: lead.id, event_type: eventType, payload: JSON.stringify({ eventType, data }), created: now })
    .execute();
  const campaign = await trx.selectFrom('campaigns').select('webhooks').where('id', '=', lead.campaign_id).executeTakeFirstOrThrow();
  const url = (campaign.webhooks as CampaignWebhooks)[WEBHOOK_KEY_OF[eventType]];
  if (url) {
    const stream = streamOf(lead.id, url);
    const disabled = await endpointDisabled(trx, lead.campaign_id, url);
    if (disabled) {
      // Logged as failed, not sent: a replay after the endpoint is enabled again delivers it.
      const lastError = `endpoint disabled: ${disabled.reason ?? ''}`.slice(0, 500);
      await trx.insertInto('webhook_deliveries').values({ event_id: id, stream, url, next_attempt_at: now, created: now, workspace_id: lead.workspace_id, status: 'FAILED', last_error: lastError, finished: now }).execute();
      return id;
    }
    await trx.insertInto('webhook_deliveries').values({ event_id: id, stream, url, next_attempt_at: now, created: now, workspace_id: lead.workspace_id }).execute();
    // One job per stream: a stream waiting out a retry delay keeps its later run time.
    await addJob(trx, 'deliver-webhooks', { stream }, { jobKey: `wh:${stream}`, jobKeyMode: 'preserve_run_at', queueName: `wh:${stream}` });
  }
  return id;
}
