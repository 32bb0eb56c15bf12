import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngage, type TestEngage } from '../../test/harness.ts';
import { createWorkspace, freeSimulatorNumbers } from '../workspaces/bootstrap.ts';

let engage: TestEngage;
const OTHER_KEY = 'engk_other_workspace_key_000000000';

beforeAll(async () => {
  engage = await startTestEngage({ worker: false });
  await createWorkspace(engage.ctx.db, { orgName: 'Other', workspaceName: 'Other', apiKey: OTHER_KEY, numbers: await freeSimulatorNumbers(engage.ctx.db, 1) });
});
afterAll(() => engage?.close());

const create = (body: unknown) => engage.api('POST', '/api/public/engage/campaigns', body);

describe('campaign resource', () => {
  it('creates with the contract field names and sensible defaults', async () => {
    const r = await create({ name: 'Spring promo' });
    expect(r.status).toBe(201);
    expect(Object.keys(r.body)).toEqual([
      'id', 'orgId', 'workspaceId', 'name', 'created', 'updated', 'campaignStatus', 'sendingStatus', 'sendingStatusDescription',
      'nextRunTime', 'senderSourceType', 'senderSourceId', 'carrierDailyLimits', 'schedule', 'messages', 'webhooks',
      'notifications', 'customFields', 'dispositions', 'automations', 'followUps', 'events',
    ]);
    expect(r.body).toMatchObject({
      campaignStatus: 'DRAFT', sendingStatus: 'IDLE', senderSourceType: 'CORE_CAMPAIGN',
      webhooks: { deliveryResult: null, conversationStarted: null, incomingMessage: null, disposition: null, optOut: null, optIn: null },
    });
    expect(r.body.messages.stopMessage).toMatch(/unsubscribed/);
    expect(r.body.schedule.monday).toEqual([{ start: 540, end: 1200 }]);
  });

  it.each([
    [{}, 'name'],
    [{ name: '' }, 'name'],
    [{ name: 'x', webhooks: { optOut: 'ftp://example.com/hook' } }, 'webhooks.optOut'],
    [{ name: 'x', webhooks: { optOut: 'not a url' } }, 'webhooks.optOut'],
    [{ name: 'x', schedule: { monday: [{ start: 600, end: 500 }] } }, 'schedule.monday[0]'],
    [{ name: 'x', dispositions: [{ disposition: 'A' }, { disposition: 'a' }] }, 'dispositions[1].disposition'],
    [{ name: 'x', unknownField: 1 }, 'unknownField'],
    [{ name: 'x', messages: { outgoingMessage: 5 } }, 'messages.outgoingMessage'],
  ])('refuses %j naming the field %s, writing nothing', async (body, field) => {
    const before = (await engage.api('GET', '/api/public/engage/campaigns')).body.campaigns.length;
    const r = await create(body);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('INVALID_REQUEST');
    expect(r.body.error.field).toContain(field);
    expect((await engage.api('GET', '/api/public/engage/campaigns')).body.campaigns.length).toBe(before);
  });

  it('answers malformed JSON with 400', async () => {
    const r = await engage.api('POST', '/api/public/engage/campaigns', '{"name": ', { 'content-type': 'application/json' });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('INVALID_REQUEST');
  });

  it('requires a valid API key', async () => {
    expect((await engage.api('GET', '/api/public/engage/campaigns', undefined, { 'x-api-key': '' })).status).toBe(401);
    const wrong = await engage.api('GET', '/api/public/engage/campaigns', undefined, { 'x-api-key': 'engk_wrong' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('UNAUTHORIZED');
  });

  it('404s an unknown campaign and hides other workspaces\' campaigns', async () => {
    const mine = await create({ name: 'Mine' });
    expect((await engage.api('GET', '/api/public/engage/campaigns/0123456789abcdef01234567')).status).toBe(404);
    const theirs = await engage.api('GET', `/api/public/engage/campaigns/${mine.body.id}`, undefined, { 'x-api-key': OTHER_KEY });
    expect(theirs.status).toBe(404);
    const patch = await engage.api('PATCH', `/api/public/engage/campaigns/${mine.body.id}`, { name: 'hijack' }, { 'x-api-key': OTHER_KEY });
    expect(patch.status).toBe(404);
    expect((await engage.api('GET', `/api/public/engage/campaigns/${mine.body.id}`)).body.name).toBe('Mine');
  });

  it('runs the lifecycle and records each transition', async () => {
    const c = (await create({ name: 'Life', messages: { outgoingMessage: 'Hi {{FirstName}}' }, dispositions: [{ disposition: 'Sold', success: true }] })).body;
    const post = (action: string) => engage.api('POST', `/api/public/engage/campaigns/${c.id}/${action}`);
    expect((await post('activate')).status).toBe(409);
    expect((await post('pause')).status).toBe(409);
    expect((await post('approve')).body.campaignStatus).toBe('READY');
    expect((await post('activate')).body.campaignStatus).toBe('ACTIVE');

    const locked = await engage.api('PATCH', `/api/public/engage/campaigns/${c.id}`, { messages: { outgoingMessage: 'changed' } });
    expect(locked.status).toBe(409);
    expect(locked.body.error).toMatchObject({ code: 'CAMPAIGN_ACTIVE', field: 'messages' });
    const renamed = await engage.api('PATCH', `/api/public/engage/campaigns/${c.id}`, { name: 'Life (renamed)' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe('Life (renamed)');
    // Sending the current value back is not a change.
    expect((await engage.api('PATCH', `/api/public/engage/campaigns/${c.id}`, { messages: { outgoingMessage: 'Hi {{FirstName}}' } })).status).toBe(200);

    const paused = await post('pause');
    expect(paused.body.campaignStatus).toBe('PAUSED');
    const edited = await engage.api('PATCH', `/api/public/engage/campaigns/${c.id}`, { messages: { outgoingMessage: 'changed' }, dispositions: [{ disposition: 'Sold' }, { disposition: 'Lost' }] });
    expect(edited.status).toBe(200);
    expect(edited.body.dispositions[0].id).toBe(c.dispositions[0].id);
    expect(edited.body.messages.helpMessage).toBe(c.messages.helpMessage);
    expect(paused.body.events.filter((e: { type: string }) => e.type === 'STATUS_CHANGED').map((e: { fromStatus: string; toStatus: string }) => `${e.fromStatus}>${e.toStatus}`))
      .toEqual(['DRAFT>READY', 'READY>ACTIVE', 'ACTIVE>PAUSED']);
  });

  it('refuses to approve a campaign without a broadcast message', async () => {
    const c = (await create({ name: 'Empty' })).body;
    const r = await engage.api('POST', `/api/public/engage/campaigns/${c.id}/approve`);
    expect(r.status).toBe(422);
    expect(r.body.error.field).toBe('messages.outgoingMessage');
  });
});

describe('workspace', () => {
  it('returns a Standard Webhooks secret and edits settings', async () => {
    const s = await engage.api('GET', '/api/public/engage/webhook-secret');
    expect(s.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const other = await engage.api('GET', '/api/public/engage/webhook-secret', undefined, { 'x-api-key': OTHER_KEY });
    expect(other.body.secret).not.toBe(s.body.secret);
    const p = await engage.api('PATCH', '/api/public/engage/workspace', { quietHoursPolicy: 'NONE' });
    expect(p.body.quietHoursPolicy).toBe('NONE');
    const bad = await engage.api('PATCH', '/api/public/engage/workspace', { quietHoursPolicy: 'SOMETIMES' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('quietHoursPolicy');
    expect((await engage.api('GET', '/api/public/engage/workspace')).body.quietHoursPolicy).toBe('NONE');
  });

  it('publishes an OpenAPI 3.1 document with every public route', async () => {
    const r = await fetch(`${engage.url}/api/openapi.json`);
    const doc = (await r.json()) as any;
    expect(doc.openapi).toBe('3.1.0');
    for (const p of ['/api/public/engage/campaigns', '/api/public/engage/lead/load', '/api/public/engage/conversation/send', '/api/simulator/messages']) {
      expect(Object.keys(doc.paths)).toContain(p);
    }
  });
});
