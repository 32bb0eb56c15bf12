/**
 * Webhook secret rotation: during the overlap every webhook carries both signatures, so a receiver
 * verifying with the old secret or the new one (the standardwebhooks reference verifier) accepts
 * it; after the overlap, or with none, only the new secret signs.
 */
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receiver, eventually, startTestEngage, type ReceivedWebhook, type TestEngage } from '../../test/harness.ts';
import { createCampaign, sentConversation } from '../events/testkit.ts';

let engage: TestEngage;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await new Receiver().start();
  engage = await startTestEngage();
});
afterAll(async () => {
  await engage?.close();
  await receiver?.stop();
});

const verifies = (secret: string, w: ReceivedWebhook) => {
  try {
    new Webhook(secret).verify(w.raw, w.headers as Record<string, string>);
    return true;
  } catch {
    return false;
  }
};

async function nextWebhook(path: string): Promise<ReceivedWebhook> {
  const conv = await sentConversation(engage, await createCampaign(engage, { conversationStarted: `${receiver.url}${path}` }));
  await conv.say('hello');
  return eventually(() => receiver.received.find((r) => r.path === path));
}

describe('webhook secret rotation', () => {
  it('signs with both secrets during the overlap, then only with the new one', async () => {
    const old = (await engage.api('GET', '/api/public/engage/webhook-secret')).body.secret;
    const rotated = await engage.api('POST', '/api/public/engage/webhook-secret/rotate', { overlapSeconds: 3600 });
    expect(rotated.status).toBe(200);
    expect(rotated.body).toMatchObject({ previousSecret: old, previousSecretExpires: expect.any(String) });
    const fresh = rotated.body.secret;
    expect(fresh).toMatch(/^whsec_/);
    expect(fresh).not.toBe(old);
    expect((await engage.api('GET', '/api/public/engage/webhook-secret')).body.secret).toBe(fresh);

    const during = await nextWebhook('/during');
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifies(fresh, during)).toBe(true);
    expect(verifies(old, during)).toBe(true);

    // The overlap ends: only the new secret signs.
    await engage.ctx.db.updateTable('workspaces').set({ previous_webhook_secret_expires: new Date(Date.now() - 1000) }).execute();
    const after = await nextWebhook('/after');
    expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verifies(fresh, after)).toBe(true);
    expect(verifies(old, after)).toBe(false);
  });

  it('rotates without overlap, and validates overlapSeconds', async () => {
    const before = (await engage.api('GET', '/api/public/engage/webhook-secret')).body.secret;
    const r = await engage.api('POST', '/api/public/engage/webhook-secret/rotate', { overlapSeconds: 0 });
    expect(r.body).toMatchObject({ previousSecret: null, previousSecretExpires: null });
    const w = await nextWebhook('/none');
    expect(verifies(r.body.secret, w)).toBe(true);
    expect(verifies(before, w)).toBe(false);
    const bad = await engage.api('POST', '/api/public/engage/webhook-secret/rotate', { overlapSeconds: -5 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('overlapSeconds');
  });
});
