/**
 * The workspace's webhook signing secret and its rotation. A rotation keeps the previous secret
 * valid for an overlap period, during which every webhook carries both signatures (Standard
 * Webhooks allows several, space-separated), so receivers can switch to the new secret at leisure.
 */
import type { AppContext } from '../context.ts';
import type { DbOrTrx } from '../db/pool.ts';
import { newWebhookSecret } from '../webhooks/signing.ts';

/** Default overlap of a rotation: 24 hours. */
export const DEFAULT_OVERLAP_SECONDS = 86_400;
/** Longest overlap accepted: 30 days. */
export const MAX_OVERLAP_SECONDS = 30 * 86_400;

export interface WorkspaceSecrets {
  secret: string;
  previousSecret: string | null;
  previousSecretExpires: Date | null;
}

/** The secrets that sign a webhook sent at `now`: the current one first, then a still-valid previous one. */
export function signingSecrets(w: { webhook_secret: string; previous_webhook_secret: string | null; previous_webhook_secret_expires: Date | null }, now: Date): string[] {
  const previousValid = w.previous_webhook_secret !== null && w.previous_webhook_secret_expires !== null && w.previous_webhook_secret_expires > now;
  return previousValid ? [w.webhook_secret, w.previous_webhook_secret!] : [w.webhook_secret];
}

/** The signing secrets of a workspace at `now` (for any signed webhook, e.g. list-load summaries). */
export async function workspaceSigningSecrets(db: DbOrTrx, workspaceId: number, now: Date): Promise<string[]> {
  const w = await db
    .selectFrom('workspaces')
    .select(['webhook_secret', 'previous_webhook_secret', 'previous_webhook_secret_expires'])
    .where('id', '=', workspaceId)
    .executeTakeFirstOrThrow();
  return signingSecrets(w, now);
}

export async function getWebhookSecrets(db: DbOrTrx, workspaceId: number, now: Date): Promise<WorkspaceSecrets> {
  const w = await db
    .selectFrom('workspaces')
    .select(['webhook_secret', 'previous_webhook_secret', 'previous_webhook_secret_expires'])
    .where('id', '=', workspaceId)
    .executeTakeFirstOrThrow();
  const valid = signingSecrets(w, now).length > 1;
  return {
    secret: w.webhook_secret,
    previousSecret: valid ? w.previous_webhook_secret : null,
    previousSecretExpires: valid ? w.previous_webhook_secret_expires : null,
  };
}

/** Makes a new secret current; the old one keeps signing for `overlapSeconds` (0 = stops at once). */
export async function rotateWebhookSecret(ctx: AppContext, workspaceId: number, overlapSeconds: number): Promise<WorkspaceSecrets> {
  const now = ctx.now();
  const secret = newWebhookSecret();
  return ctx.db.transaction().execute(async (trx) => {
    const w = await trx.selectFrom('workspaces').select('webhook_secret').where('id', '=', workspaceId).forUpdate().executeTakeFirstOrThrow();
    const expires = overlapSeconds > 0 ? new Date(now.getTime() + overlapSeconds * 1000) : null;
    await trx
      .updateTable('workspaces')
      .set({ webhook_secret: secret, previous_webhook_secret: expires ? w.webhook_secret : null, previous_webhook_secret_expires: expires, updated: now })
      .where('id', '=', workspaceId)
      .execute();
    return { secret, previousSecret: expires ? w.webhook_secret : null, previousSecretExpires: expires };
  });
}
