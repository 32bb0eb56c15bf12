/**
 * Which sender sources look up their leads' line type before a broadcast, and the lookup itself.
 * Only a Twilio credential with `lookupLineType` on does (Twilio Lookup v2); the lookup uses the
 * credential of the campaign's sender source — the account that will send the text.
 */
import type { AppContext } from '../context.ts';
import type { DbOrTrx } from '../db/pool.ts';
import { loadCredential, parseProviderKey } from './credentials.ts';
import { providerAgent } from './http-errors.ts';
import { lookupLineType, type LineTypeResult } from './twilio/lookup.ts';

/** Whether leads sent through this provider key are looked up first (no decryption: a settings read). */
export async function lineTypeLookupEnabled(db: DbOrTrx, provider: string): Promise<boolean> {
  const key = parseProviderKey(provider);
  if (key?.kind !== 'twilio') return false;
  const row = await db.selectFrom('provider_credentials').select('settings').where('id', '=', key.credentialId).where('provider', '=', 'twilio').executeTakeFirst();
  return row?.settings.lookupLineType === true;
}

export type LineTypeLookup = (phone: string) => Promise<LineTypeResult>;

let agent: ReturnType<typeof providerAgent> | null = null;

/**
 * The lookup of a provider key's credential; null when it does not look up (not Twilio, switched
 * off, deleted, or undecryptable).
 */
export async function lineTypeLookupFor(ctx: Pick<AppContext, 'db' | 'config' | 'log' | 'now'>, provider: string): Promise<LineTypeLookup | null> {
  const key = parseProviderKey(provider);
  if (key?.kind !== 'twilio') return null;
  const cred = await loadCredential(ctx, key.credentialId, 'twilio');
  if (cred?.kind !== 'twilio' || !cred.lookupLineType) return null;
  agent ??= providerAgent(ctx.config.providerTimeoutMs);
  const opts = { lookupUrl: ctx.config.twilioLookupUrl, timeoutMs: ctx.config.providerTimeoutMs, dispatcher: agent, now: ctx.now };
  return (phone) => lookupLineType(cred, phone, opts);
}
