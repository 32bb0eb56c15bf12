import { createHash, randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import type { DbOrTrx } from '../db/pool.ts';
import { ApiError, unauthorized } from '../http/errors.ts';
import { CSRF_HEADER, csrfMatches, sessionToken, sessionUser } from './sessions.ts';
import type { Role } from './users.ts';

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
  /** The console user acting, or null for an API key; absent for internal callers (demo seeding). */
  userId?: number | null;
  /** What the caller may do; absent means internal (acts as owner). API keys act as `owner`. */
  role?: Role;
}

/** Who is calling, as `authenticate` resolved it. */
export interface AuthenticatedPrincipal extends Principal {
  userId: number | null;
  role: Role;
  via: 'apiKey' | 'session';
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Resolves the caller: the `X-API-KEY` header (a workspace key, acting as `owner`), else the
 * console's session cookie — which, on anything but GET/HEAD/OPTIONS, must come with the
 * session's CSRF token in `X-CSRF-Token`. Throws 401 (or 403 for a missing CSRF token).
 */
export async function authenticate(ctx: AppContext, req: FastifyRequest): Promise<AuthenticatedPrincipal> {
  const raw = req.headers['x-api-key'];
  const key = Array.isArray(raw) ? raw[0] : raw;
  if (!key) {
    const session = await sessionUser(ctx, req);
    if (!session) throw unauthorized(sessionToken(ctx, req) ? 'the session expired: log in again' : 'missing X-API-KEY header');
    if (!SAFE_METHODS.has(req.method)) {
      const given = req.headers[CSRF_HEADER];
      if (!csrfMatches(ctx, session.token, Array.isArray(given) ? given[0] : given)) {
        throw new ApiError(403, 'FORBIDDEN', 'missing or wrong X-CSRF-Token header', CSRF_HEADER);
      }
    }
    const ws = await ctx.db.selectFrom('workspaces').select('org_id').where('id', '=', session.user.workspace_id).executeTakeFirstOrThrow();
    return { workspaceId: session.user.workspace_id, orgId: ws.org_id, userId: session.user.id, role: session.user.role, via: 'session' };
  }
  const row = await ctx.db
    .selectFrom('api_keys')
    .innerJoin('workspaces', 'workspaces.id', 'api_keys.workspace_id')
    .select(['api_keys.workspace_id', 'workspaces.org_id'])
    .where('api_keys.key_hash', '=', hashSecret(key))
    .where('api_keys.revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row) throw unauthorized('invalid or revoked API key');
  return { workspaceId: row.workspace_id, orgId: row.org_id, userId: null, role: 'owner', via: 'apiKey' };
}

/**
 * Refuses (403) a caller whose role is not one of `roles`. Agents answer conversations; managing
 * API keys, users and sender sources takes an owner or admin.
 */
export function requireRole(who: Principal, ...roles: Role[]): void {
  const role = who.role ?? 'owner';
  if (!roles.includes(role)) throw new ApiError(403, 'FORBIDDEN', `this needs the ${roles.join(' or ')} role (yours: ${role})`);
}

/** Owners and admins: API keys, users, sender sources, provider credentials. */
export const requireManager = (who: Principal) => requireRole(who, 'owner', 'admin');
