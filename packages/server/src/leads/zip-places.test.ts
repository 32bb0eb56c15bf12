import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { lookupZip } from './zip-places.ts';

interface ZipRecord { latitude: number | null; longitude: number | null; state: string }
const dataset = createRequire(import.meta.url)('zipcodes') as { codes: Record<string, ZipRecord>; lookup(zip: string): ZipRecord | undefined };

describe('the compact ZIP dataset', () => {
  it('answers what the zipcodes package answers, for every one of its records', () => {
    const keys = Object.keys(dataset.codes);
    expect(keys.length).toBeGreaterThan(44_000);
    for (const key of keys) {
      const want = dataset.lookup(key)!;
      const got = lookupZip(key);
      expect(got, key).toBeDefined();
      expect(got!.state, key).toBe(want.state);
      // The package has null where a record has no coordinates; the compact form has NaN.
      expect(Number.isFinite(got!.latitude) ? got!.latitude : null, key).toBe(typeof want.latitude === 'number' ? want.latitude : null);
      expect(Number.isFinite(got!.longitude) ? got!.longitude : null, key).toBe(typeof want.longitude === 'number' ? want.longitude : null);
    }
  });

  it('knows no ZIP the dataset does not have', () => {
    expect(dataset.lookup('00000')).toBeUndefined();
    expect(lookupZip('00000')).toBeUndefined();
    expect(lookupZip('Z9Z')).toBeUndefined();
    expect(lookupZip('10001')).toMatchObject({ state: 'NY' });
  });
});
