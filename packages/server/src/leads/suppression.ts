/**
 * Suppression of a phone for a whole workspace (opt-outs and do-not-contact). The current state,
 * table `suppressions`, is derived from the consent ledger (consent.ts): every change here is a
 * ledger record, and the database applies it, so the two cannot drift.
 */
import type { DbOrTrx } from '../db/pool.ts';
import { recordConsent, type ConsentSource } from './consent.ts';

export type SuppressionKind = 'OPT_OUT' | 'DNC';

/** Why a phone must not be texted by this workspace, or null. Opt-out wins over DNC. */
export async function suppressionOf(db: DbOrTrx, workspaceId: number, phone: string): Promise<SuppressionKind | null> {
  const rows = await db.selectFrom('suppressions').select('kind').where('workspace_id', '=', workspaceId).where('phone', '=', phone).execute();
  if (rows.some((r) => r.kind === 'OPT_OUT')) return 'OPT_OUT';
  return rows.length ? 'DNC' : null;
}

/** Adds a suppression (a ledger record); true when it is new (so its consequences run once). */
export async function addSuppression(
  db: DbOrTrx,
  s: { workspaceId: number; phone: string; kind: SuppressionKind; source: ConsentSource; detail?: string | null; messageId: string | null },
): Promise<boolean> {
  return recordConsent(db, { ...s, action: 'ADD' });
}

/** Lifts a suppression (a ledger record); true when there was one. */
export async function removeSuppression(
  db: DbOrTrx,
  s: { workspaceId: number; phone: string; kind: SuppressionKind; source: ConsentSource; detail?: string | null; messageId: string | null },
): Promise<boolean> {
  return recordConsent(db, { ...s, action: 'REMOVE' });
}
