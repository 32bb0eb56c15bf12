import tzLookup from '@photostructure/tz-lookup';
import { areaCodeInfo, type AreaCodeInfo } from '../core/area-codes.ts';
import { areaCodeOf } from '../core/phone.ts';
import { lookupZip } from './zip-places.ts';

/**
 * Where a lead is and what time it is there, decided once at load time (SPEC §2 "Load")
 * so the sender can respect each lead's local schedule: `state`, `timeZone`, `zip`,
 * `lat`/`lon` from the ZIP code, falling back to the phone's area code.
 *
 * The ZIP wins because it describes where the lead lives now; an area code only says
 * where the number was first issued. Everything is offline (the `zipcodes` dataset and
 * `@photostructure/tz-lookup`'s boundary grid): a million-row import must not make a
 * million network calls.
 */

export interface LeadLocation {
  /** Normalised: 5-digit US ZIP or `A1A 1A1` Canadian postal code; null when unknown. */
  zip: string | null;
  /** USPS state/territory or Canadian province code. */
  state: string | null;
  /** IANA time zone. */
  timeZone: string | null;
  lat: number | null;
  lon: number | null;
}

/**
 * Canadian provinces by the first letter of the postal code. `zipcodes` has Canadian
 * coordinates, but its province names are inconsistent ("Sunshine Coast", "Quispamsis"),
 * while the first letter is fixed by Canada Post.
 */
const PROVINCE_BY_LETTER: Readonly<Record<string, string>> = {
  A: 'NL', B: 'NS', C: 'PE', E: 'NB', G: 'QC', H: 'QC', J: 'QC', K: 'ON', L: 'ON', M: 'ON',
  N: 'ON', P: 'ON', R: 'MB', S: 'SK', T: 'AB', V: 'BC', X: 'NT', Y: 'YT',
};

function provinceOf(postalCode: string): string | null {
  // X is shared by the Northwest Territories and Nunavut, whose areas are X0A-X0C.
  if (/^X0[ABC]/.test(postalCode)) return 'NU';
  return PROVINCE_BY_LETTER[postalCode[0] ?? ''] ?? null;
}

/**
 * A ZIP as typed into spreadsheets → 5 digits, or a Canadian postal code → `A1A 1A1`;
 * null when it is neither. Spreadsheets store ZIPs as numbers and drop leading zeros, so
 * 3–4 digits are padded back (`501` → `00501`, `2134` → `02134`); ZIP+4 is cut to 5.
 */
export function normalizeZip(input: string | null | undefined): string | null {
  if (typeof input !== 'string') return null;
  const value = input.trim().toUpperCase();
  if (/^\d{3,5}$/.test(value)) return value.padStart(5, '0');
  if (/^\d{9}$/.test(value)) return value.slice(0, 5);
  const zipPlus4 = /^(\d{3,5})[-\s]\d{4}$/.exec(value);
  if (zipPlus4?.[1] !== undefined) return zipPlus4[1].padStart(5, '0');
  const postal = /^([A-Z]\d[A-Z])[\s-]?(\d[A-Z]\d)$/.exec(value);
  if (postal !== null && provinceOf(value) !== null) return `${postal[1]} ${postal[2]}`;
  return null;
}

/** The IANA zone at a point, or null at sea ("Etc/GMT+5") or for unusable coordinates. */
function timeZoneAt(lat: number, lon: number): string | null {
  try {
    const zone = tzLookup(lat, lon);
    return zone.startsWith('Etc/') ? null : zone;
  } catch {
    return null;
  }
}

/** A normalised ZIP/postal code → its place, or null when the dataset does not know it. */
function placeOfZip(zip: string): Omit<LeadLocation, 'zip'> | null {
  const canadian = zip.length === 7;
  // zipcodes keys Canada by its forward sortation area, the first three characters.
  const record = lookupZip(canadian ? zip.slice(0, 3) : zip);
  if (record === undefined) return null;
  const state = canadian ? provinceOf(zip) : record.state;
  // Military APO/FPO ZIPs carry 0,0 ("null island") instead of a location.
  const located = Number.isFinite(record.latitude) && Number.isFinite(record.longitude) && (record.latitude !== 0 || record.longitude !== 0);
  if (!located) return { state, timeZone: null, lat: null, lon: null };
  return { state, timeZone: timeZoneAt(record.latitude, record.longitude), lat: record.latitude, lon: record.longitude };
}

/**
 * The lead's place from its ZIP (when the dataset knows it), else from its phone's area
 * code (state and zone only; `zip`, `lat`, `lon` null). All null when neither helps,
 * e.g. an unknown ZIP on a non-NANP number.
 */
export function enrichLocation(input: { zip?: string | null; phone: string }): LeadLocation {
  const areaCode = areaCodeOf(input.phone);
  const zip = normalizeZip(input.zip);
  return combine(zip, zip === null ? null : placeOfZip(zip), areaCode === null ? null : areaCodeInfo(areaCode));
}

export function combine(zip: string | null, byZip: Omit<LeadLocation, 'zip'> | null, byPhone: AreaCodeInfo | null): LeadLocation {
  if (zip !== null && byZip !== null) {
    // Should the ZIP's point yield no zone, the area code's is still right if it is in the same state.
    const timeZone = byZip.timeZone ?? (byPhone !== null && byPhone.state === byZip.state ? byPhone.timeZone : null);
    return { zip, ...byZip, timeZone };
  }
  return { zip: null, state: byPhone?.state ?? null, timeZone: byPhone?.timeZone ?? null, lat: null, lon: null };
}

/** A ZIP as written, read: normalised (null when it is not a ZIP) and its place (null when unknown). */
export interface ZipHit {
  zip: string | null;
  place: Omit<LeadLocation, 'zip'> | null;
  /** A bulk writer's encoding of the place, kept with it (stage.ts). */
  encoded?: Uint8Array;
}

/**
 * ZIPs as written → `ZipHit`, for bulk loads: the lookup (dataset search plus the time-zone grid)
 * costs microseconds, and a million-row list has only a few tens of thousands of distinct ZIPs, so
 * results are memoised by the ZIP as written. At most `maxEntries` (default 100,000) are kept; the
 * memo starts over when full, so memory stays bounded whatever the file holds.
 */
export function createZipMemo(maxEntries = 100_000): (raw: string) => ZipHit {
  const byRawZip = new Map<string, ZipHit>();
  return (raw) => {
    let hit = byRawZip.get(raw);
    if (hit === undefined) {
      const zip = normalizeZip(raw);
      hit = { zip, place: zip === null ? null : placeOfZip(zip) };
      if (byRawZip.size >= maxEntries) byRawZip.clear();
      byRawZip.set(raw, hit);
    }
    return hit;
  };
}
