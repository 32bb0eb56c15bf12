/**
 * A Bloom filter of E.164 phones: answers "certainly not seen" for almost every phone of a list, so
 * that only the rest are looked up in the campaign's leads (an index probe each, in settle.ts). It
 * holds the campaign's phones from before the import and every phone of the file so far.
 *
 * Fixed size (8 MiB, 4 hashes): false positives stay around 1 in 100,000 at a million phones and
 * reach a few percent only past ten million. A false positive costs one probe; there are no false
 * negatives, so no duplicate is missed.
 */
import { fnv1a } from '../../core/hash.ts';

const BITS = 1 << 26;
const MASK = BITS - 1;
const HASHES = 4;
/** Size of a filter's bits in bytes (8 MiB). */
export const FILTER_BYTES = BITS / 8;

/** murmur3's 32-bit finaliser: spreads every input bit over the output. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export class PhoneFilter {
  private h1 = 0;
  private h2 = 0;

  /** `words`: the filter's bits, e.g. over a SharedArrayBuffer so that a worker thread can use them (FILTER_BYTES). */
  constructor(private readonly words: Uint32Array<ArrayBufferLike> = new Uint32Array(BITS / 32)) {
    if (words.length !== BITS / 32) throw new Error(`a phone filter needs ${FILTER_BYTES} bytes`);
  }

  /** The filter's bits (shared with whoever shares its buffer). */
  get bits(): Uint32Array<ArrayBufferLike> {
    return this.words;
  }

  /** Two independent 32-bit hashes of the phone's digits (at most 15, so exact as a double). */
  private hash(phone: string): void {
    const n = Number(phone.slice(1));
    if (Number.isSafeInteger(n)) {
      const lo = n >>> 0;
      const hi = Math.floor(n / 0x100000000) >>> 0;
      this.h1 = fmix(lo ^ Math.imul(hi, 0x9e3779b1));
      this.h2 = fmix(hi ^ Math.imul(lo, 0x85ebca77) ^ 0x27d4eb2f) | 1;
      return;
    }
    // Not digits (never for an E.164 phone): FNV-1a over the characters.
    const a = fnv1a(phone);
    this.h1 = fmix(a);
    this.h2 = fmix(a ^ 0x5bd1e995) | 1;
  }

  add(phone: string): void {
    this.testAndAdd(phone);
  }

  /** `mightHave`, then `add`: what the filter said before the phone was added (one hashing for both). */
  testAndAdd(phone: string): boolean {
    this.hash(phone);
    let had = true;
    for (let i = 0; i < HASHES; i++) {
      const bit = (this.h1 + Math.imul(i, this.h2)) & MASK;
      const word = this.words[bit >>> 5]!;
      if ((word & (1 << (bit & 31))) === 0) {
        had = false;
        this.words[bit >>> 5] = word | (1 << (bit & 31));
      }
    }
    return had;
  }

  /** False: the phone was certainly never added. True: it probably was. */
  mightHave(phone: string): boolean {
    this.hash(phone);
    for (let i = 0; i < HASHES; i++) {
      const bit = (this.h1 + Math.imul(i, this.h2)) & MASK;
      if ((this.words[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}
