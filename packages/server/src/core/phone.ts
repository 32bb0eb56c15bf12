import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * Phone numbers as leads arrive in spreadsheets and API calls, turned into E.164.
 *
 * NANP (+1) numbers are checked by the numbering plan's structural rules rather than by
 * libphonenumber: its metadata rejects area codes that are not yet assigned — and the
 * fictional 555 — while an operator loading leads needs "could this be dialled", not
 * "is this block assigned today". Everything else must be written with a leading `+`
 * (or the US international prefix 011) and is validated with libphonenumber's full metadata.
 */

/**
 * A trailing extension, which SMS cannot reach, so it is dropped rather than rejected:
 * `x123`, `x 123`, `ext 123`, `ext. 123`, `extension 123`, `#123`.
 * The marker must follow a space or a digit so that letters inside a number still fail.
 */
const EXTENSION = /(?<=[\d\s)])\s*[,;]?\s*(?:x|ext\.?|extension|#)\s*\d{1,7}\s*$/i;

/**
 * What may remain once the extension is gone: an optional leading `+`, digits and the
 * separators people and spreadsheets use (spaces incl. NBSP, parentheses, dots, slashes,
 * ASCII and typographic dashes).
 */
const ALLOWED = /^\+?[\d\s().\-/\u2010-\u2015\u2212]+$/;

/** Digits after the country code 1: NXX NXX XXXX, N = 2..9. */
const NANP_NATIONAL = /^[2-9]\d{2}[2-9]\d{6}$/;

/** The US international dialling prefix, as in `011 44 20 7946 0958`. */
const US_INTERNATIONAL_PREFIX = '011';

/**
 * Any common way of writing a US/Canadian number (10 digits, optionally with a leading 1
 * or +1) or an international one (+ or 011, then the country code) → E.164; null when
 * the input is not a phone number that could be texted.
 */
export function normalizePhone(input: string): string | null {
  // Lead fields arrive from JSON and CSV parsers; a number or null must not throw.
  if (typeof input !== 'string') return null;
  const withoutExtension = input.trim().replace(EXTENSION, '').trim();
  if (!ALLOWED.test(withoutExtension)) return null;
  const hasPlus = withoutExtension.startsWith('+');
  const digits = withoutExtension.replace(/\D/g, '');

  if (hasPlus) return international(digits);
  if (digits.startsWith(US_INTERNATIONAL_PREFIX) && digits.length > 10) {
    return international(digits.slice(US_INTERNATIONAL_PREFIX.length));
  }
  if (digits.length === 10) return nanp(digits);
  if (digits.length === 11 && digits.startsWith('1')) return nanp(digits.slice(1));
  return null;
}

/** National NANP digits (10) → E.164, or null when the structure is impossible. */
function nanp(national: string): string | null {
  if (!NANP_NATIONAL.test(national)) return null;
  // N11 codes (211, 311, … 911) are service codes, never area codes.
  if (national[1] === '1' && national[2] === '1') return null;
  return `+1${national}`;
}

/** Digits starting with a country code → E.164; +1 keeps the NANP rules, others ask libphonenumber. */
function international(digits: string): string | null {
  if (digits.startsWith('1')) return digits.length === 11 ? nanp(digits.slice(1)) : null;
  // E.164 allows at most 15 digits; past that libphonenumber would parse a prefix of the input.
  if (digits.length < 7 || digits.length > 15) return null;
  const parsed = parsePhoneNumberFromString(`+${digits}`);
  return parsed?.isValid() ? parsed.number : null;
}

/** The 3-digit area code of a NANP E.164 number, or null for any other number. */
export function areaCodeOf(e164: string): string | null {
  const match = /^\+1([2-9]\d{2})[2-9]\d{6}$/.exec(e164);
  return match?.[1] ?? null;
}
