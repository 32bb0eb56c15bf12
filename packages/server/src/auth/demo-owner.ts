/**
 * The demo's console owner: `engage start` on an empty database creates one with a random
 * password, prints it, and keeps it in `$ENGAGE_DATA_DIR/demo-owner` so later starts can print it again.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AppContext } from '../context.ts';
import { createUser } from './users.ts';

export const DEMO_OWNER_EMAIL = 'owner@engage.local';

export interface DemoOwner { email: string; password: string }

function file(ctx: AppContext): string {
  return path.join(ctx.config.dataDir, 'demo-owner');
}

export async function createDemoOwner(ctx: AppContext, workspaceId: number): Promise<DemoOwner> {
  const password = randomBytes(12).toString('base64url');
  await createUser(ctx.db, workspaceId, { email: DEMO_OWNER_EMAIL, name: 'Demo Owner', role: 'owner', password });
  writeFileSync(file(ctx), `${DEMO_OWNER_EMAIL}\n${password}\n`, { mode: 0o600 });
  return { email: DEMO_OWNER_EMAIL, password };
}

/** The demo owner saved by an earlier start (its password may have been changed since). */
export function savedDemoOwner(ctx: AppContext): DemoOwner | null {
  if (!existsSync(file(ctx))) return null;
  const [email, password] = readFileSync(file(ctx), 'utf8').split('\n');
  return email && password ? { email, password } : null;
}
