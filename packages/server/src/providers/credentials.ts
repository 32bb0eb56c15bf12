/**
 * Provider credentials: one workspace's account at Twilio or Telnyx. Secret fields (the Twilio auth
 * token, the Telnyx API key) are sealed with AES-256-GCM under a key derived from ENGAGE_SECRET and
 * bound to the row (id, workspace, provider) so a sealed box cannot be moved to another row. Only
 * masked hints (`…a1b2`) ever leave this module towards operators; the decrypted credential is
 * handed to adapters and webhook verifiers only, and is never logged.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import type { AppContext } from '../context.ts';
import type { DbOrTrx } from '../db/pool.ts';

export const PROVIDER_KINDS = ['twilio', 'telnyx'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

export interface TwilioCredential {
  kind: 'twilio';
  id: string;
  workspaceId: number;
  name: string;
  accountSid: string;
  /** When set, sends carry `MessagingServiceSid` (A2P 10DLC campaigns live on the service). */
  messagingServiceSid: string | null;
  /**
   * Look up each lead's line type (Twilio Lookup v2, line_type_intelligence; billed by Twilio)
   * before its broadcast, and end landlines unsent. Default false.
   */
  lookupLineType: boolean;
  authToken: string;
}

export interface TelnyxCredential {
  kind: 'telnyx';
  id: string;
  workspaceId: number;
  name: string;
  /** Sent as `messaging_profile_id` when set. */
  messagingProfileId: string | null;
  /** The account's ed25519 public key (base64, from the Mission Control portal) for webhooks. */
  publicKey: string;
  apiKey: string;
}

export type ProviderCredential = TwilioCredential | TelnyxCredential;

/** What an operator sends to create a credential. */
export type CredentialInput =
  | { provider: 'twilio'; name: string; accountSid: string; authToken: string; messagingServiceSid?: string | null; lookupLineType?: boolean }
  | { provider: 'telnyx'; name: string; apiKey: string; publicKey: string; messagingProfileId?: string | null };

/** Which fields of each kind are secret: sealed, never returned, never logged. */
export const SECRET_FIELDS: Record<ProviderKind, readonly string[]> = { twilio: ['authToken'], telnyx: ['apiKey'] };

// ---------------------------------------------------------------- sealing

const BOX_VERSION = 1;

function credentialKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'engage', 'engage-provider-credentials-v1', 32));
}

function aadOf(id: string, workspaceId: number, kind: ProviderKind): Buffer {
  return Buffer.from(`engage-credential:${id}:${workspaceId}:${kind}`, 'utf8');
}

export function sealSecrets(secret: string, row: { id: string; workspaceId: number; kind: ProviderKind }, secrets: Record<string, string>): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', credentialKey(secret), iv);
  cipher.setAAD(aadOf(row.id, row.workspaceId, row.kind));
  const ct = Buffer.concat([cipher.update(JSON.stringify(secrets), 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([BOX_VERSION]), iv, cipher.getAuthTag(), ct]);
}

/** Throws when the box was not sealed for this row under this secret (or was tampered with). */
export function openSecrets(secret: string, row: { id: string; workspaceId: number; kind: ProviderKind }, box: Buffer): Record<string, string> {
  if (box.length < 29 || box[0] !== BOX_VERSION) throw new Error('unsupported credential box');
  const decipher = createDecipheriv('aes-256-gcm', credentialKey(secret), box.subarray(1, 13));
  decipher.setAAD(aadOf(row.id, row.workspaceId, row.kind));
  decipher.setAuthTag(box.subarray(13, 29));
  const plain = Buffer.concat([decipher.update(box.subarray(29)), decipher.final()]);
  return JSON.parse(plain.toString('utf8')) as Record<string, string>;
}

/** `…a1b2`: enough to tell two tokens apart, far too little to use one. */
export function maskSecret(value: string): string {
  return `…${value.slice(-4)}`;
}

// ---------------------------------------------------------------- provider keys and URLs

/** The `provider` value of a sender source (and its messages) that sends through a credential. */
export function providerKey(kind: ProviderKind, credentialId: string): string {
  return `${kind}:${credentialId}`;
}

const KEY_RE = /^(twilio|telnyx):([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export function parseProviderKey(key: string): { kind: ProviderKind; credentialId: string } | null {
  const m = KEY_RE.exec(key);
  return m ? { kind: m[1] as ProviderKind, credentialId: m[2]! } : null;
}

export function isUuid(s: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(s);
}

/** The URLs an operator pastes into the provider's console, built from PUBLIC_URL. */
export function webhookUrls(publicUrl: string, kind: ProviderKind, credentialId: string): Record<string, string> {
  const base = `${publicUrl}/api/providers/${kind}/${credentialId}`;
  return kind === 'twilio' ? { inbound: `${base}/inbound`, status: `${base}/status` } : { webhook: `${base}/webhook` };
}

// ---------------------------------------------------------------- repository

export interface CredentialView {
  id: string;
  provider: ProviderKind;
  name: string;
  settings: CredentialSettings;
  secretHints: Record<string, string>;
  providerKey: string;
  webhookUrls: Record<string, string>;
  created: Date;
  updated: Date;
}

/** A credential's non-secret settings: ids (strings) and switches (booleans). */
export type CredentialSettings = Record<string, string | boolean | null>;

type Row = { id: string; workspace_id: number; provider: ProviderKind; name: string; settings: CredentialSettings; secret_hints: Record<string, string>; created: Date; updated: Date };

function view(publicUrl: string, r: Row): CredentialView {
  return {
    id: r.id, provider: r.provider, name: r.name, settings: r.settings, secretHints: r.secret_hints,
    providerKey: providerKey(r.provider, r.id), webhookUrls: webhookUrls(publicUrl, r.provider, r.id), created: r.created, updated: r.updated,
  };
}

function split(input: CredentialInput): { settings: CredentialSettings; secrets: Record<string, string> } {
  if (input.provider === 'twilio') {
    return {
      settings: { accountSid: input.accountSid, messagingServiceSid: input.messagingServiceSid ?? null, lookupLineType: input.lookupLineType ?? false },
      secrets: { authToken: input.authToken },
    };
  }
  return { settings: { publicKey: input.publicKey, messagingProfileId: input.messagingProfileId ?? null }, secrets: { apiKey: input.apiKey } };
}

const COLUMNS = ['id', 'workspace_id', 'provider', 'name', 'settings', 'secret_hints', 'created', 'updated'] as const;

/** Stores a new credential; null when the workspace already has one of that provider and name. */
export async function createCredential(ctx: AppContext, workspaceId: number, input: CredentialInput): Promise<CredentialView | null> {
  const id = randomUUID();
  const { settings, secrets } = split(input);
  const hints = Object.fromEntries(SECRET_FIELDS[input.provider].map((k) => [k, maskSecret(secrets[k] ?? '')]));
  const row = await ctx.db
    .insertInto('provider_credentials')
    .values({
      id, workspace_id: workspaceId, provider: input.provider, name: input.name,
      settings: JSON.stringify(settings),
      secret_box: sealSecrets(ctx.config.secret, { id, workspaceId, kind: input.provider }, secrets),
      secret_hints: JSON.stringify(hints),
    })
    .onConflict((oc) => oc.columns(['workspace_id', 'provider', 'name']).doNothing())
    .returning(COLUMNS)
    .executeTakeFirst();
  return row ? view(ctx.config.publicUrl, row as Row) : null;
}

export async function listCredentials(ctx: AppContext, workspaceId: number): Promise<CredentialView[]> {
  const rows = await ctx.db.selectFrom('provider_credentials').select(COLUMNS).where('workspace_id', '=', workspaceId).orderBy('created').orderBy('id').execute();
  return rows.map((r) => view(ctx.config.publicUrl, r as Row));
}

export async function getCredentialView(ctx: AppContext, workspaceId: number, id: string): Promise<CredentialView | null> {
  if (!isUuid(id)) return null;
  const r = await ctx.db.selectFrom('provider_credentials').select(COLUMNS).where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  return r ? view(ctx.config.publicUrl, r as Row) : null;
}

/** Deletes a credential no sender source uses. */
export async function deleteCredential(db: DbOrTrx, workspaceId: number, id: string): Promise<'deleted' | 'not-found' | 'in-use'> {
  if (!isUuid(id)) return 'not-found';
  const row = await db.selectFrom('provider_credentials').select(['provider']).where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  if (!row) return 'not-found';
  const user = await db.selectFrom('sender_sources').select('id').where('provider', '=', providerKey(row.provider, id)).limit(1).executeTakeFirst();
  if (user) return 'in-use';
  await db.deleteFrom('provider_credentials').where('id', '=', id).where('workspace_id', '=', workspaceId).execute();
  return 'deleted';
}

/**
 * Loads and decrypts one credential, for an adapter or a webhook verifier. Null when there is no
 * such credential, or when it cannot be opened (ENGAGE_SECRET changed): logged, without secrets.
 */
export async function loadCredential(ctx: Pick<AppContext, 'db' | 'config' | 'log'>, id: string, kind?: ProviderKind): Promise<ProviderCredential | null> {
  if (!isUuid(id)) return null;
  let q = ctx.db.selectFrom('provider_credentials').select(['id', 'workspace_id', 'provider', 'name', 'settings', 'secret_box']).where('id', '=', id);
  if (kind) q = q.where('provider', '=', kind);
  const r = await q.executeTakeFirst();
  if (!r) return null;
  let secrets: Record<string, string>;
  try {
    secrets = openSecrets(ctx.config.secret, { id: r.id, workspaceId: r.workspace_id, kind: r.provider }, r.secret_box);
  } catch {
    ctx.log.error({ credentialId: r.id, provider: r.provider }, 'provider credential cannot be decrypted (was ENGAGE_SECRET changed?)');
    return null;
  }
  const s = r.settings;
  const base = { id: r.id, workspaceId: r.workspace_id, name: r.name };
  if (r.provider === 'twilio') {
    return {
      kind: 'twilio', ...base, accountSid: text(s.accountSid) ?? '', messagingServiceSid: text(s.messagingServiceSid),
      lookupLineType: s.lookupLineType === true, authToken: secrets.authToken ?? '',
    };
  }
  return { kind: 'telnyx', ...base, publicKey: text(s.publicKey) ?? '', messagingProfileId: text(s.messagingProfileId), apiKey: secrets.apiKey ?? '' };
}

const text = (v: string | boolean | null | undefined): string | null => (typeof v === 'string' ? v : null);

/** The settings an operator may change on an existing credential. */
export interface CredentialChanges {
  name?: string;
  /** Twilio only. */
  lookupLineType?: boolean;
}

/**
 * Changes a credential's name or switches; secrets and account ids cannot change (delete and
 * re-add). Null when there is no such credential; 'conflict' when the new name is taken.
 */
export async function updateCredential(ctx: AppContext, workspaceId: number, id: string, changes: CredentialChanges): Promise<CredentialView | null | 'conflict'> {
  if (!isUuid(id)) return null;
  return ctx.db.transaction().execute(async (trx) => {
    const r = await trx.selectFrom('provider_credentials').select(COLUMNS).where('workspace_id', '=', workspaceId).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!r) return null;
    const settings = { ...(r.settings as CredentialSettings) };
    if (changes.lookupLineType !== undefined) settings.lookupLineType = changes.lookupLineType;
    const name = changes.name ?? r.name;
    if (name !== r.name) {
      const taken = await trx.selectFrom('provider_credentials').select('id').where('workspace_id', '=', workspaceId).where('provider', '=', r.provider).where('name', '=', name).executeTakeFirst();
      if (taken) return 'conflict' as const;
    }
    const row = await trx
      .updateTable('provider_credentials')
      .set({ name, settings: JSON.stringify(settings), updated: ctx.now() })
      .where('id', '=', id)
      .returning(COLUMNS)
      .executeTakeFirstOrThrow();
    return view(ctx.config.publicUrl, row as Row);
  });
}
