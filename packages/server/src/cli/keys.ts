/** `engage keys create|list|revoke`: workspace API keys, straight in the database. */
import { createApiKey, listApiKeys, revokeApiKey } from '../auth/key-admin.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/pool.ts';
import { withDatabase } from './database.ts';
import { EXIT, USAGE, UsageError, parse, printable } from './usage.ts';

/** The workspace named by --workspace, or the only one. */
async function workspaceOf(db: Db, raw: string | undefined): Promise<number> {
  const all = await db.selectFrom('workspaces').select(['id', 'name']).orderBy('id').execute();
  if (raw !== undefined) {
    const id = Number(raw);
    if (!Number.isInteger(id) || !all.some((w) => w.id === id)) {
      throw new UsageError(`no workspace ${JSON.stringify(raw)}; workspaces: ${all.map((w) => `${w.id} (${w.name})`).join(', ') || 'none'}`, 'keys');
    }
    return id;
  }
  if (all.length === 1) return all[0]!.id;
  if (all.length === 0) throw new UsageError('the database has no workspace yet: run "engage start" once', 'keys');
  throw new UsageError(`several workspaces; pick one with --workspace: ${all.map((w) => `${w.id} (${w.name})`).join(', ')}`, 'keys');
}

export async function keysCommand(config: Config, argv: string[]): Promise<number> {
  const { values, positionals } = parse('keys', argv, {
    workspace: { type: 'string' }, name: { type: 'string' }, json: { type: 'boolean' },
  });
  if (values.help) {
    console.log(USAGE.keys);
    return EXIT.OK;
  }
  const [action, ...rest] = positionals;
  if (action !== 'create' && action !== 'list' && action !== 'revoke') {
    throw new UsageError(action ? `unknown keys action "${action}"` : 'missing action: create, list or revoke', 'keys');
  }
  if (action === 'revoke' && rest.length !== 1) throw new UsageError('revoke takes exactly one key id', 'keys');
  if (action !== 'revoke' && rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`, 'keys');
  const name = values.name ?? 'cli';
  if (!name.trim() || name.length > 200) throw new UsageError('--name must be 1 to 200 characters', 'keys');

  return withDatabase(config, async (db) => {
    const workspaceId = await workspaceOf(db, values.workspace);
    if (action === 'create') {
      const key = await createApiKey(db, workspaceId, name.trim());
      if (values.json) console.log(JSON.stringify({ ...key, workspaceId }));
      else {
        console.log(key.key);
        console.error(`created key ${key.id} (${key.hint}) for workspace ${workspaceId}; it is shown only this once.`);
      }
      return EXIT.OK;
    }
    if (action === 'list') {
      const keys = await listApiKeys(db, workspaceId);
      if (values.json) {
        console.log(JSON.stringify(keys));
        return EXIT.OK;
      }
      const rows = [['ID', 'NAME', 'KEY', 'CREATED', 'STATUS'], ...keys.map((k) => [k.id, printable(k.name), k.hint, k.created, k.revokedAt ? `revoked ${k.revokedAt}` : 'active'])];
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
      for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
      return EXIT.OK;
    }
    const id = rest[0]!;
    if (await revokeApiKey(db, workspaceId, id)) {
      console.log(`revoked key ${id}`);
      return EXIT.OK;
    }
    console.error(`engage keys: no active key ${JSON.stringify(id)} in workspace ${workspaceId}`);
    return EXIT.FAILURE;
  });
}
