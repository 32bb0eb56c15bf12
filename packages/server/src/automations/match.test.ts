import { describe, expect, it } from 'vitest';
import { conditionMatches, firstNumber, wordsOf } from './match.ts';
import { REGEX_TIME_LIMIT_MS, regexError, safeRegexTest } from './safe-regex.ts';

const msg = (text: string, firstReply = false) => ({ text, firstReply });

describe('conditions', () => {
  it('EXACT is the whole message, any case, punctuation ignored', () => {
    const when = { type: 'EXACT' as const, words: ['yes', 'Yes please'] };
    expect(conditionMatches(when, msg('YES!'))).toBe(true);
    expect(conditionMatches(when, msg('  yes please. '))).toBe(true);
    expect(conditionMatches(when, msg('yes but later'))).toBe(false);
    expect(conditionMatches(when, msg('yesterday'))).toBe(false);
    expect(conditionMatches(when, msg('!!!'))).toBe(false);
  });

  it('ANY_WORD finds whole words only', () => {
    const when = { type: 'ANY_WORD' as const, words: ['wrong', 'who is this'] };
    expect(conditionMatches(when, msg('Wrong # sorry'))).toBe(true);
    expect(conditionMatches(when, msg('uh, who is this?'))).toBe(true);
    expect(conditionMatches(when, msg('wrongful'))).toBe(false);
    expect(conditionMatches(when, msg('who this is'))).toBe(false);
  });

  it('PHRASE needs the words in order', () => {
    const when = { type: 'PHRASE' as const, phrase: 'call me' };
    expect(conditionMatches(when, msg('Please CALL me tomorrow'))).toBe(true);
    expect(conditionMatches(when, msg('me call'))).toBe(false);
    expect(conditionMatches(when, msg('recall media'))).toBe(false);
  });

  it('REGEX matches with its flags', () => {
    expect(conditionMatches({ type: 'REGEX', pattern: '^\\d{5}$', flags: '' }, msg('12345'))).toBe(true);
    expect(conditionMatches({ type: 'REGEX', pattern: '^\\d{5}$', flags: '' }, msg('1234'))).toBe(false);
    expect(conditionMatches({ type: 'REGEX', pattern: 'tues?day', flags: 'i' }, msg('TUESDAY works'))).toBe(true);
  });

  it('NUMBER_RANGE reads the first number', () => {
    const when = { type: 'NUMBER_RANGE' as const, min: 1, max: 5 };
    expect(conditionMatches(when, msg('I give it a 4/10'))).toBe(true);
    expect(conditionMatches(when, msg('9'))).toBe(false);
    expect(conditionMatches(when, msg('no idea'))).toBe(false);
    expect(conditionMatches({ type: 'NUMBER_RANGE', min: 7 }, msg('10 stars'))).toBe(true);
    expect(firstNumber('about 2,5 hours')).toBe(2.5);
  });

  it('FIRST_REPLY follows the message, NO_REPLY never matches a message', () => {
    expect(conditionMatches({ type: 'FIRST_REPLY' }, msg('hi', true))).toBe(true);
    expect(conditionMatches({ type: 'FIRST_REPLY' }, msg('hi', false))).toBe(false);
    expect(conditionMatches({ type: 'NO_REPLY', hours: 1 }, msg('hi', true))).toBe(false);
  });

  it('splits words across scripts and apostrophes', () => {
    expect(wordsOf("Don’t TEXT me, señor!")).toEqual(["don't", 'text', 'me', 'señor']);
  });
});

describe('safe regular expressions', () => {
  it('stops a catastrophically backtracking pattern within the time limit', () => {
    const started = Date.now();
    expect(safeRegexTest('^(a+)+$', '', `${'a'.repeat(40)}b`)).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(REGEX_TIME_LIMIT_MS * 20);
    // The sandbox still works afterwards.
    expect(safeRegexTest('^a+$', '', 'aaa')).toBe(true);
  });

  it('reports invalid patterns and stateful flags', () => {
    expect(regexError('(unclosed')).toMatch(/Invalid regular expression/);
    expect(regexError('ok', 'g')).toMatch(/flags/);
    expect(regexError('ok', 'ii')).toMatch(/flags/);
    expect(regexError('ok', 'iu')).toBeNull();
  });
});
