import { describe, expect, it } from 'vitest';
import { normalizeCarrier } from './carriers.ts';

describe('normalizeCarrier', () => {
  it.each([
    ['CELLCO PARTNERSHIP DBA VERIZON WIRELESS ', 'Verizon Wireless'],
    ['NEW CINGULAR WIRELESS PCS, LLC', 'AT&T'],
    ['T-MOBILE USA, INC.', 'T-Mobile'],
    ['Sprint Spectrum, L.P.', 'T-Mobile'],
    ['UNITED STATES CELLULAR CORP', 'US Cellular'],
    ['OMNIPOINT COMMUNICATIONS INC', 'T-Mobile'],
    ['OMNIPOINT MIAMI E LICENSE, LLC', 'T-Mobile'],
    ['METROPCS, INC.', 'T-Mobile'],
    ['MetroPCS Wireless, Inc.', 'T-Mobile'],
    ['Metro by T-Mobile', 'T-Mobile'],
    ['POWERTEL ATLANTA LICENSES, INC.', 'T-Mobile'],
    ['VOICESTREAM PCS II CORP', 'T-Mobile'],
    ['NEXTEL COMMUNICATIONS', 'T-Mobile'],
    ['VERIZON WIRELESS:6006 - SVR/2', 'Verizon Wireless'],
    ['ALLTEL COMMUNICATIONS, LLC', 'Verizon Wireless'],
    ['AT&T MOBILITY', 'AT&T'],
    ['CRICKET WIRELESS, LLC', 'Cricket Wireless'],
    ['U.S. CELLULAR', 'US Cellular'],
    ['GOOGLE (GRAND CENTRAL) - SVR', 'Google Voice'],
    ['BANDWIDTH.COM CLEC, LLC', 'Bandwidth'],
    ['ONVOY, LLC', 'Inteliquent'],
    ['DISH WIRELESS L.L.C.', 'Boost Mobile'],
    ['TWILIO INC', 'Twilio'],
    ['CHARTER FIBERLINK - SPECTRUM MOBILE', 'Spectrum Mobile'],
    ['COMCAST IP PHONE, LLC - XFINITY MOBILE', 'Xfinity Mobile'],
    ['ROGERS COMMUNICATIONS CANADA INC.', 'Rogers'],
    ['BELL MOBILITY INC.', 'Bell Mobility'],
    ['TELUS COMMUNICATIONS INC.', 'Telus'],
    ['VIDEOTRON LTEE', 'Vidéotron'],
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
