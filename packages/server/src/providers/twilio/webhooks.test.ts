/**
 * Twilio's webhooks through Engage's real HTTP server: signed requests (official library) are
 * stored and answered as Twilio expects; unsigned, mis-signed, foreign or malformed ones are
 * refused, logged, and leave no trace in the messages table.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngage, type TestEngage } from '../../../test/harness.ts';
import { createWorkspace } from '../../workspaces/bootstrap.ts';
import { fixture, postAsTwilio } from './fake-twilio.ts';
import { EMPTY_TWIML } from './routes.ts';

const ACCOUNT = 'AC8f3b2c1d4e5f60718293a4b5c6d7e8f9';
const TOKEN = '9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const OUR_NUMBER = '+12125550100';
const OTHER_WORKSPACE_NUMBER = '+12125550199';

let engage: TestEngage;
let cred: { id: string; providerKey: string; webhookUrls: { inbound: string; status: string } };
let logLines: string[] = [];

const params = (file: string): Record<string, string> => Object.fromEntries(new URLSearchParams(fixture(file)));
const messageCount = async () => Number((await engage.ctx.db.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
/** The URL on Engage's listening port for a public webhook URL (as if a proxy forwarded it). */
const local = (publicUrl: string) => engage.url + new URL(publicUrl).pathname + new URL(publicUrl).search;

beforeAll(async () => {
  engage = await startTestEngage({ worker: false });
  const c = await engage.api('POST', '/api/public/engage/provider-credentials', { provider: 'twilio', name: 'Main account', accountSid: ACCOUNT, authToken: TOKEN });
  expect(c.status).toBe(201);
  cred = c.body;
  const s = await engage.api('POST', `/api/public/engage/provider-credentials/${cred.id}/sender-sources`, { name: 'Twilio 10DLC', senderSourceType: 'TEN_DLC', mps: 5, numbers: [OUR_NUMBER] });
  expect(s.status).toBe(201);
  await createWorkspace(engage.ctx.db, { orgName: 'Other', workspaceName: 'Other', apiKey: 'engk_other_twilio_webhooks_0000000', numbers: [OTHER_WORKSPACE_NUMBER] });
  // Refusals are logged through the context's logger: capture it.
  engage.ctx.log = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, cb) => (logLines.push(String(chunk)), cb()) }));
});
afterAll(() => engage?.close());

describe('Twilio incoming-message webhook', () => {
  it('stores a signed message once, under its MessageSid, and answers empty TwiML', async () => {
    const r = await postAsTwilio(cred.webhookUrls.inbound, TOKEN, params('inbound-sms.form'));
    expect(r).toEqual({ status: 200, text: EMPTY_TWIML, contentType: 'text/xml' });
    const again = await postAsTwilio(cred.webhookUrls.inbound, TOKEN, params('inbound-sms.form'));
    expect(again.status).toBe(200);
    const rows = await engage.ctx.db.selectFrom('messages').selectAll().where('provider_message_id', '=', 'SM7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d').execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      direction: 'INBOUND', provider: cred.providerKey, sender: '+13125550101', recipient: OUR_NUMBER, body: "Yes please! What's the price?", status: 'RECEIVED',
    });
    expect(rows[0]!.workspace_id).not.toBeNull();
  });

  it('stores a picture-only MMS with its media, its text being the media URL', async () => {
    expect((await postAsTwilio(cred.webhookUrls.inbound, TOKEN, params('inbound-mms.form'))).status).toBe(200);
    const row = await engage.ctx.db.selectFrom('messages').selectAll().where('provider_message_id', '=', 'MM0a1b2c3d4e5f60718293a4b5c6d7e8f9').executeTakeFirstOrThrow();
    expect(row.body).toMatch(/^https:\/\/api\.twilio\.com\/.*\/Media\/ME/);
    const media = await engage.ctx.db.selectFrom('message_media').selectAll().where('message_id', '=', row.id).execute();
    expect(media).toEqual([{ message_id: row.id, position: 0, url: row.body, content_type: 'image/jpeg' }]);
  });

  it('keeps several media in order with the text, and drops media URLs that are not http(s)', async () => {
    const p = {
      ...params('inbound-sms.form'), MessageSid: 'MM0000000000000000000000000000b001', SmsMessageSid: 'MM0000000000000000000000000000b001', SmsSid: 'MM0000000000000000000000000000b001',
      Body: 'Two pictures', NumMedia: '3',
      MediaUrl0: 'https://api.twilio.com/2010-04-01/Accounts/AC8f3b2c1d4e5f60718293a4b5c6d7e8f9/Messages/MM0000000000000000000000000000b001/Media/ME01', MediaContentType0: 'image/png',
      MediaUrl1: 'javascript:alert(1)', MediaContentType1: 'image/png',
      MediaUrl2: 'https://api.twilio.com/2010-04-01/Accounts/AC8f3b2c1d4e5f60718293a4b5c6d7e8f9/Messages/MM0000000000000000000000000000b001/Media/ME02', MediaContentType2: 'video/mp4',
    };
    expect((await postAsTwilio(cred.webhookUrls.inbound, TOKEN, p)).status).toBe(200);
    const row = await engage.ctx.db.selectFrom('messages').selectAll().where('provider_message_id', '=', 'MM0000000000000000000000000000b001').executeTakeFirstOrThrow();
    expect(row.body).toBe('Two pictures');
    const media = await engage.ctx.db.selectFrom('message_media').select(['position', 'url', 'content_type']).where('message_id', '=', row.id).orderBy('position').execute();
    expect(media).toEqual([
      { position: 0, url: p.MediaUrl0, content_type: 'image/png' },
      { position: 1, url: p.MediaUrl2, content_type: 'video/mp4' },
    ]);
  });

  it('verifies against PUBLIC_URL (with or without the default port) and keeps the query string', async () => {
    const saved = engage.ctx.config.publicUrl;
    engage.ctx.config.publicUrl = 'https://engage.example.com';
    try {
      const publicInbound = `https://engage.example.com/api/providers/twilio/${cred.id}/inbound?campaign=spring%20promo`;
      const p = { ...params('inbound-sms.form'), MessageSid: 'SM0000000000000000000000000000a001' };
      const withPort = twilio.getExpectedTwilioSignature(TOKEN, publicInbound.replace('.com/', '.com:443/'), p);
      expect((await postAsTwilio(local(publicInbound), TOKEN, p, { signature: withPort })).status).toBe(200);
      const p2 = { ...p, MessageSid: 'SM0000000000000000000000000000a002' };
      const plain = twilio.getExpectedTwilioSignature(TOKEN, publicInbound, p2);
      expect((await postAsTwilio(local(publicInbound), TOKEN, p2, { signature: plain })).status).toBe(200);
      // Signed for the address Engage listens on rather than the public one: refused.
      const p3 = { ...p, MessageSid: 'SM0000000000000000000000000000a003' };
      const hostSigned = twilio.getExpectedTwilioSignature(TOKEN, local(publicInbound), p3);
      expect((await postAsTwilio(local(publicInbound), TOKEN, p3, { signature: hostSigned })).status).toBe(403);
    } finally {
      engage.ctx.config.publicUrl = saved;
    }
  });

  const tampered = () => {
    const p = params('inbound-sms.form');
    return { p: { ...p, MessageSid: 'SM0000000000000000000000000000bad1' }, url: cred.webhookUrls.inbound };
  };
  it.each([
    ['no signature', () => ({ ...tampered(), signature: null })],
    ['an empty signature', () => ({ ...tampered(), signature: '' })],
    ['garbage', () => ({ ...tampered(), signature: 'bm90IGEgc2lnbmF0dXJl' })],
    ['another auth token', () => ({ ...tampered(), signature: twilio.getExpectedTwilioSignature('0'.repeat(32), tampered().url, tampered().p) })],
    ['a signature over other parameters', () => ({ ...tampered(), signature: twilio.getExpectedTwilioSignature(TOKEN, tampered().url, { ...tampered().p, Body: 'other' }) })],
    ['a signature for the status URL', () => ({ ...tampered(), signature: twilio.getExpectedTwilioSignature(TOKEN, cred.webhookUrls.status, tampered().p) })],
  ])('refuses %s with 403, logs it and stores nothing', async (_what, make) => {
    const { p, url, signature } = make();
    const before = await messageCount();
    logLines = [];
    const r = await postAsTwilio(url, TOKEN, p, { signature });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.text)).toEqual({ error: { code: 'INVALID_SIGNATURE', message: expect.any(String) } });
    expect(await messageCount()).toBe(before);
    const logged = logLines.map((l) => JSON.parse(l)).find((l) => l.msg === 'provider webhook refused');
    expect(logged).toMatchObject({ provider: 'twilio', credentialId: cred.id, status: 403 });
    expect(logLines.join('')).not.toContain(TOKEN);
  });

  it('refuses a correctly signed request of another Twilio account (AccountSid)', async () => {
    const p = { ...params('inbound-sms.form'), AccountSid: 'AC00000000000000000000000000000000', MessageSid: 'SM0000000000000000000000000000bad2' };
    const before = await messageCount();
    expect((await postAsTwilio(cred.webhookUrls.inbound, TOKEN, p)).status).toBe(403);
    expect(await messageCount()).toBe(before);
  });

  it("refuses a message to another workspace's number, even correctly signed", async () => {
    const p = { ...params('inbound-sms.form'), To: OTHER_WORKSPACE_NUMBER, MessageSid: 'SM0000000000000000000000000000bad3' };
    const before = await messageCount();
    expect((await postAsTwilio(cred.webhookUrls.inbound, TOKEN, p)).status).toBe(422);
    expect(await messageCount()).toBe(before);
  });

  it('answers 404 for an unknown credential and 400 for a signed but malformed message, storing nothing', async () => {
    const before = await messageCount();
    const unknown = cred.webhookUrls.inbound.replace(cred.id, '00000000-0000-4000-8000-000000000000');
    expect((await postAsTwilio(unknown, TOKEN, params('inbound-sms.form'))).status).toBe(404);
    expect((await postAsTwilio(cred.webhookUrls.inbound.replace(cred.id, 'not-a-uuid'), TOKEN, params('inbound-sms.form'))).status).toBe(404);
    const noFrom: Record<string, string> = { ...params('inbound-sms.form'), MessageSid: 'SM0000000000000000000000000000bad4' };
    delete noFrom.From;
    const r = await postAsTwilio(cred.webhookUrls.inbound, TOKEN, noFrom);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).error.message).toMatch(/From/);
    const text = await fetch(cred.webhookUrls.inbound, { method: 'POST', headers: { 'content-type': 'text/plain', 'x-twilio-signature': 'x' }, body: 'hello' });
    expect(text.status).toBe(415);
    expect(await messageCount()).toBe(before);
  });
});

describe('Twilio status callback', () => {
  it('moves a message forward only, whatever order the callbacks arrive in', async () => {
    const sid = 'SM1f0e2d3c4b5a69788796a5b4c3d2e1f0';
    const ws = await engage.ctx.db.selectFrom('sender_numbers').select('workspace_id').where('phone', '=', OUR_NUMBER).executeTakeFirstOrThrow();
    await engage.ctx.db.insertInto('messages').values({
      id: '6743a1b2c3d4e5f600000001', workspace_id: ws.workspace_id, lead_id: null, direction: 'OUTBOUND', kind: 'AGENT', sender: OUR_NUMBER, recipient: '+13125550101',
      body: 'hello', status: 'QUEUED', status_message: null, provider: cred.providerKey, provider_message_id: sid, created: new Date(), updated: new Date(),
    }).execute();
    const status = async () => (await engage.ctx.db.selectFrom('messages').select(['status', 'status_message']).where('provider_message_id', '=', sid).executeTakeFirstOrThrow());
    for (const [file, expected] of [
      ['status-delivered.form', 'DELIVERED'], ['status-sent.form', 'DELIVERED'], ['status-queued.form', 'DELIVERED'], ['status-undelivered-30003.form', 'DELIVERED'],
    ] as const) {
      const r = await postAsTwilio(cred.webhookUrls.status, TOKEN, params(file));
      expect(r.status).toBe(200);
      expect((await status()).status).toBe(expected);
    }
  });

  it('records the carrier error of an undelivered message', async () => {
    const sid = 'SM0000000000000000000000000000c001';
    await engage.ctx.db.insertInto('messages').values({
      id: '6743a1b2c3d4e5f600000002', workspace_id: null, lead_id: null, direction: 'OUTBOUND', kind: 'AGENT', sender: OUR_NUMBER, recipient: '+13125550101',
      body: 'hello', status: 'SENT', status_message: null, provider: cred.providerKey, provider_message_id: sid, created: new Date(), updated: new Date(),
    }).execute();
    const p = { ...params('status-undelivered-30003.form'), MessageSid: sid, SmsSid: sid };
    expect((await postAsTwilio(cred.webhookUrls.status, TOKEN, p)).status).toBe(200);
    const row = await engage.ctx.db.selectFrom('messages').selectAll().where('provider_message_id', '=', sid).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'UNDELIVERED', status_message: '30003: Unreachable destination handset' });
  });

  it('answers 200 to a callback about a message Engage does not know, and logs it', async () => {
    logLines = [];
    const p = { ...params('status-delivered.form'), MessageSid: 'SM0000000000000000000000000000d001' };
    expect((await postAsTwilio(cred.webhookUrls.status, TOKEN, p)).status).toBe(200);
    expect(logLines.map((l) => JSON.parse(l).msg)).toContain('twilio status callback for a message Engage does not know');
    const before = await messageCount();
    expect((await postAsTwilio(cred.webhookUrls.status, TOKEN, p, { signature: null })).status).toBe(403);
    expect(await messageCount()).toBe(before);
  });
});
