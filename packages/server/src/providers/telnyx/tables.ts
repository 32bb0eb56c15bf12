/**
 * Telnyx's words mapped to ours: recipient statuses (`payload.to[].status` of `message.sent` and
 * `message.finalized`) and error codes (API answers' `errors[].code`, finalized messages'
 * `payload.errors[].code`). See https://developers.telnyx.com/docs/messaging/messages/error-codes.
 */
import type { ProviderErrorTable } from '../http-errors.ts';
import type { DeliveryStatus } from '../types.ts';

export const TELNYX_STATUS: Readonly<Record<string, DeliveryStatus>> = {
  queued: 'QUEUED',
  sending: 'QUEUED',
  sent: 'SENT',
  // Finalized without a delivery receipt from the carrier: it left Telnyx, nothing more is known.
  delivery_unconfirmed: 'SENT',
  delivered: 'DELIVERED',
  delivery_failed: 'UNDELIVERED',
  expired: 'UNDELIVERED',
  sending_failed: 'FAILED',
};

export const TELNYX_ERRORS: ProviderErrorTable = {
  // API request errors (synchronous answers to a send)
  '10001': { retryable: false, description: 'Inactive phone number' },
  '10002': { retryable: false, description: 'Invalid phone number' },
  '10004': { retryable: false, description: 'Missing required parameter' },
  '10005': { retryable: false, description: 'Resource not found' },
  '10006': { retryable: false, description: 'Invalid ID' },
  '10007': { retryable: true, description: 'Unexpected error' },
  '10008': { retryable: true, description: 'Request timeout' },
  '10009': { retryable: false, description: 'Authentication failed: check the API key' },
  '10010': { retryable: false, description: 'Authorization failed' },
  '10011': { retryable: true, description: 'Too many requests' },
  '10015': { retryable: false, description: 'Bad request' },
  '10016': { retryable: false, description: 'Phone number must be in +E.164 format' },
  // Delivery errors (message.finalized, and some sends)
  '40001': { retryable: false, description: 'Not routable (landline or non-routable number)' },
  '40002': { retryable: true, description: 'Blocked as spam (temporary)' },
  '40003': { retryable: false, description: 'Blocked as spam (permanent)' },
  '40004': { retryable: true, description: 'Rejected by destination' },
  '40005': { retryable: true, description: 'Message expired during transmission' },
  '40006': { retryable: true, description: 'Recipient server unavailable' },
  '40008': { retryable: false, description: 'Undeliverable' },
  '40009': { retryable: false, description: 'Invalid message body' },
  '40011': { retryable: true, description: 'Too many requests (upstream rate limit)' },
  '40012': { retryable: false, description: 'Invalid destination number' },
  '40013': { retryable: false, description: 'Invalid source number' },
  '40014': { retryable: true, description: 'Message expired in queue' },
  '40015': { retryable: false, description: 'Blocked by the Telnyx spam filter' },
  '40016': { retryable: true, description: 'T-Mobile sending limit reached' },
  '40300': { retryable: false, suppress: true, description: 'Blocked due to STOP message (the phone opted out)' },
  '40301': { retryable: false, description: 'Unsupported message type' },
  '40305': { retryable: false, description: 'Invalid from address' },
  '40310': { retryable: false, description: 'Invalid to address' },
};

export function telnyxErrorDescription(code: string): string | null {
  return TELNYX_ERRORS[code]?.description ?? null;
}
