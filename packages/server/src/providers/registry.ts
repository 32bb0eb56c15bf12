import type { SmsProvider } from './types.ts';

/** The explicit list of provider adapters of a running Engage; no import side effects. */
export class ProviderRegistry {
  private readonly byName = new Map<string, SmsProvider>();

  constructor(providers: SmsProvider[]) {
    for (const p of providers) this.byName.set(p.name, p);
  }

  get(name: string): SmsProvider {
    const p = this.byName.get(name);
    if (!p) throw new Error(`no SMS provider named "${name}" is configured`);
    return p;
  }

  names(): string[] {
    return [...this.byName.keys()];
  }
}
