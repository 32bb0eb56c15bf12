/**
 * An Engage webhook receiver in ~100 lines: verifies each webhook's Standard Webhooks signature,
 * logs the event, and answers every lead reply through the conversation's own endpoints.
 *
 *   npx tsx examples/receiver/receiver.ts          (from the repository, with Engage running)
 *
 * Point a campaign's webhooks at http://127.0.0.1:4000/webhooks (see README.md beside this file).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConflictError, ConversationClient, EngageClient, WebhookVerificationError, verifyWebhook, type WebhookEvent } from '@engage/sdk';
import { loadReceiverConfig } from './config.ts';

const config = loadReceiverConfig();

async function webhookSecret(): Promise<string> {
  if (config.webhookSecret) return config.webhookSecret;
  if (!config.apiKey) throw new Error('set ENGAGE_WEBHOOK_SECRET, or ENGAGE_API_KEY so the secret can be fetched');
  return new EngageClient({ baseUrl: config.engageUrl, apiKey: config.apiKey }).webhookSecret();
}

/** Webhook ids already handled: Engage retries until it gets a 2xx, so a duplicate is possible. */
const seen = new Set<string>();

function describe(event: WebhookEvent): string {
  const { lead, messages } = event.data;
  const last = messages.at(-1);
  const text = last ? ` ${last.direction} ${JSON.stringify(last.message)}` : '';
  return `${event.eventType} lead=${lead.id} phone=${lead.phone} status=${lead.status}${lead.disposition ? ` disposition=${lead.disposition}` : ''}${text}`;
}

async function answer(event: WebhookEvent): Promise<void> {
  // Only a lead's own messages get an answer; our answers come back as nothing (no loop).
  if (event.eventType !== 'ConversationStarted' && event.eventType !== 'NewMessage') return;
  const conversation = new ConversationClient(event.endpoints);
  try {
    const sent = await conversation.send(config.replyText);
    console.log(`replied to lead=${event.data.lead.id}: ${JSON.stringify(sent.message)} (message ${sent.id})`);
  } catch (err) {
    if (err instanceof ConflictError) console.log(`not replying to lead=${event.data.lead.id}: ${err.message}`);
    else console.error(`reply to lead=${event.data.lead.id} failed:`, (err as Error).message);
  }
}

async function main(): Promise<void> {
  const secret = await webhookSecret();
  const server = http.createServer((req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // Verify the exact bytes received: re-serialised JSON would not match the signature.
      const raw = Buffer.concat(chunks);
      let event: WebhookEvent;
      try {
        event = verifyWebhook(raw, req.headers, secret);
      } catch (err) {
        const reason = err instanceof WebhookVerificationError ? err.reason : 'INVALID';
        console.log(`rejected a webhook: ${reason}`);
        res.writeHead(401, { 'content-type': 'text/plain' }).end(reason);
        return;
      }
      // Acknowledge first, work after: a slow receiver gets retried.
      res.writeHead(204).end();
      const id = String(req.headers['webhook-id']);
      if (seen.has(id)) return;
      seen.add(id);
      console.log(`received ${describe(event)}`);
      void answer(event);
    });
  });
  server.listen(config.port, config.host, () => {
    const { port } = server.address() as AddressInfo;
    console.log(`receiver listening on http://${config.host}:${port}/webhooks (Engage at ${config.engageUrl})`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(`receiver: ${(err as Error).message}`);
  process.exit(1);
});
