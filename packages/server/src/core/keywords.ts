/**
 * Compliance keywords in inbound messages (SPEC §1.3).
 *
 * A keyword is the whole message, trimmed and case-insensitive — "stop it please" or
 * "don't stop" are conversation, not an opt-out. Two tolerances mirror what carriers and
 * phones actually deliver: trailing punctuation (`Stop.`, `STOP!!`, autocorrect's `Stop.`)
 * and a space or hyphen inside the word (`opt out`, `Opt-Out`, `stop all`, CTIA's own
 * spelling of OPT OUT). Both only ever turn a near-miss into a listed keyword; no word
 * outside the lists can match.
 *
 * Deciding what a keyword does (an opt-in keyword only opts in a phone that is opted
 * out) belongs to the conversation logic; this module only recognises them.
 */

/**
 * Opt-out words: CTIA's required set plus the ones US carriers' own filters act on
 * (STOPALL, REVOKE, OPTOUT). An opt-out always wins, whatever the lead's state, because
 * missing one is a TCPA exposure while an unwanted opt-out is merely a lost lead.
 */
export const OPT_OUT_KEYWORDS = [
  'STOP',
  'STOPALL',
  'UNSUBSCRIBE',
  'CANCEL',
  'END',
  'QUIT',
  'REVOKE',
  'OPTOUT',
] as const;

/**
 * Opt-in words. YES is also the most common answer to a broadcast's question, which is
 * why callers treat these as opt-ins only for a phone that is opted out.
 */
export const OPT_IN_KEYWORDS = ['START', 'YES', 'UNSTOP'] as const;

/** Help words, answered with the campaign's helpMessage (required by CTIA) and no event. */
export const HELP_KEYWORDS = ['HELP', 'INFO'] as const;

export type KeywordKind = 'OPT_OUT' | 'OPT_IN' | 'HELP';

const KIND_BY_KEYWORD: ReadonlyMap<string, KeywordKind> = new Map<string, KeywordKind>([
  ...OPT_OUT_KEYWORDS.map((word) => [word, 'OPT_OUT'] as const),
  ...OPT_IN_KEYWORDS.map((word) => [word, 'OPT_IN'] as const),
  ...HELP_KEYWORDS.map((word) => [word, 'HELP'] as const),
]);

/** Punctuation phones and people put after a one-word reply. */
const TRAILING_PUNCTUATION = /[.!?,;:…]+$/u;

/**
 * A keyword may be written as two words joined by one space, hyphen or underscore
 * (`opt out`, `Opt-Out`, `stop all`); anything more is a sentence, not a keyword.
 */
const ONE_OR_TWO_WORDS = /^(\p{L}+)(?:[ \-_](\p{L}+))?$/u;

export function classifyKeyword(text: string): KeywordKind | null {
  const trimmed = text.trim().replace(TRAILING_PUNCTUATION, '').trimEnd();
  const words = ONE_OR_TWO_WORDS.exec(trimmed);
  if (words === null) return null;
  const word = `${words[1] ?? ''}${words[2] ?? ''}`.toUpperCase();
  return KIND_BY_KEYWORD.get(word) ?? null;
}
