/**
 * The Telnyx adapter against a local fake of `POST /v2/messages`, the webhook parser on the
 * recorded events, and the ed25519 signature cross-checked with the official `telnyx` library's
 * verifier (Telnyx publishes no signer: the fake signs with node:crypto, and ed25519 signatures
 * are deterministic, so "what Telnyx computes" is exactly what the fake computes).
 */
import { TelnyxWebhook } from 'telnyx/lib/webhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TelnyxCredential } from '../credentials.ts';
import { providerAgent } from '../http-errors.ts';
import { TelnyxCallbackError, parseTelnyxEvent, telnyxInboundText } from './callbacks.ts';
import { FakeTelnyx, fixture, telnyxKeyPair, telnyxSign } from './fake-telnyx.ts';
import { createTelnyxProvider } from './provider.ts';
import { verifyTelnyxSignature } from './signature.ts';

const API_KEY = 'KEY0190ABCDEF_fakeTelnyxApiKey0000';
const HOOK = 'https://engage.example.com/api/providers/telnyx/2b7f3c1e-9d4a-4e6b-8c5d-1a2b3c4d5e6f/webhook';
const PROFILE = '4000eba1-a0c0-4563-9925-b25e842a7cb6';
const keys = telnyxKeyPair();
const cred = (over: Partial<TelnyxCredential> = {}): TelnyxCredential => ({
  kind: 'telnyx', id: '2b7f3c1e-9d4a-4e6b-8c5d-1a2b3c4d5e6f', workspaceId: 1, name: 'main', messagingProfileId: null, publicKey: keys.publicKey, apiKey: API_KEY, ...over,
});
const req = { reference: '6743a1b2c3d4e5f601234567', from: '+12125550150', to: '+13125550123', body: 'Hi Kim, want a quote?' };

let fake: FakeTelnyx;
const dispatcher = providerAgent(300);
const adapter = (c = cred(), timeoutMs = 300) => createTelnyxProvider(c, { apiUrl: fake.url, timeoutMs, webhookUrl: () => HOOK, dispatcher });

beforeAll(async () => {
  fake = await new FakeTelnyx(API_KEY, keys.privateKey).start();
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
  it('posts JSON with the bearer key and our webhook URL, and returns the message id', async () => {
    const r = await adapter(cred({ messagingProfileId: PROFILE })).send(req);
    expect(r).toEqual({ ok: true, providerMessageId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const sent = fake.requests[0]!;
    expect(sent).toMatchObject({ method: 'POST', path: '/v2/messages' });
    expect(sent.headers).toMatchObject({ authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', accept: 'application/json' });
    expect(sent.json).toEqual({ from: '+12125550150', to: '+13125550123', text: 'Hi Kim, want a quote?', messaging_profile_id: PROFILE, webhook_url: HOOK });
    await adapter().send(req);
    expect(fake.requests[1]!.json).not.toHaveProperty('messaging_profile_id');
  });

  it.each([
    ['send-error-40300.json', 400, {}, { retryable: false, code: '40300', suppress: true, message: expect.stringMatching(/^Blocked due to STOP message: /) }],
    ['send-error-40310.json', 422, {}, { retryable: false, code: '40310' }],
    ['send-error-10009.json', 401, {}, { retryable: false, code: '10009' }],
    ['send-error-10011.json', 429, { 'retry-after': 'Mon, 24 Nov 2125 15:30:10 GMT' }, { retryable: true, code: '10011', retryAfterMs: expect.any(Number) }],
    ['send-error-10007.json', 500, {}, { retryable: true, code: '10007' }],
  ] as const)('maps %s (HTTP %i)', async (file, status, headers, expected) => {
    fake.script.push({ status, body: fixture(file), headers });
    const r = await adapter().send(req);
    expect(r).toMatchObject({ ok: false, ...expected });
    if (!('suppress' in expected)) expect(r).not.toHaveProperty('suppress');
  });

  it('maps a wrong API key, a 503 without a body, a slow answer and a refused connection', async () => {
    expect(await adapter(cred({ apiKey: 'KEYwrong' })).send(req)).toMatchObject({ ok: false, retryable: false, code: '10009' });
    fake.script.push({ status: 503, body: '' });
    expect(await adapter().send(req)).toMatchObject({ ok: false, retryable: true, code: 'HTTP_503' });
    fake.script.push({ status: 200, body: fixture('send-response.json'), delayMs: 2000 });
    expect(await adapter(cred(), 200).send(req)).toMatchObject({ ok: false, retryable: true, code: 'TIMEOUT', maybeSent: true });
    const down = createTelnyxProvider(cred(), { apiUrl: 'http://127.0.0.1:9', timeoutMs: 500, webhookUrl: () => HOOK, dispatcher });
    expect(await down.send(req)).toMatchObject({ ok: false, retryable: true, code: 'NETWORK' });
  });
});

describe('webhook events', () => {
  it.each([
    ['message-sent.json', { kind: 'status', eventType: 'message.sent', telnyxStatus: 'sent', status: 'SENT', errorCode: null, carrier: 'T-MOBILE USA, INC.', lineType: 'Wireless', suppress: false }],
    ['message-finalized-delivered.json', { kind: 'status', eventType: 'message.finalized', status: 'DELIVERED', errorCode: null }],
    ['message-finalized-delivery-failed.json', { status: 'UNDELIVERED', errorCode: '40006', errorMessage: expect.stringMatching(/unavailable/), suppress: false }],
    ['message-finalized-stop-40300.json', { status: 'FAILED', errorCode: '40300', suppress: true }],
    ['message-finalized-unconfirmed.json', { telnyxStatus: 'delivery_unconfirmed', status: 'SENT' }],
  ] as const)('%s', (file, expected) => {
    expect(parseTelnyxEvent(fixture(file))).toMatchObject({ messageId: '40385f64-5717-4562-b3fc-2c963f66afa6', ...expected });
  });

  it('parses message.received, and an MMS without text as its media URL', () => {
    const m = parseTelnyxEvent(fixture('message-received.json'));
    expect(m).toEqual({
      kind: 'inbound', eventId: 'b301ed3f-1490-491f-995f-6e64e69674d4', messageId: '84cca175-9755-4859-b67f-4730d7f58aa3',
      from: '+13125550123', to: '+12125550150', text: 'Yes, send me a quote', media: [], receivedAt: new Date('2025-11-24T15:41:07.436Z'),
    });
    const mms = parseTelnyxEvent(fixture('message-received-mms.json'));
    expect(mms.kind === 'inbound' && telnyxInboundText(mms)).toBe('https://media.telnyx.example/84cca175/photo.jpg');
  });

  it('acknowledges other event types without parsing them', () => {
    expect(parseTelnyxEvent(fixture('other-number-order.json'))).toEqual({ kind: 'other', eventId: '0b9a8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d', eventType: 'number_order.complete' });
  });

  it.each([
    ['not json', 'body'],
    ['{"data": {"id": "x"}}', 'data.event_type'],
    ['{"data": {"id": "x", "event_type": "message.received", "payload": {"id": "y", "to": [{"phone_number": "+12125550150"}], "from": {"phone_number": "nope"}}}}', 'data.payload.from.phone_number'],
    ['{"data": {"id": "x", "event_type": "message.finalized", "payload": {"id": "y", "to": []}}}', 'data.payload.to'],
  ])('refuses %s naming %s', (raw, field) => {
    try {
      parseTelnyxEvent(raw);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(TelnyxCallbackError);
      expect((err as TelnyxCallbackError).field).toBe(field);
    }
  });
});

describe('telnyx-signature-ed25519, cross-checked with the official verifier', () => {
  const body = fixture('message-received.json');
  // The official verifier reads the real clock: take it fresh in each test.
  const clock = () => {
    const now = Date.now();
    return { now, ts: String(Math.floor(now / 1000)) };
  };
  const official = (headers: Record<string, string>, raw = body, key = keys.publicKey) =>
    new TelnyxWebhook(key).verify(raw, headers).then(() => true, () => false);

  it('what the fake signs, both verifiers accept', async () => {
    const { now, ts } = clock();
    const signature = telnyxSign(keys.privateKey, ts, body);
    expect(verifyTelnyxSignature(keys.publicKey, { signature, timestamp: ts }, body, now)).toEqual({ ok: true });
    expect(await official({ 'telnyx-signature-ed25519': signature, 'telnyx-timestamp': ts })).toBe(true);
  });

  const other = telnyxKeyPair();
  const shifted = (ts: string, s: number) => String(Number(ts) + s);
  it.each([
    ['a changed body', (ts: string) => ({ sig: telnyxSign(keys.privateKey, ts, body), ts, raw: body.replace('quote', 'QUOTE') })],
    ['a re-serialised body', (ts: string) => ({ sig: telnyxSign(keys.privateKey, ts, body), ts, raw: JSON.stringify(JSON.parse(body)) })],
    ['another account key', (ts: string) => ({ sig: telnyxSign(other.privateKey, ts, body), ts, raw: body })],
    ['another timestamp', (ts: string) => ({ sig: telnyxSign(keys.privateKey, ts, body), ts: shifted(ts, -1), raw: body })],
    ['a timestamp 310 s old', (ts: string) => ({ sig: telnyxSign(keys.privateKey, shifted(ts, -310), body), ts: shifted(ts, -310), raw: body })],
    ['a timestamp 310 s ahead', (ts: string) => ({ sig: telnyxSign(keys.privateKey, shifted(ts, 310), body), ts: shifted(ts, 310), raw: body })],
    ['a truncated signature', (ts: string) => ({ sig: telnyxSign(keys.privateKey, ts, body).slice(0, 40), ts, raw: body })],
  ])('both refuse %s', async (_what, make) => {
    const { now, ts } = clock();
    const { sig, ts: t, raw } = make(ts);
    expect(verifyTelnyxSignature(keys.publicKey, { signature: sig, timestamp: t }, raw, now).ok).toBe(false);
    expect(await official({ 'telnyx-signature-ed25519': sig, 'telnyx-timestamp': t }, raw)).toBe(false);
  });

  it('the tolerance is 300 s each way: 300 accepted, 301 refused', () => {
    const { now, ts } = clock();
    const at = (s: number) => verifyTelnyxSignature(keys.publicKey, { signature: telnyxSign(keys.privateKey, shifted(ts, s), body), timestamp: shifted(ts, s) }, body, now).ok;
    expect([at(-300), at(300), at(-301), at(301)]).toEqual([true, true, false, false]);
  });

  it('refuses missing headers and a bad key', () => {
    const { now, ts } = clock();
    expect(verifyTelnyxSignature(keys.publicKey, { signature: undefined, timestamp: ts }, body, now)).toEqual({ ok: false, reason: expect.stringMatching(/signature/) });
    expect(verifyTelnyxSignature(keys.publicKey, { signature: telnyxSign(keys.privateKey, ts, body), timestamp: undefined }, body, now).ok).toBe(false);
    expect(verifyTelnyxSignature('bm90IGEga2V5', { signature: telnyxSign(keys.privateKey, ts, body), timestamp: ts }, body, now).ok).toBe(false);
  });
});
