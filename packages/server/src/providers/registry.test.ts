import { describe, expect, it } from 'vitest';
import type { ProviderCredential } from './credentials.ts';
import { ProviderRegistry, type ProviderFamily } from './registry.ts';
import type { SendRequest, SmsProvider } from './types.ts';

const ID = '6f1c2d3e-4b5a-4978-8a6b-5c4d3e2f1a0b';
const req: SendRequest = { reference: 'r', from: '+12125550100', to: '+13125550101', body: 'hi' };
const simulator: SmsProvider = { name: 'simulator', idempotentSend: true, send: async () => ({ ok: true, providerMessageId: 'SIM1' }) };

function setup(creds: Record<string, ProviderCredential | null>) {
  let clock = 0;
  const loads: string[] = [];
  const created: string[] = [];
  const family: ProviderFamily = {
    kind: 'twilio',
    idempotentSend: false,
    create: (c) => {
      created.push(c.kind === 'twilio' ? c.authToken : '');
      return { name: `twilio:${c.id}`, idempotentSend: false, send: async () => ({ ok: true, providerMessageId: `SM-${c.kind === 'twilio' ? c.authToken : ''}` }) };
    },
  };
  const registry = new ProviderRegistry([simulator], {
    families: [family],
    loadCredential: async (id) => {
      loads.push(id);
      return creds[id] ?? null;
    },
    cacheMs: 1000,
    now: () => clock,
  });
  return { registry, loads, created, tick: (ms: number) => (clock += ms) };
}
const twilioCred = (token: string): ProviderCredential => ({ kind: 'twilio', id: ID, workspaceId: 1, name: 'n', accountSid: 'AC1', messagingServiceSid: null, lookupLineType: false, authToken: token });

describe('ProviderRegistry', () => {
  it('keeps built-in providers as they are', async () => {
    const { registry } = setup({});
    expect(registry.get('simulator')).toBe(simulator);
    expect(await registry.resolve('simulator')).toBe(simulator);
    expect(() => registry.get('nexmo')).toThrow(/no SMS provider named "nexmo"/);
    expect(() => registry.get('telnyx:' + ID)).toThrow(); // no Telnyx family registered here
    expect(() => registry.get('twilio:not-a-uuid')).toThrow();
  });

  it('gives a stable stand-in for a credential key, synchronously, that sends through the decrypted credential', async () => {
    const { registry, loads } = setup({ [ID]: twilioCred('tok1') });
    const p = registry.get(`twilio:${ID}`);
    expect(p).toBe(registry.get(`twilio:${ID}`));
    expect(p).toMatchObject({ name: `twilio:${ID}`, idempotentSend: false });
    expect(loads).toEqual([]);
    expect(await p.send(req)).toEqual({ ok: true, providerMessageId: 'SM-tok1' });
    expect(loads).toEqual([ID]);
  });

  it('reads a credential once per cache period, and again after forget()', async () => {
    const creds: Record<string, ProviderCredential | null> = { [ID]: twilioCred('tok1') };
    const { registry, loads, tick } = setup(creds);
    const p = registry.get(`twilio:${ID}`);
    await Promise.all([p.send(req), p.send(req), p.send(req)]);
    expect(loads).toHaveLength(1);
    creds[ID] = twilioCred('tok2');
    tick(500);
    expect(await p.send(req)).toEqual({ ok: true, providerMessageId: 'SM-tok1' });
    tick(600);
    expect(await p.send(req)).toEqual({ ok: true, providerMessageId: 'SM-tok2' });
    creds[ID] = twilioCred('tok3');
    registry.forget(ID);
    expect(await p.send(req)).toEqual({ ok: true, providerMessageId: 'SM-tok3' });
    expect(loads).toHaveLength(3);
  });

  it('fails a send, fatally, when the credential is gone', async () => {
    const { registry } = setup({});
    expect(await registry.get(`twilio:${ID}`).send(req)).toMatchObject({ ok: false, retryable: false, code: 'NO_CREDENTIAL' });
  });

  it('answers a retryable failure when the credential cannot be read, and does not remember it', async () => {
    let fail = true;
    const registry = new ProviderRegistry([], {
      families: [{ kind: 'twilio', idempotentSend: false, create: () => simulator }],
      loadCredential: async () => {
        if (fail) throw new Error('database down');
        return twilioCred('x');
      },
    });
    expect(await registry.get(`twilio:${ID}`).send(req)).toMatchObject({ ok: false, retryable: true, code: 'CREDENTIAL_UNAVAILABLE', message: expect.stringMatching(/database down/) });
    fail = false;
    expect(await registry.get(`twilio:${ID}`).send(req)).toEqual({ ok: true, providerMessageId: 'SIM1' });
  });

  it('lets a stand-in look up sent texts only when its family can, through the credential\'s adapter', async () => {
    const asked: string[] = [];
    const family = (findsSent: boolean): ProviderFamily => ({
      kind: 'twilio', idempotentSend: false, findsSent,
      create: (c) => ({ ...simulator, name: `twilio:${c.id}`, findSent: async (q) => { asked.push(q.to); return [{ id: 'SM-found', status: null, errorCode: null, errorMessage: null }]; } }),
    });
    const q = { from: '+12125550100', to: '+13125550101', body: 'hi', since: new Date(0) };
    const can = new ProviderRegistry([], { families: [family(true)], loadCredential: async () => twilioCred('x') });
    expect(await can.get(`twilio:${ID}`).findSent!(q)).toEqual([{ id: 'SM-found', status: null, errorCode: null, errorMessage: null }]);
    expect(asked).toEqual(['+13125550101']);
    expect(new ProviderRegistry([], { families: [family(false)], loadCredential: async () => twilioCred('x') }).get(`twilio:${ID}`).findSent).toBeUndefined();
    const gone = new ProviderRegistry([], { families: [family(true)], loadCredential: async () => null });
    await expect(gone.get(`twilio:${ID}`).findSent!(q)).rejects.toThrow(/does not exist or cannot be decrypted/);
  });
});
