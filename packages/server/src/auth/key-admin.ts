import type { DbOrTrx } from '../db/pool.ts';
import { newApiKey, storeApiKey } from './api-keys.ts';

/**
 * Administration of a workspace's API keys, shared by the `engage keys` CLI and the console.
 * Every function is scoped to one workspace: a key id of another workspace is "not found".
 */

export interface ApiKeySummary {
  id: string;
  name: string;
  /** The key's last four characters, e.g. `…x9Zq`: enough to recognise it, useless to an attacker. */
  hint: string;
  created: string;
  /** When the key was revoked; null while it still works. */
  revokedAt: string | null;
}

export interface CreatedApiKey {
  id: string;
  /** The plain key. Shown once: only its hash is stored. */
  key: string;
  hint: string;
}

/** Every key of the workspace, newest first, revoked ones included (for the audit trail). */
export async function listApiKeys(db: DbOrTrx, workspaceId: number): Promise<ApiKeySummary[]> {
  const rows = await db
    .selectFrom('api_keys')
    .select(['id', 'name', 'key_hint', 'created', 'revoked_at'])
    .where('workspace_id', '=', workspaceId)
    .orderBy('id', 'desc')
    .execute();
  return rows.map((r) => ({
    id: String(r.id),
    name: r.name,
    hint: r.key_hint,
    created: r.created.toISOString(),
    revokedAt: r.revoked_at ? r.revoked_at.toISOString() : null,
  }));
}

/** Creates a key for the workspace and returns it in plain text (the only time it is visible). */
export async function createApiKey(db: DbOrTrx, workspaceId: number, name: string): Promise<CreatedApiKey> {
  const key = newApiKey();
  const id = await storeApiKey(db, workspaceId, name, key);
  return { id, key, hint: `…${key.slice(-4)}` };
}

/**
 * Revokes a key at once (the next request with it gets 401). Returns false when the workspace has
 * no such key or it was already revoked, so callers can answer 404 without a second query.
 */
export async function revokeApiKey(db: DbOrTrx, workspaceId: number, id: string): Promise<boolean> {
  if (!/^[0-9]{1,15}$/.test(id)) return false;
  const res = await db
    .updateTable('api_keys')
    .set({ revoked_at: new Date() })
    .where('id', '=', id)
    .where('workspace_id', '=', workspaceId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}
