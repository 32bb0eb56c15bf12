/**
 * The Twilio adapter against a local fake of the Messages API: the exact request it sends, how it
 * maps every kind of answer (and no answer), and how the recorded callbacks parse.
 */
import twilio from 'twilio';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TwilioCredential } from '../credentials.ts';
import { providerAgent } from '../http-errors.ts';
import { CallbackError, inboundText, parseTwilioInbound, parseTwilioStatus } from './callbacks.ts';
import { FakeTwilio, fixture } from './fake-twilio.ts';
import { createTwilioProvider } from './provider.ts';
import { parseForm } from './signature.ts';

const ACCOUNT = 'AC8f3b2c1d4e5f60718293a4b5c6d7e8f9';
const TOKEN = '9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const CALLBACK = 'https://engage.example.com/api/providers/twilio/6f1c2d3e-4b5a-4978-8a6b-5c4d3e2f1a0b/status';
const NOW = new Date('2025-11-24T15:30:00.000Z');
const cred = (over: Partial<TwilioCredential> = {}): TwilioCredential => ({
  kind: 'twilio', id: '6f1c2d3e-4b5a-4978-8a6b-5c4d3e2f1a0b', workspaceId: 1, name: 'main', accountSid: ACCOUNT, messagingServiceSid: null, lookupLineType: false, authToken: TOKEN, ...over,
});
const req = { reference: '6743a1b2c3d4e5f601234567', from: '+12125550100', to: '+13125550101', body: 'Hi Kim, want a quote? Reply YES' };

let fake: FakeTwilio;
const dispatcher = providerAgent(300);
const adapter = (c = cred(), timeoutMs = 300) =>
  createTwilioProvider(c, { apiUrl: fake.url, timeoutMs, statusCallbackUrl: () => CALLBACK, dispatcher, now: () => NOW });

beforeAll(async () => {
  fake = await new FakeTwilio({ [ACCOUNT]: TOKEN }).start();
});
afterAll(async () => {
  await fake.stop();
  await dispatcher.close();
});
beforeEach(() => {
  fake.requests.length = 0;
  fake.script.length = 0;
});

describe('sending', () => {
  it('posts the form Twilio expects, with basic auth, and returns the message SID', async () => {
    const r = await adapter().send(req);
    expect(r).toEqual({ ok: true, providerMessageId: 'SM00000000000000000000000000000001' });
    expect(fake.requests).toHaveLength(1);
    const sent = fake.requests[0]!;
    expect(sent.method).toBe('POST');
    expect(sent.path).toBe(`/2010-04-01/Accounts/${ACCOUNT}/Messages.json`);
    expect(sent.headers.authorization).toBe('Basic ' + Buffer.from(`${ACCOUNT}:${TOKEN}`).toString('base64'));
    expect(sent.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(sent.form).toEqual({ To: '+13125550101', From: '+12125550100', Body: 'Hi Kim, want a quote? Reply YES', StatusCallback: CALLBACK });
    expect(sent.raw).toBe(`To=%2B13125550101&From=%2B12125550100&Body=Hi+Kim%2C+want+a+quote%3F+Reply+YES&StatusCallback=${encodeURIComponent(CALLBACK)}`);
  });

  it('adds MessagingServiceSid (keeping From: sticky sender) and ValidityPeriod from the sending window', async () => {
    const mg = 'MG2a3b4c5d6e7f8091a2b3c4d5e6f70819';
    const r = await adapter(cred({ messagingServiceSid: mg })).send({ ...req, validUntil: new Date(NOW.getTime() + 90 * 60_000 + 999) });
    expect(r.ok).toBe(true);
    expect(fake.requests[0]!.form).toMatchObject({ From: '+12125550100', MessagingServiceSid: mg, ValidityPeriod: '5400' });
    await adapter().send({ ...req, validUntil: new Date(NOW.getTime() + 48 * 3600_000) });
    expect(fake.requests[1]!.form.ValidityPeriod).toBe('36000');
  });

  it('does not call Twilio when the sending window has already closed', async () => {
    const r = await adapter().send({ ...req, validUntil: new Date(NOW.getTime() - 1) });
    expect(r).toMatchObject({ ok: false, retryable: true, code: 'WINDOW_CLOSED' });
    expect(fake.requests).toHaveLength(0);
  });

  it('answers 401 with code 20003 when the auth token is wrong', async () => {
    const r = await adapter(cred({ authToken: 'f'.repeat(32) })).send(req);
    expect(r).toEqual({ ok: false, retryable: false, code: '20003', message: 'Authenticate' });
  });

  it.each([
    ['send-error-21610.json', 400, {}, { retryable: false, code: '21610', suppress: true, message: 'Attempt to send to unsubscribed recipient' }],
    ['send-error-21211.json', 400, {}, { retryable: false, code: '21211' }],
    ['send-error-20429.json', 429, { 'retry-after': '7' }, { retryable: true, code: '20429', retryAfterMs: 7000 }],
    ['send-error-20500.json', 500, {}, { retryable: true, code: '20500' }],
  ] as const)('maps %s (HTTP %i)', async (file, status, headers, expected) => {
    fake.script.push({ status, body: fixture(file), headers });
    const r = await adapter().send(req);
    expect(r).toMatchObject({ ok: false, ...expected });
    if (!('suppress' in expected)) expect(r).not.toHaveProperty('suppress');
  });

  it.each([
    [503, '<html>Service Unavailable</html>', { retryable: true, code: 'HTTP_503' }],
    [502, '', { retryable: true, code: 'HTTP_502' }],
    [404, '{"code": 20404, "message": "The requested resource was not found", "status": 404}', { retryable: false, code: '20404' }],
    [400, '{"code": 12345, "message": "Something new", "status": 400}', { retryable: false, code: '12345', message: 'Something new' }],
    [201, '{"status": "queued"}', { retryable: false, code: 'BAD_RESPONSE', maybeSent: true }],
  ] as const)('maps an answer HTTP %i %s', async (status, body, expected) => {
    fake.script.push({ status, body });
    expect(await adapter().send(req)).toMatchObject({ ok: false, ...expected });
  });

  it('gives up on a slow Twilio at the deadline: retryable TIMEOUT, flagged maybe-sent', async () => {
    fake.script.push({ status: 201, body: fixture('send-created.json'), delayMs: 2000 });
    const started = Date.now();
    const r = await adapter(cred(), 200).send(req);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(r).toMatchObject({ ok: false, retryable: true, code: 'TIMEOUT', maybeSent: true });
  });

  it('maps a refused connection to a retryable NETWORK failure, not maybe-sent', async () => {
    const down = createTwilioProvider(cred(), { apiUrl: 'http://127.0.0.1:9', timeoutMs: 500, statusCallbackUrl: () => CALLBACK, dispatcher });
    const r = await down.send(req);
    expect(r).toMatchObject({ ok: false, retryable: true, code: 'NETWORK' });
    expect(r).not.toHaveProperty('maybeSent');
  });

  it('never sends twice by itself: idempotentSend is false', () => {
    expect(adapter().idempotentSend).toBe(false);
    expect(adapter().name).toBe('twilio:6f1c2d3e-4b5a-4978-8a6b-5c4d3e2f1a0b');
  });
});

describe('finding what was sent (reconciling a send interrupted by a crash)', () => {
  const since = () => new Date(Date.now() - 5_000);

  it('lists the phone\'s messages from the number and keeps the outbound ones with the same body since the claim', async () => {
    const to = '+13125550141';
    const sent = await adapter().send({ ...req, to });
    expect(sent.ok).toBe(true);
    fake.addMessage(ACCOUNT, { to, from: req.from, body: req.body, created: new Date(Date.now() - 10 * 60_000) }); // before the claim
    fake.addMessage(ACCOUNT, { to, from: req.from, body: 'Another text', created: new Date() });
    fake.addMessage(ACCOUNT, { to, from: req.from, body: req.body, created: new Date(), direction: 'inbound' });
    fake.addMessage(ACCOUNT, { to, from: '+12125550199', body: req.body, created: new Date() }); // another number
    fake.listRequests.length = 0;
    const found = await adapter().findSent!({ from: req.from, to, body: req.body, since: since() });
    expect(found).toEqual([{ id: (sent as { providerMessageId: string }).providerMessageId, status: 'QUEUED', errorCode: null, errorMessage: null }]);
    expect(fake.listRequests).toHaveLength(1);
    const r = fake.listRequests[0]!;
    expect(r.path).toBe(`/2010-04-01/Accounts/${ACCOUNT}/Messages.json?To=%2B13125550141&From=%2B12125550100&PageSize=50`);
    expect(r.headers.authorization).toBe('Basic ' + Buffer.from(`${ACCOUNT}:${TOKEN}`).toString('base64'));
    expect(await adapter().findSent!({ from: req.from, to, body: 'Never sent', since: since() })).toEqual([]);
  });

  it('reads further pages until the messages are older than the claim', async () => {
    const to = '+13125550142';
    const match = fake.addMessage(ACCOUNT, { to, from: req.from, body: req.body, created: new Date(Date.now() - 1_000) });
    for (let i = 0; i < 60; i += 1) fake.addMessage(ACCOUNT, { to, from: req.from, body: `newer ${i}`, created: new Date() });
    fake.listRequests.length = 0;
    expect((await adapter().findSent!({ from: req.from, to, body: req.body, since: since() })).map((m) => m.id)).toEqual([match]);
    expect(fake.listRequests.map((r) => new URL(r.path, 'http://x').searchParams.get('Page'))).toEqual([null, '1']);

    // Older than the claim on the first page: no second page is read.
    const old = '+13125550143';
    for (let i = 0; i < 60; i += 1) fake.addMessage(ACCOUNT, { to: old, from: req.from, body: req.body, created: new Date(Date.now() - 3_600_000 - i * 1000) });
    fake.listRequests.length = 0;
    expect(await adapter().findSent!({ from: req.from, to: old, body: req.body, since: since() })).toEqual([]);
    expect(fake.listRequests).toHaveLength(1);
  });

  it('answers the status Twilio has now, in our words, with its error', async () => {
    const to = '+13125550146';
    const failed = fake.addMessage(ACCOUNT, { to, from: req.from, body: req.body, created: new Date(), status: 'undelivered', errorCode: 30003 });
    const delivered = fake.addMessage(ACCOUNT, { to, from: req.from, body: req.body, created: new Date(Date.now() - 1000) });
    expect(await adapter().findSent!({ from: req.from, to, body: req.body, since: since() })).toEqual([
      { id: failed, status: 'UNDELIVERED', errorCode: '30003', errorMessage: expect.stringMatching(/unreachable/i) },
      { id: delivered, status: 'DELIVERED', errorCode: null, errorMessage: null },
    ]);
  });

  it('throws when Twilio cannot answer, so the send is settled with that reason', async () => {
    fake.listScript.push({ status: 500, body: fixture('send-error-20500.json') });
    await expect(adapter().findSent!({ from: req.from, to: '+13125550144', body: req.body, since: since() })).rejects.toThrow(/Twilio answered 500/);
  });

  it('speaks the list format the official twilio library reads, pages included', async () => {
    const to = '+13125550145';
    const sids = [0, 1, 2].map((i) => fake.addMessage(ACCOUNT, { to, from: req.from, body: `text ${i}`, created: new Date(Date.now() - (3 - i) * 1000) }));
    const client = twilio(ACCOUNT, TOKEN);
    client.api.baseUrl = fake.url;
    const listed = await client.messages.list({ to, from: req.from, pageSize: 2 });
    expect(listed.map((m) => m.sid)).toEqual([...sids].reverse());
    expect(listed.map((m) => m.body)).toEqual(['text 2', 'text 1', 'text 0']);
    expect(listed[0]!.direction).toBe('outbound-api');
    expect(listed[0]!.dateCreated).toBeInstanceOf(Date);
    expect(Math.abs(listed[0]!.dateCreated.getTime() - Date.now())).toBeLessThan(5_000);
  });
});

describe('status callbacks', () => {
  it.each([
    ['status-queued.form', { twilioStatus: 'queued', status: 'QUEUED', errorCode: null, suppress: false }],
    ['status-sent.form', { twilioStatus: 'sent', status: 'SENT', errorCode: null }],
    ['status-delivered.form', { twilioStatus: 'delivered', status: 'DELIVERED', errorCode: null }],
    ['status-undelivered-30003.form', { status: 'UNDELIVERED', errorCode: '30003', errorMessage: 'Unreachable destination handset', suppress: false }],
    ['status-failed-21610.form', { status: 'FAILED', errorCode: '21610', suppress: true }],
  ] as const)('%s', (file, expected) => {
    const s = parseTwilioStatus(parseForm(fixture(file)));
    expect(s).toMatchObject({ messageSid: 'SM1f0e2d3c4b5a69788796a5b4c3d2e1f0', accountSid: ACCOUNT, ...expected });
  });

  it.each([
    ['accepted', 'QUEUED'], ['scheduled', 'QUEUED'], ['sending', 'QUEUED'], ['read', 'DELIVERED'], ['canceled', 'FAILED'], ['received', null], ['partially_delivered', null],
  ])('maps MessageStatus=%s to %s', (twilioStatus, status) => {
    const p = parseForm(fixture('status-sent.form').replace(/Status=sent/g, `Status=${twilioStatus}`));
    expect(parseTwilioStatus(p).status).toBe(status);
  });

  it.each([
    ['MessageSid', 'SmsSid=x&SmsStatus=sent&AccountSid=AC8f3b2c1d4e5f60718293a4b5c6d7e8f9'],
    ['MessageStatus', 'MessageSid=SM1f0e2d3c4b5a69788796a5b4c3d2e1f0&AccountSid=AC8f3b2c1d4e5f60718293a4b5c6d7e8f9'],
    ['AccountSid', 'MessageSid=SM1f0e2d3c4b5a69788796a5b4c3d2e1f0&MessageStatus=sent'],
  ])('refuses a callback without a valid %s', (field, raw) => {
    expect(() => parseTwilioStatus(parseForm(raw))).toThrow(CallbackError);
    try {
      parseTwilioStatus(parseForm(raw));
    } catch (err) {
      expect((err as CallbackError).field).toBe(field);
    }
  });
});

describe('incoming messages', () => {
  it('parses an SMS with its geo fields', () => {
    const m = parseTwilioInbound(parseForm(fixture('inbound-sms.form')));
    expect(m).toEqual({
      messageSid: 'SM7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d', accountSid: ACCOUNT, from: '+13125550101', to: '+12125550100',
      body: "Yes please! What's the price?", media: [], fromGeo: { city: 'CHICAGO', state: 'IL', zip: '60601', country: 'US' },
    });
    expect(inboundText(m)).toBe("Yes please! What's the price?");
  });

  it('parses an MMS: media URLs stand in for an empty body', () => {
    const m = parseTwilioInbound(parseForm(fixture('inbound-mms.form')));
    expect(m.messageSid).toMatch(/^MM/);
    expect(m.media).toEqual([{ url: expect.stringMatching(/^https:\/\/api\.twilio\.com\/.*\/Media\/ME/), contentType: 'image/jpeg' }]);
    expect(inboundText(m)).toBe(m.media[0]!.url);
    expect(inboundText({ ...m, body: 'STOP' })).toBe('STOP');
  });

  it('refuses a sender that is not a phone number, keeps short codes', () => {
    const raw = fixture('inbound-sms.form');
    expect(() => parseTwilioInbound(parseForm(raw.replace('From=%2B13125550101', 'From=hello')))).toThrow(CallbackError);
    expect(parseTwilioInbound(parseForm(raw.replace('To=%2B12125550100', 'To=55555'))).to).toBe('55555');
  });
});
