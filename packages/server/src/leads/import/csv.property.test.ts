/**
 * Property tests of the list reader: any rows written as CSV the way spreadsheets write them (fields
 * quoted when they hold a comma, quote or line break; LF or CRLF; with or without a BOM; split into
 * arbitrary chunks, even inside a UTF-8 character) are read back field for field; and any text at
 * all — stray and unbalanced quotes, CR, blank fields — is read as `csv-parse` reads it with the
 * options the import used before it had a reader of its own. The import's round trip through COPY
 * and PostgreSQL is checked in import-roundtrip.test.ts.
 */
import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvReader, ImportFileError, MAX_RECORD_BYTES, asFileError, utf8Guard } from './csv.ts';
import { field, fieldUnit, toCsvField } from './testkit.ts';

/** The bytes cut at `cuts` (any positions; duplicates and out-of-range ones folded). */
function pieces(bytes: Buffer, cuts: number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let at = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
    chunks.push(bytes.subarray(at, cut));
    at = cut;
  }
  chunks.push(bytes.subarray(at));
  return chunks.filter((c) => c.length > 0);
}

/** Every record's fields, the file fed to the reader in the chunks given, through the UTF-8 guard. */
async function readAll(bytes: Buffer, cuts: number[]): Promise<string[][]> {
  const reader = new CsvReader();
  const out: string[][] = [];
  const drain = () => {
    for (let r = reader.next(); r !== null; r = reader.next()) out.push(Array.from({ length: r.count }, (_, i) => r.text(i)!));
  };
  for await (const chunk of utf8Guard({ bytes: 0 })(Readable.from(pieces(bytes, cuts)))) {
    reader.push(chunk);
    drain();
  }
  reader.finish();
  drain();
  return out;
}

/** How csv-parse 7 reads the text with the options the import used with it (issue 3's first reader). */
const csvParse = (text: Buffer) =>
  parse(text, {
    bom: true, record_delimiter: ['\r\n', '\n', '\r'], relax_column_count: true, relax_quotes: true,
    skip_empty_lines: true, skip_records_with_empty_values: true, max_record_size: MAX_RECORD_BYTES,
  }) as string[][];

/** Text made mostly of what CSV gives meaning to, in any order. */
const csvish = fc.string({ unit: fc.constantFrom('"', '"', ',', '\r', '\n', ' ', 'a', 'é', '\u00a0', '\t', "'"), maxLength: 40 });

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

  it('reads any text, quotes unbalanced or stray, as csv-parse does, wherever the chunks are cut', async () => {
    await fc.assert(
      fc.asyncProperty(csvish, fc.boolean(), fc.array(fc.nat(), { maxLength: 6 }), async (text, bom, cuts) => {
        const bytes = Buffer.from((bom ? '\ufeff' : '') + text, 'utf8');
        const theirs = (() => {
          try {
            return csvParse(bytes);
          } catch {
            return 'error';
          }
        })();
        const ours = await readAll(bytes, cuts).catch((err: unknown) => (err instanceof ImportFileError ? 'error' : err));
        expect(ours).toEqual(theirs);
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses a record over 1 MiB, complete or still open, and a quote never closed', async () => {
    const big = 'z'.repeat(MAX_RECORD_BYTES + 1);
    for (const text of [`a,b\n1,${big}\n`, `a,b\n1,"${big}`, `a,b\n1,"${big}"\n`]) {
      await expect(readAll(Buffer.from(text), [65_536, 131_072])).rejects.toThrow(/at line 2\) is larger than 1 MiB/);
    }
    await expect(readAll(Buffer.from('a\n"b\nc\n'), [])).rejects.toThrow(/opened at line 2 is never closed/);
    // Lines end at LF, CR or CRLF, also inside quoted fields.
    await expect(readAll(Buffer.from('a\r"x\r\ny"\rb\r\n"c\rd'), [])).rejects.toThrow(/opened at line 5 is never closed/);
    expect(await readAll(Buffer.from(`a,"${'y'.repeat(MAX_RECORD_BYTES - 10)}"\n`), [70_000])).toEqual([['a', 'y'.repeat(MAX_RECORD_BYTES - 10)]]);
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
