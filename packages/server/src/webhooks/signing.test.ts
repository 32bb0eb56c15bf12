import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { newWebhookSecret, signatureHeaders } from './signing.ts';

// The reference verifier rejects timestamps more than five minutes from its clock, so sign "now".
const now = () => new Date();
const body = JSON.stringify({ eventType: 'NewMessage', data: { text: 'héllo ✓' }, endpoints: {} });

describe('newWebhookSecret', () => {
  it('is whsec_ + base64 of 24 random bytes', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(24);
  });

  it('differs on every call', () => {
    const seen = new Set(Array.from({ length: 50 }, newWebhookSecret));
    expect(seen.size).toBe(50);
  });
});

describe('signatureHeaders', () => {
  it('is accepted by the standardwebhooks reference verifier', () => {
    const secret = newWebhookSecret();
    const headers = signatureHeaders([secret], 'msg_1', now(), body);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('produces exactly the reference library signature', () => {
    const secret = newWebhookSecret();
    const at = new Date('2025-03-04T11:33:52.948Z');
    const headers = signatureHeaders([secret], 'msg_2', at, body);
    expect(headers['webhook-signature']).toBe(new Webhook(secret).sign('msg_2', at, body));
    expect(headers['webhook-id']).toBe('msg_2');
    // Whole seconds, not milliseconds.
    expect(headers['webhook-timestamp']).toBe('1741088032');
  });

  it('signs msgId.seconds.body with the decoded key', () => {
    const key = Buffer.alloc(24, 7);
    const at = new Date(1_700_000_000_500);
    const expected = createHmac('sha256', key).update(`id.1700000000.${body}`).digest('base64');
    const headers = signatureHeaders(['whsec_' + key.toString('base64')], 'id', at, body);
    expect(headers['webhook-signature']).toBe(`v1,${expected}`);
  });

  it('is rejected when the body was tampered with', () => {
    const secret = newWebhookSecret();
    const headers = signatureHeaders([secret], 'msg_3', now(), body);
    expect(() => new Webhook(secret).verify(body.replace('héllo', 'hello'), headers)).toThrow();
  });

  it('is rejected when the msg id or timestamp was altered', () => {
    const secret = newWebhookSecret();
    const headers = signatureHeaders([secret], 'msg_4', now(), body);
    const wh = new Webhook(secret);
    expect(() => wh.verify(body, { ...headers, 'webhook-id': 'msg_5' })).toThrow();
    const shifted = String(Number(headers['webhook-timestamp']) - 1);
    expect(() => wh.verify(body, { ...headers, 'webhook-timestamp': shifted })).toThrow();
  });

  it('is rejected by a receiver holding a different secret', () => {
    const headers = signatureHeaders([newWebhookSecret()], 'msg_6', now(), body);
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
  });

  describe('secret rotation', () => {
    const oldSecret = newWebhookSecret();
    const newSecret = newWebhookSecret();

    it('emits one space-separated v1 signature per secret', () => {
      const headers = signatureHeaders([oldSecret, newSecret], 'msg_7', now(), body);
      const parts = headers['webhook-signature'].split(' ');
      expect(parts).toHaveLength(2);
      for (const part of parts) expect(part).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    });

    it('verifies for a receiver that knows only the old or only the new secret', () => {
      const headers = signatureHeaders([oldSecret, newSecret], 'msg_8', now(), body);
      expect(() => new Webhook(oldSecret).verify(body, headers)).not.toThrow();
      expect(() => new Webhook(newSecret).verify(body, headers)).not.toThrow();
    });

    it('verifies when only the second secret matches the receiver', () => {
      const headers = signatureHeaders([newWebhookSecret(), newSecret], 'msg_9', now(), body);
      expect(() => new Webhook(newSecret).verify(body, headers)).not.toThrow();
    });

    it('does not verify once the receiver has a secret that was not used', () => {
      const headers = signatureHeaders([oldSecret], 'msg_10', now(), body);
      expect(() => new Webhook(newSecret).verify(body, headers)).toThrow();
    });
  });

  it('refuses malformed secrets instead of signing with a wrong key', () => {
    const at = now();
    expect(() => signatureHeaders([], 'm', at, body)).toThrow(/at least one/);
    expect(() => signatureHeaders(['c2VjcmV0'], 'm', at, body)).toThrow(/whsec_/);
    expect(() => signatureHeaders(['whsec_not*base64'], 'm', at, body)).toThrow(/base64/);
    expect(() => signatureHeaders(['whsec_'], 'm', at, body)).toThrow(/base64/);
  });
});
