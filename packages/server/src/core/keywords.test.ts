import { describe, expect, it } from 'vitest';
import { classifyKeyword, HELP_KEYWORDS, OPT_IN_KEYWORDS, OPT_OUT_KEYWORDS } from './keywords.ts';

describe('keyword lists', () => {
  it('are exactly the spec lists', () => {
    expect(OPT_OUT_KEYWORDS).toEqual(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT']);
    expect(OPT_IN_KEYWORDS).toEqual(['START', 'YES', 'UNSTOP']);
    expect(HELP_KEYWORDS).toEqual(['HELP', 'INFO']);
  });

  it.each([
    ...OPT_OUT_KEYWORDS.map((word) => [word, 'OPT_OUT'] as const),
    ...OPT_IN_KEYWORDS.map((word) => [word, 'OPT_IN'] as const),
    ...HELP_KEYWORDS.map((word) => [word, 'HELP'] as const),
  ])('%s in upper, lower and title case → %s', (word, kind) => {
    const title = word[0] + word.slice(1).toLowerCase();
    for (const variant of [word, word.toLowerCase(), title, ` ${word}\n`]) {
      expect(classifyKeyword(variant)).toBe(kind);
    }
  });
});

describe('classifyKeyword', () => {
  it.each([
    ['STOP', 'OPT_OUT'],
    ['stop', 'OPT_OUT'],
    ['sToP', 'OPT_OUT'],
    ['  Stop  ', 'OPT_OUT'],
    ['\tSTOP\r\n', 'OPT_OUT'],
    ['\u00a0STOP\u00a0', 'OPT_OUT'], // non-breaking spaces
    ['STOP.', 'OPT_OUT'],
    ['Stop!', 'OPT_OUT'],
    ['STOP!!!', 'OPT_OUT'],
    ['stop?', 'OPT_OUT'],
    ['Stop…', 'OPT_OUT'],
    ['Stop. ', 'OPT_OUT'],
    ['Stop !', 'OPT_OUT'],
    ['opt out', 'OPT_OUT'],
    ['Opt-Out', 'OPT_OUT'],
    ['OPT_OUT', 'OPT_OUT'],
    ['stop all', 'OPT_OUT'],
    ['Unsubscribe.', 'OPT_OUT'],
    ['cancel', 'OPT_OUT'],
    ['End', 'OPT_OUT'],
    ['quit!', 'OPT_OUT'],
    ['revoke', 'OPT_OUT'],
    ['Yes', 'OPT_IN'],
    ['yes!', 'OPT_IN'],
    ['Start', 'OPT_IN'],
    ['unstop', 'OPT_IN'],
    ['un-stop', 'OPT_IN'],
    ['help', 'HELP'],
    ['Help?', 'HELP'],
    ['INFO', 'HELP'],
    ['info.', 'HELP'],
  ] as const)('%j → %s', (text, kind) => {
    expect(classifyKeyword(text)).toBe(kind);
  });

  it.each([
    '',
    '   ',
    'stop it please',
    'please stop',
    'STOP STOP',
    "don't stop",
    'stop it',
    'yes please',
    'yes, I am interested',
    'Yes I am',
    'help me',
    'I need help',
    'the end',
    'STOPP',
    'STO',
    'ST OP P',
    'o p t o u t',
    'opt  out', // two spaces: a sentence-like gap, not a spelling of OPTOUT
    'opt--out',
    '.STOP', // leading punctuation is not something phones add
    '"STOP"',
    'STOP 🛑',
    'STOP1',
    '1',
    'Y',
    'ok',
    'stahp',
    'arrêt',
  ])('%j → null', (text) => {
    expect(classifyKeyword(text)).toBeNull();
  });
});
