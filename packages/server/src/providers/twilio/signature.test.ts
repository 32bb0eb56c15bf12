/**
 * X-Twilio-Signature, cross-checked both ways against the official `twilio` library: what we sign
 * its validator accepts, what it signs our verifier accepts — on the recorded callback bodies,
 * with and without the default port, with query strings, and for the bodySHA256 (JSON) variant.
 */
import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { fixture } from './fake-twilio.ts';
import { bodySha256, parseForm, portVariants, twilioSignature, verifyTwilioSignature, type TwilioParams } from './signature.ts';

const TOKEN = '9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const BASE = 'https://engage.example.com/api/providers/twilio/6f1c2d3e-4b5a-4978-8a6b-5c4d3e2f1a0b';
const FORMS = ['inbound-sms.form', 'inbound-mms.form', 'inbound-stop.form', 'status-queued.form', 'status-sent.form', 'status-delivered.form', 'status-undelivered-30003.form', 'status-failed-21610.form'];
const URLS = [`${BASE}/inbound`, `${BASE}/status`, `${BASE}/inbound?tenant=a%20b&x=1`, 'https://engage.example.com:443/api/providers/twilio/x/status', 'http://localhost:8080/api/providers/twilio/x/inbound'];

const flat = (p: TwilioParams): Record<string, string> => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Array.isArray(v) ? v[0]! : v]));

describe.each(FORMS)('%s', (name) => {
  const params = parseForm(fixture(name));

  it.each(URLS)('our signature for %s is the official one, and each accepts the other', (url) => {
    const ours = twilioSignature(TOKEN, url, params);
    expect(ours).toBe(twilio.getExpectedTwilioSignature(TOKEN, url, flat(params)));
    expect(twilio.validateRequest(TOKEN, ours, url, flat(params))).toBe(true);
    const official = twilio.getExpectedTwilioSignature(TOKEN, url, flat(params));
    expect(verifyTwilioSignature(TOKEN, official, url, { kind: 'form', params })).toBe(true);
  });

  it('is refused with another token, a changed parameter, another URL, or no signature', () => {
    const url = URLS[0]!;
    const good = twilio.getExpectedTwilioSignature(TOKEN, url, flat(params));
    expect(verifyTwilioSignature('0'.repeat(32), good, url, { kind: 'form', params })).toBe(false);
    expect(verifyTwilioSignature(TOKEN, good, url, { kind: 'form', params: { ...params, From: '+19999999999' } })).toBe(false);
    expect(verifyTwilioSignature(TOKEN, good, `${BASE}/status`, { kind: 'form', params })).toBe(false);
    expect(verifyTwilioSignature(TOKEN, good, `${url}?extra=1`, { kind: 'form', params })).toBe(false);
    expect(verifyTwilioSignature(TOKEN, undefined, url, { kind: 'form', params })).toBe(false);
    expect(verifyTwilioSignature(TOKEN, '', url, { kind: 'form', params })).toBe(false);
    expect(verifyTwilioSignature(TOKEN, good.slice(0, -2), url, { kind: 'form', params })).toBe(false);
  });
});

describe('URL ports', () => {
  it.each([
    ['https://h.example/p?q=1', ['https://h.example/p?q=1', 'https://h.example:443/p?q=1']],
    ['https://h.example:443/p', ['https://h.example:443/p', 'https://h.example/p']],
    ['http://h.example/p', ['http://h.example/p', 'http://h.example:80/p']],
    ['http://h.example:8080/p', ['http://h.example:8080/p', 'http://h.example/p', 'http://h.example:80/p']],
  ])('%s → %j', (url, variants) => {
    expect(portVariants(url).sort()).toEqual([...variants].sort());
  });

  it('accepts a signature over the URL with the default port when we know it without, and the reverse', () => {
    const params = parseForm(fixture('status-delivered.form'));
    const withPort = twilio.getExpectedTwilioSignature(TOKEN, 'https://engage.example.com:443/hook', flat(params));
    expect(verifyTwilioSignature(TOKEN, withPort, 'https://engage.example.com/hook', { kind: 'form', params })).toBe(true);
    const withoutPort = twilio.getExpectedTwilioSignature(TOKEN, 'https://engage.example.com/hook', flat(params));
    expect(verifyTwilioSignature(TOKEN, withoutPort, 'https://engage.example.com:443/hook', { kind: 'form', params })).toBe(true);
    // A non-default port is part of what Twilio signed.
    const other = twilio.getExpectedTwilioSignature(TOKEN, 'https://engage.example.com:8443/hook', flat(params));
    expect(verifyTwilioSignature(TOKEN, other, 'https://engage.example.com/hook', { kind: 'form', params })).toBe(false);
  });
});

describe('parameters Twilio adds without notice', () => {
  it('are part of the signature and accepted', () => {
    const params = { ...parseForm(fixture('inbound-sms.form')), ChannelMetadata: '{"type":"sms"}', NewParam2031: 'x' };
    const url = `${BASE}/inbound`;
    const sig = twilio.getExpectedTwilioSignature(TOKEN, url, flat(params));
    expect(verifyTwilioSignature(TOKEN, sig, url, { kind: 'form', params })).toBe(true);
    const { NewParam2031: _dropped, ...without } = params;
    expect(verifyTwilioSignature(TOKEN, sig, url, { kind: 'form', params: without })).toBe(false);
  });

  it('repeated names sign every value, sorted, like the official library', () => {
    const params = parseForm('A=2&A=1&B=x');
    expect(params.A).toEqual(['2', '1']);
    const official = twilio.getExpectedTwilioSignature(TOKEN, BASE, { A: ['2', '1'], B: 'x' } as unknown as Record<string, string>);
    expect(twilioSignature(TOKEN, BASE, params)).toBe(official);
  });
});

describe('the bodySHA256 variant (JSON bodies)', () => {
  const body = JSON.stringify({ MessageSid: 'SM1f0e2d3c4b5a69788796a5b4c3d2e1f0', MessageStatus: 'delivered', AccountSid: 'AC8f3b2c1d4e5f60718293a4b5c6d7e8f9' });
  const url = `${BASE}/status?bodySHA256=${bodySha256(body)}`;

  it('our hash and signature are accepted by validateRequestWithBody', () => {
    const ours = twilioSignature(TOKEN, url, {});
    expect(twilio.validateRequestWithBody(TOKEN, ours, url, body)).toBe(true);
    expect(bodySha256(body)).toBe(twilio.getExpectedBodyHash(body));
  });

  it("the official library's signature is accepted by ours, with and without the port", () => {
    const sig = twilio.getExpectedTwilioSignature(TOKEN, url, {});
    expect(verifyTwilioSignature(TOKEN, sig, url, { kind: 'json', raw: body })).toBe(true);
    const portUrl = url.replace('engage.example.com', 'engage.example.com:443');
    expect(verifyTwilioSignature(TOKEN, twilio.getExpectedTwilioSignature(TOKEN, portUrl, {}), url, { kind: 'json', raw: body })).toBe(true);
  });

  it('a changed body or a missing hash is refused', () => {
    const sig = twilio.getExpectedTwilioSignature(TOKEN, url, {});
    expect(verifyTwilioSignature(TOKEN, sig, url, { kind: 'json', raw: body.replace('delivered', 'failed') })).toBe(false);
    const noHash = `${BASE}/status`;
    expect(verifyTwilioSignature(TOKEN, twilio.getExpectedTwilioSignature(TOKEN, noHash, {}), noHash, { kind: 'json', raw: body })).toBe(false);
  });
});
