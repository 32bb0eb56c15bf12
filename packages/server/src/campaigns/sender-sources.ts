/**
 * Sender sources: a workspace's pools of numbers, each sending through one provider (the simulator
 * or a provider credential) under one registration type, with optional throttles in SMS segments per
 * second — `mps` for the whole source, `numberMps` for each of its numbers (null = no limit) — and
 * `areaCodeMatch` (prefer a number with the lead's area code). A number belongs to at most one source
 * of any workspace: inbound messages find their workspace through it.
 *
 * Every write checks what JSON Schema cannot (E.164 numbers, duplicates, the provider) before it
 * touches the database, and runs in one transaction: a request that fails leaves nothing behind.
 */
import { randomUUID } from 'node:crypto';
import type { AppContext } from '../context.ts';
import { normalizePhone } from '../core/phone.ts';
import { iso } from '../core/time.ts';
import type { Db, DbOrTrx } from '../db/pool.ts';
import { ApiError, badRequest, notFound } from '../http/errors.ts';
import { getCredentialView, isUuid, parseProviderKey } from '../providers/credentials.ts';

export const SENDER_SOURCE_TYPES = ['TEN_DLC', 'TOLL_FREE', 'SHORT_CODE', 'CORE_CAMPAIGN'] as const;
export type SenderSourceType = (typeof SENDER_SOURCE_TYPES)[number];

/** The simulator's provider key; every other source has `<kind>:<credentialId>`. */
export const SIMULATOR_PROVIDER = 'simulator';

/**
 * Segments per second of a new source that sends through a provider credential when `mps` is not
 * given: a conservative start that carriers accept from any registered number. The simulator is
 * unthrottled by default. Sending `mps: null` removes the limit.
 */
export const DEFAULT_PROVIDER_MPS = 1;

export interface SenderSourceView {
  id: string;
  name: string;
  senderSourceType: string;
  provider: string;
  mps: number | null;
  numberMps: number | null;
  areaCodeMatch: boolean;
  numbers: string[];
  created: string;
  updated: string;
}

export interface SenderSourceCreate {
  name: string;
  senderSourceType: SenderSourceType;
  /** `simulator`, a provider credential's id, or its provider key (`twilio:<id>`). */
  provider: string;
  mps?: number | null;
  numberMps?: number | null;
  areaCodeMatch?: boolean;
  numbers: string[];
}

export interface SenderSourcePatch {
  name?: string;
  /** Accepted only when it names the source's current provider. */
  provider?: string;
  /** Accepted only when it is the source's current type. */
  senderSourceType?: SenderSourceType;
  mps?: number | null;
  numberMps?: number | null;
  areaCodeMatch?: boolean;
  /** Replaces the source's numbers. */
  numbers?: string[];
}

type SourceRow = {
  id: string; name: string; sender_source_type: string; provider: string; mps: number | null; number_mps: number | null;
  area_code_match: boolean; created: Date; updated: Date;
};

function toView(s: SourceRow, numbers: string[]): SenderSourceView {
  return {
    id: s.id, name: s.name, senderSourceType: s.sender_source_type, provider: s.provider, mps: s.mps, numberMps: s.number_mps,
    areaCodeMatch: s.area_code_match, numbers: [...numbers].sort(), created: iso(s.created), updated: iso(s.updated),
  };
}

// ---------------------------------------------------------------- reading

export async function listSenderSources(db: DbOrTrx, workspaceId: number): Promise<SenderSourceView[]> {
  const sources = await db.selectFrom('sender_sources').selectAll().where('workspace_id', '=', workspaceId).orderBy('created').orderBy('id').execute();
  const numbers = await db.selectFrom('sender_numbers').select(['phone', 'sender_source_id']).where('workspace_id', '=', workspaceId).execute();
  return sources.map((s) => toView(s, numbers.filter((n) => n.sender_source_id === s.id).map((n) => n.phone)));
}

/** One source of the workspace; null for an unknown id or another workspace's source. */
export async function getSenderSource(db: DbOrTrx, workspaceId: number, id: string): Promise<SenderSourceView | null> {
  if (!isUuid(id)) return null;
  const s = await db.selectFrom('sender_sources').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  if (!s) return null;
  const numbers = await db.selectFrom('sender_numbers').select('phone').where('sender_source_id', '=', id).execute();
  return toView(s, numbers.map((n) => n.phone));
}

// ---------------------------------------------------------------- validation

function cleanName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) throw badRequest('name', 'must not be blank');
  return trimmed;
}

/** 400 for a limit that is not a positive finite number (JSON Schema checks it too; services may be called directly). */
function checkLimit(field: 'mps' | 'numberMps', v: number | null | undefined): void {
  if (v === undefined || v === null) return;
  if (!Number.isFinite(v) || v <= 0) throw badRequest(field, 'must be a positive number of segments per second, or null for no limit');
}

/**
 * The numbers as stored: E.164, or the bare 3–8 digits of a short code for a SHORT_CODE source.
 * 400 naming `numbers[i]` for one that is neither, `numbers` for a number listed twice.
 */
export function normalizeSenderNumbers(raw: readonly string[], type: string): string[] {
  if (raw.length === 0) throw badRequest('numbers', 'a sender source needs at least one number');
  const numbers = raw.map((r, i) => {
    const trimmed = typeof r === 'string' ? r.trim() : '';
    const n = type === 'SHORT_CODE' && /^\d{3,8}$/.test(trimmed) ? trimmed : normalizePhone(trimmed);
    if (!n) {
      throw badRequest(`numbers[${i}]`, type === 'SHORT_CODE' ? 'not a valid short code (3–8 digits) or phone number' : 'not a valid phone number');
    }
    return n;
  });
  const seen = new Set<string>();
  for (const n of numbers) {
    if (seen.has(n)) throw badRequest('numbers', `${n} is listed twice`);
    seen.add(n);
  }
  return numbers;
}

/** `simulator`, a credential id or a provider key → the provider key stored on the source; 400 naming `provider` otherwise. */
export async function resolveProvider(ctx: AppContext, workspaceId: number, provider: string): Promise<string> {
  const given = provider.trim();
  if (given === SIMULATOR_PROVIDER) return SIMULATOR_PROVIDER;
  const parsed = parseProviderKey(given);
  const credentialId = parsed ? parsed.credentialId : given.toLowerCase();
  const cred = isUuid(credentialId) ? await getCredentialView(ctx, workspaceId, credentialId) : null;
  if (!cred || (parsed && parsed.kind !== cred.provider)) {
    throw badRequest('provider', 'must be "simulator" or the id of one of this workspace\'s provider credentials');
  }
  return cred.providerKey;
}

// ---------------------------------------------------------------- writing

const conflict = (phones: string[]) =>
  new ApiError(409, 'CONFLICT', `numbers: ${phones.join(', ')} already belong${phones.length === 1 ? 's' : ''} to another sender source`, 'numbers', { numbers: phones });

/** Numbers of `numbers` held by a source other than `ownId`. */
async function takenNumbers(db: DbOrTrx, numbers: string[], ownId: string): Promise<string[]> {
  if (numbers.length === 0) return [];
  const rows = await db.selectFrom('sender_numbers').select('phone').where('phone', 'in', numbers).where('sender_source_id', '<>', ownId).orderBy('phone').execute();
  return rows.map((r) => r.phone);
}

/**
 * Another request took one of the numbers between our check and our insert (the primary key on
 * `sender_numbers.phone` refused it): answer 409 with the numbers held elsewhere now.
 */
async function raceToConflict(db: DbOrTrx, err: unknown, numbers: string[], ownId: string): Promise<never> {
  if ((err as { code?: string }).code !== '23505') throw err;
  const taken = await takenNumbers(db, numbers, ownId);
  throw conflict(taken.length > 0 ? taken : numbers);
}

export async function createSenderSource(ctx: AppContext, workspaceId: number, input: SenderSourceCreate): Promise<SenderSourceView> {
  const name = cleanName(input.name);
  checkLimit('mps', input.mps);
  checkLimit('numberMps', input.numberMps);
  const numbers = normalizeSenderNumbers(input.numbers, input.senderSourceType);
  const provider = await resolveProvider(ctx, workspaceId, input.provider);
  const mps = input.mps !== undefined ? input.mps : provider === SIMULATOR_PROVIDER ? null : DEFAULT_PROVIDER_MPS;
  const id = randomUUID();
  try {
    return await ctx.db.transaction().execute(async (trx) => {
      const taken = await takenNumbers(trx, numbers, id);
      if (taken.length > 0) throw conflict(taken);
      const now = ctx.now();
      const row = await trx
        .insertInto('sender_sources')
        .values({
          id, workspace_id: workspaceId, name, sender_source_type: input.senderSourceType, provider, mps,
          number_mps: input.numberMps ?? null, area_code_match: input.areaCodeMatch ?? false, created: now, updated: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await trx.insertInto('sender_numbers').values(numbers.map((phone) => ({ phone, sender_source_id: id, workspace_id: workspaceId }))).execute();
      return toView(row, numbers);
    });
  } catch (err) {
    return raceToConflict(ctx.db, err, numbers, id);
  }
}

export async function updateSenderSource(ctx: AppContext, workspaceId: number, id: string, patch: SenderSourcePatch): Promise<SenderSourceView> {
  const current = await getSenderSource(ctx.db, workspaceId, id);
  if (!current) throw notFound('sender source');
  const name = patch.name !== undefined ? cleanName(patch.name) : undefined;
  checkLimit('mps', patch.mps);
  checkLimit('numberMps', patch.numberMps);
  if (patch.senderSourceType !== undefined && patch.senderSourceType !== current.senderSourceType) {
    throw badRequest('senderSourceType', 'the type of a sender source cannot change: create a new sender source');
  }
  if (patch.provider !== undefined) {
    const same = await resolveProvider(ctx, workspaceId, patch.provider).then((p) => p === current.provider, () => false);
    if (!same) throw badRequest('provider', 'the provider of a sender source cannot change: create a new sender source and move the numbers');
  }
  const numbers = patch.numbers !== undefined ? normalizeSenderNumbers(patch.numbers, current.senderSourceType) : undefined;
  try {
    return await ctx.db.transaction().execute(async (trx) => {
      // Serialises edits of one source (and a concurrent delete).
      const locked = await trx.selectFrom('sender_sources').select('id').where('id', '=', id).where('workspace_id', '=', workspaceId).forUpdate().executeTakeFirst();
      if (!locked) throw notFound('sender source');
      if (numbers) {
        const taken = await takenNumbers(trx, numbers, id);
        if (taken.length > 0) throw conflict(taken);
        const existing = (await trx.selectFrom('sender_numbers').select('phone').where('sender_source_id', '=', id).execute()).map((r) => r.phone);
        const dropped = existing.filter((p) => !numbers.includes(p));
        const added = numbers.filter((p) => !existing.includes(p));
        if (dropped.length > 0) await trx.deleteFrom('sender_numbers').where('sender_source_id', '=', id).where('phone', 'in', dropped).execute();
        if (added.length > 0) await trx.insertInto('sender_numbers').values(added.map((phone) => ({ phone, sender_source_id: id, workspace_id: workspaceId }))).execute();
      }
      const row = await trx
        .updateTable('sender_sources')
        .set({
          ...(name !== undefined ? { name } : {}),
          ...(patch.mps !== undefined ? { mps: patch.mps } : {}),
          ...(patch.numberMps !== undefined ? { number_mps: patch.numberMps } : {}),
          ...(patch.areaCodeMatch !== undefined ? { area_code_match: patch.areaCodeMatch } : {}),
          updated: ctx.now(),
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const now = await trx.selectFrom('sender_numbers').select('phone').where('sender_source_id', '=', id).execute();
      return toView(row, now.map((n) => n.phone));
    });
  } catch (err) {
    return raceToConflict(ctx.db, err, numbers ?? [], id);
  }
}

const inUse = () => new ApiError(409, 'CONFLICT', 'a campaign uses this sender source; give the campaign another sender source first');

/** Deletes a source and frees its numbers; 409 while a campaign uses it. */
export async function deleteSenderSource(db: Db, workspaceId: number, id: string): Promise<void> {
  if (!isUuid(id)) throw notFound('sender source');
  try {
    await db.transaction().execute(async (trx) => {
      const locked = await trx.selectFrom('sender_sources').select('id').where('id', '=', id).where('workspace_id', '=', workspaceId).forUpdate().executeTakeFirst();
      if (!locked) throw notFound('sender source');
      const user = await trx.selectFrom('campaigns').select('id').where('sender_source_id', '=', id).limit(1).executeTakeFirst();
      if (user) throw inUse();
      await trx.deleteFrom('sender_numbers').where('sender_source_id', '=', id).execute();
      await trx.deleteFrom('sender_sources').where('id', '=', id).execute();
    });
  } catch (err) {
    // A campaign was given this source while we deleted it: the foreign key refused the delete.
    if ((err as { code?: string }).code === '23503') throw inUse();
    throw err;
  }
}
