import type { DbOrTrx } from '../db/pool.ts';

export type SuppressionKind = 'OPT_OUT' | 'DNC';

/** Why a phone must not be texted by this workspace, or null. Opt-out wins over DNC. */
export async function suppressionOf(db: DbOrTrx, workspaceId: number, phone: string): Promise<SuppressionKind | null> {
  const rows = await db.selectFrom('suppressions').select('kind').where('workspace_id', '=', workspaceId).where('phone', '=', phone).execute();
  if (rows.some((r) => r.kind === 'OPT_OUT')) return 'OPT_OUT';
  return rows.length ? 'DNC' : null;
}

/** Adds a suppression; true when it is new (so its consequences run once). */
export async function addSuppression(
  db: DbOrTrx,
  s: { workspaceId: number; phone: string; kind: SuppressionKind; source: string; messageId: string | null },
): Promise<boolean> {
  const inserted = await db
    .insertInto('suppressions')
    .values({ workspace_id: s.workspaceId, phone: s.phone, kind: s.kind, source: s.source, message_id: s.messageId })
    .onConflict((oc) => oc.doNothing())
    .returning('phone')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** Lifts a suppression; true when there was one. */
export async function removeSuppression(db: DbOrTrx, workspaceId: number, phone: string, kind: SuppressionKind): Promise<boolean> {
  const r = await db.deleteFrom('suppressions').where('workspace_id', '=', workspaceId).where('phone', '=', phone).where('kind', '=', kind).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
