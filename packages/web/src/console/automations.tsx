/**
 * The campaign editor's **Automations** and **Follow-ups** sections (server side:
 * packages/server/src/automations, docs/automations.md): the ordered `when → then` rules —
 * reorder, add, remove; each condition kind with its fields; actions with the token picker —
 * the follow-up drip, and a **Try it** panel that runs the rules as drafted here against a
 * sample message and the preview's sample lead (`POST …/automations/test`; nothing is sent).
 *
 * The editor keeps drafts as typed (words as one comma-separated string, numbers as strings) and
 * turns them into the API's shape on save; the server validates, and its 400 names the field
 * (`automations[1].when.pattern`), which is shown next to that input. Everything a rule or a
 * message holds is rendered as text.
 */
import { useState, type KeyboardEvent, type ReactNode } from 'react';
import { ApiError, errorText, post } from './api.ts';
import { when as formatWhen } from './format.tsx';
import { MessageField } from './pages/MessageField.tsx';
import './automations.css';

export type ConditionType = 'EXACT' | 'ANY_WORD' | 'PHRASE' | 'REGEX' | 'NUMBER_RANGE' | 'FIRST_REPLY' | 'NO_REPLY';
export type ActionType = 'REPLY' | 'SET_DISPOSITION' | 'TAG' | 'HANDOFF' | 'STOP';

/** A rule and a follow-up as the API stores them. */
export interface Rule {
  id?: string;
  name?: string;
  enabled?: boolean;
  when: { type: ConditionType; words?: string[]; phrase?: string; pattern?: string; flags?: string; min?: number; max?: number; hours?: number };
  then: { type: ActionType; message?: string; disposition?: string; tag?: string }[];
}
export interface FollowUp { delayHours: number; message: string }
export interface AutomationFields { automations?: Rule[]; followUps?: FollowUp[] }

interface WhenDraft { type: ConditionType; words: string; phrase: string; pattern: string; flags: string; min: string; max: string; hours: string }
interface ActionDraft { key: number; type: ActionType; message: string; disposition: string; tag: string }
export interface RuleDraft { key: number; id?: string; name: string; enabled: boolean; when: WhenDraft; then: ActionDraft[] }
export interface FollowUpDraft { key: number; delayHours: string; message: string }
/** The API error a save or a try answered, for showing next to the input it names. */
export interface FieldError { field: string; message: string }

export const MAX_FOLLOW_UPS = 5;
const MAX_RULES = 50;
const MAX_ACTIONS = 10;

const CONDITIONS: { type: ConditionType; label: string; hint: string }[] = [
  { type: 'EXACT', label: 'The message is exactly one of these words', hint: 'Any case; punctuation and extra spaces ignored ("Yes!" is yes).' },
  { type: 'ANY_WORD', label: 'The message contains one of these words', hint: 'As whole words or phrases ("wrong number" matches "Wrong number, sorry").' },
  { type: 'PHRASE', label: 'The message contains a phrase', hint: "The phrase's words, in order, any case." },
  { type: 'REGEX', label: 'The message matches a regular expression', hint: 'JavaScript syntax; each match may take at most 100 ms.' },
  { type: 'NUMBER_RANGE', label: 'The first number in the message is in a range', hint: 'Inclusive; leave one end empty for "at least" or "at most".' },
  { type: 'FIRST_REPLY', label: "It is the lead's first reply", hint: 'Any message that starts the conversation.' },
  { type: 'NO_REPLY', label: 'No reply within some hours', hint: 'A timer: that long after our last message, the lead has not answered.' },
];
const ACTIONS: { type: ActionType; label: string }[] = [
  { type: 'REPLY', label: 'Send a reply' },
  { type: 'SET_DISPOSITION', label: 'Set a disposition' },
  { type: 'TAG', label: 'Tag the lead' },
  { type: 'HANDOFF', label: 'Hand off to agents' },
  { type: 'STOP', label: 'Stop (no further rules)' },
];
const FLAGS: { flag: string; label: string }[] = [
  { flag: 'i', label: 'ignore case' },
  { flag: 'm', label: 'multi-line' },
  { flag: 's', label: 'dot matches newline' },
  { flag: 'u', label: 'unicode' },
];

let nextKey = 1;
const newKey = () => nextKey++;
const str = (n: number | undefined) => (n === undefined || n === null ? '' : String(n));

function emptyWhen(type: ConditionType = 'EXACT'): WhenDraft {
  return { type, words: '', phrase: '', pattern: '', flags: 'i', min: '', max: '', hours: '' };
}
const emptyAction = (type: ActionType = 'REPLY'): ActionDraft => ({ key: newKey(), type, message: '', disposition: '', tag: '' });

export function rulesDraftOf(rules: Rule[] | undefined): RuleDraft[] {
  return (rules ?? []).map((r) => ({
    key: newKey(),
    ...(r.id ? { id: r.id } : {}),
    name: r.name ?? '',
    enabled: r.enabled ?? true,
    when: {
      ...emptyWhen(r.when.type),
      words: (r.when.words ?? []).join(', '),
      phrase: r.when.phrase ?? '',
      pattern: r.when.pattern ?? '',
      flags: r.when.flags ?? 'i',
      min: str(r.when.min),
      max: str(r.when.max),
      hours: str(r.when.hours),
    },
    then: r.then.map((a) => ({ ...emptyAction(a.type), message: a.message ?? '', disposition: a.disposition ?? '', tag: a.tag ?? '' })),
  }));
}

export function followUpsDraftOf(followUps: FollowUp[] | undefined): FollowUpDraft[] {
  return (followUps ?? []).map((f) => ({ key: newKey(), delayHours: String(f.delayHours), message: f.message }));
}

/** A number field as typed: empty is "not given"; anything else goes as a number (the server checks it). */
const num = (s: string): number | undefined => (s.trim() === '' ? undefined : Number(s));
const given = <T,>(key: string, v: T | undefined | ''): Record<string, T> => (v === undefined || v === '' ? {} : { [key]: v as T });

/** The drafts in the API's shape. Missing pieces are left out, so the server's 400 names them. */
export function rulesToApi(drafts: RuleDraft[]): Rule[] {
  return drafts.map((r) => {
    const w = r.when;
    let when: Rule['when'];
    switch (w.type) {
      case 'EXACT':
      case 'ANY_WORD': {
        const words = w.words.split(',').map((x) => x.trim()).filter(Boolean);
        when = { type: w.type, ...(words.length ? { words } : {}) };
        break;
      }
      case 'PHRASE':
        when = { type: w.type, ...given('phrase', w.phrase.trim()) };
        break;
      case 'REGEX':
        when = { type: w.type, ...given('pattern', w.pattern), flags: w.flags };
        break;
      case 'NUMBER_RANGE':
        when = { type: w.type, ...given('min', num(w.min)), ...given('max', num(w.max)) };
        break;
      case 'NO_REPLY':
        when = { type: w.type, ...given('hours', num(w.hours)) };
        break;
      default:
        when = { type: w.type };
    }
    const then = r.then.map((a) => {
      if (a.type === 'REPLY') return { type: a.type, ...given('message', a.message) };
      if (a.type === 'SET_DISPOSITION') return { type: a.type, ...given('disposition', a.disposition) };
      if (a.type === 'TAG') return { type: a.type, ...given('tag', a.tag.trim()) };
      return { type: a.type };
    });
    return { ...(r.id ? { id: r.id } : {}), ...given('name', r.name.trim()), enabled: r.enabled, when, then };
  });
}

export function followUpsToApi(drafts: FollowUpDraft[]): FollowUp[] {
  // A blank delay goes as NaN → null, which the server refuses naming `followUps[i].delayHours`.
  return drafts.map((f) => ({ delayHours: num(f.delayHours) ?? Number.NaN, message: f.message }));
}

/**
 * The error's message when it names `path`, or an item of it (`words[2]`) unless `exact`: lists
 * of things with their own inputs (rules, actions) take only errors about the list itself.
 */
function errorAt(err: FieldError | null, path: string, exact = false): string | undefined {
  if (!err) return undefined;
  return err.field === path || (!exact && err.field.startsWith(`${path}[`)) ? err.message : undefined;
}

function FieldMessage({ err, path, exact }: { err: FieldError | null; path: string; exact?: boolean }) {
  const message = errorAt(err, path, exact);
  if (!message) return null;
  return <p className="field-error small" id={errorId(path)} data-error-for={path}>{message}</p>;
}
const errorId = (path: string) => `err-${path.replace(/[^a-zA-Z0-9]+/g, '-')}`;
/** aria-invalid / aria-describedby for an input whose path the error names. */
const invalid = (err: FieldError | null, path: string) =>
  errorAt(err, path) ? { 'aria-invalid': true as const, 'aria-describedby': errorId(path) } : {};

export function fieldErrorOf(err: unknown): FieldError | null {
  return err instanceof ApiError && err.field ? { field: err.field, message: err.message } : null;
}

interface Props {
  campaignId: string | null;
  rules: RuleDraft[];
  followUps: FollowUpDraft[];
  /** The campaign's disposition names as currently drafted. */
  dispositions: string[];
  tokens: string[];
  sample: Record<string, unknown>;
  /** True while the campaign is ACTIVE or COMPLETED: the server refuses changes then. */
  locked: boolean;
  active: boolean;
  fieldError: FieldError | null;
  onRules: (update: (rules: RuleDraft[]) => RuleDraft[]) => void;
  onFollowUps: (update: (followUps: FollowUpDraft[]) => FollowUpDraft[]) => void;
}

export function AutomationsSection(props: Props) {
  const { rules, locked, fieldError: fe } = props;
  const setRule = (i: number, fn: (r: RuleDraft) => RuleDraft) => props.onRules((rs) => rs.map((r, j) => (j === i ? fn(r) : r)));
  const move = (i: number, by: number) =>
    props.onRules((rs) => {
      const to = i + by;
      if (to < 0 || to >= rs.length) return rs;
      const next = [...rs];
      [next[i], next[to]] = [next[to]!, next[i]!];
      return next;
    });

  return (
    <>
      <fieldset className="card automations" aria-describedby="automations-help">
        <legend>Automations</legend>
        <p className="muted small" id="automations-help">
          Rules tried in order on every reply that is not STOP or HELP; every rule that matches fires, until one that stops or hands off.
          Replies go out within the schedule and quiet hours. See docs/automations.md.
        </p>
        {props.active && <p className="note">Rules and follow-ups are frozen while the campaign is active. Pause it to edit them.</p>}
        <FieldMessage err={fe} path="automations" exact />
        {rules.length === 0 && <p className="muted">No rules yet.</p>}
        <ol className="rules">
          {rules.map((r, i) => (
            <RuleCard
              key={r.key} rule={r} index={i} count={rules.length} {...props}
              change={(fn) => setRule(i, fn)} move={(by) => move(i, by)}
              remove={() => props.onRules((rs) => rs.filter((_, j) => j !== i))}
            />
          ))}
        </ol>
        <div>
          <button type="button" disabled={locked || rules.length >= MAX_RULES}
            onClick={() => props.onRules((rs) => [...rs, { key: newKey(), name: '', enabled: true, when: emptyWhen(), then: [emptyAction()] }])}>
            Add rule
          </button>
        </div>
        <TryIt {...props} />
      </fieldset>

      <fieldset className="card follow-ups" aria-describedby="follow-ups-help">
        <legend>Follow-ups</legend>
        <p className="muted small" id="follow-ups-help">
          Up to {MAX_FOLLOW_UPS} messages to leads who have not replied: the first one its delay after the broadcast, each next one its delay
          after the previous. Any message from the lead, an opt-out, a disposition or a hand-off ends them.
        </p>
        <FieldMessage err={fe} path="followUps" exact />
        {props.followUps.length === 0 && <p className="muted">No follow-ups.</p>}
        {props.followUps.map((f, i) => {
          const at = `followUps[${i}]`;
          const change = (p: Partial<FollowUpDraft>) => props.onFollowUps((fs) => fs.map((x, j) => (j === i ? { ...x, ...p } : x)));
          return (
            <div className="follow-up" key={f.key}>
              <div className="row">
                <label>
                  Follow-up {i + 1} delay (hours)
                  <input type="number" min={0} step="any" className="hours" value={f.delayHours} disabled={locked} {...invalid(fe, `${at}.delayHours`)}
                    onChange={(e) => change({ delayHours: e.currentTarget.value })} />
                </label>
                <span className="muted small">{i === 0 ? 'after the broadcast' : `after follow-up ${i}`}</span>
                <span className="spacer" />
                <button type="button" className="link" disabled={locked} onClick={() => props.onFollowUps((fs) => fs.filter((_, j) => j !== i))}>
                  Remove<span className="sr-only"> follow-up {i + 1}</span>
                </button>
              </div>
              <FieldMessage err={fe} path={`${at}.delayHours`} />
              <MessageField id={`follow-up-${f.key}`} label={`Follow-up ${i + 1} message`} value={f.message} tokens={props.tokens} sample={props.sample}
                disabled={locked} onChange={(v) => change({ message: v })} />
              <FieldMessage err={fe} path={`${at}.message`} />
            </div>
          );
        })}
        <div>
          <button type="button" disabled={locked || props.followUps.length >= MAX_FOLLOW_UPS}
            onClick={() => props.onFollowUps((fs) => [...fs, { key: newKey(), delayHours: '24', message: '' }])}>
            Add follow-up
          </button>
        </div>
      </fieldset>
    </>
  );
}

function RuleCard(props: Props & { rule: RuleDraft; index: number; count: number; change: (fn: (r: RuleDraft) => RuleDraft) => void; move: (by: number) => void; remove: () => void }) {
  const { rule: r, index: i, locked, fieldError: fe } = props;
  const n = i + 1;
  const at = `automations[${i}]`;
  const w = r.when;
  const setWhen = (p: Partial<WhenDraft>) => props.change((x) => ({ ...x, when: { ...x.when, ...p } }));
  const setAction = (j: number, p: Partial<ActionDraft>) => props.change((x) => ({ ...x, then: x.then.map((a, k) => (k === j ? { ...a, ...p } : a)) }));
  const kind = CONDITIONS.find((c) => c.type === w.type);

  return (
    <li className="rule" aria-label={`Rule ${n}`} data-rule-index={i}>
      <div className="rule-head">
        <strong className="rule-number">Rule {n}</strong>
        <input aria-label={`Rule ${n} name`} placeholder="Name (optional)" maxLength={200} value={r.name} disabled={locked} {...invalid(fe, `${at}.name`)}
          onChange={(e) => { const v = e.currentTarget.value; props.change((x) => ({ ...x, name: v })); }} />
        <label className="check">
          <input type="checkbox" checked={r.enabled} disabled={locked} onChange={(e) => { const v = e.currentTarget.checked; props.change((x) => ({ ...x, enabled: v })); }} />
          Enabled<span className="sr-only"> rule {n}</span>
        </label>
        <span className="spacer" />
        <button type="button" className="icon" aria-label={`Move rule ${n} up`} title="Move up" disabled={locked || i === 0} onClick={() => props.move(-1)}>↑</button>
        <button type="button" className="icon" aria-label={`Move rule ${n} down`} title="Move down" disabled={locked || i === props.count - 1} onClick={() => props.move(1)}>↓</button>
        <button type="button" className="link" disabled={locked} onClick={props.remove}>Remove<span className="sr-only"> rule {n}</span></button>
      </div>
      <FieldMessage err={fe} path={at} exact />
      <FieldMessage err={fe} path={`${at}.id`} />
      <FieldMessage err={fe} path={`${at}.name`} />

      <div className="rule-when">
        <label>
          When
          <select aria-label={`Rule ${n} when`} value={w.type} disabled={locked} {...invalid(fe, `${at}.when.type`)}
            onChange={(e) => setWhen({ type: e.currentTarget.value as ConditionType })}>
            {CONDITIONS.map((c) => <option key={c.type} value={c.type}>{c.label}</option>)}
          </select>
        </label>
        {kind && <p className="muted small">{kind.hint}</p>}
        <FieldMessage err={fe} path={`${at}.when`} exact />
        <FieldMessage err={fe} path={`${at}.when.type`} />
        {(w.type === 'EXACT' || w.type === 'ANY_WORD') && (
          <Field err={fe} path={`${at}.when.words`}>
            <label>
              <span>Rule {n} words <span className="muted small">(separate with commas)</span></span>
              <input value={w.words} disabled={locked} placeholder="yes, y, yeah" {...invalid(fe, `${at}.when.words`)} onChange={(e) => setWhen({ words: e.currentTarget.value })} />
            </label>
          </Field>
        )}
        {w.type === 'PHRASE' && (
          <Field err={fe} path={`${at}.when.phrase`}>
            <label>
              Rule {n} phrase
              <input value={w.phrase} maxLength={200} disabled={locked} placeholder="call me back" {...invalid(fe, `${at}.when.phrase`)} onChange={(e) => setWhen({ phrase: e.currentTarget.value })} />
            </label>
          </Field>
        )}
        {w.type === 'REGEX' && (
          <>
            <Field err={fe} path={`${at}.when.pattern`}>
              <label>
                Rule {n} pattern
                <input className="mono" value={w.pattern} maxLength={500} disabled={locked} placeholder="\b\d{1,2}\s*(am|pm)\b" spellCheck={false}
                  {...invalid(fe, `${at}.when.pattern`)} onChange={(e) => setWhen({ pattern: e.currentTarget.value })} />
              </label>
            </Field>
            <div className="row flags" role="group" aria-label={`Rule ${n} flags`} {...invalid(fe, `${at}.when.flags`)}>
              {FLAGS.map((f) => (
                <label className="check" key={f.flag}>
                  <input type="checkbox" checked={w.flags.includes(f.flag)} disabled={locked}
                    onChange={(e) => { const on = e.currentTarget.checked; setWhen({ flags: FLAGS.map((x) => x.flag).filter((x) => (x === f.flag ? on : w.flags.includes(x))).join('') }); }} />
                  <code>{f.flag}</code> {f.label}
                </label>
              ))}
            </div>
            <FieldMessage err={fe} path={`${at}.when.flags`} />
          </>
        )}
        {w.type === 'NUMBER_RANGE' && (
          <div className="row">
            <Field err={fe} path={`${at}.when.min`}>
              <label>
                Rule {n} at least
                <input type="number" step="any" className="hours" value={w.min} disabled={locked} {...invalid(fe, `${at}.when.min`)} onChange={(e) => setWhen({ min: e.currentTarget.value })} />
              </label>
            </Field>
            <Field err={fe} path={`${at}.when.max`}>
              <label>
                Rule {n} at most
                <input type="number" step="any" className="hours" value={w.max} disabled={locked} {...invalid(fe, `${at}.when.max`)} onChange={(e) => setWhen({ max: e.currentTarget.value })} />
              </label>
            </Field>
          </div>
        )}
        {w.type === 'NO_REPLY' && (
          <Field err={fe} path={`${at}.when.hours`}>
            <label>
              Rule {n} hours without a reply
              <input type="number" min={0} step="any" className="hours" value={w.hours} disabled={locked} {...invalid(fe, `${at}.when.hours`)} onChange={(e) => setWhen({ hours: e.currentTarget.value })} />
            </label>
          </Field>
        )}
      </div>

      <div className="rule-then">
        <span className="then-label">Then</span>
        <FieldMessage err={fe} path={`${at}.then`} exact />
        <ol className="actions-list">
          {r.then.map((a, j) => {
            const ap = `${at}.then[${j}]`;
            const label = `Rule ${n} action ${j + 1}`;
            return (
              <li key={a.key} className="action">
                <div className="row">
                  <select aria-label={label} value={a.type} disabled={locked} {...invalid(fe, `${ap}.type`)} onChange={(e) => setAction(j, { type: e.currentTarget.value as ActionType })}>
                    {ACTIONS.map((x) => <option key={x.type} value={x.type}>{x.label}</option>)}
                  </select>
                  {a.type === 'SET_DISPOSITION' && (
                    <select aria-label={`${label} disposition`} value={a.disposition} disabled={locked} {...invalid(fe, `${ap}.disposition`)} onChange={(e) => setAction(j, { disposition: e.currentTarget.value })}>
                      <option value="">Choose a disposition…</option>
                      {a.disposition && !props.dispositions.includes(a.disposition) && <option value={a.disposition}>{a.disposition} (not a disposition of this campaign)</option>}
                      {props.dispositions.map((d) => <option key={d} value={d}>{d}</option>)}
                    </select>
                  )}
                  {a.type === 'TAG' && (
                    <input aria-label={`${label} tag`} placeholder="tag" maxLength={50} value={a.tag} disabled={locked} {...invalid(fe, `${ap}.tag`)} onChange={(e) => setAction(j, { tag: e.currentTarget.value })} />
                  )}
                  <span className="spacer" />
                  <button type="button" className="link" disabled={locked || r.then.length <= 1} onClick={() => props.change((x) => ({ ...x, then: x.then.filter((_, k) => k !== j) }))}>
                    Remove<span className="sr-only"> {label.toLowerCase()}</span>
                  </button>
                </div>
                {a.type === 'REPLY' && (
                  <MessageField id={`rule-${r.key}-action-${a.key}`} label={`${label} reply`} value={a.message} tokens={props.tokens} sample={props.sample}
                    disabled={locked} onChange={(v) => setAction(j, { message: v })} />
                )}
                <FieldMessage err={fe} path={`${ap}.type`} />
                <FieldMessage err={fe} path={`${ap}.message`} />
                <FieldMessage err={fe} path={`${ap}.disposition`} />
                <FieldMessage err={fe} path={`${ap}.tag`} />
              </li>
            );
          })}
        </ol>
        <div>
          <button type="button" className="link" disabled={locked || r.then.length >= MAX_ACTIONS} onClick={() => props.change((x) => ({ ...x, then: [...x.then, emptyAction('STOP')] }))}>
            Add action<span className="sr-only"> to rule {n}</span>
          </button>
        </div>
      </div>
    </li>
  );
}

/** An input with its error message below it. */
function Field({ err, path, children }: { err: FieldError | null; path: string; children: ReactNode }) {
  return (
    <div className="field">
      {children}
      <FieldMessage err={err} path={path} />
    </div>
  );
}

interface TryResult {
  keyword: string | null;
  note: string | null;
  fires: { ruleId: string; name: string; index: number; actions: { type: string; message?: string; sendAt?: string | null; disposition?: string; doNotContact?: boolean; tag?: string; skipped?: string }[] }[];
  timedOut: string[];
}

/** Lead data the test endpoint accepts: flat values, bounded sizes. */
function sampleLeadData(sample: Record<string, unknown>): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  for (const [k, v] of Object.entries(sample)) {
    if (k.length > 200) continue;
    if (v === null || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
    else if (typeof v === 'string') out[k] = v.slice(0, 1000);
  }
  return out;
}

function TryIt(props: Props) {
  const [message, setMessage] = useState('');
  const [firstReply, setFirstReply] = useState(true);
  const [result, setResult] = useState<TryResult | null>(null);
  const [tried, setTried] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const run = async () => {
    if (!props.campaignId || busy) return;
    setBusy(true);
    setError('');
    try {
      // A locked campaign's rules are the saved ones; otherwise try the draft as it is on screen.
      const body = { message, firstReply, lead: { leadData: sampleLeadData(props.sample) }, ...(props.locked ? {} : { automations: rulesToApi(props.rules) }) };
      const r = await post<TryResult>(`/api/public/engage/campaigns/${props.campaignId}/automations/test`, body);
      setResult(r);
      setTried(message);
    } catch (err) {
      setResult(null);
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const onKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key !== 'Enter') return;
    e.preventDefault(); // not the editor form's submit (save)
    void run();
  };

  return (
    <section className="try-it" aria-labelledby="try-it-title">
      <h3 id="try-it-title">Try it</h3>
      {!props.campaignId ? (
        <p className="muted small">Create the campaign to try its rules.</p>
      ) : (
        <>
          <p className="muted small">
            Which rules fire for a message from the sample lead, and what they would do — with the rules as shown here, saved or not. Nothing is sent or stored.
          </p>
          <div className="row">
            <label className="grow">
              Sample message
              <input value={message} maxLength={1600} placeholder="Yes!" onChange={(e) => setMessage(e.currentTarget.value)} onKeyDown={onKey} />
            </label>
            <label className="check">
              <input type="checkbox" checked={firstReply} onChange={(e) => setFirstReply(e.currentTarget.checked)} />
              First reply of the conversation
            </label>
            <button type="button" disabled={busy} onClick={() => void run()}>Try</button>
          </div>
          {error && <p className="error" role="alert">{error}</p>}
          <div className="try-result" role="status" aria-live="polite">
            {result && (
              <>
                <p className="small muted">For “{tried}”:</p>
                {result.note && <p className="small muted">{result.note}</p>}
                {result.fires.length === 0 && <p className="no-fire">No rule fires.</p>}
                {result.fires.length > 0 && (
                  <ol className="fires">
                    {result.fires.map((f) => (
                      <li key={`${f.index}-${f.ruleId}`} data-fired-index={f.index}>
                        <strong>Rule {f.index + 1}: {f.name}</strong> fires
                        <ul>{f.actions.map((a, k) => <li key={k}><Outcome action={a} /></li>)}</ul>
                      </li>
                    ))}
                  </ol>
                )}
                {result.timedOut.length > 0 && (
                  <p className="warn small">{result.timedOut.length} {result.timedOut.length === 1 ? 'rule' : 'rules'} took over 100 ms to match and count as no match.</p>
                )}
              </>
            )}
          </div>
        </>
      )}
    </section>
  );
}

function Outcome({ action: a }: { action: TryResult['fires'][number]['actions'][number] }) {
  const skipped = a.skipped ? <span className="warn"> (skipped: {a.skipped})</span> : null;
  switch (a.type) {
    case 'REPLY': {
      const at = a.sendAt ? (new Date(a.sendAt).getTime() <= Date.now() + 60_000 ? 'now' : formatWhen(a.sendAt)) : 'never: the schedule has no sending hours';
      return (
        <span className="outcome-reply">
          <span>Replies <span className="muted small">(goes out {at})</span>{skipped}</span>
          <span className="bubble out">{a.message}</span>
        </span>
      );
    }
    case 'SET_DISPOSITION':
      return <span>Sets the disposition <strong>{a.disposition}</strong>{a.doNotContact ? ' — do not contact: no further texts' : ''}{skipped}</span>;
    case 'TAG':
      return <span>Tags the lead <span className="tag">{a.tag}</span>{skipped}</span>;
    case 'HANDOFF':
      return <span>Hands the conversation to agents (needs reply; no more automations){skipped}</span>;
    case 'STOP':
      return <span>Stops: no further rules{skipped}</span>;
    default:
      return <span>{a.type}{skipped}</span>;
  }
}
