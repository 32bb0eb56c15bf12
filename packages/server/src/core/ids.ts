import { randomBytes } from 'node:crypto';

/**
 * 24-character lowercase hex ids, time-ordered like the seed's (and MongoDB's ObjectId):
 * 4 bytes of seconds since the epoch, 5 random bytes fixed per process, 3 bytes of counter.
 * Ids made in one process sort in creation order; across processes, by second.
 */
const processRandom = randomBytes(5).toString('hex');
let counter = randomBytes(3).readUIntBE(0, 3);

export function newId(now: Date): string {
  counter = (counter + 1) & 0xffffff;
  const seconds = Math.floor(now.getTime() / 1000) >>> 0;
  return seconds.toString(16).padStart(8, '0') + processRandom + counter.toString(16).padStart(6, '0');
}

export const ID_PATTERN = '^[0-9a-f]{24}$';

export function isId(value: string): boolean {
  return /^[0-9a-f]{24}$/.test(value);
}
