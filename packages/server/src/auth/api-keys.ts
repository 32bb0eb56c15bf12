import { createHash, randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import type { DbOrTrx } from '../db/pool.ts';
import { unauthorized } from '../http/errors.ts';

/** Keys are stored as SHA-256: they are random and long, so a slow hash adds nothing. */
export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

export function newApiKey(): string {
  return 'engk_' + randomBytes(24).toString('base64url');
}

/** Stores a workspace API key (hashed) and returns its id. The plain key is never stored. */
export async function storeApiKey(db: DbOrTrx, workspaceId: number, name: string, key: string): Promise<string> {
  const row = await db
    .insertInto('api_keys')
    .values({ workspace_id: workspaceId, name, key_hash: hashSecret(key), key_hint: `…${key.slice(-4)}` })
    .returning('id')
    .executeTakeFirstOrThrow();
  return String(row.id);
}

export interface Principal {
  workspaceId: number;
  orgId: number;
}

/** Resolves the `X-API-KEY` header to its workspace, or throws 401. */
export async function authenticate(ctx: AppContext, req: FastifyRequest): Promise<Principal> {
  const raw = req.headers['x-api-key'];
  const key = Array.isArray(raw) ? raw[0] : raw;
  if (!key) throw unauthorized('missing X-API-KEY header');
  const row = await ctx.db
    .selectFrom('api_keys')
    .innerJoin('workspaces', 'workspaces.id', 'api_keys.workspace_id')
    .select(['api_keys.workspace_id', 'workspaces.org_id'])
    .where('api_keys.key_hash', '=', hashSecret(key))
    .where('api_keys.revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row) throw unauthorized('invalid or revoked API key');
  return { workspaceId: row.workspace_id, orgId: row.org_id };
}
