/**
 * The sender sources API against a real Engage: create, list, show, edit and delete; every
 * validation error names its field and writes nothing; numbers belong to one source even when
 * requests race; one workspace never sees or touches another's sources.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngage, type TestEngage } from '../../test/harness.ts';
import { createWorkspace } from '../workspaces/bootstrap.ts';

const BASE = '/api/public/engage/sender-sources';
const KEY_B = 'engk_sender_sources_workspace_b_000';
const B_NUMBER = '+12025550190';

let engage: TestEngage;
let bootstrapSource: { id: string; numbers: string[] };
let credentialId: string;

const asB = (method: string, path: string, body?: unknown) => engage.api(method, path, body, { 'x-api-key': KEY_B });
const sources = async () => (await engage.api('GET', BASE)).body.senderSources as { id: string; name: string; numbers: string[] }[];
const ownerOf = async (phone: string) =>
  (await engage.ctx.db.selectFrom('sender_numbers').select('sender_source_id').where('phone', '=', phone).executeTakeFirst())?.sender_source_id ?? null;
/** Everything a failed write could have touched. */
const snapshot = async () => ({
  sources: await engage.ctx.db.selectFrom('sender_sources').selectAll().orderBy('id').execute(),
  numbers: await engage.ctx.db.selectFrom('sender_numbers').select(['phone', 'sender_source_id']).orderBy('phone').execute(),
});

beforeAll(async () => {
  engage = await startTestEngage({ worker: false });
  await createWorkspace(engage.ctx.db, { orgName: 'Other', workspaceName: 'B', apiKey: KEY_B, numbers: [B_NUMBER] });
  const cred = await engage.api('POST', '/api/public/engage/provider-credentials', {
    provider: 'twilio', name: 'Main', accountSid: 'AC8f3b2c1d4e5f60718293a4b5c6d7e8f9', authToken: 'c0ffee00deadbeef0123456789abcd42',
  });
  expect(cred.status).toBe(201);
  credentialId = cred.body.id;
  bootstrapSource = (await sources())[0]!;
});
afterAll(async () => {
  await engage?.close();
});

describe('reading', () => {
  it("lists the bootstrap simulator source, unthrottled, with its numbers as strings", async () => {
    const r = await engage.api('GET', BASE);
    expect(r.status).toBe(200);
    expect(r.body.senderSources).toHaveLength(1);
    const s = r.body.senderSources[0];
    expect(Object.keys(s).sort()).toEqual(['areaCodeMatch', 'created', 'id', 'mps', 'name', 'numberMps', 'numbers', 'provider', 'senderSourceType', 'updated']);
    expect(s).toMatchObject({ provider: 'simulator', senderSourceType: 'CORE_CAMPAIGN', mps: null, numberMps: null, areaCodeMatch: false });
    expect(s.numbers).toHaveLength(2);
    for (const n of s.numbers) expect(n).toMatch(/^\+1202555\d{4}$/);
    expect((await engage.api('GET', `${BASE}/${s.id}`)).body).toEqual(s);
  });

  it('answers 401 without a key or with a wrong one, and 404 for an unknown or malformed id', async () => {
    const before = await snapshot();
    for (const [method, path, body] of [['GET', BASE], ['GET', `${BASE}/${bootstrapSource.id}`], ['POST', BASE, { name: 'x', senderSourceType: 'TEN_DLC', provider: 'simulator', numbers: ['+12125550101'] }], ['PATCH', `${BASE}/${bootstrapSource.id}`, { name: 'x' }], ['DELETE', `${BASE}/${bootstrapSource.id}`]] as const) {
      const none = await engage.api(method, path, body, { 'x-api-key': '' });
      expect(none.status, `${method} ${path}`).toBe(401);
      expect(none.body.error.code).toBe('UNAUTHORIZED');
      expect((await engage.api(method, path, body, { 'x-api-key': 'engk_wrong' })).status).toBe(401);
    }
    expect(await snapshot()).toEqual(before);
    expect((await engage.api('GET', `${BASE}/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
    expect((await engage.api('GET', `${BASE}/not-a-uuid`)).body.error.code).toBe('NOT_FOUND');
    expect((await engage.api('DELETE', `${BASE}/not-a-uuid`)).status).toBe(404);
  });
});

describe('creating', () => {
  it('creates a simulator source with normalised numbers, fractional throttles and area-code matching', async () => {
    const r = await engage.api('POST', BASE, {
      name: '  Chicago pool ', senderSourceType: 'TEN_DLC', provider: 'simulator', mps: 2.5, numberMps: 0.5, areaCodeMatch: true,
      numbers: ['(312) 555-0110', '1-212-555-0111'],
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      name: 'Chicago pool', senderSourceType: 'TEN_DLC', provider: 'simulator', mps: 2.5, numberMps: 0.5, areaCodeMatch: true,
      numbers: ['+12125550111', '+13125550110'],
    });
    expect(r.body.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(r.body.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect((await engage.api('GET', `${BASE}/${r.body.id}`)).body).toEqual(r.body);
    expect((await sources()).map((s) => s.id)).toContain(r.body.id);
    expect(await ownerOf('+13125550110')).toBe(r.body.id);
    const row = await engage.ctx.db.selectFrom('sender_sources').selectAll().where('id', '=', r.body.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ mps: 2.5, number_mps: 0.5, area_code_match: true });
  });

  it('sends through a provider credential given by id or provider key, 1 segment/s unless told otherwise', async () => {
    const byId = await engage.api('POST', BASE, { name: 'Twilio', senderSourceType: 'TOLL_FREE', provider: credentialId, numbers: ['+18885550120'] });
    expect(byId.status).toBe(201);
    expect(byId.body).toMatchObject({ provider: `twilio:${credentialId}`, mps: 1, numberMps: null, areaCodeMatch: false });
    const byKey = await engage.api('POST', BASE, { name: 'Twilio unthrottled', senderSourceType: 'TOLL_FREE', provider: `twilio:${credentialId}`, mps: null, numbers: ['+18885550121'] });
    expect(byKey.status).toBe(201);
    expect(byKey.body).toMatchObject({ provider: `twilio:${credentialId}`, mps: null });
    // The same logic behind the credential's own route.
    const viaCredential = await engage.api('POST', `/api/public/engage/provider-credentials/${credentialId}/sender-sources`, {
      name: 'Via credential', senderSourceType: 'TEN_DLC', numberMps: 1, areaCodeMatch: true, numbers: ['212 555 0122'],
    });
    expect(viaCredential.status).toBe(201);
    expect(viaCredential.body).toMatchObject({ provider: `twilio:${credentialId}`, mps: 1, numberMps: 1, areaCodeMatch: true, numbers: ['+12125550122'] });
    expect((await engage.api('GET', `${BASE}/${viaCredential.body.id}`)).body).toEqual(viaCredential.body);
  });

  it('keeps short codes as digits for SHORT_CODE sources only', async () => {
    const r = await engage.api('POST', BASE, { name: 'Short', senderSourceType: 'SHORT_CODE', provider: 'simulator', numbers: ['55123', '+12125550123'] });
    expect(r.status).toBe(201);
    expect(r.body.numbers).toEqual(['+12125550123', '55123']);
    const notShort = await engage.api('POST', BASE, { name: 'Long', senderSourceType: 'TEN_DLC', provider: 'simulator', numbers: ['55124'] });
    expect(notShort.status).toBe(400);
    expect(notShort.body.error.field).toBe('numbers[0]');
    const tooShort = await engage.api('POST', BASE, { name: 'Short', senderSourceType: 'SHORT_CODE', provider: 'simulator', numbers: ['12'] });
    expect(tooShort.body.error.field).toBe('numbers[0]');
  });

  const valid = { name: 'Valid', senderSourceType: 'TEN_DLC', provider: 'simulator', numbers: ['+12125550130'] };
  it.each([
    ['a missing name', { ...valid, name: undefined }, 'name'],
    ['a blank name', { ...valid, name: '   ' }, 'name'],
    ['an unknown type', { ...valid, senderSourceType: 'LONG_CODE' }, 'senderSourceType'],
    ['a missing provider', { ...valid, provider: undefined }, 'provider'],
    ['an unknown provider', { ...valid, provider: 'nexmo' }, 'provider'],
    ['an unknown credential', { ...valid, provider: '00000000-0000-4000-8000-000000000000' }, 'provider'],
    ['a credential key of the wrong kind', { ...valid, provider: 'telnyx:00000000-0000-4000-8000-000000000000' }, 'provider'],
    ['mps 0', { ...valid, mps: 0 }, 'mps'],
    ['negative mps', { ...valid, mps: -1 }, 'mps'],
    ['mps as text', { ...valid, mps: '5' }, 'mps'],
    ['numberMps 0', { ...valid, numberMps: 0 }, 'numberMps'],
    ['areaCodeMatch as text', { ...valid, areaCodeMatch: 'yes' }, 'areaCodeMatch'],
    ['no numbers', { ...valid, numbers: [] }, 'numbers'],
    ['missing numbers', { ...valid, numbers: undefined }, 'numbers'],
    ['a number that is not a phone', { ...valid, numbers: ['+12125550131', 'call me'] }, 'numbers[1]'],
    ['an impossible NANP number', { ...valid, numbers: ['+11235550131'] }, 'numbers[0]'],
    ['a number listed twice (after normalisation)', { ...valid, numbers: ['+12125550132', '(212) 555-0132'] }, 'numbers'],
    ['an unknown field', { ...valid, colour: 'red' }, 'colour'],
  ])('refuses %s with 400 naming the field, writing nothing', async (_what, body, field) => {
    const before = await snapshot();
    const r = await engage.api('POST', BASE, JSON.parse(JSON.stringify(body)));
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'INVALID_REQUEST', field });
    expect(await snapshot()).toEqual(before);
  });

  it("refuses another workspace's credential as provider", async () => {
    const r = await asB('POST', BASE, { ...valid, provider: credentialId });
    expect(r.status).toBe(400);
    expect(r.body.error.field).toBe('provider');
  });

  it('refuses (409) numbers of another source, naming them, and writes nothing', async () => {
    const before = await snapshot();
    const taken = bootstrapSource.numbers[0]!;
    const r = await engage.api('POST', BASE, { ...valid, numbers: ['+12125550133', taken, B_NUMBER] });
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: 'CONFLICT', field: 'numbers', numbers: [taken, B_NUMBER].sort() });
    expect(r.body.error.message).toContain(taken);
    expect(await snapshot()).toEqual(before);
    expect(await ownerOf('+12125550133')).toBeNull();
  });

  it('gives a number to exactly one of two concurrent creates', async () => {
    for (let round = 0; round < 5; round++) {
      const phone = `+1415555${String(140 + round).padStart(4, '0')}`;
      const results = await Promise.all(['A', 'B'].map((n) => engage.api('POST', BASE, { name: `Race ${n}${round}`, senderSourceType: 'TEN_DLC', provider: 'simulator', numbers: [phone, `+1646555${String(140 + round).padStart(3, '0')}${n === 'A' ? 1 : 2}`] })));
      expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
      const winner = results.find((r) => r.status === 201)!.body;
      const loser = results.find((r) => r.status === 409)!.body;
      expect(loser.error).toMatchObject({ field: 'numbers', numbers: [phone] });
      expect(await ownerOf(phone)).toBe(winner.id);
      // The loser left neither its source nor its other number behind.
      expect((await sources()).filter((s) => s.name.startsWith('Race ') && s.name.endsWith(String(round)))).toHaveLength(1);
    }
  });
});

describe('editing', () => {
  let id: string;
  beforeAll(async () => {
    const r = await engage.api('POST', BASE, { name: 'Editable', senderSourceType: 'TEN_DLC', provider: 'simulator', mps: 5, numbers: ['+12125550150', '+12125550151'] });
    id = r.body.id;
  });

  it('changes the name, throttles and area-code matching, and replaces the numbers', async () => {
    const before = (await engage.api('GET', `${BASE}/${id}`)).body;
    const r = await engage.api('PATCH', `${BASE}/${id}`, { name: 'Edited', mps: null, numberMps: 0.25, areaCodeMatch: true, numbers: ['+12125550151', '(718) 555-0152'] });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id, name: 'Edited', mps: null, numberMps: 0.25, areaCodeMatch: true, numbers: ['+12125550151', '+17185550152'], created: before.created });
    expect(r.body.updated > before.updated).toBe(true);
    expect((await engage.api('GET', `${BASE}/${id}`)).body).toEqual(r.body);
    expect(await ownerOf('+12125550150')).toBeNull();
    // A freed number can go to another source.
    const other = await engage.api('POST', BASE, { name: 'Takes the freed number', senderSourceType: 'TEN_DLC', provider: 'simulator', numbers: ['+12125550150'] });
    expect(other.status).toBe(201);
    // Fields left out stay as they are.
    const rename = await engage.api('PATCH', `${BASE}/${id}`, { name: 'Renamed' });
    expect(rename.body).toMatchObject({ name: 'Renamed', mps: null, numberMps: 0.25, areaCodeMatch: true, numbers: ['+12125550151', '+17185550152'] });
  });

  it.each([
    ['a blank name', { name: ' ' }, 'name'],
    ['mps 0', { mps: 0 }, 'mps'],
    ['numberMps below zero', { numberMps: -2 }, 'numberMps'],
    ['no numbers', { numbers: [] }, 'numbers'],
    ['a bad number', { numbers: ['+12125550151', 'nope'] }, 'numbers[1]'],
    ['a number listed twice', { numbers: ['+17185550152', '718-555-0152'] }, 'numbers'],
    ['an unknown provider', { provider: 'nexmo' }, 'provider'],
    ['another type', { senderSourceType: 'TOLL_FREE' }, 'senderSourceType'],
    ['an unknown field', { created: '2020-01-01T00:00:00.000Z' }, 'created'],
  ])('refuses %s with 400 naming the field, changing nothing', async (_what, body, field) => {
    const before = await snapshot();
    const r = await engage.api('PATCH', `${BASE}/${id}`, body);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'INVALID_REQUEST', field });
    expect(await snapshot()).toEqual(before);
  });

  it('refuses another provider (400 naming it): the numbers belong to the account they were bought at', async () => {
    const before = await snapshot();
    for (const provider of [credentialId, `twilio:${credentialId}`]) {
      const r = await engage.api('PATCH', `${BASE}/${id}`, { provider });
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'INVALID_REQUEST', field: 'provider' });
    }
    expect(await snapshot()).toEqual(before);
  });

  it('accepts the current provider and type unchanged', async () => {
    const r = await engage.api('PATCH', `${BASE}/${id}`, { provider: 'simulator', senderSourceType: 'TEN_DLC', areaCodeMatch: false });
    expect(r.status).toBe(200);
    expect(r.body.areaCodeMatch).toBe(false);
  });

  it("refuses (409) another source's number and changes nothing", async () => {
    const before = await snapshot();
    const r = await engage.api('PATCH', `${BASE}/${id}`, { name: 'Greedy', numbers: ['+12125550151', bootstrapSource.numbers[1]!] });
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: 'CONFLICT', field: 'numbers', numbers: [bootstrapSource.numbers[1]] });
    expect(await snapshot()).toEqual(before);
  });

  it('gives a free number to exactly one of two sources patched at once', async () => {
    const a = (await engage.api('POST', BASE, { name: 'Patch race A', senderSourceType: 'TEN_DLC', provider: 'simulator', numbers: ['+13055550160'] })).body.id;
    const b = (await engage.api('POST', BASE, { name: 'Patch race B', senderSourceType: 'TEN_DLC', provider: 'simulator', numbers: ['+13055550161'] })).body.id;
    const results = await Promise.all([
      engage.api('PATCH', `${BASE}/${a}`, { numbers: ['+13055550160', '+13055550162'] }),
      engage.api('PATCH', `${BASE}/${b}`, { numbers: ['+13055550161', '+13055550162'] }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const winner = results[0]!.status === 200 ? a : b;
    expect(await ownerOf('+13055550162')).toBe(winner);
    const loser = winner === a ? b : a;
    expect((await engage.api('GET', `${BASE}/${loser}`)).body.numbers).toEqual([loser === a ? '+13055550160' : '+13055550161']);
  });

  it('answers 404 for an unknown source', async () => {
    expect((await engage.api('PATCH', `${BASE}/00000000-0000-4000-8000-000000000000`, { name: 'x' })).status).toBe(404);
  });
});

describe('deleting', () => {
  it('deletes a source and frees its numbers', async () => {
    const s = (await engage.api('POST', BASE, { name: 'Doomed', senderSourceType: 'TEN_DLC', provider: 'simulator', numbers: ['+12125550170'] })).body;
    const r = await engage.api('DELETE', `${BASE}/${s.id}`);
    expect(r.status).toBe(204);
    expect((await engage.api('GET', `${BASE}/${s.id}`)).status).toBe(404);
    expect(await ownerOf('+12125550170')).toBeNull();
    expect((await engage.api('DELETE', `${BASE}/${s.id}`)).status).toBe(404);
  });

  it('refuses (409) while a campaign uses it, and deletes once the campaign moved', async () => {
    const s = (await engage.api('POST', BASE, { name: 'In use', senderSourceType: 'TEN_DLC', provider: 'simulator', numbers: ['+12125550171'] })).body;
    const campaign = await engage.api('POST', '/api/public/engage/campaigns', { name: 'Uses it', senderSourceId: s.id });
    expect(campaign.status).toBe(201);
    expect(campaign.body).toMatchObject({ senderSourceId: s.id, senderSourceType: 'TEN_DLC' });
    const r = await engage.api('DELETE', `${BASE}/${s.id}`);
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('CONFLICT');
    expect((await engage.api('GET', `${BASE}/${s.id}`)).body.numbers).toEqual(['+12125550171']);
    expect((await engage.api('PATCH', `/api/public/engage/campaigns/${campaign.body.id}`, { senderSourceId: bootstrapSource.id })).status).toBe(200);
    expect((await engage.api('DELETE', `${BASE}/${s.id}`)).status).toBe(204);
  });
});

describe('workspaces', () => {
  it("never shows or touches another workspace's sources", async () => {
    const mine = (await engage.api('POST', BASE, { name: 'A only', senderSourceType: 'TEN_DLC', provider: 'simulator', numbers: ['+12125550180'] })).body;
    const theirs = (await asB('GET', BASE)).body.senderSources;
    expect(theirs).toHaveLength(1);
    expect(theirs[0].numbers).toEqual([B_NUMBER]);
    expect((await sources()).map((s) => s.id)).not.toContain(theirs[0].id);
    const before = await snapshot();
    expect((await asB('GET', `${BASE}/${mine.id}`)).status).toBe(404);
    expect((await asB('PATCH', `${BASE}/${mine.id}`, { name: 'Hijacked' })).status).toBe(404);
    expect((await asB('DELETE', `${BASE}/${mine.id}`)).status).toBe(404);
    expect((await engage.api('PATCH', `${BASE}/${theirs[0].id}`, { name: 'Hijacked' })).status).toBe(404);
    expect(await snapshot()).toEqual(before);
    // A number is global: B cannot take A's.
    const grab = await asB('POST', BASE, { name: 'Grab', senderSourceType: 'TEN_DLC', provider: 'simulator', numbers: ['+12125550180'] });
    expect(grab.status).toBe(409);
    // Nor can B's campaigns use A's source.
    const campaign = await asB('POST', '/api/public/engage/campaigns', { name: 'B campaign', senderSourceId: mine.id });
    expect(campaign.body.error.field).toBe('senderSourceId');
  });
});

describe('roles and documentation', () => {
  it('lets an agent read sender sources but not change them', async () => {
    const email = 'agent@example.com';
    const password = 'correct horse battery staple';
    expect((await engage.api('POST', '/api/public/engage/users', { email, role: 'agent', password, name: 'Agent' })).status).toBe(201);
    const login = await fetch(`${engage.url}/api/console/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
    expect(login.status).toBe(200);
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const headers = { 'x-api-key': '', cookie, 'x-csrf-token': csrfToken };
    expect((await engage.api('GET', BASE, undefined, headers)).status).toBe(200);
    const before = await snapshot();
    const create = await engage.api('POST', BASE, { name: 'Agent', senderSourceType: 'TEN_DLC', provider: 'simulator', numbers: ['+12125550190'] }, headers);
    expect(create.status).toBe(403);
    expect((await engage.api('PATCH', `${BASE}/${bootstrapSource.id}`, { name: 'Agent' }, headers)).status).toBe(403);
    expect((await engage.api('DELETE', `${BASE}/${bootstrapSource.id}`, undefined, headers)).status).toBe(403);
    expect(await snapshot()).toEqual(before);
  });

  it('documents every route in the OpenAPI document, with examples', async () => {
    const doc = (await engage.api('GET', '/api/openapi.json')).body;
    const list = doc.paths['/api/public/engage/sender-sources'];
    const one = doc.paths['/api/public/engage/sender-sources/{id}'];
    for (const op of [list.get, list.post, one.get, one.patch, one.delete]) {
      expect(op.summary).toBeTruthy();
      expect(op.description).toBeTruthy();
      expect(op.tags).toEqual(['Sender sources']);
    }
    expect(list.post.requestBody.content['application/json'].example).toMatchObject({ senderSourceType: 'TEN_DLC' });
    expect(one.patch.requestBody.content['application/json'].example).toBeTruthy();
    expect(JSON.stringify(one.get.responses['200'])).toContain('+12125550100');
  });
});
