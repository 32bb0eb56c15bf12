/**
 * What JSON Schema cannot check about `automations` and `followUps`: the fields each condition
 * and action type needs, patterns that compile, dispositions the campaign has. Errors name the
 * field (`automations[2].when.pattern`); ids of rules that survive an edit are kept.
 */
import { randomUUID } from 'node:crypto';
import { badRequest } from '../http/errors.ts';
import { regexError } from './safe-regex.ts';
import { wordsOf } from './match.ts';
import type { Action, AutomationRule, AutomationRuleInput, Condition, FollowUp, FollowUpInput } from './schema.ts';

function condition(input: AutomationRuleInput['when'], field: string): Condition {
  const need = <K extends keyof Condition>(key: K, what: string) => {
    if (input[key] === undefined) throw badRequest(`${field}.${key}`, `${input.type} needs ${what}`);
  };
  switch (input.type) {
    case 'EXACT':
    case 'ANY_WORD': {
      need('words', 'a list of words');
      const words = input.words!.map((w) => w.trim());
      words.forEach((w, i) => {
        if (wordsOf(w).length === 0) throw badRequest(`${field}.words[${i}]`, 'must contain a letter or digit');
      });
      return { type: input.type, words };
    }
    case 'PHRASE':
      need('phrase', 'a phrase');
      if (wordsOf(input.phrase!).length === 0) throw badRequest(`${field}.phrase`, 'must contain a letter or digit');
      return { type: 'PHRASE', phrase: input.phrase!.trim() };
    case 'REGEX': {
      need('pattern', 'a pattern');
      const error = regexError(input.pattern!, input.flags ?? '');
      if (error) throw badRequest(input.flags && /flags/.test(error) ? `${field}.flags` : `${field}.pattern`, `invalid regular expression: ${error}`);
      return { type: 'REGEX', pattern: input.pattern!, flags: input.flags ?? 'i' };
    }
    case 'NUMBER_RANGE':
      if (input.min === undefined && input.max === undefined) throw badRequest(`${field}.min`, 'NUMBER_RANGE needs min, max or both');
      if (input.min !== undefined && input.max !== undefined && input.min > input.max) throw badRequest(`${field}.max`, 'must not be below min');
      return { type: 'NUMBER_RANGE', ...(input.min !== undefined ? { min: input.min } : {}), ...(input.max !== undefined ? { max: input.max } : {}) };
    case 'FIRST_REPLY':
      return { type: 'FIRST_REPLY' };
    case 'NO_REPLY':
      need('hours', 'a number of hours');
      return { type: 'NO_REPLY', hours: input.hours! };
    default:
      throw badRequest(`${field}.type`, 'unknown condition type');
  }
}

function action(input: AutomationRuleInput['then'][number], field: string, dispositions: string[]): Action {
  switch (input.type) {
    case 'REPLY':
      if (!input.message?.trim()) throw badRequest(`${field}.message`, 'REPLY needs a message');
      return { type: 'REPLY', message: input.message };
    case 'SET_DISPOSITION': {
      const name = input.disposition?.trim();
      if (!name) throw badRequest(`${field}.disposition`, 'SET_DISPOSITION needs a disposition');
      const known = dispositions.find((d) => d.toLowerCase() === name.toLowerCase());
      if (!known) throw badRequest(`${field}.disposition`, `"${name}" is not a disposition of this campaign; valid: ${dispositions.join(', ') || '(none defined)'}`);
      return { type: 'SET_DISPOSITION', disposition: known };
    }
    case 'TAG':
      if (!input.tag?.trim()) throw badRequest(`${field}.tag`, 'TAG needs a tag');
      return { type: 'TAG', tag: input.tag.trim() };
    case 'HANDOFF':
    case 'STOP':
      return { type: input.type };
    default:
      throw badRequest(`${field}.type`, 'unknown action type');
  }
}

/** Validates and normalises a rule list; `previous` supplies the ids of rules kept by name. */
export function normaliseAutomations(input: AutomationRuleInput[], previous: AutomationRule[], dispositions: string[], field = 'automations'): AutomationRule[] {
  const ids = new Set<string>();
  return input.map((r, i) => {
    const at = `${field}[${i}]`;
    const kept = r.id ? previous.find((p) => p.id === r.id) : r.name ? previous.find((p) => p.name === r.name && !ids.has(p.id)) : undefined;
    const id = kept?.id ?? r.id ?? randomUUID();
    if (ids.has(id)) throw badRequest(`${at}.id`, 'appears twice');
    ids.add(id);
    const when = condition(r.when, `${at}.when`);
    const then = r.then.map((a, j) => action(a, `${at}.then[${j}]`, dispositions));
    return { id, name: r.name?.trim() || `Rule ${i + 1}`, enabled: r.enabled ?? true, when, then };
  });
}

export function normaliseFollowUps(input: FollowUpInput[]): FollowUp[] {
  return input.map((f, i) => {
    if (!f.message.trim()) throw badRequest(`followUps[${i}].message`, 'must not be blank');
    return { delayHours: f.delayHours, message: f.message };
  });
}

/** Rules whose SET_DISPOSITION names a disposition the campaign no longer has. */
export function checkRuleDispositions(rules: AutomationRule[], dispositions: string[]): void {
  rules.forEach((r, i) =>
    r.then.forEach((a, j) => {
      if (a.type === 'SET_DISPOSITION' && !dispositions.includes(a.disposition!)) {
        throw badRequest(`automations[${i}].then[${j}].disposition`, `"${a.disposition}" is not a disposition of this campaign; valid: ${dispositions.join(', ') || '(none defined)'}`);
      }
    }),
  );
}
