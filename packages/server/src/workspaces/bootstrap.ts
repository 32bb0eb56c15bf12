import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { newApiKey, storeApiKey } from '../auth/api-keys.ts';
import type { AppContext } from '../context.ts';
import type { DbOrTrx } from '../db/pool.ts';
import { newWebhookSecret } from '../webhooks/signing.ts';

export interface CreatedWorkspace {
  orgId: number;
  workspaceId: number;
  senderSourceId: string;
  numbers: string[];
}

/** Creates an organization, a workspace with its webhook secret, and a simulator sender source. */
export async function createWorkspace(
  db: DbOrTrx,
  opts: { orgName: string; workspaceName: string; apiKey: string; numbers: string[] },
): Promise<CreatedWorkspace> {
  const org = await db.insertInto('organizations').values({ name: opts.orgName }).returning('id').executeTakeFirstOrThrow();
  const ws = await db
    .insertInto('workspaces')
    .values({ org_id: org.id, name: opts.workspaceName, webhook_secret: newWebhookSecret() })
    .returning('id')
    .executeTakeFirstOrThrow();
  await storeApiKey(db, ws.id, 'bootstrap', opts.apiKey);
  const sourceId = randomUUID();
  await db
    .insertInto('sender_sources')
    .values({ id: sourceId, workspace_id: ws.id, name: 'Simulator', sender_source_type: 'CORE_CAMPAIGN', provider: 'simulator' })
    .execute();
  for (const phone of opts.numbers) {
    await db.insertInto('sender_numbers').values({ phone, sender_source_id: sourceId, workspace_id: ws.id }).execute();
  }
  return { orgId: org.id, workspaceId: ws.id, senderSourceId: sourceId, numbers: opts.numbers };
}

/** Simulator numbers handed to a new workspace: the NANP's fictional 555-01XX range. */
export async function freeSimulatorNumbers(db: DbOrTrx, count: number): Promise<string[]> {
  const taken = await db.selectFrom('sender_numbers').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
  const first = Number(taken.n);
  return Array.from({ length: count }, (_, i) => `+1202555${String(100 + first + i).padStart(4, '0')}`);
}

export type BootstrapOutcome =
  | { kind: 'existing' }
  | { kind: 'bootstrap-key'; workspace: CreatedWorkspace }
  | { kind: 'demo'; workspace: CreatedWorkspace; apiKey: string };

/**
 * On an empty database: with ENGAGE_BOOTSTRAP_API_KEY, the first workspace gets that key;
 * without it (`demo` allowed), a demo workspace with a fresh key saved in the data directory.
 * Runs under an advisory lock so two processes starting together create one workspace.
 */
export async function bootstrap(ctx: AppContext, opts: { demo: boolean }): Promise<BootstrapOutcome> {
  return ctx.db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(1701734242)`.execute(trx);
    const any = await trx.selectFrom('organizations').select('id').limit(1).executeTakeFirst();
    if (any) return { kind: 'existing' } as const;
    if (ctx.config.bootstrapApiKey) {
      const workspace = await createWorkspace(trx, {
        orgName: 'Engage',
        workspaceName: 'Default',
        apiKey: ctx.config.bootstrapApiKey,
        numbers: await freeSimulatorNumbers(trx, 2),
      });
      return { kind: 'bootstrap-key', workspace } as const;
    }
    if (!opts.demo) return { kind: 'existing' } as const;
    const apiKey = newApiKey();
    const workspace = await createWorkspace(trx, {
      orgName: 'Demo Organization',
      workspaceName: 'Demo',
      apiKey,
      numbers: await freeSimulatorNumbers(trx, 2),
    });
    // The demo texts fictional simulator phones, so it may do so at any hour; real workspaces
    // keep the US_TCPA default (docs/broadcast.md).
    await trx.updateTable('workspaces').set({ quiet_hours_policy: 'NONE' }).where('id', '=', workspace.workspaceId).execute();
    mkdirSync(ctx.config.dataDir, { recursive: true });
    writeFileSync(demoKeyFile(ctx), apiKey + '\n', { mode: 0o600 });
    return { kind: 'demo', workspace, apiKey } as const;
  });
}

export function demoKeyFile(ctx: AppContext): string {
  return path.join(ctx.config.dataDir, 'demo-api-key');
}

/** The demo key saved by an earlier start, so `npm start` can print it again. */
export function savedDemoKey(ctx: AppContext): string | null {
  const file = demoKeyFile(ctx);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : null;
}
