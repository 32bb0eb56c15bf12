import { describe, expect, it } from 'vitest';
import { normalizeCarrier } from './carriers.ts';

describe('normalizeCarrier', () => {
  it.each([
    ['CELLCO PARTNERSHIP DBA VERIZON WIRELESS ', 'Verizon Wireless'],
    ['NEW CINGULAR WIRELESS PCS, LLC', 'AT&T'],
    ['T-MOBILE USA, INC.', 'T-Mobile'],
    ['Sprint Spectrum, L.P.', 'T-Mobile'],
    ['UNITED STATES CELLULAR CORP', 'US Cellular'],
    ['ACME RURAL TELEPHONE CO', 'Acme Rural Telephone'],
    ['Acme Mobile, Inc.', 'Acme Mobile'],
  ])('%s → %s', (raw, expected) => {
    expect(normalizeCarrier(raw)).toBe(expected);
  });
  it('keeps unknown as null', () => {
    expect(normalizeCarrier(null)).toBeNull();
    expect(normalizeCarrier('   ')).toBeNull();
  });
});
