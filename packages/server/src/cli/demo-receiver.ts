/**
 * The demo's local webhook receiver: verifies every webhook with the SDK (Standard Webhooks),
 * prints one line per event, and lets the demo script wait for a given event.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook, WebhookVerificationError, type EventType, type WebhookEvent } from '@engage/sdk';
import { printable } from './usage.ts';

export interface DemoReceiver {
  url: string;
  /** Resolves with the first event of `type` for `leadId` (already received or still to come). */
  waitFor(type: EventType, leadId: string, timeoutMs?: number): Promise<WebhookEvent>;
  close(): Promise<void>;
}

function line(event: WebhookEvent): string {
  const { lead, messages } = event.data;
  const last = messages.at(-1);
  const detail =
    event.eventType === 'DeliveryResult' ? `status ${lead.status}`
    : event.eventType === 'Disposition' ? `disposition "${printable(lead.disposition ?? '')}"`
    : last ? `${last.direction === 'INBOUND' ? 'lead says' : 'we said'} ${JSON.stringify(printable(last.message))}` : '';
  return `webhook › ${event.eventType.padEnd(19)} lead ${lead.id} ${lead.phone}  ${detail}  (signature verified)`;
}

export async function startDemoReceiver(secret: () => string): Promise<DemoReceiver> {
  const events: WebhookEvent[] = [];
  const waiters: { type: EventType; leadId: string; resolve: (e: WebhookEvent) => void }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let event: WebhookEvent;
      try {
        event = verifyWebhook(Buffer.concat(chunks), req.headers, secret());
      } catch (err) {
        console.log(`webhook › rejected: ${err instanceof WebhookVerificationError ? err.reason : 'invalid'}`);
        res.writeHead(400).end();
        return;
      }
      res.writeHead(204).end();
      events.push(event);
      console.log(line(event));
      for (const w of waiters.splice(0)) {
        if (w.type === event.eventType && w.leadId === event.data.lead.id) w.resolve(event);
        else waiters.push(w);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`;
  return {
    url,
    waitFor(type, leadId, timeoutMs = 30_000) {
      const seen = events.find((e) => e.eventType === type && e.data.lead.id === leadId);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${type} webhook for lead ${leadId} within ${timeoutMs / 1000}s`)), timeoutMs);
        waiters.push({ type, leadId, resolve: (e) => { clearTimeout(timer); resolve(e); } });
      });
    },
    close() {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}
