import { parseProviderKey, type ProviderCredential, type ProviderKind } from './credentials.ts';
import type { SendRequest, SendResult, SentMessage, SentQuery, SmsProvider } from './types.ts';

/**
 * A real provider's adapter factory. Engage holds one adapter per credential (a workspace's
 * account), so a family makes adapters from decrypted credentials.
 */
export interface ProviderFamily {
  readonly kind: ProviderKind;
  /** Whether its sends are idempotent by reference (see `SmsProvider.idempotentSend`). */
  readonly idempotentSend: boolean;
  /** Whether its adapters can look up what they sent (see `SmsProvider.findSent`). */
  readonly findsSent?: boolean;
  create(credential: ProviderCredential): SmsProvider;
}

export interface ProviderRegistryOptions {
  /** The real providers' families (`twilio`, `telnyx`). Default none. */
  families?: ProviderFamily[];
  /** Loads and decrypts one credential; null when it does not exist (any more). */
  loadCredential?: (credentialId: string, kind: ProviderKind) => Promise<ProviderCredential | null>;
  /** How long an adapter built from a credential is reused before the credential is read again, ms. Default 30000. */
  cacheMs?: number;
  /** The clock, ms. Default Date.now. */
  now?: () => number;
}

/**
 * The explicit list of provider adapters of a running Engage; no import side effects.
 *
 * A provider key (the `provider` column of sender sources and messages) is either the name of a
 * built-in provider (`simulator`) or `<kind>:<credentialId>` for a credential-backed one
 * (`twilio:8a5e…`). `get` is synchronous — callers pick the adapter while holding a message —
 * so for a credential-backed key it returns a stable stand-in whose `send` resolves the credential
 * (decrypting it at most once per `cacheMs`) and delegates to a real adapter built from it.
 */
export class ProviderRegistry {
  private readonly byName = new Map<string, SmsProvider>();
  private readonly families = new Map<ProviderKind, ProviderFamily>();
  private readonly standIns = new Map<string, SmsProvider>();
  private readonly resolved = new Map<string, { at: number; adapter: Promise<SmsProvider | null> }>();
  private readonly cacheMs: number;
  private readonly now: () => number;

  constructor(providers: SmsProvider[], private readonly opts: ProviderRegistryOptions = {}) {
    for (const p of providers) this.byName.set(p.name, p);
    for (const f of opts.families ?? []) this.families.set(f.kind, f);
    this.cacheMs = opts.cacheMs ?? 30_000;
    this.now = opts.now ?? Date.now;
  }

  get(name: string): SmsProvider {
    const p = this.byName.get(name) ?? this.standIn(name);
    if (!p) throw new Error(`no SMS provider named "${name}" is configured`);
    return p;
  }

  /** The real adapter behind a provider key; null when its credential is gone or unreadable. */
  async resolve(name: string): Promise<SmsProvider | null> {
    const builtIn = this.byName.get(name);
    if (builtIn) return builtIn;
    const key = parseProviderKey(name);
    const family = key ? this.families.get(key.kind) : undefined;
    if (!key || !family || !this.opts.loadCredential) return null;
    const hit = this.resolved.get(name);
    if (hit && this.now() - hit.at < this.cacheMs) return hit.adapter;
    const load = this.opts.loadCredential;
    const adapter = load(key.credentialId, key.kind).then((c) => (c ? family.create(c) : null));
    this.resolved.set(name, { at: this.now(), adapter });
    // A failed load (database down) is not remembered.
    adapter.catch(() => this.resolved.delete(name));
    return adapter;
  }

  /** Forgets a credential's adapter (deleted or replaced), so the next send reads it again. */
  forget(credentialId: string): void {
    for (const name of this.resolved.keys()) if (name.endsWith(`:${credentialId}`)) this.resolved.delete(name);
  }

  names(): string[] {
    return [...this.byName.keys(), ...[...this.families.keys()].map((k) => `${k}:<credentialId>`)];
  }

  private standIn(name: string): SmsProvider | undefined {
    const existing = this.standIns.get(name);
    if (existing) return existing;
    const key = parseProviderKey(name);
    const family = key ? this.families.get(key.kind) : undefined;
    if (!family) return undefined;
    const standIn: SmsProvider = {
      name,
      idempotentSend: family.idempotentSend,
      send: async (req: SendRequest): Promise<SendResult> => {
        let adapter: SmsProvider | null;
        try {
          adapter = await this.resolve(name);
        } catch (err) {
          return { ok: false, retryable: true, code: 'CREDENTIAL_UNAVAILABLE', message: `the credential of provider ${name} could not be read: ${(err as Error).message}` };
        }
        if (!adapter) return { ok: false, retryable: false, code: 'NO_CREDENTIAL', message: `the credential of provider ${name} does not exist or cannot be decrypted` };
        return adapter.send(req);
      },
      ...(family.findsSent
        ? {
            findSent: async (q: SentQuery): Promise<SentMessage[]> => {
              const adapter = await this.resolve(name);
              if (!adapter?.findSent) throw new Error(`the credential of provider ${name} does not exist or cannot be decrypted`);
              return adapter.findSent(q);
            },
          }
        : {}),
    };
    this.standIns.set(name, standIn);
    return standIn;
  }
}
