import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngage, type TestEngage } from '../../test/harness.ts';
import { createWorkspace, freeSimulatorNumbers } from '../workspaces/bootstrap.ts';

let engage: TestEngage;
const OTHER_KEY = 'engk_other_workspace_key_console00';
const PASSWORD = 'correct horse battery';

beforeAll(async () => {
  engage = await startTestEngage({ worker: false });
  await createWorkspace(engage.ctx.db, { orgName: 'Other', workspaceName: 'Other', apiKey: OTHER_KEY, numbers: await freeSimulatorNumbers(engage.ctx.db, 1) });
});
afterAll(() => engage?.close());

/** A browser-like client: keeps the session cookie, sends the CSRF token it was given. */
class Client {
  cookie = '';
  csrf = '';
  setCookie = '';
  async call(method: string, path: string, body?: unknown, opts: { csrf?: boolean } = {}) {
    const headers: Record<string, string> = {};
    if (this.cookie) headers.cookie = this.cookie;
    if (opts.csrf !== false && this.csrf) headers['x-csrf-token'] = this.csrf;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(engage.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const sc = res.headers.get('set-cookie');
    if (sc) {
      this.setCookie = sc;
      const [pair] = sc.split(';');
      this.cookie = /=$/.test(pair!) || /Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(sc) ? '' : pair!;
    }
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }
  async login(email: string, password = PASSWORD) {
    const r = await this.call('POST', '/api/console/session', { email, password });
    if (r.status === 200) this.csrf = r.body.csrfToken;
    return r;
  }
}

async function makeUser(email: string, role: string, key?: string) {
  const r = await engage.api('POST', '/api/public/engage/users', { email, role, password: PASSWORD, name: email.split('@')[0] }, key ? { 'x-api-key': key } : {});
  expect(r.status).toBe(201);
  return r.body;
}

describe('console login', () => {
  it('creates an owner with an API key and stores only an argon2id hash', async () => {
    const u = await makeUser('owner@example.com', 'owner');
    expect(u).toMatchObject({ email: 'owner@example.com', role: 'owner', disabled: false });
    expect(u).not.toHaveProperty('password');
    const row = await engage.ctx.db.selectFrom('users').select('password_hash').where('email', '=', 'owner@example.com').executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    expect(row.password_hash).not.toContain(PASSWORD);
  });

  it('refuses bad users naming the field, writing nothing', async () => {
    const before = (await engage.api('GET', '/api/public/engage/users')).body.users.length;
    for (const [body, field, status] of [
      [{ email: 'x@example.com', role: 'agent', password: 'short' }, 'password', 400],
      [{ email: 'not-an-email', role: 'agent', password: PASSWORD }, 'email', 400],
      [{ email: 'x@example.com', role: 'boss', password: PASSWORD }, 'role', 400],
      [{ email: 'OWNER@example.com', role: 'agent', password: PASSWORD }, 'email', 409],
    ] as const) {
      const r = await engage.api('POST', '/api/public/engage/users', body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.body.error.field).toContain(field);
    }
    expect((await engage.api('GET', '/api/public/engage/users')).body.users.length).toBe(before);
  });

  it('logs in with a secure session cookie and answers wrong passwords and unknown users alike', async () => {
    const c = new Client();
    const wrong = await c.login('owner@example.com', 'wrong password!!');
    const unknown = await c.login('nobody@example.com');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.error.message).toBe(unknown.body.error.message);
    expect(c.cookie).toBe('');

    const ok = await c.login('Owner@Example.com');
    expect(ok.status).toBe(200);
    expect(ok.body.user).toMatchObject({ email: 'owner@example.com', role: 'owner' });
    expect(ok.body.csrfToken).toMatch(/^[\w-]{40,}$/);
    expect(c.setCookie).toMatch(/^engage_session=[\w-]{40,};/);
    expect(c.setCookie).toMatch(/HttpOnly/i);
    expect(c.setCookie).toMatch(/SameSite=Strict/i);
    expect(c.setCookie).toMatch(/Path=\//);
    // The cookie's token is stored only as a hash.
    const token = c.cookie.split('=')[1]!;
    const sessions = await engage.ctx.db.selectFrom('sessions').select('token_hash').execute();
    expect(sessions.some((s) => s.token_hash.toString('utf8').includes(token))).toBe(false);

    const me = await c.call('GET', '/api/console/session');
    expect(me.status).toBe(200);
    expect(me.body.csrfToken).toBe(ok.body.csrfToken);
  });

  it('lets a session use the public API, and demands the CSRF token on changes', async () => {
    const c = new Client();
    await c.login('owner@example.com');
    expect((await c.call('GET', '/api/public/engage/campaigns')).status).toBe(200);
    const count = async () => (await engage.api('GET', '/api/public/engage/campaigns')).body.campaigns.length;
    const before = await count();
    const noCsrf = await c.call('POST', '/api/public/engage/campaigns', { name: 'Forged' }, { csrf: false });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.body.error).toMatchObject({ code: 'FORBIDDEN', field: 'x-csrf-token' });
    const c2 = new Client();
    c2.cookie = c.cookie;
    c2.csrf = 'a'.repeat(43);
    expect((await c2.call('POST', '/api/public/engage/campaigns', { name: 'Forged' })).status).toBe(403);
    expect(await count()).toBe(before);
    const ok = await c.call('POST', '/api/public/engage/campaigns', { name: 'From the console' });
    expect(ok.status).toBe(201);
    expect(await count()).toBe(before + 1);
  });

  it('keeps workspaces apart: a session sees only its own workspace', async () => {
    await makeUser('other@example.com', 'owner', OTHER_KEY);
    const c = new Client();
    await c.login('other@example.com');
    const mine = (await c.call('GET', '/api/public/engage/campaigns')).body.campaigns;
    expect(mine).toEqual([]);
    const users = (await c.call('GET', '/api/public/engage/users')).body.users.map((u: any) => u.email);
    expect(users).toEqual(['other@example.com']);
  });

  it('logs out: the cookie no longer works', async () => {
    const c = new Client();
    await c.login('owner@example.com');
    const cookie = c.cookie;
    expect((await c.call('DELETE', '/api/console/session', undefined, { csrf: false })).status).toBe(403);
    expect((await c.call('DELETE', '/api/console/session')).status).toBe(204);
    const stale = new Client();
    stale.cookie = cookie;
    expect((await stale.call('GET', '/api/public/engage/campaigns')).status).toBe(401);
    expect((await stale.call('GET', '/api/console/session')).status).toBe(401);
  });

  it('ends sessions when the password changes or the user is disabled', async () => {
    const u = await makeUser('agent1@example.com', 'agent');
    const c = new Client();
    await c.login('agent1@example.com');
    expect((await engage.api('PATCH', `/api/public/engage/users/${u.id}`, { password: 'a brand new password' })).status).toBe(200);
    expect((await c.call('GET', '/api/console/session')).status).toBe(401);
    expect((await c.login('agent1@example.com')).status).toBe(401);
    expect((await c.login('agent1@example.com', 'a brand new password')).status).toBe(200);
    expect((await engage.api('PATCH', `/api/public/engage/users/${u.id}`, { disabled: true })).body.disabled).toBe(true);
    expect((await c.call('GET', '/api/console/session')).status).toBe(401);
    expect((await c.login('agent1@example.com', 'a brand new password')).status).toBe(401);
  });
});

describe('roles', () => {
  it('keeps agents away from API keys, users and sender sources', async () => {
    await makeUser('agent2@example.com', 'agent');
    const c = new Client();
    await c.login('agent2@example.com');
    expect((await c.call('GET', '/api/public/engage/campaigns')).status).toBe(200);
    for (const [method, path, body] of [
      ['GET', '/api/public/engage/api-keys', undefined],
      ['POST', '/api/public/engage/api-keys', { name: 'mine' }],
      ['POST', '/api/public/engage/users', { email: 'x2@example.com', role: 'agent', password: PASSWORD }],
    ] as const) {
      const r = await c.call(method, path, body);
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.body.error.code).toBe('FORBIDDEN');
    }
    expect((await engage.api('GET', '/api/public/engage/users')).body.users.some((u: any) => u.email === 'x2@example.com')).toBe(false);
  });

  it('lets an admin manage agents but not owners; the last owner stays', async () => {
    await makeUser('admin@example.com', 'admin');
    const admin = new Client();
    await admin.login('admin@example.com');
    expect((await admin.call('POST', '/api/public/engage/users', { email: 'agent3@example.com', role: 'agent', password: PASSWORD })).status).toBe(201);
    const owner = await admin.call('POST', '/api/public/engage/users', { email: 'owner2@example.com', role: 'owner', password: PASSWORD });
    expect(owner.status).toBe(403);
    expect(owner.body.error.field).toBe('role');
    const ownerId = (await engage.api('GET', '/api/public/engage/users')).body.users.find((u: any) => u.email === 'owner@example.com').id;
    expect((await admin.call('PATCH', `/api/public/engage/users/${ownerId}`, { disabled: true })).status).toBe(403);
    const last = await engage.api('PATCH', `/api/public/engage/users/${ownerId}`, { role: 'admin' });
    expect(last.status).toBe(409);
    expect((await engage.api('DELETE', `/api/public/engage/users/${ownerId}`)).status).toBe(409);
    expect((await engage.api('GET', '/api/public/engage/users')).body.users.find((u: any) => u.id === ownerId).role).toBe('owner');
  });
});

describe('API keys over HTTP', () => {
  it('creates a key shown once, lists only its hint, and revokes it', async () => {
    const c = new Client();
    await c.login('owner@example.com');
    const created = await c.call('POST', '/api/public/engage/api-keys', { name: 'CRM' });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^engk_/);
    const key = created.body.key as string;
    expect((await engage.api('GET', '/api/public/engage/campaigns', undefined, { 'x-api-key': key })).status).toBe(200);
    const list = await c.call('GET', '/api/public/engage/api-keys');
    expect(JSON.stringify(list.body)).not.toContain(key);
    expect(list.body.apiKeys.find((k: any) => k.id === created.body.id)).toMatchObject({ name: 'CRM', hint: `…${key.slice(-4)}`, revokedAt: null });
    expect((await c.call('DELETE', `/api/public/engage/api-keys/${created.body.id}`)).status).toBe(204);
    expect((await engage.api('GET', '/api/public/engage/campaigns', undefined, { 'x-api-key': key })).status).toBe(401);
    expect((await c.call('DELETE', `/api/public/engage/api-keys/${created.body.id}`)).status).toBe(404);
    // Another workspace cannot revoke this workspace's keys.
    const other = await engage.api('GET', '/api/public/engage/api-keys', undefined, { 'x-api-key': OTHER_KEY });
    expect(other.body.apiKeys.some((k: any) => k.id === created.body.id)).toBe(false);
  });
});

describe('OpenAPI', () => {
  it('documents the console session, users and API keys', async () => {
    const doc = (await engage.api('GET', '/api/openapi.json')).body;
    expect(doc.components.securitySchemes.consoleSession).toMatchObject({ type: 'apiKey', in: 'cookie' });
    for (const p of ['/api/console/session', '/api/public/engage/users', '/api/public/engage/api-keys', '/api/console/conversations']) expect(doc.paths).toHaveProperty([p]);
  });
});
