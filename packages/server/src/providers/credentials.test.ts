/**
 * Provider credentials: sealed at rest (AES-256-GCM, bound to their row), managed through the API
 * with masked hints only, scoped to the workspace — and the secrets never reach an answer or a log
 * line, whatever happens (pino captured at trace level, without redaction).
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/db.ts';
import { loadConfig } from '../config.ts';
import type { AppContext } from '../context.ts';
import { createDb } from '../db/pool.ts';
import { buildApp } from '../http/app.ts';
import { createWorkspace } from '../workspaces/bootstrap.ts';
import { loadCredential, maskSecret, openSecrets, parseProviderKey, sealSecrets } from './credentials.ts';
import { ProviderRegistry } from './registry.ts';
import { twilioFamily } from './twilio/provider.ts';
import { postAsTwilio } from './twilio/fake-twilio.ts';

const SECRET = 'credentials-test-secret-0123456789';
const TWILIO_TOKEN = 'c0ffee00deadbeef0123456789abcd42';
const TELNYX_KEY = 'KEY0190ABCDEF_s3cr3tTelnyxApiKeyValue77';
const TELNYX_PUBLIC = Buffer.alloc(32, 7).toString('base64');
const KEY_A = 'engk_credentials_workspace_a_0000000';
const KEY_B = 'engk_credentials_workspace_b_0000000';

describe('sealing', () => {
  const row = { id: '6f1c2d3e-4b5a-4978-8a6b-5c4d3e2f1a0b', workspaceId: 3, kind: 'twilio' as const };

  it('round-trips, and the box holds no plaintext', () => {
    const box = sealSecrets(SECRET, row, { authToken: TWILIO_TOKEN });
    expect(box.includes(Buffer.from(TWILIO_TOKEN))).toBe(false);
    expect(openSecrets(SECRET, row, box)).toEqual({ authToken: TWILIO_TOKEN });
    // A fresh IV each time.
    expect(sealSecrets(SECRET, row, { authToken: TWILIO_TOKEN }).equals(box)).toBe(false);
  });

  it.each([
    ['another secret', () => openSecrets('another-secret-0123456789', row, sealSecrets(SECRET, row, { a: 'b' }))],
    ['another row id', () => openSecrets(SECRET, { ...row, id: '00000000-0000-4000-8000-000000000000' }, sealSecrets(SECRET, row, { a: 'b' }))],
    ['another workspace', () => openSecrets(SECRET, { ...row, workspaceId: 4 }, sealSecrets(SECRET, row, { a: 'b' }))],
    ['another provider', () => openSecrets(SECRET, { ...row, kind: 'telnyx' }, sealSecrets(SECRET, row, { a: 'b' }))],
    ['a flipped byte', () => {
      const box = sealSecrets(SECRET, row, { a: 'b' });
      box[box.length - 1]! ^= 1;
      return openSecrets(SECRET, row, box);
    }],
  ])('refuses to open a box under %s', (_what, open) => {
    expect(open).toThrow();
  });

  it('masks to the last four characters', () => {
    expect(maskSecret(TWILIO_TOKEN)).toBe('…cd42');
    expect(parseProviderKey('twilio:6f1c2d3e-4b5a-4978-8a6b-5c4d3e2f1a0b')).toEqual({ kind: 'twilio', credentialId: '6f1c2d3e-4b5a-4978-8a6b-5c4d3e2f1a0b' });
    expect(parseProviderKey('simulator')).toBeNull();
    expect(parseProviderKey('twilio:../../etc')).toBeNull();
  });
});

describe('the credentials API', () => {
  const lines: string[] = [];
  const bodies: string[] = [];
  let ctx: AppContext;
  let drop: () => Promise<void>;
  let close: () => Promise<void>;
  let inject: (method: 'GET' | 'POST' | 'DELETE', url: string, key: string, payload?: unknown) => Promise<{ status: number; body: any }>;

  beforeAll(async () => {
    const database = await createTestDatabase();
    drop = database.drop;
    const { db } = createDb(database.url, 4);
    const log = pino({ level: 'trace' }, new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) }));
    const config = loadConfig({ DATABASE_URL: database.url, ENGAGE_SECRET: SECRET, PUBLIC_URL: 'https://engage.example.com', ENGAGE_TWILIO_API_URL: 'http://127.0.0.1:9' });
    ctx = { config, db, log, now: () => new Date(), providers: new ProviderRegistry([]) };
    ctx.providers = new ProviderRegistry([], { families: [twilioFamily(ctx)], loadCredential: (id, kind) => loadCredential(ctx, id, kind) });
    await createWorkspace(db, { orgName: 'A', workspaceName: 'A', apiKey: KEY_A, numbers: ['+12125550160'] });
    await createWorkspace(db, { orgName: 'B', workspaceName: 'B', apiKey: KEY_B, numbers: ['+12125550161'] });
    const app = await buildApp(ctx);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as { port: number }).port;
    ctx.config.publicUrl = `http://127.0.0.1:${port}`;
    close = async () => {
      await app.close();
      await db.destroy();
    };
    inject = async (method, url, key, payload) => {
      const res = await app.inject({ method, url, headers: { 'x-api-key': key }, ...(payload !== undefined ? { payload: payload as object } : {}) });
      bodies.push(res.body);
      return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null };
    };
  });
  afterAll(async () => {
    await close?.();
    await drop?.();
  });

  it('creates a Twilio credential and answers with hints and webhook URLs, never the token', async () => {
    const r = await inject('POST', '/api/public/engage/provider-credentials', KEY_A, { provider: 'twilio', name: ' Main ', accountSid: 'AC8f3b2c1d4e5f60718293a4b5c6d7e8f9', authToken: TWILIO_TOKEN });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      id: expect.any(String), provider: 'twilio', name: 'Main',
      settings: { accountSid: 'AC8f3b2c1d4e5f60718293a4b5c6d7e8f9', messagingServiceSid: null, lookupLineType: false },
      secretHints: { authToken: '…cd42' },
      providerKey: `twilio:${r.body.id}`,
      webhookUrls: {
        inbound: `${ctx.config.publicUrl}/api/providers/twilio/${r.body.id}/inbound`,
        status: `${ctx.config.publicUrl}/api/providers/twilio/${r.body.id}/status`,
      },
      created: expect.stringMatching(/Z$/), updated: expect.stringMatching(/Z$/),
    });
    const row = await ctx.db.selectFrom('provider_credentials').selectAll().where('id', '=', r.body.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row.settings) + JSON.stringify(row.secret_hints)).not.toContain(TWILIO_TOKEN);
    expect(row.secret_box.includes(Buffer.from(TWILIO_TOKEN))).toBe(false);
    expect(await loadCredential(ctx, r.body.id)).toMatchObject({ kind: 'twilio', authToken: TWILIO_TOKEN, workspaceId: expect.any(Number) });
  });

  it('creates a Telnyx credential', async () => {
    const r = await inject('POST', '/api/public/engage/provider-credentials', KEY_A, { provider: 'telnyx', name: 'Main', apiKey: TELNYX_KEY, publicKey: TELNYX_PUBLIC });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ settings: { publicKey: TELNYX_PUBLIC, messagingProfileId: null }, secretHints: { apiKey: '…ue77' } });
    expect(r.body.webhookUrls).toEqual({ webhook: `${ctx.config.publicUrl}/api/providers/telnyx/${r.body.id}/webhook` });
  });

  it.each([
    [{ provider: 'twilio', name: 'x', authToken: TWILIO_TOKEN }, 'accountSid'],
    [{ provider: 'twilio', name: 'x', accountSid: 'AC8f3b2c1d4e5f60718293a4b5c6d7e8f9' }, 'authToken'],
    [{ provider: 'twilio', name: 'x', accountSid: 'ACnope', authToken: TWILIO_TOKEN }, 'accountSid'],
    [{ provider: 'twilio', name: 'x', accountSid: 'AC8f3b2c1d4e5f60718293a4b5c6d7e8f9', authToken: 'short-secret' }, 'authToken'],
    [{ provider: 'twilio', name: 'x', accountSid: 'AC8f3b2c1d4e5f60718293a4b5c6d7e8f9', authToken: TWILIO_TOKEN, apiKey: TELNYX_KEY }, 'apiKey'],
    [{ provider: 'telnyx', name: 'x', apiKey: TELNYX_KEY, publicKey: Buffer.alloc(31).toString('base64') + 'AAAAAAAAAA' }, 'publicKey'],
    [{ provider: 'telnyx', name: 'x', publicKey: TELNYX_PUBLIC }, 'apiKey'],
    [{ provider: 'vonage', name: 'x' }, 'provider'],
    [{ provider: 'twilio', name: '  ', accountSid: 'AC8f3b2c1d4e5f60718293a4b5c6d7e8f9', authToken: TWILIO_TOKEN }, 'name'],
  ])('refuses %j naming %s, storing nothing', async (body, field) => {
    const before = (await inject('GET', '/api/public/engage/provider-credentials', KEY_A)).body.credentials.length;
    const r = await inject('POST', '/api/public/engage/provider-credentials', KEY_A, body);
    expect(r.status).toBe(400);
    expect(r.body.error.field).toContain(field);
    expect((await inject('GET', '/api/public/engage/provider-credentials', KEY_A)).body.credentials.length).toBe(before);
  });

  it('refuses a second credential of the same provider and name (409)', async () => {
    const r = await inject('POST', '/api/public/engage/provider-credentials', KEY_A, { provider: 'twilio', name: 'Main', accountSid: 'AC8f3b2c1d4e5f60718293a4b5c6d7e8f9', authToken: TWILIO_TOKEN });
    expect(r.status).toBe(409);
  });

  it("shows a workspace only its own credentials, and lets only it delete them", async () => {
    const mine = (await inject('GET', '/api/public/engage/provider-credentials', KEY_A)).body.credentials;
    expect(mine.map((c: { provider: string }) => c.provider).sort()).toEqual(['telnyx', 'twilio']);
    expect((await inject('GET', '/api/public/engage/provider-credentials', KEY_B)).body.credentials).toEqual([]);
    const twilioId = mine.find((c: { provider: string }) => c.provider === 'twilio').id;
    expect((await inject('GET', `/api/public/engage/provider-credentials/${twilioId}`, KEY_B)).status).toBe(404);
    expect((await inject('DELETE', `/api/public/engage/provider-credentials/${twilioId}`, KEY_B)).status).toBe(404);
    expect((await inject('POST', `/api/public/engage/provider-credentials/${twilioId}/sender-sources`, KEY_B, { name: 's', senderSourceType: 'TEN_DLC', numbers: ['+12125550170'] })).status).toBe(404);
    expect((await inject('GET', `/api/public/engage/provider-credentials/${twilioId}`, KEY_A)).body.secretHints).toEqual({ authToken: '…cd42' });
    expect((await inject('GET', '/api/public/engage/provider-credentials', 'engk_wrong')).status).toBe(401);
  });

  it('creates a sender source on a credential; a used credential cannot be deleted', async () => {
    const twilioId = (await inject('GET', '/api/public/engage/provider-credentials', KEY_A)).body.credentials.find((c: { provider: string }) => c.provider === 'twilio').id;
    const s = await inject('POST', `/api/public/engage/provider-credentials/${twilioId}/sender-sources`, KEY_A, { name: 'Twilio', senderSourceType: 'TEN_DLC', numbers: ['(212) 555-0171'] });
    expect(s.status).toBe(201);
    expect(s.body).toMatchObject({ provider: `twilio:${twilioId}`, numbers: ['+12125550171'], mps: 1 });
    const taken = await inject('POST', `/api/public/engage/provider-credentials/${twilioId}/sender-sources`, KEY_A, { name: 'Again', senderSourceType: 'TEN_DLC', numbers: ['+12125550171'] });
    expect(taken.status).toBe(409);
    expect((await inject('DELETE', `/api/public/engage/provider-credentials/${twilioId}`, KEY_A)).status).toBe(409);
    const sources = (await inject('GET', '/api/public/engage/sender-sources', KEY_A)).body.senderSources;
    expect(sources.map((x: { provider: string }) => x.provider)).toContain(`twilio:${twilioId}`);
  });

  it('deletes an unused credential', async () => {
    const telnyxId = (await inject('GET', '/api/public/engage/provider-credentials', KEY_A)).body.credentials.find((c: { provider: string }) => c.provider === 'telnyx').id;
    expect((await inject('DELETE', `/api/public/engage/provider-credentials/${telnyxId}`, KEY_A)).status).toBe(204);
    expect((await inject('GET', `/api/public/engage/provider-credentials/${telnyxId}`, KEY_A)).status).toBe(404);
    expect(await loadCredential(ctx, telnyxId)).toBeNull();
  });

  it('never puts a secret in an answer or a log line, whatever happened above and below', async () => {
    const twilioId = (await inject('GET', '/api/public/engage/provider-credentials', KEY_A)).body.credentials.find((c: { provider: string }) => c.provider === 'twilio').id;
    // A refused and an accepted webhook, and a send whose provider is down: all logged.
    const url = `${ctx.config.publicUrl}/api/providers/twilio/${twilioId}/status`;
    expect((await postAsTwilio(url, 'wrong-token-0000000000000000000', { MessageSid: 'SM0000000000000000000000000000f001', MessageStatus: 'sent', AccountSid: 'AC8f3b2c1d4e5f60718293a4b5c6d7e8f9' })).status).toBe(403);
    const sent = await ctx.providers.get(`twilio:${twilioId}`).send({ reference: 'r1', from: '+12125550171', to: '+13125550101', body: 'hi' });
    expect(sent).toMatchObject({ ok: false, code: 'NETWORK' });
    ctx.log.info({ result: sent }, 'send result');
    expect(lines.length).toBeGreaterThan(5);
    for (const text of [...lines, ...bodies, JSON.stringify(sent)]) {
      expect(text).not.toContain(TWILIO_TOKEN);
      expect(text).not.toContain(TELNYX_KEY);
      expect(text).not.toContain(Buffer.from(`AC8f3b2c1d4e5f60718293a4b5c6d7e8f9:${TWILIO_TOKEN}`).toString('base64'));
    }
  });
});
