/**
 * Twilio Lookup v2 (line_type_intelligence): the client against the fake's recorded answers, and
 * a campaign whose Twilio credential has `lookupLineType` on — every lead is looked up through the
 * sender source's credential before its broadcast; the landline and the invalid number end FAILED
 * unsent, with the carrier Twilio named; a Lookup outage is retried; switched off, leads are texted
 * without a lookup.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestEngage, type TestEngage } from '../../../test/harness.ts';
import type { TwilioCredential } from '../credentials.ts';
import { providerAgent } from '../http-errors.ts';
import { FakeTwilio, fixture } from './fake-twilio.ts';
import { lookupLineType } from './lookup.ts';

const ACCOUNT = 'AC8f3b2c1d4e5f60718293a4b5c6d7e8f9';
const TOKEN = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const OUR_NUMBER = '+12125550180';
const MOBILE = '+13125550101';
const LANDLINE = '+13125550102';
const INVALID = '+13125550199';
const ALL_DAY = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: 0, end: 1440 }]]));

let fake: FakeTwilio;
let engage: TestEngage;

beforeAll(async () => {
  fake = await new FakeTwilio({ [ACCOUNT]: TOKEN }).start();
  engage = await startTestEngage({ env: { ENGAGE_TWILIO_API_URL: fake.url, ENGAGE_TWILIO_LOOKUP_URL: fake.url } });
});
afterAll(async () => {
  await engage?.close();
  await fake?.stop();
});

describe('the Lookup client', () => {
  const cred = (authToken = TOKEN): TwilioCredential => ({
    kind: 'twilio', id: '6f1c2d3e-4b5a-4978-8a6b-5c4d3e2f1a0b', workspaceId: 1, name: 'n', accountSid: ACCOUNT, messagingServiceSid: null, lookupLineType: true, authToken,
  });
  const opts = () => ({ lookupUrl: fake.url, timeoutMs: 2000, dispatcher: providerAgent(2000), now: () => new Date() });

  it('asks for line_type_intelligence with basic auth and reads the answer', async () => {
    fake.lineTypes = { [LANDLINE]: { type: 'landline', carrier: 'AT&T Illinois - IL' }, [INVALID]: 'invalid' };
    const before = fake.lookups.length;
    expect(await lookupLineType(cred(), MOBILE, opts())).toEqual({ ok: true, valid: true, lineType: 'mobile', carrier: 'Verizon Wireless', errorCode: null });
    expect(await lookupLineType(cred(), LANDLINE, opts())).toEqual({ ok: true, valid: true, lineType: 'landline', carrier: 'AT&T Illinois - IL', errorCode: null });
    expect(await lookupLineType(cred(), INVALID, opts())).toEqual({ ok: true, valid: false, lineType: null, carrier: null, errorCode: null });
    const sent = fake.lookups[before]!;
    expect(sent.method).toBe('GET');
    expect(sent.path).toBe('/v2/PhoneNumbers/%2B13125550101?Fields=line_type_intelligence');
    expect(sent.headers.authorization).toBe('Basic ' + Buffer.from(`${ACCOUNT}:${TOKEN}`).toString('base64'));
  });

  it('reads the recorded answers as Twilio spells them', async () => {
    // The fixtures themselves, served verbatim.
    fake.lookupScript.push({ status: 200, body: fixture('lookup-line-type-landline.json') });
    expect(await lookupLineType(cred(), LANDLINE, opts())).toMatchObject({ ok: true, lineType: 'landline', carrier: 'AT&T Illinois - IL' });
    fake.lookupScript.push({ status: 200, body: fixture('lookup-invalid.json') });
    expect(await lookupLineType(cred(), INVALID, opts())).toMatchObject({ ok: true, valid: false, lineType: null });
  });

  it('maps refusals to fatal and outages to retryable failures', async () => {
    expect(await lookupLineType(cred('wrong0token0wrong0token0wrong000'), MOBILE, opts())).toMatchObject({ ok: false, retryable: false, code: '20003' });
    fake.lookupScript.push({ status: 503, body: JSON.stringify({ code: 20500, message: 'Internal Server Error', more_info: 'https://www.twilio.com/docs/errors/20500', status: 503 }) });
    expect(await lookupLineType(cred(), MOBILE, opts())).toMatchObject({ ok: false, retryable: true });
    fake.lookupScript.push({ status: 200, body: '{}', delayMs: 500 });
    const slow = await lookupLineType(cred(), MOBILE, { ...opts(), timeoutMs: 100 });
    expect(slow).toMatchObject({ ok: false, retryable: true, code: 'TIMEOUT' });
    expect(slow).not.toHaveProperty('maybeSent');
  });
});

describe('a campaign whose Twilio credential looks up line types', () => {
  let credId: string;
  let campaignId: string;

  const load = async (phone: string) => {
    const r = await engage.api('POST', '/api/public/engage/lead/load', { campaignId, fields: [{ name: 'Phone', value: phone }, { name: 'Name', value: 'Kim' }] });
    expect(r.body.status).toBe('Accepted');
    return r.body.leadId as string;
  };
  const lead = async (id: string) => (await engage.api('GET', `/api/public/engage/leads/${id}`)).body;
  const row = (id: string) => engage.ctx.db.selectFrom('leads').select(['line_type', 'lookup_status']).where('id', '=', id).executeTakeFirstOrThrow();
  const textedTo = () => fake.requests.map((r) => r.form.To);

  beforeAll(async () => {
    fake.lineTypes = { [LANDLINE]: { type: 'landline', carrier: 'AT&T Illinois - IL' }, [INVALID]: 'invalid', '+13125550104': { type: 'pager', carrier: 'Pagers Inc' } };
    const c = await engage.api('POST', '/api/public/engage/provider-credentials', { provider: 'twilio', name: 'Lookup', accountSid: ACCOUNT, authToken: TOKEN, lookupLineType: true });
    expect(c.status).toBe(201);
    expect(c.body.settings).toEqual({ accountSid: ACCOUNT, messagingServiceSid: null, lookupLineType: true });
    credId = c.body.id;
    const source = await engage.api('POST', `/api/public/engage/provider-credentials/${credId}/sender-sources`, { name: 'Twilio', senderSourceType: 'TEN_DLC', mps: 50, numbers: [OUR_NUMBER] });
    const campaign = await engage.api('POST', '/api/public/engage/campaigns', { name: 'Looked up', senderSourceId: source.body.id, schedule: ALL_DAY, messages: { outgoingMessage: 'Hi {{Name}}' } });
    campaignId = campaign.body.id;
    await engage.api('POST', `/api/public/engage/campaigns/${campaignId}/approve`);
    await engage.api('POST', `/api/public/engage/campaigns/${campaignId}/activate`);
  });

  it('texts the mobile, ends the landline, the pager and the invalid number unsent, each looked up once', async () => {
    const lookupsBefore = fake.lookups.length;
    const mobile = await load(MOBILE);
    const landline = await load(LANDLINE);
    const invalid = await load(INVALID);
    const pager = await load('+13125550104');

    const sent = await eventually(async () => {
      const l = await lead(mobile);
      return l.status === 'QUEUED' || l.status === 'DELIVERED' ? l : undefined;
    }, 15_000, 'the mobile lead to be texted');
    expect(sent).toMatchObject({ carrier: 'Verizon Wireless', normalizedCarrier: 'Verizon Wireless', fromNumber: OUR_NUMBER });
    expect(await row(mobile)).toEqual({ line_type: 'mobile', lookup_status: 'DONE' });

    const ended = await eventually(async () => {
      const all = await Promise.all([landline, invalid, pager].map(lead));
      return all.every((l) => l.status === 'FAILED') ? all : undefined;
    }, 15_000, 'the landline, the invalid number and the pager to end');
    expect(ended.map((l) => [l.phone, l.status, l.statusMessage, l.carrier, l.normalizedCarrier])).toEqual([
      [LANDLINE, 'FAILED', 'LANDLINE', 'AT&T Illinois - IL', 'AT&T'],
      [INVALID, 'FAILED', 'INVALID_PHONE', null, null],
      ['+13125550104', 'FAILED', 'NON_SMS_LINE: pager', 'Pagers Inc', expect.anything()],
    ]);
    for (const l of ended) expect(l.result).not.toBeNull();
    expect(await row(landline)).toEqual({ line_type: 'landline', lookup_status: 'DONE' });

    expect(textedTo()).toEqual([MOBILE]);
    const looked = fake.lookups.slice(lookupsBefore).map((r) => decodeURIComponent(new URL(r.path, 'http://x').pathname.split('/').pop()!));
    expect(looked.sort()).toEqual([MOBILE, LANDLINE, '+13125550104', INVALID].sort());
    const messages = await engage.ctx.db.selectFrom('messages').select('lead_id').where('lead_id', 'in', [landline, invalid, pager]).execute();
    expect(messages).toEqual([]);
  });

  it('retries a Lookup outage and texts the lead once Twilio answers', async () => {
    fake.lookupScript.push({ status: 503, body: JSON.stringify({ code: 20500, message: 'Internal Server Error', more_info: 'https://www.twilio.com/docs/errors/20500', status: 503 }) });
    const phone = '+13125550105';
    const id = await load(phone);
    await eventually(async () => ((await row(id)).lookup_status === 'PENDING' && fake.lookupScript.length === 0 ? true : undefined), 10_000, 'the failed lookup');
    expect(textedTo()).not.toContain(phone);
    // graphile-worker's backoff: the second attempt comes about 3 s later.
    const l = await eventually(async () => {
      const v = await lead(id);
      return v.status === 'QUEUED' || v.status === 'DELIVERED' ? v : undefined;
    }, 20_000, 'the lead to be texted after the retry');
    expect(l.carrier).toBe('Verizon Wireless');
    expect(textedTo().filter((t) => t === phone)).toHaveLength(1);
    // The outage was logged as retryable, and its job attempt as failed for now, to be tried again.
    expect(engage.logs.find('line type lookup failed', 'warn')).toContainEqual(expect.objectContaining({ leadId: id, code: '20500', retryable: true }));
    expect(engage.logs.find(/^Failed task \d+ \(lookup-line-types, .* attempt 1 of \d+\) with error 'lookup-line-types: 1 lookup\(s\) failed for now and will be tried again'/, 'error')).toHaveLength(1);
  });

  it('switched off, texts new leads without a lookup', async () => {
    const p = await engage.api('PATCH', `/api/public/engage/provider-credentials/${credId}`, { lookupLineType: false });
    expect(p.status).toBe(200);
    expect(p.body.settings.lookupLineType).toBe(false);
    const lookupsBefore = fake.lookups.length;
    const id = await load(LANDLINE.replace('0102', '0106'));
    await eventually(async () => ((await lead(id)).status === 'QUEUED' || (await lead(id)).status === 'DELIVERED' ? true : undefined), 15_000, 'the lead to be texted');
    expect(fake.lookups.length).toBe(lookupsBefore);
    expect(await row(id)).toEqual({ line_type: null, lookup_status: null });
  });

  it('refuses lookupLineType on a Telnyx credential or a non-boolean, naming the field', async () => {
    const t = await engage.api('POST', '/api/public/engage/provider-credentials', {
      provider: 'telnyx', name: 'T', apiKey: 'KEY0190ABCDEF_lookupTestKey0000', publicKey: Buffer.alloc(32, 3).toString('base64'), lookupLineType: true,
    });
    expect(t.status).toBe(400);
    expect(t.body.error.field).toContain('lookupLineType');
    const bad = await engage.api('PATCH', `/api/public/engage/provider-credentials/${credId}`, { lookupLineType: 'yes' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toContain('lookupLineType');
    expect((await engage.api('GET', `/api/public/engage/provider-credentials/${credId}`)).body.settings.lookupLineType).toBe(false);
  });
});
