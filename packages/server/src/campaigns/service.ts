import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Principal } from '../auth/api-keys.ts';
import type { AutomationRule, FollowUp } from '../automations/schema.ts';
import { checkRuleDispositions, normaliseAutomations, normaliseFollowUps } from '../automations/validate.ts';
import type { AppContext } from '../context.ts';
import { newId } from '../core/ids.ts';
import { DEFAULT_SCHEDULE, validateSchedule, type Schedule } from '../core/schedule.ts';
import { notifyBroadcast } from '../db/jobs.ts';
import type { DbOrTrx, Trx } from '../db/pool.ts';
import type { CampaignsTable } from '../db/schema.ts';
import { ApiError, badRequest, notFound } from '../http/errors.ts';
import { validateConversationEmail } from '../notifications/conversation-email.ts';
import { validateWebhookUrl } from '../webhooks/address-guard.ts';
import {
  WEBHOOK_KEYS,
  type CampaignCreate,
  type CampaignMessages,
  type CampaignNotifications,
  type CampaignPatch,
  type CampaignStatus,
  type CampaignWebhooks,
  type Disposition,
} from './schema.ts';
import type { Selectable } from 'kysely';

export type CampaignRow = Selectable<CampaignsTable>;

export const DEFAULT_MESSAGES: CampaignMessages = {
  outgoingMessage: '',
  responseMessage: '',
  helpMessage: 'Reply STOP to unsubscribe. Msg & data rates may apply.',
  stopMessage: 'You are unsubscribed and will receive no more messages. Reply START to resubscribe.',
  startMessage: 'You are resubscribed. Reply STOP to unsubscribe.',
};

const DEFAULT_NOTIFICATIONS: CampaignNotifications = {
  sendConversationEmail: false,
  conversationEmail: { to: [], cc: [], bcc: [], from: null, replyTo: null, subject: '', htmlBody: '', textBody: '' },
};

/** The normalised, stored form of the editable fields. */
interface CampaignFields {
  name: string;
  senderSourceId: string | null;
  carrierDailyLimits: { carrier: string; limit: number }[];
  schedule: Schedule;
  messages: CampaignMessages;
  webhooks: CampaignWebhooks;
  notifications: CampaignNotifications;
  customFields: { name: string; type?: string }[];
  dispositions: Disposition[];
  automations: AutomationRule[];
  followUps: FollowUp[];
}

function fieldsOf(row: CampaignRow): CampaignFields {
  return {
    name: row.name,
    senderSourceId: row.sender_source_id,
    carrierDailyLimits: row.carrier_daily_limits as CampaignFields['carrierDailyLimits'],
    schedule: row.schedule as Schedule,
    messages: row.messages as CampaignMessages,
    webhooks: row.webhooks as CampaignWebhooks,
    notifications: row.notifications as CampaignNotifications,
    customFields: row.custom_fields as CampaignFields['customFields'],
    dispositions: row.dispositions as Disposition[],
    automations: row.automations as AutomationRule[],
    followUps: row.follow_ups as FollowUp[],
  };
}

function normaliseDispositions(input: NonNullable<CampaignPatch['dispositions']>, previous: Disposition[]): Disposition[] {
  const seen = new Set<string>();
  return input.map((d, i) => {
    const name = d.disposition.trim();
    if (!name) throw badRequest(`dispositions[${i}].disposition`, 'must not be blank');
    const k = name.toLowerCase();
    if (seen.has(k)) throw badRequest(`dispositions[${i}].disposition`, `"${name}" appears twice`);
    seen.add(k);
    // Keep the UUID of a disposition that survives an edit, so integrators' stored ids stay valid.
    const kept = previous.find((p) => (d.id ? p.id === d.id : p.disposition === name));
    return { id: kept?.id ?? d.id ?? randomUUID(), disposition: name, success: d.success ?? false, doNotContact: d.doNotContact ?? false };
  });
}

async function resolveSenderSource(db: DbOrTrx, workspaceId: number, id: string | undefined | null): Promise<string | null> {
  if (id) {
    const found = await db.selectFrom('sender_sources').select('id').where('id', '=', id).where('workspace_id', '=', workspaceId).executeTakeFirst();
    if (!found) throw new ApiError(422, 'UNPROCESSABLE', 'senderSourceId: no such sender source in this workspace', 'senderSourceId');
    return found.id;
  }
  const first = await db.selectFrom('sender_sources').select('id').where('workspace_id', '=', workspaceId).orderBy('created').limit(1).executeTakeFirst();
  return first?.id ?? null;
}

/** Applies a create/patch input over `base`, validating what JSON Schema cannot. */
async function applyInput(db: DbOrTrx, workspaceId: number, base: CampaignFields, input: CampaignPatch): Promise<CampaignFields> {
  const next: CampaignFields = structuredClone(base);
  if (input.name !== undefined) {
    if (!input.name.trim()) throw badRequest('name', 'must not be blank');
    next.name = input.name.trim();
  }
  if (input.senderSourceId !== undefined) next.senderSourceId = await resolveSenderSource(db, workspaceId, input.senderSourceId);
  if (input.carrierDailyLimits !== undefined) next.carrierDailyLimits = input.carrierDailyLimits;
  if (input.schedule !== undefined) {
    const v = validateSchedule(input.schedule);
    if (!v.ok) throw badRequest(v.field.startsWith('schedule') ? v.field : `schedule.${v.field}`, v.message);
    next.schedule = v.value;
  }
  if (input.messages !== undefined) next.messages = { ...next.messages, ...input.messages };
  if (input.webhooks !== undefined) {
    for (const key of WEBHOOK_KEYS) {
      const raw = input.webhooks[key];
      if (raw === undefined) continue;
      if (raw === null || raw.trim() === '') {
        next.webhooks[key] = null;
        continue;
      }
      const v = validateWebhookUrl(raw.trim());
      if (!v.ok) throw badRequest(`webhooks.${key}`, v.message);
      next.webhooks[key] = v.url;
    }
  }
  if (input.notifications !== undefined) {
    next.notifications = {
      sendConversationEmail: input.notifications.sendConversationEmail ?? next.notifications.sendConversationEmail,
      conversationEmail: { ...next.notifications.conversationEmail, ...(input.notifications.conversationEmail ?? {}) },
    };
    validateConversationEmail(next.notifications);
  }
  if (input.customFields !== undefined) next.customFields = input.customFields;
  if (input.dispositions !== undefined) next.dispositions = normaliseDispositions(input.dispositions, base.dispositions);
  const dispositionNames = next.dispositions.map((d) => d.disposition);
  if (input.automations !== undefined) next.automations = normaliseAutomations(input.automations, base.automations, dispositionNames);
  else if (input.dispositions !== undefined) checkRuleDispositions(next.automations, dispositionNames);
  if (input.followUps !== undefined) next.followUps = normaliseFollowUps(input.followUps);
  return next;
}

function columnsOf(f: CampaignFields) {
  return {
    name: f.name,
    sender_source_id: f.senderSourceId,
    carrier_daily_limits: JSON.stringify(f.carrierDailyLimits),
    schedule: JSON.stringify(f.schedule),
    messages: JSON.stringify(f.messages),
    webhooks: JSON.stringify(f.webhooks),
    notifications: JSON.stringify(f.notifications),
    custom_fields: JSON.stringify(f.customFields),
    dispositions: JSON.stringify(f.dispositions),
    automations: JSON.stringify(f.automations),
    follow_ups: JSON.stringify(f.followUps),
  };
}

async function recordCampaignEvent(db: DbOrTrx, campaignId: string, type: string, from: string | null, to: string | null, detail: string | null) {
  await db.insertInto('campaign_events').values({ campaign_id: campaignId, type, from_status: from, to_status: to, detail }).execute();
}

export async function createCampaign(ctx: AppContext, who: Principal, input: CampaignCreate): Promise<CampaignRow> {
  return ctx.db.transaction().execute(async (trx) => {
    const base: CampaignFields = {
      name: input.name,
      senderSourceId: null,
      carrierDailyLimits: [],
      schedule: DEFAULT_SCHEDULE,
      messages: { ...DEFAULT_MESSAGES },
      webhooks: Object.fromEntries(WEBHOOK_KEYS.map((k) => [k, null])) as CampaignWebhooks,
      notifications: structuredClone(DEFAULT_NOTIFICATIONS),
      customFields: [],
      dispositions: [],
      automations: [],
      followUps: [],
    };
    const fields = await applyInput(trx, who.workspaceId, base, input);
    if (input.senderSourceId === undefined) fields.senderSourceId = await resolveSenderSource(trx, who.workspaceId, null);
    const id = newId(ctx.now());
    const row = await trx
      .insertInto('campaigns')
      .values({ id, workspace_id: who.workspaceId, ...columnsOf(fields) })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordCampaignEvent(trx, id, 'CREATED', null, 'DRAFT', null);
    return row;
  });
}

/** The campaign of this workspace, or 404 (another workspace's campaign is as good as missing). */
export async function getCampaign(db: DbOrTrx, workspaceId: number, id: string): Promise<CampaignRow> {
  const row = await db.selectFrom('campaigns').selectAll().where('id', '=', id).where('workspace_id', '=', workspaceId).executeTakeFirst();
  if (!row) throw notFound('campaign');
  return row;
}

/** Row-locked read for changes; takes a transaction only. */
export async function lockCampaign(trx: Trx, workspaceId: number, id: string): Promise<CampaignRow> {
  const row = await trx.selectFrom('campaigns').selectAll().where('id', '=', id).where('workspace_id', '=', workspaceId).forUpdate().executeTakeFirst();
  if (!row) throw notFound('campaign');
  return row;
}

export async function updateCampaign(ctx: AppContext, who: Principal, id: string, patch: CampaignPatch): Promise<CampaignRow> {
  return ctx.db.transaction().execute(async (trx) => {
    const row = await lockCampaign(trx, who.workspaceId, id);
    const before = fieldsOf(row);
    const after = await applyInput(trx, who.workspaceId, before, patch);
    if (row.campaign_status === 'ACTIVE') {
      for (const key of Object.keys(after) as (keyof CampaignFields)[]) {
        if (key !== 'name' && !isDeepStrictEqual(before[key], after[key])) {
          throw new ApiError(409, 'CAMPAIGN_ACTIVE', `${key}: an active campaign can only be renamed; pause it first`, key);
        }
      }
    }
    const updated = await trx
      .updateTable('campaigns')
      .set({ ...columnsOf(after), updated: ctx.now() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordCampaignEvent(trx, id, 'UPDATED', null, null, Object.keys(patch).join(', ') || null);
    return updated;
  });
}

export type CampaignAction = 'submit' | 'approve' | 'activate' | 'pause' | 'complete';

/** Which statuses each action may start from, and where it leads. */
const TRANSITIONS: Record<CampaignAction, { from: CampaignStatus[]; to: CampaignStatus }> = {
  submit: { from: ['DRAFT'], to: 'PENDING_APPROVAL' },
  approve: { from: ['DRAFT', 'PENDING_APPROVAL'], to: 'READY' },
  activate: { from: ['READY', 'PAUSED'], to: 'ACTIVE' },
  pause: { from: ['ACTIVE'], to: 'PAUSED' },
  complete: { from: ['ACTIVE', 'PAUSED', 'READY'], to: 'COMPLETED' },
};

export async function transitionCampaign(ctx: AppContext, who: Principal, id: string, action: CampaignAction): Promise<CampaignRow> {
  return ctx.db.transaction().execute(async (trx) => {
    const row = await lockCampaign(trx, who.workspaceId, id);
    const rule = TRANSITIONS[action];
    const from = row.campaign_status as CampaignStatus;
    if (!rule.from.includes(from)) {
      const hint = action === 'activate' && (from === 'DRAFT' || from === 'PENDING_APPROVAL') ? ' (approve it first)' : '';
      throw new ApiError(409, 'INVALID_TRANSITION', `cannot ${action} a campaign that is ${from}${hint}`, 'campaignStatus', {
        campaignStatus: from,
      });
    }
    if (action === 'approve') {
      const fields = fieldsOf(row);
      if (!fields.messages.outgoingMessage.trim()) {
        throw new ApiError(422, 'UNPROCESSABLE', 'messages.outgoingMessage: a campaign needs a broadcast message to be approved', 'messages.outgoingMessage');
      }
      if (!fields.senderSourceId) {
        throw new ApiError(422, 'UNPROCESSABLE', 'senderSourceId: a campaign needs a sender source to be approved', 'senderSourceId');
      }
    }
    const sending = rule.to === 'ACTIVE'
      ? { sending_status: 'SENDING', sending_status_description: 'Active: sending to eligible leads.' }
      : { sending_status: rule.to === 'COMPLETED' ? 'COMPLETE' : 'IDLE', sending_status_description: `Not sending: the campaign is ${rule.to.toLowerCase().replace('_', ' ')}.`, next_run_time: null };
    const updated = await trx
      .updateTable('campaigns')
      .set({ campaign_status: rule.to, ...sending, updated: ctx.now() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordCampaignEvent(trx, id, 'STATUS_CHANGED', from, rule.to, action);
    if (rule.to === 'ACTIVE') await notifyBroadcast(trx);
    return updated;
  });
}

export async function listCampaigns(db: DbOrTrx, workspaceId: number, limit: number, cursor: string | undefined): Promise<CampaignRow[]> {
  let q = db.selectFrom('campaigns').selectAll().where('workspace_id', '=', workspaceId).orderBy('id', 'desc').limit(limit);
  if (cursor) q = q.where('id', '<', cursor);
  return q.execute();
}

export function campaignDispositions(row: CampaignRow): Disposition[] {
  return row.dispositions as Disposition[];
}
export function campaignMessages(row: CampaignRow): CampaignMessages {
  return row.messages as CampaignMessages;
}
export function campaignWebhooks(row: CampaignRow): CampaignWebhooks {
  return row.webhooks as CampaignWebhooks;
}
export function campaignSchedule(row: CampaignRow): Schedule {
  return row.schedule as Schedule;
}
