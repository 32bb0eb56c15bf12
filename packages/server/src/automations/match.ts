/**
 * Whether a rule's condition holds for an inbound message. Text conditions compare words, not
 * characters: any case, punctuation ignored, so "YES!" is the word "yes" and "Wrong #" contains
 * the word "wrong".
 */
import { safeRegexTest, type SafeMatch } from './safe-regex.ts';
import type { Condition } from './schema.ts';

export interface InboundFacts {
  /** The message text as received. */
  text: string;
  /** This message starts the conversation (the lead's first reply that is not a keyword). */
  firstReply: boolean;
}

/** The words of a text, lower-cased: letters and digits, with inner apostrophes ("don't"). */
export function wordsOf(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu) ?? []).map((w) => w.replace(/’/g, "'"));
}

/** Whether `needle` occurs in `haystack` as consecutive words. */
function containsWords(haystack: string[], needle: string[]): boolean {
  if (needle.length === 0) return false;
  outer: for (let i = 0; i + needle.length <= haystack.length; i += 1) {
    for (let j = 0; j < needle.length; j += 1) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** The first number written in the text ("8", "7.5", "-2"), or null. */
export function firstNumber(text: string): number | null {
  const m = /-?\d+(?:[.,]\d+)?/.exec(text);
  return m ? Number(m[0].replace(',', '.')) : null;
}

export type MatchResult = SafeMatch;

/** Whether `when` holds for this message. NO_REPLY is a timer: it never matches a message. */
export function conditionMatches(when: Condition, facts: InboundFacts): MatchResult {
  const words = wordsOf(facts.text);
  switch (when.type) {
    case 'EXACT': {
      const whole = words.join(' ');
      return whole !== '' && (when.words ?? []).some((w) => wordsOf(w).join(' ') === whole);
    }
    case 'ANY_WORD':
      return (when.words ?? []).some((w) => containsWords(words, wordsOf(w)));
    case 'PHRASE':
      return containsWords(words, wordsOf(when.phrase ?? ''));
    case 'REGEX':
      return safeRegexTest(when.pattern ?? '', when.flags ?? '', facts.text);
    case 'NUMBER_RANGE': {
      const n = firstNumber(facts.text);
      if (n === null) return false;
      return (when.min === undefined || n >= when.min) && (when.max === undefined || n <= when.max);
    }
    case 'FIRST_REPLY':
      return facts.firstReply;
    case 'NO_REPLY':
      return false;
  }
}
