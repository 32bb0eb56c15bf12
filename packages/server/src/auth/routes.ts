/**
 * Console login (`/api/console/session`), users and API keys. Users and keys are also reachable
 * with an API key (which acts as `owner`), so automation can create the first console owner.
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import type { AppContext } from '../context.ts';
import { ApiError, notFound, unauthorized } from '../http/errors.ts';
import { ErrorSchema } from '../http/schemas.ts';
import { authenticate, requireManager, type Principal } from './api-keys.ts';
import { createApiKey, listApiKeys, revokeApiKey } from './key-admin.ts';
import { csrfTokenFor, endSession, endSessionsOf, sessionToken, sessionUser, startSession } from './sessions.ts';
import { activeOwners, createUser, getUser, listUsers, updateUser, userView, verifyLogin, type Role, type UserRow } from './users.ts';

const RoleSchema = Type.Union([Type.Literal('owner'), Type.Literal('admin'), Type.Literal('agent')]);
const UserSchema = Type.Object({ id: Type.String(), email: Type.String(), name: Type.String(), role: RoleSchema, created: Type.String(), disabled: Type.Boolean() });
const SessionSchema = Type.Object({
  user: UserSchema,
  workspace: Type.Object({ id: Type.Integer(), name: Type.String() }),
  csrfToken: Type.String({ description: 'Send as `X-CSRF-Token` on every request that is not GET/HEAD/OPTIONS.' }),
});
const LoginSchema = Type.Object(
  { email: Type.String({ minLength: 1, maxLength: 320 }), password: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);
const UserCreateSchema = Type.Object(
  { email: Type.String({ minLength: 3, maxLength: 320 }), name: Type.Optional(Type.String({ maxLength: 200 })), role: RoleSchema, password: Type.String({ maxLength: 200 }) },
  { additionalProperties: false },
);
const UserPatchSchema = Type.Object(
  { name: Type.Optional(Type.String({ maxLength: 200 })), role: Type.Optional(RoleSchema), password: Type.Optional(Type.String({ maxLength: 200 })), disabled: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,15}$' }) });
const ApiKeySchema = Type.Object({ id: Type.String(), name: Type.String(), hint: Type.String(), created: Type.String(), revokedAt: Type.Union([Type.String(), Type.Null()]) });

const session = [{ consoleSession: [] }];
const either: Record<string, string[]>[] = [{ apiKey: [] }, { consoleSession: [] }];

/** Only an owner may create, promote to, or change an owner. */
function checkOwnerChange(who: Principal, target: { role: Role } | null, newRole: Role | undefined): void {
  const touchesOwner = target?.role === 'owner' || newRole === 'owner';
  if (touchesOwner && (who.role ?? 'owner') !== 'owner') throw new ApiError(403, 'FORBIDDEN', 'only an owner may grant or change the owner role', 'role');
}

export function authRoutes(ctx: AppContext) {
  async function sessionBody(user: UserRow, token: string) {
    const ws = await ctx.db.selectFrom('workspaces').select(['id', 'name']).where('id', '=', user.workspace_id).executeTakeFirstOrThrow();
    return { user: userView(user), workspace: { id: ws.id, name: ws.name }, csrfToken: csrfTokenFor(ctx, token) };
  }

  return async (app: FastifyInstance) => {
    app.post<{ Body: Static<typeof LoginSchema> }>('/api/console/session', {
      schema: {
        tags: ['Console'], summary: 'Log in',
        description: 'Sets the session cookie (HttpOnly, SameSite=Strict; Secure when PUBLIC_URL is https) and returns the CSRF token. Wrong e-mail and wrong password answer the same 401.',
        body: LoginSchema, response: { 200: SessionSchema, 400: ErrorSchema, 401: ErrorSchema },
      },
    }, async (req, reply) => {
      const user = await verifyLogin(ctx.db, req.body.email, req.body.password);
      if (!user) throw unauthorized('wrong e-mail or password');
      await endSession(ctx, reply, sessionToken(ctx, req)).catch(() => undefined);
      const token = await startSession(ctx, reply, user);
      reply.header('cache-control', 'no-store');
      return sessionBody(user, token);
    });

    app.get('/api/console/session', {
      schema: { tags: ['Console'], security: session, summary: 'The logged-in user', response: { 200: SessionSchema, 401: ErrorSchema } },
    }, async (req, reply) => {
      const s = await sessionUser(ctx, req);
      if (!s) throw unauthorized('not logged in');
      reply.header('cache-control', 'no-store');
      return sessionBody(s.user, s.token);
    });

    app.delete('/api/console/session', {
      schema: { tags: ['Console'], security: session, summary: 'Log out', description: 'Needs `X-CSRF-Token`.', response: { 204: Type.Null(), 401: ErrorSchema, 403: ErrorSchema } },
    }, async (req, reply) => {
      const token = sessionToken(ctx, req);
      if (token && (await sessionUser(ctx, req))) await authenticate(ctx, req); // CSRF check
      await endSession(ctx, reply, token);
      return reply.status(204).send();
    });

    // ---- users ----
    app.get('/api/public/engage/users', {
      schema: { tags: ['Users'], security: either, summary: "The workspace's console users", response: { 200: Type.Object({ users: Type.Array(UserSchema) }), 401: ErrorSchema } },
    }, async (req) => {
      const who = await authenticate(ctx, req);
      return { users: (await listUsers(ctx.db, who.workspaceId)).map(userView) };
    });

    app.post<{ Body: Static<typeof UserCreateSchema> }>('/api/public/engage/users', {
      schema: {
        tags: ['Users'], security: either, summary: 'Create a console user',
        description: 'Owners and admins (and API keys). Only an owner may create an owner. The password needs at least 10 characters.',
        body: UserCreateSchema, response: { 201: UserSchema, 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 409: ErrorSchema },
      },
    }, async (req, reply) => {
      const who = await authenticate(ctx, req);
      requireManager(who);
      checkOwnerChange(who, null, req.body.role);
      return reply.status(201).send(userView(await createUser(ctx.db, who.workspaceId, req.body)));
    });

    app.patch<{ Params: { id: string }; Body: Static<typeof UserPatchSchema> }>('/api/public/engage/users/:id', {
      schema: {
        tags: ['Users'], security: either, summary: 'Edit a console user',
        description: 'Name, role, password or `disabled`. A new password or disabling ends the user\'s sessions. The last active owner stays an owner.',
        params: IdParams, body: UserPatchSchema, response: { 200: UserSchema, 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema },
      },
    }, async (req) => {
      const who = await authenticate(ctx, req);
      const target = await getUser(ctx.db, who.workspaceId, req.params.id);
      const self = who.userId === target.id;
      // Anyone may change their own name and password; the rest is for managers.
      const onlyOwnProfile = self && req.body.role === undefined && req.body.disabled === undefined;
      if (!onlyOwnProfile) requireManager(who);
      checkOwnerChange(who, target, req.body.role);
      const demotes = target.role === 'owner' && ((req.body.role !== undefined && req.body.role !== 'owner') || req.body.disabled === true);
      return ctx.db.transaction().execute(async (trx) => {
        if (demotes && (await activeOwners(trx, who.workspaceId)) <= 1) throw new ApiError(409, 'CONFLICT', 'the workspace needs at least one active owner', 'role');
        const updated = await updateUser(trx, target, req.body, ctx.now());
        if (req.body.password !== undefined || req.body.disabled === true) await endSessionsOf(trx, target.id);
        return userView(updated);
      });
    });

    app.delete<{ Params: { id: string } }>('/api/public/engage/users/:id', {
      schema: {
        tags: ['Users'], security: either, summary: 'Delete a console user', description: 'Ends their sessions and unassigns their conversations.',
        params: IdParams, response: { 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema },
      },
    }, async (req, reply) => {
      const who = await authenticate(ctx, req);
      requireManager(who);
      const target = await getUser(ctx.db, who.workspaceId, req.params.id);
      checkOwnerChange(who, target, undefined);
      await ctx.db.transaction().execute(async (trx) => {
        if (target.role === 'owner' && !target.disabled_at && (await activeOwners(trx, who.workspaceId)) <= 1) {
          throw new ApiError(409, 'CONFLICT', 'the workspace needs at least one active owner', 'id');
        }
        await trx.deleteFrom('users').where('id', '=', target.id).execute();
      });
      return reply.status(204).send();
    });

    // ---- API keys ----
    app.get('/api/public/engage/api-keys', {
      schema: {
        tags: ['API keys'], security: either, summary: "The workspace's API keys", description: 'Owners and admins. Newest first, revoked ones included; only a hint of each key.',
        response: { 200: Type.Object({ apiKeys: Type.Array(ApiKeySchema) }), 401: ErrorSchema, 403: ErrorSchema },
      },
    }, async (req) => {
      const who = await authenticate(ctx, req);
      requireManager(who);
      return { apiKeys: await listApiKeys(ctx.db, who.workspaceId) };
    });

    app.post<{ Body: { name: string } }>('/api/public/engage/api-keys', {
      schema: {
        tags: ['API keys'], security: either, summary: 'Create an API key', description: 'Owners and admins. The answer holds the key itself — the only time it is shown.',
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
        response: { 201: Type.Object({ id: Type.String(), key: Type.String(), hint: Type.String() }), 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema },
      },
    }, async (req, reply) => {
      const who = await authenticate(ctx, req);
      requireManager(who);
      reply.header('cache-control', 'no-store');
      return reply.status(201).send(await createApiKey(ctx.db, who.workspaceId, req.body.name.trim() || 'key'));
    });

    app.delete<{ Params: { id: string } }>('/api/public/engage/api-keys/:id', {
      schema: {
        tags: ['API keys'], security: either, summary: 'Revoke an API key', description: 'Owners and admins. Requests with it get 401 from now on.',
        params: IdParams, response: { 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema },
      },
    }, async (req, reply) => {
      const who = await authenticate(ctx, req);
      requireManager(who);
      if (!(await revokeApiKey(ctx.db, who.workspaceId, req.params.id))) throw notFound('API key');
      return reply.status(204).send();
    });
  };
}
