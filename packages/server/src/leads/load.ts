import { sql } from 'kysely';
import { Type, type Static } from 'typebox';
import type { Principal } from '../auth/api-keys.ts';
import { getCampaign } from '../campaigns/service.ts';
import type { AppContext } from '../context.ts';
import { newId } from '../core/ids.ts';
import { normalizePhone } from '../core/phone.ts';
import { notifyBroadcast } from '../db/jobs.ts';
import type { Trx } from '../db/pool.ts';
import { badRequest } from '../http/errors.ts';
import { enrichLocation } from './enrichment.ts';
import { CAMPAIGN_LOAD_LOCK } from './import/settle.ts';
import { suppressionOf } from './suppression.ts';

export const LeadLoadSchema = Type.Object(
  {
    campaignId: Type.String({ pattern: '^[0-9a-f]{24}$' }),
    listName: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    deDupe: Type.Optional(Type.Boolean({ default: false })),
    fields: Type.Array(
      Type.Object(
        {
          name: Type.String({ minLength: 1, maxLength: 100 }),
          value: Type.Union([Type.String({ maxLength: 10_000 }), Type.Number(), Type.Boolean(), Type.Null()]),
          type: Type.Optional(Type.String({ maxLength: 30 })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 500 },
    ),
  },
  { additionalProperties: false },
);
export type LeadLoad = Static<typeof LeadLoadSchema>;

export type RejectReason = 'DUPLICATE' | 'INVALID_PHONE' | 'OPTED_OUT' | 'DNC' | 'CAMPAIGN_INACTIVE';

export interface LeadLoadResult {
  status: 'Accepted' | 'Rejected';
  reason: RejectReason | null;
  message: string;
  leadId: string | null;
  listId: string | null;
}

export const PHONE_NAMES = /^(phone|phone ?number|phone_number|mobile|mobile ?phone|cell|cell ?phone|cellphone)$/i;
export const ZIP_NAMES = /^(zip|zip ?code|zip_code|postal ?code|postal_code|postcode)$/i;
export const DEFAULT_LIST_NAME = 'API Leads';

/** Finds the field holding the phone (by `type: phone`, else by a usual column name), and the ZIP. */
function pickColumns(fields: LeadLoad['fields']): { phone: string | null; zip: string | null } {
  const byType = (t: string) => fields.find((f) => f.type?.toLowerCase() === t);
  const phone = byType('phone') ?? fields.find((f) => PHONE_NAMES.test(f.name.trim()));
  const zip = byType('zip') ?? fields.find((f) => ZIP_NAMES.test(f.name.trim()));
  const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return { phone: str(phone?.value), zip: str(zip?.value) };
}

/** Rejections that depend on the database state (run under the dedupe lock). */
async function rejection(trx: Trx, who: Principal, campaignId: string, phone: string, deDupe: boolean): Promise<{ reason: RejectReason; message: string; leadId: string | null } | null> {
  const suppressed = await suppressionOf(trx, who.workspaceId, phone);
  if (suppressed === 'OPT_OUT') return { reason: 'OPTED_OUT', message: `${phone} has opted out of this workspace's messages`, leadId: null };
  if (suppressed === 'DNC') return { reason: 'DNC', message: `${phone} is on this workspace's do-not-contact list`, leadId: null };
  if (deDupe) {
    const existing = await trx.selectFrom('leads').select('id').where('campaign_id', '=', campaignId).where('phone', '=', phone).executeTakeFirst();
    if (existing) return { reason: 'DUPLICATE', message: `${phone} is already a lead of this campaign`, leadId: existing.id };
  }
  return null;
}

/** The campaign's list named `name`, created when it does not exist yet. */
export async function upsertList(trx: Trx, workspaceId: number, campaignId: string, name: string, now: Date): Promise<{ id: string }> {
  return trx
    .insertInto('lists')
    .values({ id: newId(now), workspace_id: workspaceId, campaign_id: campaignId, name })
    .onConflict((oc) => oc.columns(['campaign_id', 'name']).doUpdateSet({ name }))
    .returning('id')
    .executeTakeFirstOrThrow();
}

/** Loads one lead synchronously (SPEC §1.4 `lead/load`). */
export async function loadLead(ctx: AppContext, who: Principal, input: LeadLoad): Promise<LeadLoadResult> {
  const seen = new Set<string>();
  input.fields.forEach((f, i) => {
    const name = f.name.trim();
    if (!name) throw badRequest(`fields[${i}].name`, 'must not be blank');
    if (seen.has(name)) throw badRequest(`fields[${i}].name`, `column "${name}" appears twice`);
    seen.add(name);
  });
  const listName = input.listName?.trim() || DEFAULT_LIST_NAME;
  const campaign = await getCampaign(ctx.db, who.workspaceId, input.campaignId);
  const existingList = await ctx.db.selectFrom('lists').select('id').where('campaign_id', '=', campaign.id).where('name', '=', listName).executeTakeFirst();
  const rejected = (reason: RejectReason, message: string, leadId: string | null = null): LeadLoadResult => ({
    status: 'Rejected', reason, message, leadId, listId: existingList?.id ?? null,
  });
  if (campaign.campaign_status === 'COMPLETED') return rejected('CAMPAIGN_INACTIVE', 'the campaign is completed and takes no more leads');
  const cols = pickColumns(input.fields);
  if (cols.phone === null) return rejected('INVALID_PHONE', 'no phone field: name one "Phone" or give it type "phone"');
  const phone = normalizePhone(cols.phone);
  if (!phone) return rejected('INVALID_PHONE', `"${cols.phone.slice(0, 40)}" is not a valid phone number`);

  const leadData: Record<string, unknown> = {};
  for (const f of input.fields) leadData[f.name.trim()] = f.value === null ? null : typeof f.value === 'string' ? f.value : String(f.value);
  const place = enrichLocation({ zip: cols.zip, phone });
  const now = ctx.now();

  return ctx.db.transaction().execute(async (trx) => {
    // A list import settling into this campaign holds this lock exclusively (import/settle.ts).
    await sql`SELECT pg_advisory_xact_lock_shared(${CAMPAIGN_LOAD_LOCK}, hashtext(${campaign.id}))`.execute(trx);
    // Serialises loads of one phone into one campaign, so concurrent duplicates are caught.
    await sql`SELECT pg_advisory_xact_lock(hashtext(${campaign.id + phone}))`.execute(trx);
    const r = await rejection(trx, who, campaign.id, phone, input.deDupe ?? false);
    if (r) return rejected(r.reason, r.message, r.leadId);
    // Lists are never deleted, so one read before the transaction stands; upserting an existing
    // list would lock its row and serialise every concurrent load into the campaign.
    const list = existingList ?? (await upsertList(trx, who.workspaceId, campaign.id, listName, now));
    const leadId = newId(now);
    await trx
      .insertInto('leads')
      .values({
        id: leadId, workspace_id: who.workspaceId, campaign_id: campaign.id, list_id: list.id, phone,
        status_message: null, carrier: null, normalized_carrier: null, from_number: null,
        time_zone: place.timeZone, zip: place.zip, state: place.state, lat: place.lat, lon: place.lon,
        lead_data: JSON.stringify(leadData), created: now, sent: null, result: null, retry_after: null,
        disposition: null, disposition_timestamp: null, claimed_at: null, broadcast_message_id: null,
      })
      .execute();
    if (campaign.campaign_status === 'ACTIVE') await notifyBroadcast(trx);
    return { status: 'Accepted', reason: null, message: 'lead accepted', leadId, listId: list.id } satisfies LeadLoadResult;
  });
}
