/**
 * Test helpers for the integrator-guarantee tests: a conversation whose broadcast has gone out,
 * and the phone that texts back through the simulator (the real inbound pipeline).
 *
 * The broadcast itself is not what these tests are about (broadcast/*.test.ts cover it): the lead
 * is loaded through the API and then marked sent from one of the workspace's numbers, which is
 * exactly the state a broadcast leaves, so the tests do not wait on the sender's schedule.
 */
import { expect } from 'vitest';
import type { TestEngage } from '../../test/harness.ts';

export const ALWAYS = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [{ start: 0, end: 1440 }]]));

let phoneCounter = 0;

export async function createCampaign(e: TestEngage, webhooks: Record<string, string> = {}, extra: Record<string, unknown> = {}): Promise<string> {
  const c = await e.api('POST', '/api/public/engage/campaigns', {
    name: `Guarantees ${++phoneCounter}`, schedule: ALWAYS, messages: { outgoingMessage: 'Hello', stopMessage: 'Bye', startMessage: 'Welcome back' }, webhooks, ...extra,
  });
  expect(c.status).toBe(201);
  return c.body.id as string;
}

export interface TestConversation {
  campaignId: string;
  leadId: string;
  phone: string;
  from: string;
  endpoints: { sendMessageEndpoint: string; dispositionEndpoint: string; conversationEndpoint: string };
  /** The lead texts `text` to our number (through the simulator's inbound path). */
  say(text: string): Promise<void>;
}

export async function sentConversation(e: TestEngage, campaignId: string, phoneBase = 6465550000): Promise<TestConversation> {
  const phone = `+1${phoneBase + 1000 + ++phoneCounter}`;
  const loaded = await e.api('POST', '/api/public/engage/lead/load', { campaignId, fields: [{ name: 'Phone', value: phone }] });
  expect(loaded.body.status).toBe('Accepted');
  const leadId: string = loaded.body.leadId;
  const numbers: string[] = (await e.api('GET', '/api/public/engage/sender-sources')).body.senderSources[0].numbers;
  const from = numbers[0]!;
  await e.ctx.db.updateTable('leads').set({ from_number: from, status: 'SENT', sent: new Date() }).where('id', '=', leadId).execute();
  const key = await e.api('POST', `/api/public/engage/leads/${leadId}/conversation-key`);
  expect(key.status).toBe(200);
  return {
    campaignId, leadId, phone, from, endpoints: key.body.endpoints,
    say: async (text: string) => expect((await e.api('POST', '/api/simulator/messages', { from: phone, to: from, text })).status).toBe(201),
  };
}
