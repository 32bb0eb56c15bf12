/**
 * Twilio's words mapped to ours: message statuses (status callbacks' `MessageStatus`) and error
 * codes (REST answers' `code`, status callbacks' `ErrorCode`). See
 * https://www.twilio.com/docs/messaging/api/message-resource#message-status-values and
 * https://www.twilio.com/docs/api/errors.
 */
import type { ProviderErrorTable } from '../http-errors.ts';
import type { DeliveryStatus } from '../types.ts';

/**
 * `MessageStatus` → our delivery status. Statuses of inbound messages (`receiving`, `received`)
 * and of other features are absent: a callback carrying one changes nothing.
 */
export const TWILIO_STATUS: Readonly<Record<string, DeliveryStatus>> = {
  accepted: 'QUEUED', // a Messaging Service accepted it and is picking a sender
  scheduled: 'QUEUED',
  queued: 'QUEUED',
  sending: 'QUEUED', // Twilio is handing it to the carrier; not sent yet
  sent: 'SENT',
  delivered: 'DELIVERED',
  read: 'DELIVERED', // channels with read receipts; implies delivered
  undelivered: 'UNDELIVERED',
  failed: 'FAILED',
  canceled: 'FAILED', // a scheduled message canceled before sending
};

/** Error codes we act on. Unlisted codes fall back to the HTTP status (5xx/429 retryable). */
export const TWILIO_ERRORS: ProviderErrorTable = {
  // REST API (synchronous answers to a send)
  '20003': { retryable: false, description: 'Authentication failed: check the Account SID and auth token' },
  '20429': { retryable: true, description: 'Too many requests' },
  '20500': { retryable: true, description: 'Twilio internal server error' },
  '20503': { retryable: true, description: 'Twilio service unavailable' },
  '21211': { retryable: false, description: "Invalid 'To' phone number" },
  '21212': { retryable: false, description: "Invalid 'From' phone number" },
  '21408': { retryable: false, description: 'Permission to send to this region is not enabled' },
  '21602': { retryable: false, description: 'Message body is required' },
  '21606': { retryable: false, description: "The 'From' number is not a valid SMS-capable number of this account" },
  '21610': { retryable: false, suppress: true, description: 'Attempt to send to unsubscribed recipient (the phone texted STOP)' },
  '21612': { retryable: false, description: "The 'To' number is not reachable from this 'From' number" },
  '21614': { retryable: false, description: "'To' number is not a valid mobile number" },
  '21617': { retryable: false, description: 'The message body exceeds the 1600 character limit' },
  '21703': { retryable: false, description: 'The Messaging Service has no phone numbers' },
  '21711': { retryable: false, description: 'The From number is not in the Messaging Service sender pool' },
  // Delivery (status callbacks' ErrorCode, and occasionally a send's answer)
  '30001': { retryable: true, description: 'Queue overflow' },
  '30002': { retryable: false, description: 'Account suspended' },
  '30003': { retryable: true, description: 'Unreachable destination handset' },
  '30004': { retryable: false, description: 'Message blocked' },
  '30005': { retryable: false, description: 'Unknown destination handset' },
  '30006': { retryable: false, description: 'Landline or unreachable carrier' },
  '30007': { retryable: false, description: 'Message filtered by the carrier' },
  '30008': { retryable: true, description: 'Unknown error' },
  '30010': { retryable: false, description: 'Message price exceeds max price' },
  '30017': { retryable: true, description: 'Carrier network congestion' },
  '30018': { retryable: false, description: 'Destination carrier requires sender ID pre-registration' },
  '30022': { retryable: true, description: 'US A2P 10DLC rate limits exceeded' },
  '30023': { retryable: true, description: 'US A2P 10DLC daily message cap reached' },
  '30024': { retryable: false, description: 'Numeric sender ID not provisioned on the carrier' },
  '30032': { retryable: false, description: 'Toll-free number has not been verified' },
  '30034': { retryable: false, description: 'Message from an unregistered number (A2P 10DLC)' },
};

/** The description of a delivery error code, for the lead's `statusMessage`. */
export function twilioErrorDescription(code: string): string | null {
  return TWILIO_ERRORS[code]?.description ?? null;
}

/**
 * A message's status and error as Twilio words them (a status callback's `MessageStatus`,
 * `ErrorCode`, `ErrorMessage`; a Message resource's `status`, `error_code`, `error_message`) in ours:
 * a status we do not track is null; an error without Twilio's message gets our table's description.
 */
export function twilioDelivery(twilioStatus: string, errorCode: string | null, errorMessage: string | null): { status: DeliveryStatus | null; errorCode: string | null; errorMessage: string | null } {
  return {
    status: TWILIO_STATUS[twilioStatus.toLowerCase()] ?? null,
    errorCode,
    errorMessage: errorCode ? (errorMessage || twilioErrorDescription(errorCode)) : null,
  };
}
