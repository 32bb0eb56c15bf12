/** 32-bit FNV-1a of a string's UTF-16 code units, unsigned: a fast, well-spread hash with no secret. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
