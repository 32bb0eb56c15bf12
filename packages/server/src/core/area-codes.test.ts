import { describe, expect, it } from 'vitest';
import { AREA_CODES, areaCodeInfo } from './area-codes.ts';
import { normalizePhone } from './phone.ts';
import { isValidTimeZone } from './schedule.ts';

const CANADA = new Set(['AB', 'BC', 'MB', 'NB', 'NL', 'NS', 'ON', 'QC', 'SK', 'YT']);
const TERRITORIES = new Set(['PR', 'VI', 'GU', 'MP', 'AS']);

describe('areaCodeInfo', () => {
  it.each([
    ['212', 'NY', 'America/New_York'],
    ['213', 'CA', 'America/Los_Angeles'],
    ['312', 'IL', 'America/Chicago'],
    ['303', 'CO', 'America/Denver'],
    ['602', 'AZ', 'America/Phoenix'], // no DST
    ['808', 'HI', 'Pacific/Honolulu'],
    ['907', 'AK', 'America/Anchorage'],
    ['416', 'ON', 'America/Toronto'],
    ['604', 'BC', 'America/Vancouver'],
    ['514', 'QC', 'America/Toronto'],
    ['306', 'SK', 'America/Regina'], // no DST
    ['709', 'NL', 'America/St_Johns'], // UTC-3:30
    ['902', 'NS', 'America/Halifax'],
    ['403', 'AB', 'America/Edmonton'],
    ['204', 'MB', 'America/Winnipeg'],
    ['787', 'PR', 'America/Puerto_Rico'],
    // States split between zones: the larger population decides.
    ['219', 'IN', 'America/Chicago'],
    ['317', 'IN', 'America/Indiana/Indianapolis'],
    ['502', 'KY', 'America/Kentucky/Louisville'],
    ['270', 'KY', 'America/Chicago'],
    ['859', 'KY', 'America/New_York'],
    ['850', 'FL', 'America/Chicago'],
    ['305', 'FL', 'America/New_York'],
    ['423', 'TN', 'America/New_York'],
    ['615', 'TN', 'America/Chicago'],
    ['915', 'TX', 'America/Denver'],
    ['214', 'TX', 'America/Chicago'],
    ['208', 'ID', 'America/Boise'],
    ['906', 'MI', 'America/Detroit'],
    ['541', 'OR', 'America/Los_Angeles'],
    // Overlays share their parent's place.
    ['332', 'NY', 'America/New_York'],
    ['945', 'TX', 'America/Chicago'],
    ['820', 'CA', 'America/Los_Angeles'],
    ['683', 'ON', 'America/Toronto'],
  ])('%s → %s %s', (code, state, timeZone) => {
    expect(areaCodeInfo(code)).toEqual({ state, timeZone });
  });

  it.each([
    ['555', 'fictional'],
    ['800', 'toll-free'],
    ['888', 'toll-free'],
    ['900', 'premium'],
    ['500', 'personal communications'],
    ['911', 'N11'],
    ['242', 'Bahamas: NANP but not US/Canada'],
    ['876', 'Jamaica'],
    ['000', 'malformed'],
    ['21', 'too short'],
    ['2125', 'too long'],
    ['', 'empty'],
    ['abc', 'letters'],
  ])('%j (%s) → null', (code) => {
    expect(areaCodeInfo(code)).toBeNull();
  });
});

describe('the area-code table', () => {
  const entries = [...AREA_CODES];

  it('covers every US state, DC, the territories and every Canadian province', () => {
    const states = new Set(entries.map(([, info]) => info.state));
    expect(states.size).toBe(51 + TERRITORIES.size + CANADA.size);
  });

  it('has the 360-odd US and 50-odd Canadian codes in service', () => {
    const canadian = entries.filter(([, info]) => CANADA.has(info.state)).length;
    const us = entries.length - canadian;
    expect(us).toBeGreaterThanOrEqual(360);
    expect(canadian).toBeGreaterThanOrEqual(50);
  });

  it('uses only valid IANA time zones and two-letter codes', () => {
    for (const [code, info] of entries) {
      expect(isValidTimeZone(info.timeZone), `${code} ${info.timeZone}`).toBe(true);
      expect(info.state, code).toMatch(/^[A-Z]{2}$/);
    }
  });

  it('lists only codes that make valid phone numbers', () => {
    for (const [code] of entries) expect(normalizePhone(`${code}2345678`), code).toBe(`+1${code}2345678`);
  });

  it('returns frozen entries', () => {
    expect(Object.isFrozen(areaCodeInfo('212'))).toBe(true);
  });
});
