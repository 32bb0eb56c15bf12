/**
 * A campaign's sending schedule, evaluated in the lead's own time zone (SPEC §1.4):
 * per weekday, ranges of minutes after local midnight; per date, exceptions that replace
 * the weekday's ranges (`[]` = a day off, e.g. a holiday).
 *
 * Wall-clock times are not instants: on a spring-forward day 02:30 does not exist, and on
 * a fall-back day 01:30 happens twice. Everything here converts through the zone's actual
 * UTC offsets (via Intl, which carries the IANA database) instead of adding hours, so a
 * 9:00 start is 9:00 local on every day of the year.
 */

export type Weekday = 'monday' | 'tuesday' | 'wednesday' | 'thursday' | 'friday' | 'saturday' | 'sunday';

/** Minutes after local midnight, 0 ≤ start < end ≤ 1440; `end` is exclusive. */
export interface TimeRange {
  start: number;
  end: number;
}

export interface ScheduleException {
  /** Local calendar date, YYYY-MM-DD. */
  date: string;
  /** Replaces the weekday's ranges on that date; `[]` = no sending that day. */
  ranges: TimeRange[];
}

export type Schedule = Record<Weekday, TimeRange[]> & { exceptions: ScheduleException[] };

export type ScheduleValidation = { ok: true; value: Schedule } | { ok: false; field: string; message: string };

export const WEEKDAYS: readonly Weekday[] = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

const MINUTES_PER_DAY = 1440;
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** How many local days after today `nextScheduleStart` looks before giving up. */
export const SCHEDULE_SEARCH_DAYS = 14;

function byWeekday(rangesFor: (day: Weekday) => TimeRange[]): Record<Weekday, TimeRange[]> {
  return Object.fromEntries(WEEKDAYS.map((day) => [day, rangesFor(day)])) as Record<Weekday, TimeRange[]>;
}

function everyDay(ranges: TimeRange[]): Schedule {
  return { ...byWeekday(() => ranges.map((range) => ({ ...range }))), exceptions: [] };
}

/** Frozen so that no caller can change the default for every other campaign by mutating it. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** Every day 09:00–20:00 local, no exceptions: conservative quiet hours for marketing SMS. */
export const DEFAULT_SCHEDULE: Schedule = deepFreeze(everyDay([{ start: 9 * 60, end: 20 * 60 }]));

/** Every minute of every day. */
export const ALWAYS_SCHEDULE: Schedule = deepFreeze(everyDay([{ start: 0, end: MINUTES_PER_DAY }]));

/** Thrown inside validation and turned into the `{ ok: false }` result at the top. */
class Invalid extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function minuteOfDay(value: unknown, field: string): number {
  if (!Number.isInteger(value)) throw new Invalid(field, 'must be a whole number of minutes after midnight');
  if (typeof value !== 'number' || value < 0 || value > MINUTES_PER_DAY) throw new Invalid(field, `must be between 0 and ${MINUTES_PER_DAY}`);
  return value;
}

function validateRange(value: unknown, field: string): TimeRange {
  if (!isRecord(value)) throw new Invalid(field, 'must be an object { start, end } in minutes after midnight');
  const start = minuteOfDay(value.start, `${field}.start`);
  const end = minuteOfDay(value.end, `${field}.end`);
  if (start === MINUTES_PER_DAY) throw new Invalid(`${field}.start`, `must be less than ${MINUTES_PER_DAY}`);
  if (end <= start) {
    throw new Invalid(`${field}.end`, `must be after start (${start}); split a range that crosses midnight across two days`);
  }
  return { start, end };
}

/** Sorted, with overlapping and touching ranges merged, so each day is a set of disjoint windows. */
function mergeRanges(ranges: TimeRange[]): TimeRange[] {
  const merged: TimeRange[] = [];
  for (const range of [...ranges].sort((a, b) => a.start - b.start)) {
    const last = merged[merged.length - 1];
    if (last !== undefined && range.start <= last.end) last.end = Math.max(last.end, range.end);
    else merged.push({ ...range });
  }
  return merged;
}

function validateRanges(value: unknown, field: string): TimeRange[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new Invalid(field, 'must be an array of { start, end } ranges');
  return mergeRanges(value.map((item, index) => validateRange(item, `${field}[${index}]`)));
}

function parseDate(value: string): { year: number; month: number; day: number } | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (match === null) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const probe = new Date(Date.UTC(year, month - 1, day));
  // Date.UTC rolls 2025-02-30 over to March; a real date survives the round trip.
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) return null;
  return { year, month, day };
}

function validateExceptions(value: unknown, field: string): ScheduleException[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new Invalid(field, 'must be an array of { date, ranges }');
  const firstIndexByDate = new Map<string, number>();
  const exceptions = value.map((item: unknown, index): ScheduleException => {
    const itemField = `${field}[${index}]`;
    if (!isRecord(item)) throw new Invalid(itemField, 'must be an object { date, ranges }');
    const { date } = item;
    if (typeof date !== 'string' || parseDate(date) === null) {
      throw new Invalid(`${itemField}.date`, 'must be a calendar date YYYY-MM-DD');
    }
    const earlier = firstIndexByDate.get(date);
    if (earlier !== undefined) throw new Invalid(`${itemField}.date`, `duplicates ${field}[${earlier}]`);
    firstIndexByDate.set(date, index);
    // A missing `ranges` reads as "no sending that day", the usual reason for an exception.
    return { date, ranges: validateRanges(item.ranges, `${itemField}.ranges`) };
  });
  return exceptions.sort((a, b) => (a.date < b.date ? -1 : 1));
}

/**
 * Checks and normalises a schedule from the API. Missing weekdays and a missing
 * `exceptions` default to `[]`; ranges come back sorted and merged. Unknown keys are
 * ignored (room for fields of the commercial product's Campaign object), except
 * wrongly-cased weekdays such as `Monday`, which would otherwise silently mean "no
 * sending on Mondays".
 */
export function validateSchedule(input: unknown): ScheduleValidation {
  try {
    if (!isRecord(input)) throw new Invalid('schedule', 'must be an object with monday…sunday and exceptions');
    for (const key of Object.keys(input)) {
      const lower = key.toLowerCase();
      if (key !== lower && (WEEKDAYS as readonly string[]).includes(lower)) {
        throw new Invalid(`schedule.${key}`, `weekday keys are lower case: use "${lower}"`);
      }
    }
    const days = byWeekday((day) => validateRanges(input[day], `schedule.${day}`));
    const exceptions = validateExceptions(input.exceptions, 'schedule.exceptions');
    return { ok: true, value: { ...days, exceptions } };
  } catch (error) {
    if (error instanceof Invalid) return { ok: false, field: error.field, message: error.message };
    throw error;
  }
}

/** Intl formatters are costly to build and a sender evaluates thousands of leads per zone. */
const formatters = new Map<string, Intl.DateTimeFormat>();

/** @throws RangeError for an unknown time zone */
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

export function isValidTimeZone(timeZone: string): boolean {
  if (typeof timeZone !== 'string' || timeZone === '') return false;
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

type WallClock = Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', number>;

function wallClock(timeZone: string, ms: number): WallClock {
  const clock: WallClock = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of formatterFor(timeZone).formatToParts(ms)) {
    if (part.type in clock) clock[part.type as keyof WallClock] = Number(part.value);
  }
  return clock;
}

/** The zone's UTC offset at an instant, in ms (positive east of Greenwich). */
function offsetAt(timeZone: string, ms: number): number {
  const c = wallClock(timeZone, ms);
  return Date.UTC(c.year, c.month - 1, c.day, c.hour, c.minute, c.second) - Math.floor(ms / 1000) * 1000;
}

const WEEKDAY_BY_UTC_DAY: readonly Weekday[] = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

function weekdayOf(midnightAsUtc: number): Weekday {
  return WEEKDAY_BY_UTC_DAY[new Date(midnightAsUtc).getUTCDay()] ?? 'sunday';
}

/** Midnight of a local date written as if it were UTC: the base for wall-clock arithmetic. */
function dateAsUtc(date: string): number {
  const parsed = parseDate(date);
  if (parsed === null) throw new RangeError(`invalid date ${date}`);
  return Date.UTC(parsed.year, parsed.month - 1, parsed.day);
}

function isoDate(msAsUtc: number): string {
  return new Date(msAsUtc).toISOString().slice(0, 10);
}

/**
 * The local calendar date, weekday and minutes after midnight at `now` in `timeZone`.
 * @throws RangeError for an unknown time zone (check with `isValidTimeZone`)
 */
export function localTime(timeZone: string, now: Date): { date: string; weekday: Weekday; minutes: number } {
  const c = wallClock(timeZone, now.getTime());
  const midnight = Date.UTC(c.year, c.month - 1, c.day);
  return { date: isoDate(midnight), weekday: weekdayOf(midnight), minutes: c.hour * 60 + c.minute };
}

function rangesOn(schedule: Schedule, date: string): TimeRange[] {
  const exception = schedule.exceptions.find((candidate) => candidate.date === date);
  return exception?.ranges ?? schedule[weekdayOf(dateAsUtc(date))];
}

/** @throws RangeError for an unknown time zone */
export function isWithinSchedule(schedule: Schedule, timeZone: string, now: Date): boolean {
  const local = localTime(timeZone, now);
  return rangesOn(schedule, local.date).some((range) => range.start <= local.minutes && local.minutes < range.end);
}

/**
 * The first instant ≥ `now` at which sending is allowed in `timeZone`: `now` itself when
 * inside the schedule, otherwise the start of the next window within today and the next
 * SCHEDULE_SEARCH_DAYS local days; null when the schedule allows nothing in that span.
 *
 * Sending becomes allowed either when the local clock reaches a range's start (found by
 * trying each of the day's UTC offsets and keeping those that really give that wall
 * time — none in a spring-forward gap, two in a fall-back overlap) or when a DST
 * transition makes the clock jump into a range (found by bisection).
 * @throws RangeError for an unknown time zone
 */
export function nextScheduleStart(schedule: Schedule, timeZone: string, now: Date): Date | null {
  if (isWithinSchedule(schedule, timeZone, now)) return new Date(now.getTime());
  const today = dateAsUtc(localTime(timeZone, now).date);
  let best: number | null = null;
  let foundOnDay = 0;
  for (let day = 0; day <= SCHEDULE_SEARCH_DAYS; day += 1) {
    // Local dates only run backwards across a fall-back at midnight, so once a day has a
    // candidate, the next day is the last that could hold an earlier one.
    if (best !== null && day > foundOnDay + 1) break;
    const midnight = today + day * DAY_MS;
    const ranges = rangesOn(schedule, isoDate(midnight));
    if (ranges.length === 0) continue;
    // Offsets run from UTC-12 to UTC+14, so this window covers every instant of the local
    // day; real zones change offset at most once in it.
    const windowStart = midnight - 15 * HOUR_MS;
    const windowEnd = midnight + DAY_MS + 13 * HOUR_MS;
    const offsets = new Set([offsetAt(timeZone, windowStart), offsetAt(timeZone, windowEnd)]);
    const candidates: number[] = [];
    for (const range of ranges) {
      for (const offset of offsets) {
        const instant = midnight + range.start * MINUTE_MS - offset;
        if (offsetAt(timeZone, instant) === offset) candidates.push(instant);
      }
    }
    if (offsets.size > 1) candidates.push(findTransition(timeZone, windowStart, windowEnd));
    for (const instant of candidates) {
      if (instant < now.getTime() || (best !== null && instant >= best)) continue;
      if (isWithinSchedule(schedule, timeZone, new Date(instant))) {
        best = instant;
        foundOnDay = day;
      }
    }
  }
  return best === null ? null : new Date(best);
}

/** The first ms in (lo, hi] whose offset differs from lo's; assumes one transition in between. */
function findTransition(timeZone: string, lo: number, hi: number): number {
  const before = offsetAt(timeZone, lo);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(timeZone, mid) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}
