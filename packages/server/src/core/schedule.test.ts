import { describe, expect, it } from 'vitest';
import {
  ALWAYS_SCHEDULE,
  DEFAULT_SCHEDULE,
  isValidTimeZone,
  isWithinSchedule,
  localTime,
  nextScheduleStart,
  validateSchedule,
  WEEKDAYS,
} from './schedule.ts';
import type { Schedule, ScheduleException, TimeRange, Weekday } from './schedule.ts';

const NY = 'America/New_York';
const h = (hours: number, minutes = 0): number => hours * 60 + minutes;

/** A schedule with the given weekday ranges, every other day empty. */
function schedule(days: Partial<Record<Weekday, TimeRange[]>>, exceptions: ScheduleException[] = []): Schedule {
  const result = validateSchedule({ ...days, exceptions });
  if (!result.ok) throw new Error(`${result.field}: ${result.message}`);
  return result.value;
}
const everyDay = (...ranges: TimeRange[]): Schedule => schedule(Object.fromEntries(WEEKDAYS.map((d) => [d, ranges])));
const onlyOn = (date: string, ...ranges: TimeRange[]): Schedule => schedule({}, [{ date, ranges }]);

describe('DEFAULT_SCHEDULE and ALWAYS_SCHEDULE', () => {
  it('cover 9:00-20:00 and the whole day on every weekday, with no exceptions', () => {
    for (const day of WEEKDAYS) {
      expect(DEFAULT_SCHEDULE[day]).toEqual([{ start: 540, end: 1200 }]);
      expect(ALWAYS_SCHEDULE[day]).toEqual([{ start: 0, end: 1440 }]);
    }
    expect(DEFAULT_SCHEDULE.exceptions).toEqual([]);
    expect(validateSchedule(DEFAULT_SCHEDULE)).toEqual({ ok: true, value: DEFAULT_SCHEDULE });
  });

  it('cannot be mutated by a caller', () => {
    expect(() => DEFAULT_SCHEDULE.monday.push({ start: 0, end: 1 })).toThrow(TypeError);
    expect(() => {
      DEFAULT_SCHEDULE.monday[0]!.end = 1440;
    }).toThrow(TypeError);
  });
});

describe('validateSchedule: accepted input', () => {
  it('defaults missing weekdays and exceptions to []', () => {
    const result = validateSchedule({ monday: [{ start: 60, end: 120 }] });
    expect(result).toEqual({
      ok: true,
      value: { ...Object.fromEntries(WEEKDAYS.map((d) => [d, []])), monday: [{ start: 60, end: 120 }], exceptions: [] },
    });
    expect(validateSchedule({})).toMatchObject({ ok: true, value: { sunday: [], exceptions: [] } });
    expect(validateSchedule({ monday: null, exceptions: null })).toMatchObject({ ok: true, value: { monday: [], exceptions: [] } });
  });

  it.each([
    [[{ start: 600, end: 700 }, { start: 60, end: 120 }], [{ start: 60, end: 120 }, { start: 600, end: 700 }]],
    [[{ start: 60, end: 120 }, { start: 100, end: 200 }], [{ start: 60, end: 200 }]],
    [[{ start: 60, end: 120 }, { start: 120, end: 200 }], [{ start: 60, end: 200 }]], // touching
    [[{ start: 0, end: 1440 }, { start: 60, end: 120 }], [{ start: 0, end: 1440 }]], // contained
    [[{ start: 300, end: 400 }, { start: 0, end: 100 }, { start: 50, end: 350 }], [{ start: 0, end: 400 }]],
    [[], []],
  ])('sorts and merges %j → %j', (ranges, expected) => {
    expect(validateSchedule({ friday: ranges })).toMatchObject({ ok: true, value: { friday: expected } });
  });

  it('sorts exceptions by date, defaults missing ranges to a day off, ignores unknown keys', () => {
    const result = validateSchedule({
      timezone: 'ignored',
      exceptions: [{ date: '2025-12-25' }, { date: '2024-02-29', ranges: [{ start: 0, end: 60 }] }],
    });
    expect(result).toMatchObject({
      ok: true,
      value: { exceptions: [{ date: '2024-02-29', ranges: [{ start: 0, end: 60 }] }, { date: '2025-12-25', ranges: [] }] },
    });
  });
});

describe('validateSchedule: rejected input', () => {
  it.each([
    [null, 'schedule'],
    ['9-5', 'schedule'],
    [[], 'schedule'],
    [{ monday: {} }, 'schedule.monday'],
    [{ monday: [null] }, 'schedule.monday[0]'],
    [{ monday: [{ start: 60 }] }, 'schedule.monday[0].end'],
    [{ monday: [{ end: 60 }] }, 'schedule.monday[0].start'],
    [{ monday: [{ start: '60', end: 120 }] }, 'schedule.monday[0].start'],
    [{ monday: [{ start: 60.5, end: 120 }] }, 'schedule.monday[0].start'],
    [{ monday: [{ start: -1, end: 120 }] }, 'schedule.monday[0].start'],
    [{ monday: [{ start: 0, end: 1441 }] }, 'schedule.monday[0].end'],
    [{ monday: [{ start: 1440, end: 1440 }] }, 'schedule.monday[0].start'],
    [{ monday: [{ start: 120, end: 120 }] }, 'schedule.monday[0].end'],
    [{ tuesday: [{ start: 0, end: 60 }, { start: 1320, end: 120 }] }, 'schedule.tuesday[1].end'], // crosses midnight
    [{ sunday: [{ start: 0, end: Number.NaN }] }, 'schedule.sunday[0].end'],
    [{ Monday: [{ start: 0, end: 60 }] }, 'schedule.Monday'],
    [{ FRIDAY: [] }, 'schedule.FRIDAY'],
    [{ exceptions: {} }, 'schedule.exceptions'],
    [{ exceptions: ['2025-12-25'] }, 'schedule.exceptions[0]'],
    [{ exceptions: [{ ranges: [] }] }, 'schedule.exceptions[0].date'],
    [{ exceptions: [{ date: '2025-13-01', ranges: [] }] }, 'schedule.exceptions[0].date'],
    [{ exceptions: [{ date: '2025-02-29', ranges: [] }] }, 'schedule.exceptions[0].date'], // not a leap year
    [{ exceptions: [{ date: '2025-04-31', ranges: [] }] }, 'schedule.exceptions[0].date'],
    [{ exceptions: [{ date: '2025-1-5', ranges: [] }] }, 'schedule.exceptions[0].date'],
    [{ exceptions: [{ date: '2025-12-25T00:00:00Z', ranges: [] }] }, 'schedule.exceptions[0].date'],
    [{ exceptions: [{ date: 20251225, ranges: [] }] }, 'schedule.exceptions[0].date'],
    [{ exceptions: [{ date: '2025-12-25', ranges: [{ start: 5, end: 1 }] }] }, 'schedule.exceptions[0].ranges[0].end'],
    [{ exceptions: [{ date: '2025-12-25', ranges: 'none' }] }, 'schedule.exceptions[0].ranges'],
    [{ exceptions: [{ date: '2025-12-25' }, { date: '2025-12-26' }, { date: '2025-12-25' }] }, 'schedule.exceptions[2].date'],
  ])('%j → error at %s', (input, field) => {
    const result = validateSchedule(input);
    expect(result).toMatchObject({ ok: false, field });
    if (!result.ok) expect(result.message.length).toBeGreaterThan(5);
  });
});

describe('isValidTimeZone', () => {
  it.each([
    [NY, true],
    ['America/Indiana/Indianapolis', true],
    ['UTC', true],
    ['Asia/Kolkata', true],
    ['US/Eastern', true], // a backward-compatible link
    ['', false],
    ['EST5EDT7', false],
    ['America/Nowhere', false],
    ['Mars/Olympus_Mons', false],
  ])('%j → %s', (zone, expected) => {
    expect(isValidTimeZone(zone)).toBe(expected);
  });
});

describe('localTime', () => {
  it.each([
    [NY, '2025-03-04T11:33:52.948Z', '2025-03-04', 'tuesday', h(6, 33)],
    [NY, '2025-03-04T04:59:59.999Z', '2025-03-03', 'monday', h(23, 59)],
    [NY, '2025-03-04T05:00:00.000Z', '2025-03-04', 'tuesday', 0],
    [NY, '2025-07-04T16:00:00.000Z', '2025-07-04', 'friday', h(12)], // EDT
    ['UTC', '2025-01-01T00:00:00.000Z', '2025-01-01', 'wednesday', 0],
    ['Asia/Kolkata', '2025-01-01T00:00:00.000Z', '2025-01-01', 'wednesday', h(5, 30)],
    ['Pacific/Chatham', '2025-06-30T12:00:00.000Z', '2025-07-01', 'tuesday', h(0, 45)], // +12:45
    ['Pacific/Honolulu', '2025-01-01T09:59:00.000Z', '2024-12-31', 'tuesday', h(23, 59)],
    ['America/St_Johns', '2025-01-01T03:30:00.000Z', '2025-01-01', 'wednesday', 0], // -3:30
    ['Pacific/Kiritimati', '2024-12-31T10:00:00.000Z', '2025-01-01', 'wednesday', 0], // +14
  ])('%s at %s → %s %s %i', (zone, iso, date, weekday, minutes) => {
    expect(localTime(zone, new Date(iso))).toEqual({ date, weekday, minutes });
  });

  it('throws for an unknown zone', () => {
    expect(() => localTime('America/Nowhere', new Date())).toThrow(RangeError);
  });
});

describe('isWithinSchedule', () => {
  const christmasOff = schedule({ ...DEFAULT_SCHEDULE }, [{ date: '2025-12-25', ranges: [] }]);
  const sundaySpecial = schedule({ monday: [{ start: h(9), end: h(17) }] }, [{ date: '2025-03-16', ranges: [{ start: h(12), end: h(13) }] }]);
  it.each([
    [DEFAULT_SCHEDULE, NY, '2025-03-04T14:00:00.000Z', true], // 09:00 EST, start is inclusive
    [DEFAULT_SCHEDULE, NY, '2025-03-04T13:59:59.999Z', false],
    [DEFAULT_SCHEDULE, NY, '2025-03-05T00:59:59.999Z', true], // 19:59:59 EST
    [DEFAULT_SCHEDULE, NY, '2025-03-05T01:00:00.000Z', false], // 20:00 EST, end is exclusive
    [DEFAULT_SCHEDULE, NY, '2025-07-04T13:00:00.000Z', true], // 09:00 EDT
    [DEFAULT_SCHEDULE, NY, '2025-07-04T12:59:00.000Z', false],
    [DEFAULT_SCHEDULE, 'America/Los_Angeles', '2025-03-04T14:00:00.000Z', false], // 06:00 PST
    [DEFAULT_SCHEDULE, 'America/Los_Angeles', '2025-03-04T17:00:00.000Z', true],
    [ALWAYS_SCHEDULE, NY, '2025-03-09T07:00:00.000Z', true],
    [schedule({}), NY, '2025-03-04T15:00:00.000Z', false],
    [christmasOff, NY, '2025-12-25T17:00:00.000Z', false], // exception: day off
    [christmasOff, NY, '2025-12-26T17:00:00.000Z', true],
    [christmasOff, 'Pacific/Kiritimati', '2025-12-24T22:00:00.000Z', false], // already Christmas there
    [sundaySpecial, NY, '2025-03-16T16:30:00.000Z', true], // exception adds hours on a Sunday
    [sundaySpecial, NY, '2025-03-16T18:00:00.000Z', false],
    [sundaySpecial, NY, '2025-03-23T16:30:00.000Z', false], // ordinary Sunday
    [sundaySpecial, NY, '2025-03-17T14:00:00.000Z', true],
  ])('case %#', (sched, zone, iso, expected) => {
    expect(isWithinSchedule(sched, zone, new Date(iso))).toBe(expected);
  });
});

describe('nextScheduleStart', () => {
  const weekends = schedule({ saturday: [{ start: h(10), end: h(14) }], sunday: [{ start: h(12), end: h(16) }] });
  const twoWindows = everyDay({ start: h(8), end: h(10) }, { start: h(18), end: h(20) });
  it.each([
    ['inside the schedule: now itself', DEFAULT_SCHEDULE, NY, '2025-03-04T15:12:34.567Z', '2025-03-04T15:12:34.567Z'],
    ['before the start: today 09:00', DEFAULT_SCHEDULE, NY, '2025-03-04T11:33:52.948Z', '2025-03-04T14:00:00.000Z'],
    ['at the end: tomorrow 09:00', DEFAULT_SCHEDULE, NY, '2025-03-05T01:00:00.000Z', '2025-03-05T14:00:00.000Z'],
    ['late evening: tomorrow 09:00', DEFAULT_SCHEDULE, NY, '2025-03-05T04:59:00.000Z', '2025-03-05T14:00:00.000Z'],
    ['between two windows: the second', twoWindows, NY, '2025-03-04T16:00:00.000Z', '2025-03-04T23:00:00.000Z'],
    ['Monday → Saturday 10:00', weekends, NY, '2025-03-03T15:00:00.000Z', '2025-03-08T15:00:00.000Z'],
    ['Saturday after hours → Sunday 12:00', weekends, NY, '2025-03-08T20:00:00.000Z', '2025-03-09T16:00:00.000Z'],
    ['ALWAYS: now', ALWAYS_SCHEDULE, NY, '2025-03-09T06:59:59.000Z', '2025-03-09T06:59:59.000Z'],
    ['other zone: 09:00 in Kolkata', DEFAULT_SCHEDULE, 'Asia/Kolkata', '2025-01-01T00:00:00.000Z', '2025-01-01T03:30:00.000Z'],
    ['other zone: 09:00 in Chatham', DEFAULT_SCHEDULE, 'Pacific/Chatham', '2025-07-01T08:00:00.000Z', '2025-07-01T20:15:00.000Z'],
    ['day off by exception', schedule({ ...DEFAULT_SCHEDULE }, [{ date: '2025-12-25', ranges: [] }]), NY, '2025-12-25T12:00:00.000Z', '2025-12-26T14:00:00.000Z'],
    ['hours added by exception', onlyOn('2025-03-12', { start: h(7), end: h(8) }), NY, '2025-03-04T12:00:00.000Z', '2025-03-12T11:00:00.000Z'],
    ['exactly 14 local days ahead is found', onlyOn('2025-03-18', { start: h(9), end: h(10) }), NY, '2025-03-04T12:00:00.000Z', '2025-03-18T13:00:00.000Z'],
    ['15 local days ahead is too far', onlyOn('2025-03-19', { start: h(9), end: h(10) }), NY, '2025-03-04T12:00:00.000Z', null],
    ['empty schedule', schedule({}), NY, '2025-03-04T12:00:00.000Z', null],
    ['exception in the past is ignored', onlyOn('2025-03-03', { start: 0, end: 1440 }), NY, '2025-03-04T12:00:00.000Z', null],
    // America/New_York, 2025-03-09: 02:00 EST jumps to 03:00 EDT (07:00Z).
    ['spring forward: 09:00 EDT on the day', DEFAULT_SCHEDULE, NY, '2025-03-09T05:00:00.000Z', '2025-03-09T13:00:00.000Z'],
    ['spring forward: from the evening before', DEFAULT_SCHEDULE, NY, '2025-03-09T01:00:00.000Z', '2025-03-09T13:00:00.000Z'],
    ['spring forward: the day after', DEFAULT_SCHEDULE, NY, '2025-03-10T01:00:00.000Z', '2025-03-10T13:00:00.000Z'],
    ['spring forward: start inside the gap opens at 03:00', onlyOn('2025-03-09', { start: h(2, 30), end: h(4) }), NY, '2025-03-09T05:00:00.000Z', '2025-03-09T07:00:00.000Z'],
    ['spring forward: a range wholly in the gap never opens', onlyOn('2025-03-09', { start: h(2), end: h(3) }), NY, '2025-03-09T05:00:00.000Z', null],
    ['spring forward: 01:59 is still EST', onlyOn('2025-03-09', { start: h(1, 59), end: h(2) }), NY, '2025-03-09T05:00:00.000Z', '2025-03-09T06:59:00.000Z'],
    ['spring forward: 03:00 is EDT', onlyOn('2025-03-09', { start: h(3), end: h(4) }), NY, '2025-03-09T05:00:00.000Z', '2025-03-09T07:00:00.000Z'],
    // America/New_York, 2025-11-02: 02:00 EDT falls back to 01:00 EST (06:00Z); 01:xx happens twice.
    ['fall back: 09:00 EST on the day', DEFAULT_SCHEDULE, NY, '2025-11-02T05:00:00.000Z', '2025-11-02T14:00:00.000Z'],
    ['fall back: from the evening before', DEFAULT_SCHEDULE, NY, '2025-11-02T00:30:00.000Z', '2025-11-02T14:00:00.000Z'],
    ['fall back: the first 01:00 (EDT)', onlyOn('2025-11-02', { start: h(1), end: h(1, 30) }), NY, '2025-11-02T04:00:00.000Z', '2025-11-02T05:00:00.000Z'],
    ['fall back: the second 01:00 (EST)', onlyOn('2025-11-02', { start: h(1), end: h(1, 30) }), NY, '2025-11-02T05:45:00.000Z', '2025-11-02T06:00:00.000Z'],
    ['fall back: the clock jumps back into a range', onlyOn('2025-11-02', { start: h(0, 30), end: h(1, 30) }), NY, '2025-11-02T05:40:00.000Z', '2025-11-02T06:00:00.000Z'],
    ['fall back: inside the repeated hour', onlyOn('2025-11-02', { start: h(1), end: h(1, 30) }), NY, '2025-11-02T06:10:00.000Z', '2025-11-02T06:10:00.000Z'],
    // Australia/Lord_Howe moves by 30 minutes: 2025-10-05 02:00 (+10:30) → 02:30 (+11) at 15:30Z the day before.
    ['half-hour DST gap', onlyOn('2025-10-05', { start: h(2, 5), end: h(3) }), 'Australia/Lord_Howe', '2025-10-04T13:00:00.000Z', '2025-10-04T15:30:00.000Z'],
  ] as const)('%s', (_label, sched, zone, nowIso, expected) => {
    const result = nextScheduleStart(sched, zone, new Date(nowIso));
    expect(result?.toISOString() ?? null).toBe(expected);
  });

  it('returns a new Date, not the caller’s', () => {
    const now = new Date('2025-03-04T15:00:00.000Z');
    const result = nextScheduleStart(DEFAULT_SCHEDULE, NY, now);
    expect(result).toEqual(now);
    expect(result).not.toBe(now);
  });

  /**
   * The first instant ≥ now inside the schedule, by checking every quarter hour: slow but
   * obviously right, as long as every range edge, UTC offset and DST change below falls on
   * a quarter hour (they do).
   */
  function bruteForce(sched: Schedule, zone: string, now: Date, days: number): string | null {
    if (isWithinSchedule(sched, zone, now)) return now.toISOString();
    const step = 15 * 60_000;
    const first = Math.ceil(now.getTime() / step) * step;
    for (let t = first; t < first + days * 86_400_000; t += step) {
      if (isWithinSchedule(sched, zone, new Date(t))) return new Date(t).toISOString();
    }
    return null;
  }

  const schedules: Record<string, Schedule> = {
    default: DEFAULT_SCHEDULE,
    earlyMorning: everyDay({ start: h(1), end: h(2) }, { start: h(2, 30), end: h(3, 15) }),
    nightOwl: everyDay({ start: h(0, 45), end: h(1, 15) }, { start: h(23), end: h(24) }),
    sundayOnly: schedule({ sunday: [{ start: h(1, 30), end: h(2, 45) }] }),
  };
  const starts = [
    ['America/New_York', '2025-03-08T12:00:00.000Z'],
    ['America/New_York', '2025-11-01T12:00:00.000Z'],
    ['Europe/London', '2025-03-29T12:00:00.000Z'],
    ['Australia/Lord_Howe', '2025-10-04T00:00:00.000Z'],
    ['Europe/London', '2025-10-25T12:00:00.000Z'],
    ['America/Santiago', '2025-09-06T00:00:00.000Z'], // springs forward at midnight
    ['America/Santiago', '2025-04-05T00:00:00.000Z'], // falls back from midnight into the previous date
  ] as const;
  it.each(Object.keys(schedules))('agrees with a quarter-hour scan around DST changes: %s', (name) => {
    const sched = schedules[name]!;
    for (const [zone, startIso] of starts) {
      // Every 47 minutes across two days, so the probes land at varied local times.
      for (let step = 0; step < 62; step += 1) {
        const now = new Date(new Date(startIso).getTime() + step * 47 * 60_000 + 17_000);
        expect(nextScheduleStart(sched, zone, now)?.toISOString() ?? null, `${zone} ${now.toISOString()}`).toBe(
          bruteForce(sched, zone, now, 8),
        );
      }
    }
  });
});
