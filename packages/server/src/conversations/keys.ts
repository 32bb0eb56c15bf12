/**
 * Conversation keys: per-conversation capabilities carried as `?key=` (SPEC §1.2).
 *
 * A key is derived, not stored: HMAC-SHA256(ENGAGE_SECRET, lead id + key version), 256 bits.
 * Only its SHA-256 is kept (to find the lead from a key). Deriving lets every webhook delivery
 * rebuild the endpoints without the plain key ever being written to the database; bumping the
 * lead's key version revokes the old key.
 */
import { createHmac } from 'node:crypto';
import { hashSecret } from '../auth/api-keys.ts';
import type { AppContext } from '../context.ts';
import type { DbOrTrx } from '../db/pool.ts';
import { unauthorized } from '../http/errors.ts';
import type { LeadRow } from '../leads/view.ts';

export function deriveConversationKey(secret: string, leadId: string, version: number): string {
  return createHmac('sha256', secret).update(`engage-conversation:${leadId}:${version}`).digest('base64url');
}

/** The lead's current key, registered (as a hash) so it can be resolved. */
export async function conversationKeyFor(ctx: AppContext, db: DbOrTrx, lead: Pick<LeadRow, 'id' | 'conversation_key_version'>): Promise<string> {
  const key = deriveConversationKey(ctx.config.secret, lead.id, lead.conversation_key_version);
  await db
    .insertInto('conversation_keys')
    .values({ key_hash: hashSecret(key), lead_id: lead.id, version: lead.conversation_key_version })
    .onConflict((oc) => oc.doNothing())
    .execute();
  return key;
}

/** The lead a key opens, or 401: wrong, missing and revoked keys look the same. */
export async function leadForKey(db: DbOrTrx, key: string | undefined): Promise<LeadRow> {
  if (!key) throw unauthorized('missing conversation key (?key=)');
  const found = await db
    .selectFrom('conversation_keys')
    .innerJoin('leads', 'leads.id', 'conversation_keys.lead_id')
    .selectAll('leads')
    .where('conversation_keys.key_hash', '=', hashSecret(key))
    .where('conversation_keys.revoked_at', 'is', null)
    .whereRef('conversation_keys.version', '=', 'leads.conversation_key_version')
    .executeTakeFirst();
  if (!found) throw unauthorized('invalid or revoked conversation key');
  return found;
}

/** Revokes the lead's key; the next key (version + 1) is returned for the operator. */
export async function rotateConversationKey(ctx: AppContext, leadId: string): Promise<string> {
  return ctx.db.transaction().execute(async (trx) => {
    const now = ctx.now();
    await trx.updateTable('conversation_keys').set({ revoked_at: now }).where('lead_id', '=', leadId).where('revoked_at', 'is', null).execute();
    const lead = await trx
      .updateTable('leads')
      .set((eb) => ({ conversation_key_version: eb('conversation_key_version', '+', 1) }))
      .where('id', '=', leadId)
      .returning(['id', 'conversation_key_version'])
      .executeTakeFirstOrThrow();
    return conversationKeyFor(ctx, trx, lead);
  });
}
