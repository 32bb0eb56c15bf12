/**
 * verifyWebhook against signatures made by Engage's own signer (server/src/webhooks/signing.ts)
 * and by the public `standardwebhooks` package, in both directions.
 */
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { newWebhookSecret, signatureHeaders } from '../../server/src/webhooks/signing.ts';
import { verifySignature, verifyWebhook, WebhookVerificationError, type WebhookVerificationReason } from '../src/index.ts';

const event = {
  eventType: 'NewMessage',
  data: {
    campaign: { id: '67c6e55c1b1e6a4e7a8b9c0d', name: 'Demo', senderSourceType: 'CORE_CAMPAIGN' },
    lead: { id: '67c6e55c1b1e6a4e7a8b9c0e', phone: '+15555551212', leadData: { FirstName: 'Zoë ✓' } },
    messages: [{ id: '67c6e55c1b1e6a4e7a8b9c0f', sender: '+15555551212', direction: 'INBOUND', timestamp: '2025-03-04T11:33:52.948Z', message: 'héllo' }],
    dispositions: [],
  },
  endpoints: { embeddableWidget: 'x', conversationEndpoint: 'x', sendMessageEndpoint: 'x', dispositionEndpoint: 'x' },
};
const body = JSON.stringify(event);

function rejects(fn: () => unknown, reason: WebhookVerificationReason) {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WebhookVerificationError);
    expect((err as WebhookVerificationError).reason).toBe(reason);
    return;
  }
  throw new Error(`expected a ${reason} rejection, but it verified`);
}

describe('verifyWebhook', () => {
  it("verifies Engage's signature and returns the typed event", () => {
    const secret = newWebhookSecret();
    const headers = signatureHeaders([secret], 'evt_1', new Date(), body);
    const verified = verifyWebhook(body, headers, secret);
    expect(verified).toEqual(event);
    expect(verified.eventType).toBe('NewMessage');
    // The public package agrees on the same bytes and headers.
    expect(new Webhook(secret).verify(body, headers)).toEqual(event);
  });

  it('verifies what the standardwebhooks package signs (Buffer body, fetch Headers)', () => {
    const secret = newWebhookSecret();
    const wh = new Webhook(secret);
    const ts = new Date();
    const signature = wh.sign('msg_2', ts, body);
    const headers = new Headers({ 'webhook-id': 'msg_2', 'webhook-timestamp': String(Math.floor(ts.getTime() / 1000)), 'webhook-signature': signature });
    expect(verifyWebhook(Buffer.from(body, 'utf8'), headers, secret)).toEqual(event);
  });

  it('accepts any of several signatures (secret rotation) and several secrets of the receiver', () => {
    const oldSecret = newWebhookSecret();
    const newSecret = newWebhookSecret();
    const headers = signatureHeaders([oldSecret, newSecret], 'evt_3', new Date(), body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(verifyWebhook(body, headers, oldSecret).eventType).toBe('NewMessage');
    expect(verifyWebhook(body, headers, newSecret).eventType).toBe('NewMessage');
    const onlyNew = signatureHeaders([newSecret], 'evt_3', new Date(), body);
    expect(verifyWebhook(body, onlyNew, [oldSecret, newSecret]).eventType).toBe('NewMessage');
    rejects(() => verifyWebhook(body, onlyNew, oldSecret), 'NO_MATCHING_SIGNATURE');
  });

  it('rejects a tampered body', () => {
    const secret = newWebhookSecret();
    const headers = signatureHeaders([secret], 'evt_4', new Date(), body);
    rejects(() => verifyWebhook(body.replace('héllo', 'hello'), headers, secret), 'NO_MATCHING_SIGNATURE');
    rejects(() => verifyWebhook(body + ' ', headers, secret), 'NO_MATCHING_SIGNATURE');
    // A changed id is a different message.
    rejects(() => verifyWebhook(body, { ...headers, 'webhook-id': 'evt_5' }, secret), 'NO_MATCHING_SIGNATURE');
    expect(() => new Webhook(secret).verify(body.replace('héllo', 'hello'), headers)).toThrow();
  });

  it('rejects the wrong secret', () => {
    const headers = signatureHeaders([newWebhookSecret()], 'evt_6', new Date(), body);
    rejects(() => verifyWebhook(body, headers, newWebhookSecret()), 'NO_MATCHING_SIGNATURE');
  });

  it('rejects a timestamp older or newer than 5 minutes, accepts inside the tolerance', () => {
    const secret = newWebhookSecret();
    const sixMinutesAgo = new Date(Date.now() - 6 * 60_000);
    const old = signatureHeaders([secret], 'evt_7', sixMinutesAgo, body);
    rejects(() => verifyWebhook(body, old, secret), 'TIMESTAMP_TOO_OLD');
    expect(() => new Webhook(secret).verify(body, old)).toThrow(/too old/);
    rejects(() => verifyWebhook(body, signatureHeaders([secret], 'evt_8', new Date(Date.now() + 6 * 60_000), body), secret), 'TIMESTAMP_TOO_NEW');
    const fourMinutesAgo = signatureHeaders([secret], 'evt_9', new Date(Date.now() - 4 * 60_000), body);
    expect(verifyWebhook(body, fourMinutesAgo, secret).eventType).toBe('NewMessage');
    // The tolerance and the clock are options.
    rejects(() => verifyWebhook(body, fourMinutesAgo, secret, { toleranceSeconds: 60 }), 'TIMESTAMP_TOO_OLD');
    expect(verifyWebhook(body, old, secret, { now: () => sixMinutesAgo }).eventType).toBe('NewMessage');
  });

  it('rejects missing headers, a malformed timestamp, a bad secret and a non-event body', () => {
    const secret = newWebhookSecret();
    const headers = signatureHeaders([secret], 'evt_10', new Date(), body);
    rejects(() => verifyWebhook(body, { 'webhook-id': 'evt_10', 'webhook-timestamp': headers['webhook-timestamp'] }, secret), 'MISSING_HEADERS');
    rejects(() => verifyWebhook(body, { ...headers, 'webhook-timestamp': '12e9' }, secret), 'INVALID_TIMESTAMP');
    rejects(() => verifyWebhook(body, headers, 'whsec_not*base64'), 'INVALID_SECRET');
    const notEvent = JSON.stringify({ hello: 'world' });
    rejects(() => verifyWebhook(notEvent, signatureHeaders([secret], 'evt_11', new Date(), notEvent), secret), 'INVALID_PAYLOAD');
    // verifySignature alone accepts any signed body (e.g. a list load's completion summary).
    expect(() => verifySignature(notEvent, signatureHeaders([secret], 'evt_11', new Date(), notEvent), secret)).not.toThrow();
  });

  it('reads headers case-insensitively from a plain object, ignores unknown versions', () => {
    const secret = newWebhookSecret();
    const h = signatureHeaders([secret], 'evt_12', new Date(), body);
    const upper = { 'Webhook-Id': h['webhook-id'], 'Webhook-Timestamp': h['webhook-timestamp'], 'Webhook-Signature': `v2,AAAA ${h['webhook-signature']}` };
    expect(verifyWebhook(body, upper, secret).eventType).toBe('NewMessage');
    rejects(() => verifyWebhook(body, { ...upper, 'Webhook-Signature': h['webhook-signature'].replace('v1,', 'v2,') }, secret), 'NO_MATCHING_SIGNATURE');
  });
});
