/**
 * Console users: people who log into the console, each in one workspace with one role.
 *
 * Roles, strongest first:
 * - owner — everything, including other owners;
 * - admin — everything but granting or changing the owner role;
 * - agent — campaigns, lists, inbox and conversations; not API keys, users or sender sources.
 *
 * Passwords are hashed with argon2id (@node-rs/argon2, its defaults: 19 MiB, t=2, p=1 — OWASP's
 * minimum); e-mail addresses are the login names, unique across the installation regardless of case.
 */
import { hash, verify } from '@node-rs/argon2';
import { sql } from 'kysely';
import type { DbOrTrx } from '../db/pool.ts';
import type { UsersTable } from '../db/schema.ts';
import { ApiError, badRequest, notFound } from '../http/errors.ts';

export type Role = 'owner' | 'admin' | 'agent';
export const ROLES: readonly Role[] = ['owner', 'admin', 'agent'];

export const MIN_PASSWORD_LENGTH = 10;
const MAX_PASSWORD_LENGTH = 200;

export interface UserRow {
  id: number;
  workspace_id: number;
  email: string;
  name: string;
  role: Role;
  password_hash: string;
  created: Date;
  updated: Date;
  disabled_at: Date | null;
}

export interface UserView { id: string; email: string; name: string; role: Role; created: string; disabled: boolean }

export function userView(u: Pick<UsersTable, 'email' | 'name' | 'role'> & { id: number; created: Date; disabled_at: Date | null }): UserView {
  return { id: String(u.id), email: u.email, name: u.name, role: u.role, created: u.created.toISOString(), disabled: u.disabled_at !== null };
}

const EMAIL = /^[^\s@<>"]+@[^\s@<>"]+$/;

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw badRequest('password', `must be at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > MAX_PASSWORD_LENGTH) throw badRequest('password', `must be at most ${MAX_PASSWORD_LENGTH} characters`);
}

export async function hashPassword(password: string): Promise<string> {
  return hash(password);
}

/** A hash of nothing anyone knows, verified against when the e-mail is unknown so timing does not tell. */
let decoyHash: Promise<string> | null = null;

/** The active user with this e-mail and password, or null (wrong password, unknown or disabled user). */
export async function verifyLogin(db: DbOrTrx, email: string, password: string): Promise<UserRow | null> {
  const user = await db
    .selectFrom('users')
    .selectAll()
    .where(sql<string>`lower(email)`, '=', email.trim().toLowerCase())
    .executeTakeFirst();
  if (!user || user.disabled_at) {
    decoyHash ??= hash('engage-decoy-password');
    await verify(await decoyHash, password).catch(() => false);
    return null;
  }
  return (await verify(user.password_hash, password).catch(() => false)) ? user : null;
}

export interface NewUser { email: string; name?: string; role: Role; password: string }

export async function createUser(db: DbOrTrx, workspaceId: number, input: NewUser): Promise<UserRow> {
  const email = input.email.trim();
  if (!EMAIL.test(email) || email.length > 320) throw badRequest('email', 'must be an e-mail address');
  if (!ROLES.includes(input.role)) throw badRequest('role', `must be one of ${ROLES.join(', ')}`);
  checkPassword(input.password);
  const exists = await db.selectFrom('users').select('id').where(sql<string>`lower(email)`, '=', email.toLowerCase()).executeTakeFirst();
  if (exists) throw new ApiError(409, 'CONFLICT', 'a user with this e-mail already exists', 'email');
  return db
    .insertInto('users')
    .values({
      workspace_id: workspaceId,
      email,
      name: (input.name ?? '').trim() || email.split('@')[0]!,
      role: input.role,
      password_hash: await hashPassword(input.password),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function listUsers(db: DbOrTrx, workspaceId: number): Promise<UserRow[]> {
  return db.selectFrom('users').selectAll().where('workspace_id', '=', workspaceId).orderBy('id').execute();
}

export async function getUser(db: DbOrTrx, workspaceId: number, id: string): Promise<UserRow> {
  if (!/^[0-9]{1,15}$/.test(id)) throw notFound('user');
  const user = await db.selectFrom('users').selectAll().where('id', '=', Number(id)).where('workspace_id', '=', workspaceId).executeTakeFirst();
  if (!user) throw notFound('user');
  return user;
}

export interface UserPatch { name?: string; role?: Role; password?: string; disabled?: boolean }

export async function updateUser(db: DbOrTrx, user: UserRow, patch: UserPatch, now: Date): Promise<UserRow> {
  if (patch.password !== undefined) checkPassword(patch.password);
  if (patch.name !== undefined && !patch.name.trim()) throw badRequest('name', 'must not be blank');
  return db
    .updateTable('users')
    .set({
      ...(patch.name !== undefined ? { name: patch.name.trim() } : {}),
      ...(patch.role !== undefined ? { role: patch.role } : {}),
      ...(patch.password !== undefined ? { password_hash: await hashPassword(patch.password) } : {}),
      ...(patch.disabled !== undefined ? { disabled_at: patch.disabled ? (user.disabled_at ?? now) : null } : {}),
      updated: now,
    })
    .where('id', '=', user.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** How many active owners the workspace has: the last one may not be demoted or disabled. */
export async function activeOwners(db: DbOrTrx, workspaceId: number): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select(sql<number>`count(*)`.as('n'))
    .where('workspace_id', '=', workspaceId)
    .where('role', '=', 'owner')
    .where('disabled_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
