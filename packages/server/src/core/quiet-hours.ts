/**
 * Quiet hours: the hours a workspace's policy allows texting a lead, whatever the campaign's own
 * schedule says. The effective window of a lead is the campaign schedule intersected with the
 * policy's window for the lead's state, evaluated in the lead's time zone.
 *
 * `US_TCPA` (the default): never before 8:00 or after 21:00 local (47 C.F.R. § 64.1200(c)(1)),
 * narrowed by the state rules below. `NONE`: the campaign schedule alone.
 *
 * The state table is a conservative summary for marketing texts, not legal advice: where a
 * statute distinguishes calls from texts or has exemptions (existing customers, consent), we
 * apply the strict reading. Sources are the statutes as cited; check them with counsel.
 */
import { ALWAYS_SCHEDULE, nextScheduleStart, WEEKDAYS, type Schedule, type TimeRange, type Weekday } from './schedule.ts';

export type QuietHoursPolicy = 'US_TCPA' | 'NONE';
export const QUIET_HOURS_POLICIES: readonly QuietHoursPolicy[] = ['US_TCPA', 'NONE'];

const h = (hours: number, minutes = 0): number => hours * 60 + minutes;

/** Allowed local ranges per weekday; a missing weekday = no texting that day. */
export type WeeklyWindow = Record<Weekday, TimeRange[]>;

function week(ranges: TimeRange[], overrides: Partial<Record<Weekday, TimeRange[]>> = {}): WeeklyWindow {
  return Object.fromEntries(WEEKDAYS.map((d) => [d, overrides[d] ?? ranges])) as WeeklyWindow;
}

/** The federal TCPA window: 8:00–21:00 local, every day. */
export const FEDERAL_WINDOW: WeeklyWindow = week([{ start: h(8), end: h(21) }]);

export interface StateRule {
  window: WeeklyWindow;
  source: string;
}

/** Stricter state rules (two-letter USPS codes). */
export const STATE_RULES: Readonly<Record<string, StateRule>> = {
  AL: { window: week([{ start: h(8), end: h(20) }], { sunday: [] }), source: 'Ala. Code § 8-19A-14 (no Sundays or state holidays; 8 a.m.–8 p.m.)' },
  CT: { window: week([{ start: h(9), end: h(20) }]), source: 'Conn. Gen. Stat. § 42-288a(c) (9 a.m.–8 p.m.)' },
  FL: { window: week([{ start: h(8), end: h(20) }]), source: 'Fla. Stat. § 501.059(8)(a) (Florida Telephone Solicitation Act: 8 a.m.–8 p.m.)' },
  LA: { window: week([{ start: h(8), end: h(20) }], { sunday: [] }), source: 'La. R.S. 45:844.31 (no Sundays or legal holidays; 8 a.m.–8 p.m.)' },
  MA: { window: week([{ start: h(8), end: h(20) }]), source: '940 CMR 38.02 and M.G.L. c. 159C § 3 (8 a.m.–8 p.m.)' },
  MD: { window: week([{ start: h(8), end: h(20) }]), source: 'Md. Code, Com. Law § 14-4503 (Stop the Spam Calls Act of 2023: 8 a.m.–8 p.m.)' },
  MI: { window: week([{ start: h(9), end: h(21) }]), source: 'Mich. Comp. Laws § 445.111b (9 a.m.–9 p.m.)' },
  MN: { window: week([{ start: h(9), end: h(21) }]), source: 'Minn. Stat. § 325E.27 (9 a.m.–9 p.m.)' },
  MS: { window: week([{ start: h(8), end: h(20) }], { sunday: [] }), source: 'Miss. Code § 77-3-725 (no Sundays; 8 a.m.–8 p.m.)' },
  NM: { window: week([{ start: h(9), end: h(21) }]), source: 'N.M. Stat. § 57-12-22 (9 a.m.–9 p.m.)' },
  OK: { window: week([{ start: h(8), end: h(20) }]), source: '15 Okla. Stat. § 775C.4 (Oklahoma Telephone Solicitation Act of 2022: 8 a.m.–8 p.m.)' },
  RI: {
    window: week([{ start: h(9), end: h(18) }], { saturday: [{ start: h(10), end: h(17) }], sunday: [] }),
    source: 'R.I. Gen. Laws § 5-61-3.4 (weekdays 9 a.m.–6 p.m., Saturdays 10 a.m.–5 p.m., no Sundays or holidays)',
  },
  TX: {
    window: week([{ start: h(9), end: h(21) }], { sunday: [{ start: h(12), end: h(21) }] }),
    source: 'Tex. Bus. & Com. Code § 301.051 (9 a.m.–9 p.m.; Sundays noon–9 p.m.)',
  },
  WA: { window: week([{ start: h(8), end: h(20) }]), source: 'RCW 80.36.390 and RCW 19.190.060 (8 a.m.–8 p.m.)' },
};

function intersectRanges(a: TimeRange[], b: TimeRange[]): TimeRange[] {
  const out: TimeRange[] = [];
  for (const x of a) {
    for (const y of b) {
      const start = Math.max(x.start, y.start);
      const end = Math.min(x.end, y.end);
      if (start < end) out.push({ start, end });
    }
  }
  return out.sort((p, q) => p.start - q.start);
}

function intersectWindows(a: WeeklyWindow, b: WeeklyWindow): WeeklyWindow {
  return Object.fromEntries(WEEKDAYS.map((d) => [d, intersectRanges(a[d], b[d])])) as WeeklyWindow;
}

/** Every state's rule at once: the window for a lead whose state is unknown. */
const STRICTEST_WINDOW: WeeklyWindow = Object.values(STATE_RULES).reduce((acc, rule) => intersectWindows(acc, rule.window), FEDERAL_WINDOW);

const US_STATES = new Set(
  'AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP'.split(' '),
);

/**
 * The policy's weekly window for a state. Under US_TCPA an unknown state (null, or not a US
 * state we know) gets the intersection of every state's rule: the most restrictive reading.
 * Null under NONE: no restriction.
 */
export function policyWindow(policy: QuietHoursPolicy, state: string | null): WeeklyWindow | null {
  if (policy === 'NONE') return null;
  if (state === null) return STRICTEST_WINDOW;
  const rule = STATE_RULES[state.toUpperCase()];
  return rule ? intersectWindows(FEDERAL_WINDOW, rule.window) : US_STATES.has(state.toUpperCase()) ? FEDERAL_WINDOW : STRICTEST_WINDOW;
}

const WEEKDAY_OF_DATE: readonly Weekday[] = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/**
 * The campaign schedule narrowed by the policy window: each weekday's ranges and each exception
 * date's ranges intersected with the window of that weekday.
 */
export function effectiveSchedule(schedule: Schedule, window: WeeklyWindow | null): Schedule {
  if (window === null) return schedule;
  const days = Object.fromEntries(WEEKDAYS.map((d) => [d, intersectRanges(schedule[d], window[d])])) as WeeklyWindow;
  const exceptions = schedule.exceptions.map((e) => {
    const weekday = WEEKDAY_OF_DATE[new Date(`${e.date}T00:00:00Z`).getUTCDay()]!;
    return { date: e.date, ranges: intersectRanges(e.ranges, window[weekday]) };
  });
  return { ...days, exceptions };
}

/** Leads without a known time zone may be texted only when every continental US zone is open. */
export const UNKNOWN_ZONE_STAND_INS: readonly string[] = ['America/New_York', 'America/Chicago', 'America/Denver', 'America/Los_Angeles'];

/**
 * The first instant ≥ `now` at which `schedule` allows sending in every one of `zones`, or null
 * when there is none within the schedule search window.
 */
export function nextCommonStart(schedule: Schedule, zones: readonly string[], now: Date): Date | null {
  let t = now;
  // Each round moves t to the latest of the zones' next openings; it only grows, and stops at
  // the first instant where all are open (or when one has no opening left).
  for (let round = 0; round < 200; round += 1) {
    let latest = t;
    for (const zone of zones) {
      const start = nextScheduleStart(schedule, zone, t);
      if (start === null) return null;
      if (start > latest) latest = start;
    }
    if (latest.getTime() === t.getTime()) return t;
    t = latest;
  }
  return null;
}

export interface SendTimeInput {
  /** The campaign schedule; null = only the policy applies (e.g. a message outside any campaign hours). */
  schedule: Schedule | null;
  policy: QuietHoursPolicy;
  /** IANA zone of the lead; null = unknown (the most restrictive continental US zone window applies). */
  timeZone: string | null;
  /** Two-letter state of the lead; null = unknown. */
  state: string | null;
  now: Date;
}

/**
 * When a message to this lead may go out: `now` if allowed now, otherwise the next allowed
 * instant, null when the schedule and policy allow nothing in the search window (two weeks).
 * Keyword answers (STOP/START/HELP) are never held: callers do not ask for them.
 */
export function nextSendTime(input: SendTimeInput): Date | null {
  const effective = effectiveSchedule(input.schedule ?? ALWAYS_SCHEDULE, policyWindow(input.policy, input.state));
  const zones = input.timeZone === null ? UNKNOWN_ZONE_STAND_INS : [input.timeZone];
  return nextCommonStart(effective, zones, input.now);
}

/** The minutes of a day not covered by `ranges` (sorted, disjoint). */
function complementRanges(ranges: TimeRange[]): TimeRange[] {
  const out: TimeRange[] = [];
  let at = 0;
  for (const r of [...ranges].sort((a, b) => a.start - b.start)) {
    if (r.start > at) out.push({ start: at, end: r.start });
    at = Math.max(at, r.end);
  }
  if (at < 1440) out.push({ start: at, end: 1440 });
  return out;
}

/**
 * When the window that is open now closes: the first instant ≥ `now` at which the schedule and
 * policy no longer allow sending (in every stand-in zone when the zone is unknown). Null when the
 * window is not open now, or does not close within the search window. A provider that supports it
 * drops a message still queued then (Twilio's ValidityPeriod), so a late text never lands at night.
 */
export function currentWindowEnd(input: SendTimeInput): Date | null {
  const effective = effectiveSchedule(input.schedule ?? ALWAYS_SCHEDULE, policyWindow(input.policy, input.state));
  const closed: Schedule = {
    ...(Object.fromEntries(WEEKDAYS.map((d) => [d, complementRanges(effective[d])])) as WeeklyWindow),
    exceptions: effective.exceptions.map((e) => ({ date: e.date, ranges: complementRanges(e.ranges) })),
  };
  const zones = input.timeZone === null ? UNKNOWN_ZONE_STAND_INS : [input.timeZone];
  let end: Date | null = null;
  for (const zone of zones) {
    const at = nextScheduleStart(closed, zone, input.now);
    if (at === null) continue;
    if (at.getTime() <= input.now.getTime()) return null; // closed now
    if (end === null || at < end) end = at;
  }
  return end;
}
