import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/db.ts';
import { hashSecret } from '../auth/api-keys.ts';
import { loadConfig } from '../config.ts';
import type { AppContext } from '../context.ts';
import { createDb } from '../db/pool.ts';
import { ProviderRegistry } from '../providers/registry.ts';
import { bootstrap, savedDemoKey } from './bootstrap.ts';

let database: { url: string; drop: () => Promise<void> };
let dataDir: string;
let dbs: ReturnType<typeof createDb>[] = [];

function ctxWith(env: Record<string, string>): AppContext {
  const made = createDb(database.url, 2);
  dbs.push(made);
  const config = loadConfig({ DATABASE_URL: database.url, ENGAGE_DATA_DIR: dataDir, ENGAGE_SECRET: 'bootstrap-test-secret', ...env });
  return { config, db: made.db, log: pino({ level: 'silent' }), providers: new ProviderRegistry([]), now: () => new Date() };
}

beforeEach(async () => {
  database = await createTestDatabase();
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'engage-boot-'));
});
afterEach(async () => {
  for (const d of dbs) await d.db.destroy();
  dbs = [];
  await database.drop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('bootstrap', () => {
  it('creates one workspace with the bootstrap key, even when processes start together', async () => {
    const outcomes = await Promise.all([1, 2, 3].map(() => bootstrap(ctxWith({ ENGAGE_BOOTSTRAP_API_KEY: 'engk_boot' }), { demo: true })));
    expect(outcomes.filter((o) => o.kind === 'bootstrap-key')).toHaveLength(1);
    const ctx = ctxWith({});
    expect(await ctx.db.selectFrom('workspaces').selectAll().execute()).toHaveLength(1);
    const key = await ctx.db.selectFrom('api_keys').selectAll().executeTakeFirstOrThrow();
    expect(key.key_hash.equals(hashSecret('engk_boot'))).toBe(true);
    const sources = await ctx.db.selectFrom('sender_sources').innerJoin('sender_numbers', 'sender_numbers.sender_source_id', 'sender_sources.id').selectAll().execute();
    expect(sources.length).toBeGreaterThan(0);
    expect(sources.every((s) => s.provider === 'simulator')).toBe(true);
  });

  it('without a bootstrap key creates a demo workspace and keeps its key for the next start', async () => {
    const ctx = ctxWith({});
    const first = await bootstrap(ctx, { demo: true });
    expect(first.kind).toBe('demo');
    const key = first.kind === 'demo' ? first.apiKey : '';
    expect((await readFile(path.join(dataDir, 'demo-api-key'), 'utf8')).trim()).toBe(key);
    expect(savedDemoKey(ctx)).toBe(key);
    expect((await bootstrap(ctx, { demo: true })).kind).toBe('existing');
    expect(await ctx.db.selectFrom('workspaces').selectAll().execute()).toHaveLength(1);
  });

  it('creates nothing for `engage api` without a bootstrap key', async () => {
    const ctx = ctxWith({});
    expect((await bootstrap(ctx, { demo: false })).kind).toBe('existing');
    expect(await ctx.db.selectFrom('workspaces').selectAll().execute()).toHaveLength(0);
  });
});
