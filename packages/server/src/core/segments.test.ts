import { describe, expect, it } from 'vitest';
import { countSegments } from './segments.ts';

const a = (n: number): string => 'a'.repeat(n);
const zh = (n: number): string => 'ж'.repeat(n); // Cyrillic: UCS-2, one unit each
const euro = (n: number): string => '€'.repeat(n); // GSM-7 extension: two septets each
const smile = (n: number): string => '😀'.repeat(n); // outside the BMP: two units each

describe('countSegments', () => {
  it.each([
    // [label, text, encoding, characters, segments, perSegment]
    ['empty', '', 'GSM-7', 0, 0, 160],
    ['one char', 'a', 'GSM-7', 1, 1, 160],
    ['GSM 160 (one part, full)', a(160), 'GSM-7', 160, 1, 160],
    ['GSM 161 (first multipart)', a(161), 'GSM-7', 161, 2, 153],
    ['GSM 306 (two full parts)', a(306), 'GSM-7', 306, 2, 153],
    ['GSM 307', a(307), 'GSM-7', 307, 3, 153],
    ['GSM 459 (three full parts)', a(459), 'GSM-7', 459, 3, 153],
    ['GSM 460', a(460), 'GSM-7', 460, 4, 153],
    ['extension chars fill one part exactly', euro(80), 'GSM-7', 160, 1, 160],
    ['one septet past the single limit', euro(80) + 'a', 'GSM-7', 161, 2, 153],
    ['extension char as the 160th/161st septet', a(159) + '€', 'GSM-7', 161, 2, 153],
    ['extension char ending a single part', a(158) + '€', 'GSM-7', 160, 1, 160],
    // 152 + 2 would overflow 153, so the escape pair moves whole to part 2, and
    // that push costs a third part although 306 septets fit two parts by count.
    ['escape pair never split', a(152) + '€' + a(152), 'GSM-7', 306, 3, 153],
    ['escape pair just fits a part', a(151) + '€' + a(153), 'GSM-7', 306, 2, 153],
    ['every extension char costs two', '\f^{}\\[~]|€', 'GSM-7', 20, 1, 160],
    ['newlines and GSM accents are one septet', 'é\nÄ\r¿Ç', 'GSM-7', 6, 1, 160],
    ['UCS-2 70 (one part, full)', zh(70), 'UCS-2', 70, 1, 70],
    ['UCS-2 71 (first multipart)', zh(71), 'UCS-2', 71, 2, 67],
    ['UCS-2 134 (two full parts)', zh(134), 'UCS-2', 134, 2, 67],
    ['UCS-2 135', zh(135), 'UCS-2', 135, 3, 67],
    ['one non-GSM char switches the whole message', a(69) + 'ж', 'UCS-2', 70, 1, 70],
    ['a long GSM text with one curly quote', a(70) + '’', 'UCS-2', 71, 2, 67],
    ['extension chars cost one unit in UCS-2', euro(69) + 'ж', 'UCS-2', 70, 1, 70],
    ['emoji is two units', smile(1), 'UCS-2', 2, 1, 70],
    ['35 emoji fill one part', smile(35), 'UCS-2', 70, 1, 70],
    ['36 emoji: 33 per part, never split', smile(36), 'UCS-2', 72, 2, 67],
    ['67 emoji: 33 + 33 + 1', smile(67), 'UCS-2', 134, 3, 67],
    ['surrogate pair never split', zh(66) + '😀' + zh(66), 'UCS-2', 134, 3, 67],
    ['surrogate pair just fits', zh(65) + '😀' + zh(67), 'UCS-2', 134, 2, 67],
    ['emoji with skin tone = two pairs', '👍🏽', 'UCS-2', 4, 1, 70],
    ['lower-case ç is not in GSM 03.38', 'ç', 'UCS-2', 1, 1, 70],
    ['tab is not in GSM 03.38', '\t', 'UCS-2', 1, 1, 70],
  ] as const)('%s', (_label, text, encoding, characters, segments, perSegment) => {
    expect(countSegments(text)).toEqual({ encoding, characters, segments, perSegment });
  });

  it('counts every printable ASCII character except the GSM gaps as one septet', () => {
    // ASCII characters missing from the basic GSM alphabet: ` is absent, the rest of
    // ^{}\[~]| live in the extension table.
    const ascii = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');
    const gsm = ascii.replace(/[`]/g, '');
    const result = countSegments(gsm);
    expect(result.encoding).toBe('GSM-7');
    expect(result.characters).toBe(gsm.length + '^{}\\[~]|'.length);
    expect(countSegments('`').encoding).toBe('UCS-2');
  });

  it('matches a realistic broadcast', () => {
    const message = 'Hi Ada, this is Engage. Reply STOP to opt out, HELP for help. Offer ends 3/31!';
    expect(countSegments(message)).toEqual({ encoding: 'GSM-7', characters: message.length, segments: 1, perSegment: 160 });
  });
});
