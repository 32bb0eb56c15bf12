import { describe, expect, it } from 'vitest';
import { enrichLocation, normalizeZip } from './enrichment.ts';

const NYC_PHONE = '+12125551234';
const LA_PHONE = '+13105551234';
const UK_PHONE = '+442079460958';

describe('normalizeZip', () => {
  it.each([
    ['12345', '12345'],
    [' 12345 ', '12345'],
    ['12345-6789', '12345'],
    ['12345 6789', '12345'],
    ['123456789', '12345'],
    ['2134', '02134'], // Boston ZIP after a spreadsheet dropped its zero
    [' 1234', '01234'],
    ['501', '00501'],
    ['2134-1234', '02134'],
    ['k1a 0b1', 'K1A 0B1'],
    ['K1A0B1', 'K1A 0B1'],
    ['M5V-3L9', 'M5V 3L9'],
    ['', null],
    ['   ', null],
    [null, null],
    [undefined, null],
    ['12', null],
    ['123456', null],
    ['1234567', null],
    ['12345-678', null],
    ['ABCDE', null],
    ['12345-ABCD', null],
    ['D1A 0B1', null], // D starts no Canadian postal code
    ['K1A 0B', null],
    ['SW1A 1AA', null], // UK postcodes are not supported
  ])('%j → %j', (input, expected) => {
    expect(normalizeZip(input)).toBe(expected);
  });
});

describe('enrichLocation from the ZIP', () => {
  it.each([
    ['12345', NYC_PHONE, 'NY', 'America/New_York'], // the seed's lead
    ['90210', NYC_PHONE, 'CA', 'America/Los_Angeles'], // the ZIP wins over the area code
    ['85001', LA_PHONE, 'AZ', 'America/Phoenix'], // Phoenix: no DST
    ['86515', LA_PHONE, 'AZ', 'America/Denver'], // Window Rock: the Navajo Nation keeps DST
    ['47901', NYC_PHONE, 'IN', 'America/Indiana/Indianapolis'], // Lafayette: Eastern
    ['46312', NYC_PHONE, 'IN', 'America/Chicago'], // East Chicago: Central
    ['47708', NYC_PHONE, 'IN', 'America/Chicago'], // Evansville: Central
    ['40202', NYC_PHONE, 'KY', 'America/Kentucky/Louisville'], // Louisville: Eastern
    ['42001', NYC_PHONE, 'KY', 'America/Chicago'], // Paducah: Central
    ['79901', NYC_PHONE, 'TX', 'America/Denver'], // El Paso
    ['32501', NYC_PHONE, 'FL', 'America/Chicago'], // Pensacola
    ['96801', NYC_PHONE, 'HI', 'Pacific/Honolulu'],
    ['99501', NYC_PHONE, 'AK', 'America/Anchorage'],
    ['00601', NYC_PHONE, 'PR', 'America/Puerto_Rico'],
    ['2134', NYC_PHONE, 'MA', 'America/New_York'],
    ['K1A 0B1', NYC_PHONE, 'ON', 'America/Toronto'],
    ['V6B 1A1', NYC_PHONE, 'BC', 'America/Vancouver'],
    ['H2X 1Y4', NYC_PHONE, 'QC', 'America/Toronto'],
    ['X0A 0H0', NYC_PHONE, 'NU', 'America/Iqaluit'],
  ])('%s → %s %s', (zip, phone, state, timeZone) => {
    const place = enrichLocation({ zip, phone });
    expect(place).toMatchObject({ zip: normalizeZip(zip), state, timeZone });
    expect(typeof place.lat).toBe('number');
    expect(typeof place.lon).toBe('number');
  });

  it('gives the seed lead its place, coordinates included', () => {
    const place = enrichLocation({ zip: '12345', phone: '+15555551212' });
    expect(place).toEqual({ zip: '12345', state: 'NY', timeZone: 'America/New_York', lat: expect.any(Number), lon: expect.any(Number) });
    expect(place.lat).toBeCloseTo(42.81, 1); // Schenectady
    expect(place.lon).toBeCloseTo(-73.94, 1);
  });

  it('keeps the ZIP for a military APO ZIP but has no point or zone for it', () => {
    expect(enrichLocation({ zip: '34001', phone: NYC_PHONE })).toEqual({ zip: '34001', state: 'AA', timeZone: null, lat: null, lon: null });
  });
});

describe('enrichLocation from the area code', () => {
  it.each([
    ['00000', NYC_PHONE, 'NY', 'America/New_York'], // unknown ZIP
    ['99999', LA_PHONE, 'CA', 'America/Los_Angeles'],
    [null, NYC_PHONE, 'NY', 'America/New_York'],
    [undefined, '+13125551234', 'IL', 'America/Chicago'],
    ['', '+14165550199', 'ON', 'America/Toronto'],
    ['not a zip', '+16025551234', 'AZ', 'America/Phoenix'],
    ['1', '+19075551234', 'AK', 'America/Anchorage'],
  ])('zip %j, phone %s → %s %s, no ZIP or point', (zip, phone, state, timeZone) => {
    expect(enrichLocation({ zip, phone })).toEqual({ zip: null, state, timeZone, lat: null, lon: null });
  });

  it('works with no zip property at all', () => {
    expect(enrichLocation({ phone: NYC_PHONE })).toEqual({ zip: null, state: 'NY', timeZone: 'America/New_York', lat: null, lon: null });
  });
});

describe('enrichLocation with nothing to go on', () => {
  it.each([
    ['00000', '+15555551212'], // fictional 555 is in no area
    [null, '+18005551234'], // toll-free
    [null, UK_PHONE],
    ['', '+12423571234'], // Bahamas: NANP, but not US/Canada
    ['nope', ''],
  ])('zip %j, phone %s → all null', (zip, phone) => {
    expect(enrichLocation({ zip, phone })).toEqual({ zip: null, state: null, timeZone: null, lat: null, lon: null });
  });
});
