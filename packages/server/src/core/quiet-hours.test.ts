import { describe, expect, it } from 'vitest';
import { currentWindowEnd, effectiveSchedule, nextCommonStart, nextSendTime, policyWindow, STATE_RULES, UNKNOWN_ZONE_STAND_INS } from './quiet-hours.ts';
import { ALWAYS_SCHEDULE, validateSchedule, WEEKDAYS, type Schedule } from './schedule.ts';

const h = (hours: number, minutes = 0): number => hours * 60 + minutes;
// 2026-11-23 is a Monday; New York is UTC-5 then.
const nyLocal = (date: string, hh: number, mm = 0) => new Date(`${date}T${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}:00-05:00`);
const at = (s: string) => new Date(s);
const NY = 'America/New_York';

function sched(input: unknown): Schedule {
  const r = validateSchedule(input);
  if (!r.ok) throw new Error(r.message);
  return r.value;
}

describe('policyWindow', () => {
  it('is 8:00-21:00 every day for a state without its own rule, and nothing under NONE', () => {
    const w = policyWindow('US_TCPA', 'NY')!;
    for (const d of WEEKDAYS) expect(w[d]).toEqual([{ start: h(8), end: h(21) }]);
    expect(policyWindow('NONE', 'FL')).toBeNull();
  });

  it('narrows to the stricter state rules', () => {
    for (const st of ['FL', 'OK', 'MD', 'MA', 'WA']) expect(policyWindow('US_TCPA', st)!.tuesday).toEqual([{ start: h(8), end: h(20) }]);
    for (const st of ['MI', 'MN', 'NM']) expect(policyWindow('US_TCPA', st)!.tuesday).toEqual([{ start: h(9), end: h(21) }]);
    for (const st of ['AL', 'LA', 'MS']) expect(policyWindow('US_TCPA', st)!.sunday).toEqual([]);
    expect(policyWindow('US_TCPA', 'TX')!.sunday).toEqual([{ start: h(12), end: h(21) }]);
    expect(policyWindow('US_TCPA', 'fl')!.monday).toEqual([{ start: h(8), end: h(20) }]);
  });

  it('gives a lead of unknown state the intersection of every rule', () => {
    const w = policyWindow('US_TCPA', null)!;
    expect(w.sunday).toEqual([]);
    expect(w.monday).toEqual([{ start: h(9), end: h(18) }]);
    expect(w.saturday).toEqual([{ start: h(10), end: h(17) }]);
    expect(policyWindow('US_TCPA', 'ZZ')).toEqual(w);
  });

  it('cites a source for every state rule', () => {
    for (const rule of Object.values(STATE_RULES)) expect(rule.source).toMatch(/§|RCW|CMR|R\.S\./);
  });
});

describe('effectiveSchedule', () => {
  it('intersects weekday ranges and exception dates with the window of their weekday', () => {
    const s = sched({ monday: [{ start: h(7), end: h(10) }, { start: h(19), end: h(23) }], exceptions: [{ date: '2026-11-29', ranges: [{ start: h(10), end: h(15) }] }] });
    const e = effectiveSchedule(s, policyWindow('US_TCPA', 'FL'));
    expect(e.monday).toEqual([{ start: h(8), end: h(10) }, { start: h(19), end: h(20) }]);
    expect(e.tuesday).toEqual([]);
    // 2026-11-29 is a Sunday: Alabama allows nothing on it whatever the exception says.
    expect(effectiveSchedule(s, policyWindow('US_TCPA', 'AL')).exceptions).toEqual([{ date: '2026-11-29', ranges: [] }]);
    expect(effectiveSchedule(s, null)).toBe(s);
  });
});

describe('nextSendTime', () => {
  it('returns now inside the window and the next opening outside it', () => {
    const input = { schedule: ALWAYS_SCHEDULE, policy: 'US_TCPA' as const, timeZone: NY, state: 'NY' };
    expect(nextSendTime({ ...input, now: nyLocal('2026-11-23', 12) })).toEqual(nyLocal('2026-11-23', 12));
    expect(nextSendTime({ ...input, now: nyLocal('2026-11-23', 7, 59) })).toEqual(nyLocal('2026-11-23', 8));
    expect(nextSendTime({ ...input, now: nyLocal('2026-11-23', 21) })).toEqual(nyLocal('2026-11-24', 8));
    expect(nextSendTime({ ...input, policy: 'NONE', now: nyLocal('2026-11-23', 23) })).toEqual(nyLocal('2026-11-23', 23));
  });

  it('holds a Sunday message to Mississippi until Monday 8:00 Central', () => {
    const sunday = at('2026-11-29T18:00:00Z'); // noon in Jackson
    expect(nextSendTime({ schedule: null, policy: 'US_TCPA', timeZone: 'America/Chicago', state: 'MS', now: sunday })).toEqual(at('2026-11-30T14:00:00Z'));
  });

  it('treats an unknown time zone as every continental zone at once', () => {
    // 10:00 in New York is 7:00 in Los Angeles: too early there.
    const now = nyLocal('2026-11-23', 10);
    const next = nextSendTime({ schedule: ALWAYS_SCHEDULE, policy: 'US_TCPA', timeZone: null, state: 'CA', now })!;
    expect(next).toEqual(at('2026-11-23T16:00:00Z')); // 8:00 Pacific
    for (const z of UNKNOWN_ZONE_STAND_INS) {
      expect(nextSendTime({ schedule: ALWAYS_SCHEDULE, policy: 'US_TCPA', timeZone: z, state: 'CA', now: next })).toEqual(next);
    }
  });

  it('is null when the schedule and the policy never overlap', () => {
    const nights = sched(Object.fromEntries(WEEKDAYS.map((d) => [d, [{ start: h(22), end: h(23) }]])));
    expect(nextSendTime({ schedule: nights, policy: 'US_TCPA', timeZone: NY, state: 'NY', now: nyLocal('2026-11-23', 12) })).toBeNull();
    expect(nextCommonStart(nights, [NY], nyLocal('2026-11-23', 12))).toEqual(nyLocal('2026-11-23', 22));
  });
});

describe('currentWindowEnd', () => {
  it('is when the open window closes: the policy, the schedule or the earliest stand-in zone', () => {
    const base = { schedule: ALWAYS_SCHEDULE, policy: 'US_TCPA' as const, timeZone: NY, state: 'NY' };
    expect(currentWindowEnd({ ...base, now: nyLocal('2026-11-23', 12) })).toEqual(nyLocal('2026-11-23', 21));
    expect(currentWindowEnd({ ...base, state: 'FL', now: nyLocal('2026-11-23', 12) })).toEqual(nyLocal('2026-11-23', 20));
    expect(currentWindowEnd({ ...base, now: nyLocal('2026-11-23', 22) })).toBeNull(); // closed now
    const lunch = sched(Object.fromEntries(WEEKDAYS.map((d) => [d, [{ start: h(9), end: h(12) }, { start: h(13), end: h(17) }]])));
    expect(currentWindowEnd({ ...base, schedule: lunch, now: nyLocal('2026-11-23', 10) })).toEqual(nyLocal('2026-11-23', 12));
    // Unknown zone: 21:00 in New York comes first.
    expect(currentWindowEnd({ ...base, timeZone: null, state: 'CA', now: at('2026-11-23T20:00:00Z') })).toEqual(nyLocal('2026-11-23', 21));
    // No policy and an all-day schedule: never closes within the search window.
    expect(currentWindowEnd({ ...base, policy: 'NONE', now: nyLocal('2026-11-23', 12) })).toBeNull();
  });
});
