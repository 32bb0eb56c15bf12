import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { authenticate, requireManager } from '../auth/api-keys.ts';
import type { AppContext } from '../context.ts';
import { iso } from '../core/time.ts';
import { ErrorSchema } from '../http/schemas.ts';
import { DEFAULT_OVERLAP_SECONDS, MAX_OVERLAP_SECONDS, rotateWebhookSecret } from './webhook-secret.ts';

const RotateBody = Type.Object(
  { overlapSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_OVERLAP_SECONDS })) },
  { additionalProperties: false },
);
const SecretsSchema = Type.Object({
  secret: Type.String(),
  previousSecret: Type.Union([Type.String(), Type.Null()]),
  previousSecretExpires: Type.Union([Type.String(), Type.Null()]),
});

export function webhookSecretRoutes(ctx: AppContext) {
  return async (app: FastifyInstance) => {
    app.post<{ Body: Static<typeof RotateBody> | undefined }>('/api/public/engage/webhook-secret/rotate', {
      schema: {
        tags: ['Workspace'], security: [{ apiKey: [] }], summary: 'Rotate the webhook signing secret',
        description:
          `A new secret signs every webhook from now on. For \`overlapSeconds\` (default ${DEFAULT_OVERLAP_SECONDS}, at most ${MAX_OVERLAP_SECONDS}; 0 = none) ` +
          'the previous one signs too: `webhook-signature` carries both `v1,…` signatures, space-separated, so a receiver verifying with either secret accepts it.',
        body: Type.Optional(RotateBody), response: { 200: SecretsSchema, 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema },
      },
    }, async (req) => {
      const who = await authenticate(ctx, req);
      requireManager(who);
      const s = await rotateWebhookSecret(ctx, who.workspaceId, req.body?.overlapSeconds ?? DEFAULT_OVERLAP_SECONDS);
      return { secret: s.secret, previousSecret: s.previousSecret, previousSecretExpires: iso(s.previousSecretExpires) };
    });
  };
}
