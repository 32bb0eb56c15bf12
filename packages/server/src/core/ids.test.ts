import { describe, expect, it } from 'vitest';
import { isId, newId } from './ids.ts';

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
