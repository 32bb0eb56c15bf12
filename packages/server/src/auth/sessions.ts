/**
 * Console sessions: a random token in an HttpOnly, SameSite=Strict cookie (Secure, with the
 * `__Host-` prefix, when PUBLIC_URL is https). Only the token's SHA-256 is stored.
 *
 * CSRF: every request that changes something must also carry `X-CSRF-Token`, a value derived
 * from the session token (HMAC with ENGAGE_SECRET) that the console reads from the login and
 * `/me` answers. Another site can make the browser send the cookie, but cannot read or forge
 * the token, and SameSite=Strict keeps the cookie off cross-site requests in the first place.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import type { DbOrTrx } from '../db/pool.ts';
import { hashSecret } from './api-keys.ts';
import type { UserRow } from './users.ts';

/** A session ends after this long without a request. */
export const SESSION_IDLE_MS = 12 * 3600_000;
/** …and at the latest this long after logging in. */
export const SESSION_MAX_MS = 7 * 24 * 3600_000;
/** last_seen is written at most this often, so reads do not each cost a write. */
const TOUCH_EVERY_MS = 60_000;

export const CSRF_HEADER = 'x-csrf-token';

export function sessionCookieName(ctx: AppContext): string {
  return secureCookies(ctx) ? '__Host-engage_session' : 'engage_session';
}

function secureCookies(ctx: AppContext): boolean {
  return ctx.config.publicUrl.startsWith('https:');
}

export function csrfTokenFor(ctx: AppContext, sessionToken: string): string {
  return createHmac('sha256', ctx.config.secret).update(`engage-csrf:${sessionToken}`).digest('base64url');
}

export function csrfMatches(ctx: AppContext, sessionToken: string, given: string | undefined): boolean {
  if (!given) return false;
  const want = Buffer.from(csrfTokenFor(ctx, sessionToken));
  const got = Buffer.from(given);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** Opens a session for the user and sets its cookie; returns the token (for the CSRF token). */
export async function startSession(ctx: AppContext, reply: FastifyReply, user: Pick<UserRow, 'id'>): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  const now = ctx.now();
  await ctx.db
    .insertInto('sessions')
    .values({ token_hash: hashSecret(token), user_id: user.id, created: now, last_seen: now, expires_at: new Date(now.getTime() + SESSION_IDLE_MS) })
    .execute();
  reply.setCookie(sessionCookieName(ctx), token, {
    path: '/', httpOnly: true, sameSite: 'strict', secure: secureCookies(ctx), maxAge: SESSION_MAX_MS / 1000,
  });
  return token;
}

export function sessionToken(ctx: AppContext, req: FastifyRequest): string | null {
  return req.cookies?.[sessionCookieName(ctx)] ?? null;
}

export interface SessionUser { token: string; user: UserRow }

/** The logged-in, active user of this request's session cookie, or null. Slides the idle timeout. */
export async function sessionUser(ctx: AppContext, req: FastifyRequest): Promise<SessionUser | null> {
  const token = sessionToken(ctx, req);
  if (!token) return null;
  const now = ctx.now();
  const row = await ctx.db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .selectAll('users')
    .select(['sessions.created as session_created', 'sessions.last_seen', 'sessions.expires_at'])
    .where('sessions.token_hash', '=', hashSecret(token))
    .executeTakeFirst();
  if (!row || row.expires_at <= now || row.disabled_at || now.getTime() - row.session_created.getTime() > SESSION_MAX_MS) return null;
  if (now.getTime() - row.last_seen.getTime() > TOUCH_EVERY_MS) {
    await ctx.db
      .updateTable('sessions')
      .set({ last_seen: now, expires_at: new Date(now.getTime() + SESSION_IDLE_MS) })
      .where('token_hash', '=', hashSecret(token))
      .execute();
  }
  const { session_created: _c, last_seen: _l, expires_at: _e, ...user } = row;
  return { token, user };
}

export async function endSession(ctx: AppContext, reply: FastifyReply, token: string | null): Promise<void> {
  if (token) await ctx.db.deleteFrom('sessions').where('token_hash', '=', hashSecret(token)).execute();
  reply.clearCookie(sessionCookieName(ctx), { path: '/', httpOnly: true, sameSite: 'strict', secure: secureCookies(ctx) });
}

/** Ends every session of a user (password change, disabling). */
export async function endSessionsOf(db: DbOrTrx, userId: number): Promise<void> {
  await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
}
