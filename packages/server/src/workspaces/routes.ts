import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { authenticate } from '../auth/api-keys.ts';
import type { AppContext } from '../context.ts';
import { iso } from '../core/time.ts';
import { isValidTimeZone } from '../core/schedule.ts';
import { badRequest } from '../http/errors.ts';
import { ErrorSchema } from '../http/schemas.ts';

const security = [{ apiKey: [] }];
const QuietHoursPolicySchema = Type.Union([Type.Literal('US_TCPA'), Type.Literal('NONE')]);
const WorkspacePatchSchema = Type.Object(
  { name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), quietHoursPolicy: Type.Optional(QuietHoursPolicySchema), timeZone: Type.Optional(Type.String({ maxLength: 64 })) },
  { additionalProperties: false },
);
const WorkspaceSchema = Type.Object({
  id: Type.Integer(), orgId: Type.Integer(), name: Type.String(), quietHoursPolicy: QuietHoursPolicySchema, timeZone: Type.String(), created: Type.String(), updated: Type.String(),
});

export function workspaceRoutes(ctx: AppContext) {
  const view = (w: { id: number; org_id: number; name: string; quiet_hours_policy: string; timezone: string; created: Date; updated: Date }) => ({
    id: w.id, orgId: w.org_id, name: w.name, quietHoursPolicy: w.quiet_hours_policy, timeZone: w.timezone, created: iso(w.created), updated: iso(w.updated),
  });

  return async (app: FastifyInstance) => {
    app.get('/api/public/engage/webhook-secret', {
      schema: {
        tags: ['Workspace'], security, summary: "The workspace's webhook signing secret",
        description: 'Standard Webhooks secret (`whsec_…`) that signs every webhook of this workspace.',
        response: { 200: Type.Object({ secret: Type.String() }), 401: ErrorSchema },
      },
    }, async (req) => {
      const who = await authenticate(ctx, req);
      const w = await ctx.db.selectFrom('workspaces').select('webhook_secret').where('id', '=', who.workspaceId).executeTakeFirstOrThrow();
      return { secret: w.webhook_secret };
    });

    app.get('/api/public/engage/workspace', {
      schema: { tags: ['Workspace'], security, summary: 'The workspace settings', response: { 200: WorkspaceSchema, 401: ErrorSchema } },
    }, async (req) => {
      const who = await authenticate(ctx, req);
      return view(await ctx.db.selectFrom('workspaces').selectAll().where('id', '=', who.workspaceId).executeTakeFirstOrThrow());
    });

    app.patch<{ Body: Static<typeof WorkspacePatchSchema> }>('/api/public/engage/workspace', {
      schema: {
        tags: ['Workspace'], security, summary: 'Edit the workspace settings',
        description: '`quietHoursPolicy`: `US_TCPA` (default) or `NONE`; `timeZone`: IANA zone for the workspace\'s own times.',
        body: WorkspacePatchSchema, response: { 200: WorkspaceSchema, 400: ErrorSchema, 401: ErrorSchema },
      },
    }, async (req) => {
      const who = await authenticate(ctx, req);
      const b = req.body;
      if (b.timeZone !== undefined && !isValidTimeZone(b.timeZone)) throw badRequest('timeZone', `"${b.timeZone}" is not an IANA time zone`);
      if (b.name !== undefined && !b.name.trim()) throw badRequest('name', 'must not be blank');
      const row = await ctx.db
        .updateTable('workspaces')
        .set({
          ...(b.name !== undefined ? { name: b.name.trim() } : {}),
          ...(b.quietHoursPolicy !== undefined ? { quiet_hours_policy: b.quietHoursPolicy } : {}),
          ...(b.timeZone !== undefined ? { timezone: b.timeZone } : {}),
          updated: ctx.now(),
        })
        .where('id', '=', who.workspaceId)
        .returningAll()
        .executeTakeFirstOrThrow();
      return view(row);
    });
  };
}
