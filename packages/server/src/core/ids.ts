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
  return hex8(secondsOf(now)) + processRandom + counter.toString(16).padStart(6, '0');
}

const secondsOf = (now: Date) => Math.floor(now.getTime() / 1000) >>> 0;
const hex8 = (n: number) => n.toString(16).padStart(8, '0');

const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
/** The first 18 characters (seconds and process) of ids made in the second `prefixOf`, as bytes. */
let prefix = Buffer.alloc(18);
let prefixOf = -1;

/**
 * `newId(now)` written as 24 ASCII bytes into `out` at `at`, for bulk loads that write bytes rather
 * than strings; the same counter, so ids from both never repeat. Returns the offset after it.
 */
export function writeNewId(now: Date, out: Uint8Array, at: number): number {
  counter = (counter + 1) & 0xffffff;
  const seconds = secondsOf(now);
  if (seconds !== prefixOf) {
    prefix = Buffer.from(hex8(seconds) + processRandom, 'latin1');
    prefixOf = seconds;
  }
  for (let i = 0; i < 18; i++) out[at + i] = prefix[i]!;
  for (let i = 23, c = counter; i >= 18; i--, c >>>= 4) out[at + i] = HEX_DIGITS[c & 15]!;
  return at + 24;
}

export const ID_PATTERN = '^[0-9a-f]{24}$';

export function isId(value: string): boolean {
  return /^[0-9a-f]{24}$/.test(value);
}
