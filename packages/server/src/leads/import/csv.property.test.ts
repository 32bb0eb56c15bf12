/**
 * Property tests of the list reader: any rows written as CSV the way spreadsheets write them (fields
 * quoted when they hold a comma, quote or line break; LF or CRLF; with or without a BOM; split into
 * arbitrary chunks, even inside a UTF-8 character) are read back field for field. The import's
 * round trip through COPY and PostgreSQL is checked in import-roundtrip.test.ts.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ImportFileError, asFileError, csvParser, utf8Guard } from './csv.ts';
import { field, fieldUnit, toCsvField } from './testkit.ts';

async function readAll(bytes: Buffer, cuts: number[]): Promise<string[][]> {
  const chunks: Buffer[] = [];
  let at = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
    chunks.push(bytes.subarray(at, cut));
    at = cut;
  }
  chunks.push(bytes.subarray(at));
  const out: string[][] = [];
  const parser = csvParser();
  parser.on('data', (r: string[]) => out.push(r));
  await pipeline(Readable.from(chunks.filter((c) => c.length > 0)), utf8Guard({ bytes: 0 }), parser);
  return out;
}

/** Rows whose fields are all blank are blank lines to a spreadsheet: skipped by design. */
const isBlank = (row: string[]) => row.every((f) => f.trim() === '');

describe('CSV reading (property)', () => {
  it('reads back any rows field for field', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(field, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 8 }),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 6 }),
        async (rows, eol, bom, finalEol, cuts) => {
          const text = (bom ? '\ufeff' : '') + rows.map((r) => r.map(toCsvField).join(',')).join(eol) + (finalEol ? eol : '');
          const records = await readAll(Buffer.from(text, 'utf8'), cuts);
          // A one-field row holding only an empty string is written as an empty line.
          expect(records).toEqual(rows.filter((r) => !isBlank(r)));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('refuses any file with a NUL byte or a byte sequence that is not UTF-8, wherever the chunks are cut', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: fieldUnit, maxLength: 200 }),
        fc.constantFrom([0x00], [0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xc0, 0xaf]),
        fc.nat(),
        fc.array(fc.nat(), { maxLength: 4 }),
        async (text, bad, where, cuts) => {
          const good = Buffer.from(text, 'utf8');
          // Insert at a character boundary so that only the inserted bytes are invalid.
          const chars = Array.from(text);
          const prefix = Buffer.from(chars.slice(0, where % (chars.length + 1)).join(''), 'utf8');
          const bytes = Buffer.concat([prefix, Buffer.from(bad), good.subarray(prefix.length)]);
          const err = await readAll(bytes, cuts).then(() => null, (e: unknown) => e);
          expect(asFileError(err)).toBeInstanceOf(ImportFileError);
        },
      ),
      { numRuns: 300 },
    );
  });
});
