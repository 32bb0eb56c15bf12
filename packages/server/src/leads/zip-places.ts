/**
 * The `zipcodes` dataset (US ZIP codes and Canadian forward sortation areas → coordinates and
 * state) in a compact form, loaded on first use.
 *
 * Requiring the package evaluates 5 MB of object literals: ≈ 90 MB of resident memory for as long
 * as the process lives, in every API and worker process, whether or not it ever enriches a lead.
 * Here the package's data files are read as text once, when a lead is first enriched, and only
 * what enrichment uses is kept in typed arrays (≈ 1.5 MB).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export interface ZipPlace {
  latitude: number;
  longitude: number;
  /** Two-letter state code (US); Canadian records carry a region name here. */
  state: string;
}

interface Table {
  /** US: 1 + the record's index, by the ZIP as a number (0 = unknown). */
  us: Int32Array;
  /** Canada (and any non-numeric key): record index by key. */
  other: Map<string, number>;
  lat: Float64Array;
  lon: Float64Array;
  /** Index into `states`. */
  state: Uint16Array;
  states: string[];
}

/** One record of the package's `codes` objects, as the package writes them (one line per file, no spaces). */
const RECORD = /"([0-9A-Z]{3,5})":\{"zip":"[^"]*","latitude":([^,]*),"longitude":([^,]*),"city":"(?:[^"\\]|\\.)*","state":"((?:[^"\\]|\\.)*)","country":"[^"]*"\}/g;

let table: Table | null = null;

function load(): Table {
  const dir = path.dirname(createRequire(import.meta.url).resolve('zipcodes'));
  const records: [string, number, number, string][] = [];
  // US first, then Canada, like the package's own Object.assign (Canadian keys start with a letter).
  for (const file of ['codes.js', 'codesCanada.js']) {
    const text = readFileSync(path.join(dir, file), 'utf8');
    for (const m of text.matchAll(RECORD)) records.push([m[1]!, Number(m[2]), Number(m[3]), JSON.parse(`"${m[4]!}"`) as string]);
  }
  if (records.length < 40_000) throw new Error(`the zipcodes dataset could not be read (${records.length} records): has its format changed?`);
  const t: Table = {
    us: new Int32Array(100_000), other: new Map(), lat: new Float64Array(records.length), lon: new Float64Array(records.length),
    state: new Uint16Array(records.length), states: [],
  };
  const stateIndex = new Map<string, number>();
  records.forEach(([key, lat, lon, state], i) => {
    if (/^\d{5}$/.test(key)) t.us[Number(key)] = i + 1;
    else t.other.set(key, i);
    t.lat[i] = lat;
    t.lon[i] = lon;
    let s = stateIndex.get(state);
    if (s === undefined) {
      s = t.states.push(state) - 1;
      stateIndex.set(state, s);
    }
    t.state[i] = s;
  });
  return t;
}

/**
 * The dataset's record for a 5-digit US ZIP or a Canadian forward sortation area (`K1A`);
 * undefined when it has none. Coordinates are NaN where the dataset has no number.
 */
export function lookupZip(key: string): ZipPlace | undefined {
  table ??= load();
  const i = /^\d{5}$/.test(key) ? table.us[Number(key)]! - 1 : (table.other.get(key) ?? -1);
  if (i < 0) return undefined;
  return { latitude: table.lat[i]!, longitude: table.lon[i]!, state: table.states[table.state[i]!]! };
}
