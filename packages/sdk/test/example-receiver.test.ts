/**
 * examples/receiver run as a real process against a real Engage: it fetches the webhook secret,
 * verifies and logs ConversationStarted, answers the lead through the ConversationClient (the
 * simulated phone receives it), refuses a forged webhook, and exits 0 on SIGINT.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTs, type Child } from '../../server/test/child-process.ts';
import { TEST_API_KEY, eventually, startTestEngage, type TestEngage } from '../../server/test/harness.ts';

const PHONE = '+13125550142';
const REPLY = 'Thanks from the example receiver!';
let engage: TestEngage;
let receiver: Child;
let receiverUrl: string;

beforeAll(async () => {
  engage = await startTestEngage();
  receiver = runTs('examples/receiver/receiver.ts', [], {
    env: { ENGAGE_URL: engage.url, ENGAGE_API_KEY: TEST_API_KEY, PORT: '0', REPLY_TEXT: REPLY },
  });
  receiverUrl = (await receiver.waitFor(/receiver listening on (http:\/\/\S+)/))[1]!;
});
afterAll(async () => {
  await receiver?.stop('SIGKILL');
  await engage?.close();
});

async function phoneMessages(): Promise<{ direction: string; text: string; from: string }[]> {
  const r = await engage.api('GET', `/api/simulator/messages?phone=${encodeURIComponent(PHONE)}`);
  return r.body.messages;
}

describe('examples/receiver', () => {
  it('verifies, logs and answers a reply', async () => {
    const days = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
    const created = await engage.api('POST', '/api/public/engage/campaigns', {
      name: 'Receiver campaign',
      schedule: Object.fromEntries(days.map((d) => [d, [{ start: 0, end: 1440 }]])),
      messages: { outgoingMessage: 'Hello {{FirstName}}, reply any time.' },
      webhooks: { conversationStarted: receiverUrl, incomingMessage: receiverUrl, disposition: receiverUrl },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect((await engage.api('POST', `/api/public/engage/campaigns/${id}/approve`)).status).toBe(200);
    expect((await engage.api('POST', `/api/public/engage/campaigns/${id}/activate`)).status).toBe(200);
    const loaded = await engage.api('POST', '/api/public/engage/lead/load', { campaignId: id, fields: [{ name: 'Phone', value: PHONE }, { name: 'FirstName', value: 'Grace' }] });
    expect(loaded.body.status).toBe('Accepted');
    const broadcast = await eventually(async () => (await phoneMessages()).find((m) => m.direction === 'OUTBOUND'), 15_000, 'the broadcast');

    const send = await engage.api('POST', '/api/simulator/messages', { from: PHONE, to: broadcast.from, text: 'I am interested <b>now</b>' });
    expect(send.status).toBe(201);
    await receiver.waitFor(new RegExp(`received ConversationStarted lead=${loaded.body.leadId} phone=\\${PHONE} .*INBOUND "I am interested <b>now</b>"`));
    await receiver.waitFor(new RegExp(`replied to lead=${loaded.body.leadId}: "${REPLY}"`));
    await eventually(async () => ((await phoneMessages()).some((m) => m.direction === 'OUTBOUND' && m.text === REPLY) ? true : undefined), 15_000, 'the answer on the phone');
  });

  it('refuses a forged webhook with 401 and says why', async () => {
    const res = await fetch(receiverUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': 'msg_forged', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' },
      body: JSON.stringify({ eventType: 'NewMessage', data: {}, endpoints: {} }),
    });
    expect(res.status).toBe(401);
    expect(await res.text()).toBe('NO_MATCHING_SIGNATURE');
    await receiver.waitFor(/rejected a webhook: NO_MATCHING_SIGNATURE/);
    expect(receiver.stdout()).not.toMatch(/received NewMessage/);
  });

  it('exits 0 on SIGINT', async () => {
    expect(await receiver.stop('SIGINT')).toBe(0);
  });
});
