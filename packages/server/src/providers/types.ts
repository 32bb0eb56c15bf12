/**
 * The one interface every SMS provider adapter implements.
 *
 * Glossary: a *provider* is the carrier-side service that sends and receives texts (simulator,
 * Twilio, Telnyx); a *reference* is Engage's own message id handed to the provider with a send;
 * a *provider credential* is one workspace's account at a real provider (stored encrypted); a
 * *provider key* is the string a sender source and its messages carry in their `provider` column:
 * `simulator`, or `<kind>:<credentialId>` (`twilio:4f1c…`) for a credential-backed adapter.
 */

export interface SendRequest {
  /** Engage's message id; a provider that supports it makes sends with one reference idempotent. */
  reference: string;
  from: string;
  to: string;
  body: string;
  /**
   * The end of the lead's sending window. A provider that supports it (Twilio's
   * `ValidityPeriod`) drops the message if it is still queued then. Optional: unset = the
   * provider's default.
   */
  validUntil?: Date;
}

/** Why a send did not go out. `retryable`: the same send may succeed later. */
export interface SendFailure {
  ok: false;
  retryable: boolean;
  /** The provider's error code (`21610`, `40300`) or ours (`TIMEOUT`, `HTTP_503`, `NETWORK`). */
  code: string;
  message: string;
  /**
   * The provider refuses the phone for good (Twilio 21610, Telnyx 40300: it texted STOP to the
   * carrier). The caller should suppress the phone for the workspace. Optional; default false.
   */
  suppress?: boolean;
  /** The provider asked us to wait this long before trying again (429 `Retry-After`), ms. */
  retryAfterMs?: number;
  /**
   * The request may have reached the provider before the failure (a response timeout or a reset
   * connection): retrying could text twice. Optional; default false.
   */
  maybeSent?: boolean;
}

export type SendResult = { ok: true; providerMessageId: string } | SendFailure;

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
  /**
   * The messages the provider has from `from` to `to` with exactly `body`, created at or after
   * `since` (newest first). How a send interrupted by a crash is reconciled when sends are not
   * idempotent: a text the provider has is recorded as sent, under its id, with the status it has
   * now; none found leaves it UNKNOWN (never resent). Throws when the provider cannot be asked.
   * Optional: without it such a send is marked UNKNOWN.
   */
  findSent?(q: SentQuery): Promise<SentMessage[]>;
}

/** A message a provider has, as `findSent` finds it. */
export interface SentMessage {
  id: string;
  /** Its status now, in our words; null when the provider's word is not one of ours (`accepted`). */
  status: DeliveryStatus | null;
  errorCode: string | null;
  errorMessage: string | null;
}

export interface SentQuery {
  from: string;
  to: string;
  body: string;
  since: Date;
}
