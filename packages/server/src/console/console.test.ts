/**
 * The console's read models over real HTTP with a real worker: live counts, the dashboard, the
 * inbox with its filters, opening a conversation (its key drives the conversation endpoints)
 * and assignment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestEngage, type TestEngage } from '../../test/harness.ts';
import { createWorkspace, freeSimulatorNumbers } from '../workspaces/bootstrap.ts';

let engage: TestEngage;
let campaignId: string;
let agentId: string;
const OTHER_KEY = 'engk_other_workspace_key_inbox0000';
const PHONES = ['+12125550101', '+12125550102', '+12125550103'];
const ALWAYS = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: 0, end: 1440 }]]));

async function leadOf(phone: string) {
  const lists = (await engage.api('GET', `/api/public/engage/campaigns/${campaignId}/lists`)).body.lists;
  const leads = (await engage.api('GET', `/api/public/engage/lists/${lists[0].id}/leads`)).body.leads;
  return leads.find((l: any) => l.phone === phone);
}

async function text(phone: string, body: string) {
  const lead = await leadOf(phone);
  expect((await engage.api('POST', '/api/simulator/messages', { from: phone, to: lead.fromNumber, text: body })).status).toBe(201);
}

const inbox = async (query = '') => {
  const r = await engage.api('GET', `/api/console/conversations${query}`);
  expect(r.status).toBe(200);
  return r.body.conversations as any[];
};

beforeAll(async () => {
  engage = await startTestEngage();
  await createWorkspace(engage.ctx.db, { orgName: 'Other', workspaceName: 'Other', apiKey: OTHER_KEY, numbers: await freeSimulatorNumbers(engage.ctx.db, 1) });
  const c = await engage.api('POST', '/api/public/engage/campaigns', {
    name: 'Inbox test', schedule: ALWAYS,
    messages: { outgoingMessage: 'Hi {{FirstName}}, want a quote?' },
    dispositions: [{ disposition: 'Sold', success: true }, { disposition: 'Not interested' }],
  });
  campaignId = c.body.id;
  await engage.api('POST', `/api/public/engage/campaigns/${campaignId}/approve`);
  await engage.api('POST', `/api/public/engage/campaigns/${campaignId}/activate`);
  for (const [i, phone] of PHONES.entries()) {
    const r = await engage.api('POST', '/api/public/engage/lead/load', { campaignId, listName: 'L', fields: [{ name: 'Phone', value: phone }, { name: 'FirstName', value: `Lead${i}` }] });
    expect(r.body.status).toBe('Accepted');
  }
  agentId = (await engage.api('POST', '/api/public/engage/users', { email: 'agent@example.com', role: 'agent', password: 'agent password 1' })).body.id;
});
afterAll(() => engage?.close());

describe('console read models', () => {
  it('counts a campaign live as the broadcast goes out', async () => {
    const counts = await eventually(async () => {
      const r = await engage.api('GET', '/api/console/campaign-counts');
      const mine = r.body.campaigns.find((c: any) => c.campaignId === campaignId);
      return mine?.delivered === 3 ? mine : undefined;
    }, 15_000, 'three delivered');
    expect(counts).toMatchObject({ leads: 3, pending: 0, queued: 3, sent: 3, delivered: 3, failed: 0, replies: 0, optOuts: 0 });
    const other = await engage.api('GET', '/api/console/campaign-counts', undefined, { 'x-api-key': OTHER_KEY });
    expect(other.body.campaigns).toEqual([]);
  });

  it('lists replies in the inbox, newest first, with needs-reply and opt-out state', async () => {
    expect(await inbox()).toEqual([]);
    await text(PHONES[0]!, 'Yes please');
    await text(PHONES[1]!, 'STOP');
    await eventually(async () => ((await inbox()).length === 2 ? true : undefined), 10_000, 'two conversations');
    await text(PHONES[2]!, '<img src=x onerror=alert(1)>');
    const all = await eventually(async () => {
      const list = await inbox();
      return list.length === 3 && list[0].lastMessage.direction === 'INBOUND' && list[0].phone === PHONES[2] ? list : undefined;
    }, 10_000, 'third conversation on top');
    expect(all[0]).toMatchObject({ campaignId, campaignName: 'Inbox test', needsReply: true, optedOut: false, disposition: null, assignee: null });
    expect(all[0].lastMessage.message).toBe('<img src=x onerror=alert(1)>');
    expect(all[0].leadData).toMatchObject({ FirstName: 'Lead2' });
    const stopped = all.find((c) => c.phone === PHONES[1]);
    expect(stopped).toMatchObject({ optedOut: true, needsReply: false });
    expect((await inbox('?needsReply=true')).map((c) => c.phone).sort()).toEqual([PHONES[0], PHONES[2]]);
    expect(await inbox(`?campaignId=${'0'.repeat(24)}`)).toEqual([]);
    expect((await engage.api('GET', '/api/console/conversations', undefined, { 'x-api-key': OTHER_KEY })).body.conversations).toEqual([]);
    const counts = (await engage.api('GET', '/api/console/campaign-counts')).body.campaigns.find((c: any) => c.campaignId === campaignId);
    expect(counts).toMatchObject({ replies: 2, optOuts: 1 });
  });

  it('opens a conversation with a working key; an answer clears needs-reply; a disposition filters', async () => {
    const lead = await leadOf(PHONES[0]!);
    const opened = await engage.api('GET', `/api/console/conversations/${lead.id}`);
    expect(opened.status).toBe(200);
    const convo: any = await fetch(opened.body.endpoints.conversationEndpoint).then((r) => r.json());
    expect(convo.data.lead.phone).toBe(PHONES[0]);
    expect((await engage.api('GET', `/api/console/conversations/${lead.id}`, undefined, { 'x-api-key': OTHER_KEY })).status).toBe(404);

    const sent = await fetch(opened.body.endpoints.sendMessageEndpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'Happy to help!' }) });
    expect(sent.status).toBe(200);
    expect((await inbox('?needsReply=true')).map((c) => c.phone)).toEqual([PHONES[2]]);
    expect((await inbox('?needsReply=false')).map((c) => c.phone).sort()).toEqual([PHONES[0], PHONES[1]]);

    await fetch(opened.body.endpoints.dispositionEndpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ disposition: 'Sold' }) });
    expect((await inbox('?disposition=Sold')).map((c) => c.phone)).toEqual([PHONES[0]]);
    expect((await inbox('?disposition=none')).map((c) => c.phone).sort()).toEqual([PHONES[1], PHONES[2]]);
  });

  it('assigns conversations to agents of the workspace only', async () => {
    const lead = await leadOf(PHONES[2]!);
    const bad = await engage.api('PUT', `/api/console/conversations/${lead.id}/assignee`, { userId: '999999' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('userId');
    const ok = await engage.api('PUT', `/api/console/conversations/${lead.id}/assignee`, { userId: agentId });
    expect(ok.body.assignee).toEqual({ id: agentId, name: 'agent' });
    expect((await inbox(`?assignee=${agentId}`)).map((c) => c.phone)).toEqual([PHONES[2]]);
    expect((await inbox('?assignee=none')).length).toBe(2);
    expect((await engage.api('GET', `/api/console/conversations/${lead.id}`)).body.assignee).toEqual({ id: agentId, name: 'agent' });
    // As the agent, "me" finds it.
    const login = await fetch(`${engage.url}/api/console/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'agent@example.com', password: 'agent password 1' }) });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const mine: any = await fetch(`${engage.url}/api/console/conversations?assignee=me`, { headers: { cookie } }).then((r) => r.json());
    expect(mine.conversations.map((c: any) => c.phone)).toEqual([PHONES[2]]);
    expect((await engage.api('PUT', `/api/console/conversations/${lead.id}/assignee`, { userId: null })).body.assignee).toBeNull();
    expect((await inbox('?assignee=none')).length).toBe(3);
  });

  it('builds the dashboard: funnel, rates, dispositions and a time series', async () => {
    const r = await engage.api('GET', `/api/console/campaigns/${campaignId}/dashboard`);
    expect(r.status).toBe(200);
    expect(r.body.counts).toMatchObject({ leads: 3, queued: 3, delivered: 3, replies: 2, optOuts: 1, dispositioned: 1 });
    expect(r.body.replyRate).toBeCloseTo(2 / 3, 3);
    expect(r.body.optOutRate).toBeCloseTo(1 / 3, 3);
    expect(r.body.deliveryRate).toBe(1);
    expect(r.body.dispositions).toEqual([{ disposition: 'Sold', count: 1 }]);
    expect(r.body.bucket).toBe('hour');
    const total = (k: string) => r.body.series.reduce((n: number, p: any) => n + p[k], 0);
    expect([total('sent'), total('delivered'), total('replies'), total('optOuts')]).toEqual([3, 3, 2, 1]);
    expect((await engage.api('GET', `/api/console/campaigns/${campaignId}/dashboard`, undefined, { 'x-api-key': OTHER_KEY })).status).toBe(404);
  });
});
