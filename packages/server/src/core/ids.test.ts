import { describe, expect, it } from 'vitest';
import { isId, newId, writeNewId } from './ids.ts';

describe('newId', () => {
  it('is 24 lowercase hex characters starting with the seconds of its time', () => {
    const now = new Date('2025-03-04T11:33:52.948Z');
    const id = newId(now);
    expect(isId(id)).toBe(true);
    expect(parseInt(id.slice(0, 8), 16)).toBe(Math.floor(now.getTime() / 1000));
  });
  it('sorts in creation order within a process and never repeats', () => {
    const now = new Date();
    const ids = Array.from({ length: 10_000 }, () => newId(now));
    expect(new Set(ids).size).toBe(ids.length);
    const later = newId(new Date(now.getTime() + 1000));
    expect(later > ids[ids.length - 1]!).toBe(true);
  });
});

describe('writeNewId', () => {
  it('writes the id newId would make next, as bytes, on the same counter', () => {
    const now = new Date('2026-11-24T10:00:00.500Z');
    const out = Buffer.alloc(24 * 4 + 3);
    const ids: string[] = [newId(now)];
    let at = 3;
    for (let i = 0; i < 3; i++) {
      at = writeNewId(now, out, at);
      ids.push(out.toString('latin1', at - 24, at));
    }
    ids.push(newId(now));
    expect(at).toBe(3 + 72);
    expect(ids.every(isId)).toBe(true);
    expect(ids.map((id) => id.slice(0, 18))).toEqual(Array(5).fill(ids[0]!.slice(0, 18)));
    // One counter: each id is the previous one plus one (mod 2^24), whichever function made it.
    const counters = ids.map((id) => parseInt(id.slice(18), 16));
    expect(counters.slice(1).map((c, i) => (c - counters[i]! + 0x1000000) % 0x1000000)).toEqual([1, 1, 1, 1]);
    // A new second starts a new prefix.
    writeNewId(new Date(now.getTime() + 1000), out, 0);
    expect(parseInt(out.toString('latin1', 0, 8), 16)).toBe(Math.floor(now.getTime() / 1000) + 1);
  });
});
