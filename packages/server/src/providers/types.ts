/**
 * The one interface every SMS provider adapter implements.
 *
 * Glossary: a *provider* is the carrier-side service that sends and receives texts (simulator,
 * Twilio, Telnyx); a *reference* is Engage's own message id handed to the provider with a send.
 */

export interface SendRequest {
  /** Engage's message id; a provider that supports it makes sends with one reference idempotent. */
  reference: string;
  from: string;
  to: string;
  body: string;
}

export type SendResult =
  | { ok: true; providerMessageId: string }
  | { ok: false; retryable: boolean; code: string; message: string };

/** Carrier statuses of an outbound message, in the order they may be reached. */
export type DeliveryStatus = 'QUEUED' | 'SENT' | 'DELIVERED' | 'UNDELIVERED' | 'FAILED';

export interface SmsProvider {
  readonly name: string;
  /**
   * True when sending twice with the same reference texts the phone once. Then a send interrupted
   * by a crash can be safely repeated; otherwise it is marked failed rather than risk a second text.
   */
  readonly idempotentSend: boolean;
  send(req: SendRequest): Promise<SendResult>;
}
