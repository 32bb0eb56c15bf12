/**
 * A provider that is slow never blocks the provider webhooks or the API: while Twilio's Messages
 * API and its Lookup API hang on every request, Engage still answers Twilio's incoming-message
 * and status webhooks and its own API at once, and the replies they carry are stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestEngage, type TestEngage } from '../../test/harness.ts';
import { FakeTwilio, postAsTwilio } from './twilio/fake-twilio.ts';

const ACCOUNT = 'ACfedcba9876543210fedcba9876543210';
const TOKEN = 'slow0provider0token0slow0provide';
const SENDING = '+12125550210';
const LOOKING_UP = '+12125550211';
const ALL_DAY = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: 0, end: 1440 }]]));
/** How long the fake hangs on each request, ms: far longer than any answer below may take. */
const HANG_MS = 6000;

let fake: FakeTwilio;
let engage: TestEngage;

beforeAll(async () => {
  fake = await new FakeTwilio({ [ACCOUNT]: TOKEN }).start();
  engage = await startTestEngage({ env: { ENGAGE_TWILIO_API_URL: fake.url, ENGAGE_TWILIO_LOOKUP_URL: fake.url, ENGAGE_PROVIDER_TIMEOUT_MS: String(HANG_MS + 2000) } });
});
afterAll(async () => {
  await engage?.close();
  await fake?.stop();
});

const timed = async <T>(f: () => Promise<T>): Promise<{ ms: number; value: T }> => {
  const t = performance.now();
  const value = await f();
  return { ms: performance.now() - t, value };
};

describe('a slow provider', () => {
  it('does not slow down webhooks or the API while its sends and lookups hang', async () => {
    const cred = (await engage.api('POST', '/api/public/engage/provider-credentials', { provider: 'twilio', name: 'Slow', accountSid: ACCOUNT, authToken: TOKEN })).body;
    const lookupCred = (await engage.api('POST', '/api/public/engage/provider-credentials', { provider: 'twilio', name: 'Slow lookups', accountSid: ACCOUNT, authToken: TOKEN, lookupLineType: true })).body;
    const campaignOn = async (credId: string, number: string, name: string) => {
      const source = (await engage.api('POST', `/api/public/engage/provider-credentials/${credId}/sender-sources`, { name, senderSourceType: 'TEN_DLC', mps: 50, numbers: [number] })).body;
      const c = (await engage.api('POST', '/api/public/engage/campaigns', { name, senderSourceId: source.id, schedule: ALL_DAY, messages: { outgoingMessage: 'Hi' } })).body;
      await engage.api('POST', `/api/public/engage/campaigns/${c.id}/approve`);
      await engage.api('POST', `/api/public/engage/campaigns/${c.id}/activate`);
      return c.id as string;
    };
    const sending = await campaignOn(cred.id, SENDING, 'Sending');
    const lookingUp = await campaignOn(lookupCred.id, LOOKING_UP, 'Looking up');
    for (let i = 0; i < 3; i += 1) fake.script.push({ status: 500, body: '{}', delayMs: HANG_MS });
    for (let i = 0; i < 3; i += 1) fake.lookupScript.push({ status: 500, body: '{}', delayMs: HANG_MS });
    for (const [campaignId, phone] of [[sending, '+13125550221'], [sending, '+13125550222'], [sending, '+13125550223'], [lookingUp, '+13125550224'], [lookingUp, '+13125550225']] as const) {
      expect((await engage.api('POST', '/api/public/engage/lead/load', { campaignId, fields: [{ name: 'Phone', value: phone }] })).body.status).toBe('Accepted');
    }
    // Every send and lookup is now hanging at the provider.
    await eventually(() => (fake.requests.length >= 3 && fake.lookups.length >= 2 ? true : undefined), 10_000, 'the sends and lookups to reach the provider');
    const hangingSince = performance.now();

    const inbound = await timed(() => postAsTwilio(cred.webhookUrls.inbound, TOKEN, {
      MessageSid: 'SM00000000000000000000000000005101', Body: 'Are you there?', To: SENDING, From: '+13125550299', AccountSid: ACCOUNT, NumMedia: '0', ApiVersion: '2010-04-01',
    }));
    expect(inbound.value.status).toBe(200);
    const status = await timed(() => postAsTwilio(cred.webhookUrls.status, TOKEN, {
      MessageSid: 'SM00000000000000000000000000005102', MessageStatus: 'delivered', To: '+13125550299', From: SENDING, AccountSid: ACCOUNT, ApiVersion: '2010-04-01',
    }));
    expect(status.value.status).toBe(200);
    const api = await timed(() => engage.api('GET', `/api/public/engage/campaigns/${sending}`));
    expect(api.value.status).toBe(200);

    // All answered well before the provider answers anything (an unknown status callback waits ~1.5 s on purpose).
    expect(inbound.ms).toBeLessThan(1500);
    expect(status.ms).toBeLessThan(3000);
    expect(api.ms).toBeLessThan(1500);
    expect(performance.now() - hangingSince).toBeLessThan(HANG_MS);
    const stored = await engage.ctx.db.selectFrom('messages').select('body').where('provider_message_id', '=', 'SM00000000000000000000000000005101').executeTakeFirst();
    expect(stored?.body).toBe('Are you there?');
  });
});
