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
  return fromDigits(withoutExtension.startsWith('+'), withoutExtension.replace(/\D/g, ''));
}

/** The digits of a number as written (after a leading `+` or not) → E.164, or null. */
function fromDigits(hasPlus: boolean, digits: string): string | null {
  if (hasPlus) return international(digits);
  if (digits.startsWith(US_INTERNATIONAL_PREFIX) && digits.length > 10) {
    return international(digits.slice(US_INTERNATIONAL_PREFIX.length));
  }
  if (digits.length === 10) return nanp(digits);
  if (digits.length === 11 && digits.startsWith('1')) return nanp(digits.slice(1));
  return null;
}

/** Longest run of digits the byte reader takes itself; E.164 has at most 15 (plus `011`). */
const MAX_DIGITS = 24;
const digitBytes = Buffer.alloc(MAX_DIGITS);

/**
 * `normalizePhone` of the UTF-8 text in bytes[start, end), for bulk loads: the usual ways of
 * writing a number (digits, spaces, `( ) . - /`, a leading `+`) are read straight from the bytes;
 * anything else (an extension, a no-break space, letters) goes through `normalizePhone` as text.
 * Always the same answer as `normalizePhone(text)`.
 */
export function normalizePhoneBytes(bytes: Buffer, start: number, end: number): string | null {
  let from = start;
  let to = end;
  while (from < to && bytes[from] === 0x20) from++;
  while (to > from && bytes[to - 1] === 0x20) to--;
  const hasPlus = from < to && bytes[from] === 0x2b;
  let n = 0;
  let separators = 0;
  for (let p = hasPlus ? from + 1 : from; p < to; p++) {
    const c = bytes[p]!;
    if (c >= 0x30 && c <= 0x39) {
      if (n === MAX_DIGITS) return slowly(bytes, start, end);
      digitBytes[n++] = c;
    } else if (c === 0x20 || c === 0x28 || c === 0x29 || c === 0x2e || c === 0x2d || c === 0x2f) {
      separators++;
    } else {
      return slowly(bytes, start, end);
    }
  }
  // ALLOWED needs a character after the optional `+`.
  if (n + separators === 0) return null;
  return fromDigits(hasPlus, digitBytes.toString('latin1', 0, n));
}

const slowly = (bytes: Buffer, start: number, end: number) => normalizePhone(bytes.toString('utf8', start, end));

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
