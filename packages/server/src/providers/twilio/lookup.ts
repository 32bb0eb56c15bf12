/**
 * Twilio Lookup v2 with the Line Type Intelligence package:
 * `GET {lookupUrl}/v2/PhoneNumbers/{E.164}?Fields=line_type_intelligence`, basic auth with the
 * Account SID and auth token. Tells a lead's carrier and line type (mobile, landline, VoIP…)
 * before its broadcast, so landlines are not texted.
 */
import type { Dispatcher } from 'undici';
import type { TwilioCredential } from '../credentials.ts';
import { callProvider, failureFromError, failureFromResponse } from '../http-errors.ts';
import type { SendFailure } from '../types.ts';
import { TWILIO_ERRORS } from './tables.ts';

export interface LineTypeAnswer {
  ok: true;
  /** Twilio's `valid`: false for a number that cannot exist. */
  valid: boolean;
  /** `line_type_intelligence.type`: mobile, landline, fixedVoip, nonFixedVoip, personal, tollFree, premium, sharedCost, uan, voicemail, pager, unknown; null when Twilio gave none. */
  lineType: string | null;
  /** `line_type_intelligence.carrier_name`, as Twilio spells it. */
  carrier: string | null;
  /** `line_type_intelligence.error_code` (e.g. 60601: Canadian data not enabled), when Twilio could not tell. */
  errorCode: string | null;
}

export type LineTypeResult = LineTypeAnswer | SendFailure;

/**
 * Line types that cannot receive a text. Twilio's own advice is to filter landlines before
 * sending; pagers, voicemail-only and premium/shared-cost/UAN numbers do not take SMS either.
 * VoIP, toll-free and personal numbers often do, and are texted.
 */
export const NON_SMS_LINE_TYPES: ReadonlySet<string> = new Set(['landline', 'pager', 'voicemail', 'premium', 'sharedCost', 'uan']);

/** The lead's `statusMessage` when its lookup ends it unsent: `LANDLINE`, or `NON_SMS_LINE: <type>`. */
export function lineTypeStatusMessage(lineType: string): string {
  return lineType === 'landline' ? 'LANDLINE' : `NON_SMS_LINE: ${lineType}`;
}

export interface LookupOptions {
  /** Base URL of the Lookup API (config.twilioLookupUrl). */
  lookupUrl: string;
  timeoutMs: number;
  dispatcher: Dispatcher;
  now: () => Date;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

export async function lookupLineType(cred: TwilioCredential, phone: string, opts: LookupOptions): Promise<LineTypeResult> {
  const url = `${opts.lookupUrl}/v2/PhoneNumbers/${encodeURIComponent(phone)}?Fields=line_type_intelligence`;
  const authorization = 'Basic ' + Buffer.from(`${cred.accountSid}:${cred.authToken}`, 'utf8').toString('base64');
  let res;
  try {
    res = await callProvider(opts.dispatcher, url, { method: 'GET', headers: { authorization, accept: 'application/json' }, timeoutMs: opts.timeoutMs });
  } catch (err) {
    // A lookup changes nothing at Twilio: repeating it is always safe.
    const failure = failureFromError(err);
    delete failure.maybeSent;
    return failure;
  }
  let json: Record<string, unknown> | null = null;
  try {
    const parsed = JSON.parse(res.text) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
  } catch {
    json = null;
  }
  if (res.status >= 200 && res.status < 300) {
    if (!json) return { ok: false, retryable: true, code: 'BAD_RESPONSE', message: 'Twilio Lookup answered without a JSON body' };
    const lti = json.line_type_intelligence && typeof json.line_type_intelligence === 'object' ? (json.line_type_intelligence as Record<string, unknown>) : null;
    const errorCode = lti ? (typeof lti.error_code === 'number' ? String(lti.error_code) : str(lti.error_code)) : null;
    return { ok: true, valid: json.valid !== false, lineType: lti ? str(lti.type) : null, carrier: lti ? str(lti.carrier_name) : null, errorCode };
  }
  const code = typeof json?.code === 'number' || typeof json?.code === 'string' ? String(json.code) : null;
  return failureFromResponse(res, { code, message: str(json?.message) }, TWILIO_ERRORS, opts.now());
}
