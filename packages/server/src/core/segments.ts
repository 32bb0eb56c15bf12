/**
 * How many SMS segments a message costs, as carriers bill it.
 *
 * A message is sent in the GSM 03.38 7-bit alphabet when every character is in it, and
 * in UCS-2 (16-bit) otherwise — one emoji or curly quote switches the whole message.
 * A single SMS carries 140 bytes: 160 septets or 70 UTF-16 units. A longer message is
 * split into parts that each lose 6 bytes to the concatenation header: 153 septets or
 * 67 units per part. Parts never split an escape sequence (GSM-7 extension characters
 * take two septets) or a surrogate pair (characters outside the BMP take two units),
 * so a part can end up one unit short — which is why this packs characters greedily
 * instead of dividing the total.
 */

export interface SegmentCount {
  encoding: 'GSM-7' | 'UCS-2';
  /** Length in the units the limits count: septets for GSM-7, UTF-16 code units for UCS-2. */
  characters: number;
  /** SMS parts the message is sent as; 0 for the empty message, which is never sent. */
  segments: number;
  /** The capacity of each part at this length: 160/153 for GSM-7, 70/67 for UCS-2. */
  perSegment: number;
}

/** GSM 03.38 default alphabet (one septet each), excluding ESC (0x1B) itself. */
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
    '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);

/** GSM 03.38 extension table: each is ESC + a septet, so two septets. */
const GSM_EXTENSION = new Set('\f^{}\\[~]|€');

const LIMITS = {
  'GSM-7': { single: 160, multipart: 153 },
  'UCS-2': { single: 70, multipart: 67 },
} as const;

/** Septets per character in GSM-7, or null when the character forces UCS-2. */
function gsmSeptets(char: string): 1 | 2 | null {
  if (GSM_BASIC.has(char)) return 1;
  if (GSM_EXTENSION.has(char)) return 2;
  return null;
}

/** The cost of each character (code point) of `text` in the chosen encoding's units. */
function unitCosts(text: string): { encoding: SegmentCount['encoding']; costs: number[] } {
  const costs: number[] = [];
  for (const char of text) {
    const septets = gsmSeptets(char);
    if (septets === null) {
      // for…of yields code points, so a surrogate pair arrives as one 2-unit character.
      return { encoding: 'UCS-2', costs: Array.from(text, (c) => c.length) };
    }
    costs.push(septets);
  }
  return { encoding: 'GSM-7', costs };
}

/** Parts needed when no character may straddle two parts of `capacity` units. */
function packParts(costs: number[], capacity: number): number {
  let parts = 1;
  let used = 0;
  for (const cost of costs) {
    if (used + cost > capacity) {
      parts += 1;
      used = 0;
    }
    used += cost;
  }
  return parts;
}

export function countSegments(text: string): SegmentCount {
  const { encoding, costs } = unitCosts(text);
  const characters = costs.reduce((sum, cost) => sum + cost, 0);
  const limits = LIMITS[encoding];
  if (characters === 0) return { encoding, characters, segments: 0, perSegment: limits.single };
  if (characters <= limits.single) return { encoding, characters, segments: 1, perSegment: limits.single };
  return { encoding, characters, segments: packParts(costs, limits.multipart), perSegment: limits.multipart };
}
