import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { areaCodeOf, normalizePhone, normalizePhoneBytes } from './phone.ts';

describe('normalizePhone: US/Canada formats', () => {
  it.each([
    ['5555551212', '+15555551212'],
    ['15555551212', '+15555551212'],
    ['+15555551212', '+15555551212'],
    ['(555) 555-1212', '+15555551212'],
    ['(555)555-1212', '+15555551212'],
    ['555.555.1212', '+15555551212'],
    ['555-555-1212', '+15555551212'],
    ['555 555 1212', '+15555551212'],
    ['555/555-1212', '+15555551212'],
    ['1-555-555-1212', '+15555551212'],
    ['1 (555) 555-1212', '+15555551212'],
    ['1.555.555.1212', '+15555551212'],
    ['+1 (555) 555-1212', '+15555551212'],
    ['+1-555-555-1212', '+15555551212'],
    ['+1 555 555 1212', '+15555551212'],
    ['  555-555-1212  ', '+15555551212'],
    ['\t+1 555 555 1212\n', '+15555551212'],
    ['555\u00a0555\u00a01212', '+15555551212'], // NBSP from spreadsheets
    ['555\u2013555\u20131212', '+15555551212'], // en dash from word processors
    ['2125551234', '+12125551234'],
    ['(416) 555-0199', '+14165550199'], // Toronto
    ['+1 242 357 1234', '+12423571234'], // Bahamas: NANP but not US/Canada, still dialable as +1
  ])('%j → %s', (input, expected) => {
    expect(normalizePhone(input)).toBe(expected);
  });
});

describe('normalizePhone: extensions are dropped', () => {
  it.each([
    ['555-555-1212 x123', '+15555551212'],
    ['555-555-1212x123', '+15555551212'],
    ['555-555-1212 X 9', '+15555551212'],
    ['(555) 555-1212 ext. 123', '+15555551212'],
    ['(555) 555-1212 ext 123', '+15555551212'],
    ['(555) 555-1212 Ext.123', '+15555551212'],
    ['555-555-1212 extension 4567', '+15555551212'],
    ['555-555-1212, ext. 22', '+15555551212'],
    ['555-555-1212 #77', '+15555551212'],
    ['+1 (555) 555-1212 x1', '+15555551212'],
  ])('%j → %s', (input, expected) => {
    expect(normalizePhone(input)).toBe(expected);
  });
});

describe('normalizePhone: international numbers written with + or 011', () => {
  it.each([
    ['+44 20 7946 0958', '+442079460958'],
    ['+442079460958', '+442079460958'],
    ['+44 (0)20 7946 0958', '+442079460958'], // UK trunk 0 written in parentheses
    ['+49 30 901820', '+4930901820'],
    ['+33 1 23 45 67 89', '+33123456789'],
    ['+61 2 9374 4000', '+61293744000'],
    ['+52 55 1234 5678', '+525512345678'],
    ['011 44 20 7946 0958', '+442079460958'],
    ['+44 20 7946 0958 ext. 12', '+442079460958'],
  ])('%j → %s', (input, expected) => {
    expect(normalizePhone(input)).toBe(expected);
  });

  it.each([
    '+44 12', // too short for the UK
    '+44 20 7946 0958 1234 5678', // more than 15 digits
    '+999 1234567', // no such country code
    '+0 555 555 1212',
    '+1 555 555 121', // +1 with 9 national digits
    '+1 555 555 12123',
  ])('%j → null', (input) => {
    expect(normalizePhone(input)).toBeNull();
  });
});

describe('normalizePhone: rejects', () => {
  it.each([
    ['', 'empty'],
    ['   ', 'blank'],
    ['555-1212', 'seven digits'],
    ['555555121', 'nine digits'],
    ['555555121212', 'twelve digits'],
    ['25555551212', 'eleven digits not starting with 1'],
    ['1-800-FLOWERS', 'letters'],
    ['555-555-CALL', 'letters'],
    ['555-555-1212 abc', 'trailing words'],
    ['phone: 5555551212', 'leading words'],
    ['5555551212x', 'extension marker without digits'],
    ['555-555-1212 x', 'extension marker without digits'],
    ['555+5551212', 'plus sign in the middle'],
    ['++15555551212', 'two plus signs'],
    ['055-555-1212', 'area code starting with 0'],
    ['155-555-1212', 'area code starting with 1 (ten digits)'],
    ['1-155-555-1212', 'area code starting with 1'],
    ['555-055-1212', 'exchange starting with 0'],
    ['555-155-1212', 'exchange starting with 1'],
    ['+1 055 555 1212', 'area code starting with 0 after +1'],
    ['211-555-1212', 'N11 area code 211'],
    ['411-555-1212', 'N11 area code 411'],
    ['911-555-1212', 'N11 area code 911'],
    ['+1 611 555 1212', 'N11 area code 611'],
    ['5555551212;', 'stray punctuation'],
  ])('%j (%s) → null', (input) => {
    expect(normalizePhone(input)).toBeNull();
  });
});

describe('normalizePhone: boundaries of the NANP structure', () => {
  it.each([
    ['2002002000', '+12002002000'], // lowest N for area code and exchange
    ['9999999999', '+19999999999'],
    ['2105551212', '+12105551212'], // 210: second digit 1 but not N11
    ['3125551212', '+13125551212'], // 312 likewise
    ['5552115555', '+15552115555'], // N11 exchanges are structurally allowed
  ])('%s → %s', (input, expected) => {
    expect(normalizePhone(input)).toBe(expected);
  });

  it('is idempotent on its own output', () => {
    for (const input of ['(555) 555-1212', '+44 20 7946 0958', '011 49 30 901820']) {
      const once = normalizePhone(input);
      expect(once).not.toBeNull();
      expect(normalizePhone(once!)).toBe(once);
    }
  });
});

describe('areaCodeOf', () => {
  it.each([
    ['+15555551212', '555'],
    ['+12125551234', '212'],
    ['+14165550199', '416'],
    ['+442079460958', null],
    ['5555551212', null], // not E.164
    ['+1555555121', null],
    ['+11555551212', null],
    ['', null],
  ])('%j → %j', (input, expected) => {
    expect(areaCodeOf(input)).toBe(expected);
  });
});

describe('normalizePhone: untyped input from JSON', () => {
  it.each([[5555551212], [null], [undefined], [{}]])('%j → null', (input) => {
    expect(normalizePhone(input as unknown as string)).toBeNull();
  });
});

describe('normalizePhoneBytes', () => {
  /** The text's UTF-8 bytes, somewhere inside a larger buffer. */
  const inBytes = (text: string) => {
    const bytes = Buffer.from(`x,${text},y`, 'utf8');
    return [bytes, 2, bytes.length - 2] as const;
  };

  it('gives normalizePhone’s answer for any text made of what phones are written with', () => {
    // Mostly digits, so that many are valid numbers (10 or 11 digits, +country code …).
    const unit = fc.oneof(
      { arbitrary: fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '7', '8', '9'), weight: 8 },
      { arbitrary: fc.constantFrom(' ', '(', ')', '-', '.', '/', '+', 'x', 'e', '#', '\u00a0', '\u2013', '\t', ','), weight: 2 },
    );
    let valid = 0;
    fc.assert(
      fc.property(fc.string({ unit, minLength: 8, maxLength: 18 }), (text) => {
        if (normalizePhone(text) !== null) valid++;
        expect(normalizePhoneBytes(...inBytes(text))).toBe(normalizePhone(text));
      }),
      { numRuns: 20_000 },
    );
    expect(valid).toBeGreaterThan(300);
  });

  it.each([
    '2125550101', '(212) 555-0101', ' 212.555.0101 ', '1-212-555-0101', '+1 212 555 0101', '+44 20 7946 0958', '011 44 20 7946 0958',
    '212-555-0101 x123', '212\u00a0555\u00a00101', '+', '', '   ', '()', '212-555-010', '1'.repeat(30), '+1 (212) 555-0101 ext. 9',
  ])('%j as bytes → what normalizePhone says', (text) => {
    expect(normalizePhoneBytes(...inBytes(text))).toBe(normalizePhone(text));
  });
});
