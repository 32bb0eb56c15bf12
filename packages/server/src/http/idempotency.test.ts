/**
 * Idempotency-Key on the POSTs of the public and management API, against a real Engage: duplicate
 * requests (also 20 at once) have one effect and get the first response; another body under the
 * same key is refused; keys are scoped per workspace / conversation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_API_KEY, eventually, startTestEngage, type TestEngage } from '../../test/harness.ts';
import { createCampaign, sentConversation } from '../events/testkit.ts';

let engage: TestEngage;

beforeAll(async () => {
  engage = await startTestEngage();
});
afterAll(() => engage?.close());

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, replayed: res.headers.get('idempotent-replayed'), body: (await res.json()) as any };
}

const outboundTo = async (phone: string) =>
  (await engage.api('GET', `/api/simulator/messages?phone=${encodeURIComponent(phone)}`)).body.messages.filter((m: any) => m.direction === 'OUTBOUND');

describe('Idempotency-Key', () => {
  it('20 simultaneous identical sends with one key text the lead once and all get the first response', async () => {
    const conv = await sentConversation(engage, await createCampaign(engage));
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => post(conv.endpoints.sendMessageEndpoint, { message: 'Only once, please' }, { 'idempotency-key': 'send-1' })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    const ids = new Set(answers.map((a) => a.body.id));
    expect(ids.size).toBe(1);
    expect(answers.filter((a) => a.replayed === 'true')).toHaveLength(19);
    // Exactly one SMS reached the phone, and only one message row exists.
    const texts = await eventually(async () => {
      const m = await outboundTo(conv.phone);
      return m.length >= 1 ? m : undefined;
    });
    expect(texts.map((m: any) => m.text)).toEqual(['Only once, please']);
    const rows = await engage.ctx.db.selectFrom('messages').select('id').where('lead_id', '=', conv.leadId).where('kind', '=', 'AGENT').execute();
    expect(rows.map((r) => r.id)).toEqual([...ids]);

    // A later retry still replays; a new key sends again.
    const again = await post(conv.endpoints.sendMessageEndpoint, { message: 'Only once, please' }, { 'idempotency-key': 'send-1' });
    expect(again).toMatchObject({ status: 200, replayed: 'true', body: { id: [...ids][0] } });
    const fresh = await post(conv.endpoints.sendMessageEndpoint, { message: 'Only once, please' }, { 'idempotency-key': 'send-2' });
    expect(fresh.replayed).toBeNull();
    expect(fresh.body.id).not.toBe([...ids][0]);
    await eventually(async () => ((await outboundTo(conv.phone)).length === 2 ? true : undefined));
  });

  it('refuses the same key with another body (422 naming Idempotency-Key) and malformed keys (400)', async () => {
    const conv = await sentConversation(engage, await createCampaign(engage));
    expect((await post(conv.endpoints.sendMessageEndpoint, { message: 'first' }, { 'idempotency-key': 'k-422' })).status).toBe(200);
    const other = await post(conv.endpoints.sendMessageEndpoint, { message: 'second' }, { 'idempotency-key': 'k-422' });
    expect(other.status).toBe(422);
    expect(other.body.error).toMatchObject({ code: 'UNPROCESSABLE', field: 'Idempotency-Key' });
    const bad = await post(conv.endpoints.sendMessageEndpoint, { message: 'x' }, { 'idempotency-key': 'has space' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('Idempotency-Key');
    await eventually(async () => ((await outboundTo(conv.phone)).length === 1 ? true : undefined));
    expect((await outboundTo(conv.phone)).map((m: any) => m.text)).toEqual(['first']);
  });

  it('does not store an error: the same key works once the request is valid', async () => {
    const conv = await sentConversation(engage, await createCampaign(engage, {}, { dispositions: [{ disposition: 'Won', success: true, doNotContact: false }] }));
    const wrong = await post(conv.endpoints.dispositionEndpoint, { disposition: 'Nope' }, { 'idempotency-key': 'disp-1' });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.code).toBe('UNKNOWN_DISPOSITION');
    const right = await post(conv.endpoints.dispositionEndpoint, { disposition: 'Won' }, { 'idempotency-key': 'disp-2' });
    expect(right.status).toBe(200);
    const replay = await post(conv.endpoints.dispositionEndpoint, { disposition: 'Won' }, { 'idempotency-key': 'disp-2' });
    expect(replay).toMatchObject({ status: 200, replayed: 'true' });
    expect(replay.body).toEqual(right.body);
    const events = await engage.ctx.db.selectFrom('events').select('id').where('lead_id', '=', conv.leadId).where('event_type', '=', 'Disposition').execute();
    expect(events).toHaveLength(1);
  });

  it('keys are per conversation: the same key in two conversations are two requests', async () => {
    const campaignId = await createCampaign(engage);
    const a = await sentConversation(engage, campaignId);
    const b = await sentConversation(engage, campaignId);
    const ra = await post(a.endpoints.sendMessageEndpoint, { message: 'same' }, { 'idempotency-key': 'shared' });
    const rb = await post(b.endpoints.sendMessageEndpoint, { message: 'same' }, { 'idempotency-key': 'shared' });
    expect([ra.status, rb.status, ra.replayed, rb.replayed]).toEqual([200, 200, null, null]);
    expect(ra.body.id).not.toBe(rb.body.id);
  });

  it('lead load and campaign create replay their first response and have one effect', async () => {
    const api = (path: string, body: unknown, key: string) => post(engage.url + path, body, { 'x-api-key': TEST_API_KEY, 'idempotency-key': key });
    const c1 = await api('/api/public/engage/campaigns', { name: 'Once', schedule: {}, messages: { outgoingMessage: 'Hi' } }, 'camp-1');
    const c2 = await api('/api/public/engage/campaigns', { name: 'Once', schedule: {}, messages: { outgoingMessage: 'Hi' } }, 'camp-1');
    expect([c1.status, c2.status, c2.replayed]).toEqual([201, 201, 'true']);
    expect(c2.body).toEqual(c1.body);
    const named = await engage.ctx.db.selectFrom('campaigns').select('id').where('name', '=', 'Once').execute();
    expect(named).toHaveLength(1);

    const lead = { campaignId: c1.body.id, deDupe: false, fields: [{ name: 'Phone', value: '+16465559001' }] };
    const l1 = await api('/api/public/engage/lead/load', lead, 'lead-1');
    const l2 = await api('/api/public/engage/lead/load', lead, 'lead-1');
    expect(l1.body.status).toBe('Accepted');
    expect(l2).toMatchObject({ status: 200, replayed: 'true', body: { leadId: l1.body.leadId } });
    const leads = await engage.ctx.db.selectFrom('leads').select('id').where('campaign_id', '=', c1.body.id).execute();
    expect(leads).toHaveLength(1);
    // The same key on another endpoint is another request.
    const cross = await api('/api/public/engage/campaigns', { name: 'Other', schedule: {}, messages: { outgoingMessage: 'Hi' } }, 'lead-1');
    expect(cross.status).toBe(422);
  });

  it('list load: the same file and fields under one key make one import; another file is refused', async () => {
    const campaignId = await createCampaign(engage);
    const upload = (csv: string, key: string) => {
      const form = new FormData();
      form.append('campaignId', campaignId);
      form.append('processRequest', JSON.stringify({ deDupe: true, firstRowHeaders: true, mappedCols: [{ columnIndex: 0, columnId: 'Phone' }] }));
      form.append('file', new Blob([csv], { type: 'text/csv' }), 'leads.csv');
      return fetch(engage.url + '/api/public/engage/list/load', { method: 'POST', headers: { 'x-api-key': TEST_API_KEY, 'idempotency-key': key }, body: form });
    };
    const csv = 'Phone\n+16465559101\n+16465559102\n';
    const r1 = await upload(csv, 'list-1');
    const r2 = await upload(csv, 'list-1');
    expect([r1.status, r2.status, r2.headers.get('idempotent-replayed')]).toEqual([202, 202, 'true']);
    const [b1, b2] = [(await r1.json()) as { jobId: string }, await r2.json()];
    expect(b2).toEqual(b1);
    const other = await upload('Phone\n+16465559103\n', 'list-1');
    expect(other.status).toBe(422);
    const imports = await engage.ctx.db.selectFrom('list_imports').select('id').where('campaign_id', '=', campaignId).execute();
    expect(imports.map((i) => i.id)).toEqual([b1.jobId]);
  });
});
