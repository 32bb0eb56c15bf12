/**
 * Automated conversations: a campaign's `automations` (an ordered list of `when → then` rules,
 * evaluated on each inbound message that is not a compliance keyword, or on a no-reply timer) and
 * its `followUps` (a drip to leads who have not replied).
 *
 * Glossary:
 * - rule: `{ id, name, enabled, when, then }`; `id` is a UUID kept across edits.
 * - condition (`when`): what makes a rule fire — the message text (EXACT, ANY_WORD, PHRASE,
 *   REGEX, NUMBER_RANGE), the lead's first reply (FIRST_REPLY), or silence (NO_REPLY, a timer).
 * - action (`then`): REPLY (templated SMS), SET_DISPOSITION, TAG, HANDOFF (to agents: marks the
 *   conversation "needs reply" and stops automations for it), STOP (no further rules).
 * - firing: one rule (or follow-up step) acting once on one lead for one cause; never twice.
 * - follow-up: the n-th drip message, sent `delayHours` after the broadcast (or the previous
 *   follow-up) to a lead who has not replied, opted out or been given a disposition.
 */
import { Type, type Static } from 'typebox';

export const ConditionTypeSchema = Type.Union(
  ['EXACT', 'ANY_WORD', 'PHRASE', 'REGEX', 'NUMBER_RANGE', 'FIRST_REPLY', 'NO_REPLY'].map((t) => Type.Literal(t)),
);
export type ConditionType = 'EXACT' | 'ANY_WORD' | 'PHRASE' | 'REGEX' | 'NUMBER_RANGE' | 'FIRST_REPLY' | 'NO_REPLY';

export const ActionTypeSchema = Type.Union(['REPLY', 'SET_DISPOSITION', 'TAG', 'HANDOFF', 'STOP'].map((t) => Type.Literal(t)));
export type ActionType = 'REPLY' | 'SET_DISPOSITION' | 'TAG' | 'HANDOFF' | 'STOP';

/** One object shape for every condition type; which fields a type needs is checked in `validate.ts`. */
export const ConditionSchema = Type.Object(
  {
    type: ConditionTypeSchema,
    words: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1, maxItems: 100 })),
    phrase: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    pattern: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    flags: Type.Optional(Type.String({ maxLength: 4 })),
    min: Type.Optional(Type.Number()),
    max: Type.Optional(Type.Number()),
    hours: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 24 * 90 })),
  },
  {
    additionalProperties: false,
    description:
      'EXACT: the whole message (trimmed, any case, trailing punctuation ignored) is one of `words`. ANY_WORD: the message contains one of `words` as a whole word. ' +
      'PHRASE: the message contains `phrase` (words in order, any case). REGEX: `pattern` (JavaScript syntax, `flags` of `imsu`) matches, within a 100 ms time limit. ' +
      'NUMBER_RANGE: the first number in the message is within `min`..`max` (inclusive; either may be omitted). FIRST_REPLY: the lead\'s first reply. ' +
      'NO_REPLY: `hours` passed since the last message to the lead without an answer (a timer).',
  },
);

export const ActionSchema = Type.Object(
  {
    type: ActionTypeSchema,
    message: Type.Optional(Type.String({ minLength: 1, maxLength: 1600 })),
    disposition: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    tag: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
  },
  {
    additionalProperties: false,
    description:
      'REPLY: text `message` ({{Token}}s from lead data), within the campaign schedule and quiet hours. SET_DISPOSITION: `disposition`, one of the campaign\'s (fires `Disposition`). ' +
      'TAG: add `tag` to the lead. HANDOFF: the conversation needs an agent; automations stop for it. STOP: no further rules for this message.',
  },
);

export const AutomationRuleSchema = Type.Object(
  {
    id: Type.Optional(Type.String({ format: 'uuid' })),
    name: Type.Optional(Type.String({ maxLength: 200 })),
    enabled: Type.Optional(Type.Boolean()),
    when: ConditionSchema,
    then: Type.Array(ActionSchema, { minItems: 1, maxItems: 10 }),
  },
  { additionalProperties: false },
);
export type AutomationRuleInput = Static<typeof AutomationRuleSchema>;

export const FollowUpSchema = Type.Object(
  {
    delayHours: Type.Number({ exclusiveMinimum: 0, maximum: 24 * 90, description: 'Hours after the broadcast (first follow-up) or the previous follow-up.' }),
    message: Type.String({ minLength: 1, maxLength: 1600, description: 'The text; {{Token}}s from lead data.' }),
  },
  { additionalProperties: false },
);
export type FollowUpInput = Static<typeof FollowUpSchema>;

export const MAX_RULES = 50;
export const MAX_FOLLOW_UPS = 5;
export const AutomationsSchema = Type.Array(AutomationRuleSchema, { maxItems: MAX_RULES, description: 'Ordered `when → then` rules; see docs/automations.md.' });
export const FollowUpsSchema = Type.Array(FollowUpSchema, { maxItems: MAX_FOLLOW_UPS, description: 'Follow-up drip to leads who have not replied; see docs/automations.md.' });

/** A condition as stored (normalised). */
export interface Condition {
  type: ConditionType;
  words?: string[];
  phrase?: string;
  pattern?: string;
  flags?: string;
  min?: number;
  max?: number;
  hours?: number;
}
export interface Action {
  type: ActionType;
  message?: string;
  disposition?: string;
  tag?: string;
}
export interface AutomationRule {
  id: string;
  name: string;
  enabled: boolean;
  when: Condition;
  then: Action[];
}
export interface FollowUp {
  delayHours: number;
  message: string;
}
