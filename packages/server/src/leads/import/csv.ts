/**
 * Reading an uploaded lead list as CSV, the way spreadsheets and CRMs really write it: UTF-8 with or
 * without a BOM, CRLF, LF or even CR line ends (mixed too), quoted fields holding commas, quotes and
 * line breaks, stray quotes inside unquoted fields (`5'10"`), ragged rows, and blank lines.
 *
 * What cannot be read as CSV text fails the whole import with an `ImportFileError` whose message
 * tells the operator what to do: binary files (an .xlsx, a PDF, UTF-16 text), bytes that are not
 * UTF-8, an unclosed quote, or a record over `MAX_RECORD_BYTES`. Everything here streams: memory is
 * bounded by the largest record, never by the file.
 */
import { isUtf8 } from 'node:buffer';
import { CsvError, parse, type Parser } from 'csv-parse';

/** A record larger than this (1 MiB) is never a lead: almost always a quote left open. */
export const MAX_RECORD_BYTES = 1024 * 1024;

/** The file cannot be imported as CSV; the message is meant for the operator. */
export class ImportFileError extends Error {}

/** Shared with the guard: how far into the file the reader is (for the progress bar). */
export interface ByteMeter {
  bytes: number;
}

const SAVE_AS = 'save it from your spreadsheet as "CSV UTF-8" and upload again';

/** Recognises files that are not text at all from their first bytes. */
function sniff(head: Buffer): string | null {
  if (head.subarray(0, 4).equals(Buffer.from('PK\x03\x04', 'latin1'))) return `this is an Excel workbook or a ZIP archive, not a CSV file: ${SAVE_AS}`;
  if (head.subarray(0, 4).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0]))) return `this is an Excel 97-2003 workbook, not a CSV file: ${SAVE_AS}`;
  if (head.subarray(0, 5).toString('latin1') === '%PDF-') return 'this is a PDF document, not a CSV file';
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) return `this file is UTF-16 text: ${SAVE_AS}`;
  return null;
}

/** Length of `buf` up to the end of its last complete UTF-8 sequence (a chunk may cut one). */
function completeLength(buf: Buffer): number {
  let i = buf.length - 1;
  while (i >= 0 && buf.length - i <= 4 && (buf[i]! & 0xc0) === 0x80) i--;
  if (i < 0) return buf.length;
  const lead = buf[i]!;
  const size = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return buf.length - i >= size ? buf.length : i;
}

/**
 * Passes the file's chunks through unchanged while checking they are UTF-8 text: no NUL bytes
 * (binary data) and no invalid sequences (Latin-1/Windows-1252 exports). Checking as it streams
 * means a bad byte near the end of a huge file still fails the import before anything is committed.
 */
export function utf8Guard(meter: ByteMeter) {
  return async function* guard(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    let carry = Buffer.alloc(0);
    let offset = 0;
    for await (const chunk of source) {
      if (offset === 0) {
        const what = sniff(chunk);
        if (what !== null) throw new ImportFileError(what);
      }
      const nul = chunk.indexOf(0);
      if (nul >= 0) throw new ImportFileError(`the file holds binary data (a NUL byte at byte ${offset + nul}), not CSV text: ${SAVE_AS}`);
      const joined = carry.length ? Buffer.concat([carry, chunk]) : chunk;
      const end = completeLength(joined);
      if (!isUtf8(joined.subarray(0, end))) {
        throw new ImportFileError(`the file is not UTF-8 text (invalid bytes between byte ${offset - carry.length} and ${offset + chunk.length}): ${SAVE_AS}`);
      }
      carry = Buffer.from(joined.subarray(end));
      offset += chunk.length;
      meter.bytes = offset;
      yield chunk;
    }
    if (carry.length) throw new ImportFileError(`the file ends in the middle of a UTF-8 character: ${SAVE_AS}`);
  };
}

/** The CSV parser for lead lists: records as arrays of strings, exactly as written (no trimming). */
export function csvParser(): Parser {
  return parse({
    bom: true,
    // Any of the three line ends, in one file: files get concatenated from different sources.
    record_delimiter: ['\r\n', '\n', '\r'],
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    // `,,,,` rows: spreadsheets write them for formatted but empty rows.
    skip_records_with_empty_values: true,
    max_record_size: MAX_RECORD_BYTES,
  });
}

/** Any error out of the reading pipeline → the operator-facing reason, when it is the file's fault. */
export function asFileError(err: unknown): ImportFileError | null {
  if (err instanceof ImportFileError) return err;
  if (err instanceof CsvError) {
    if (err.code === 'CSV_MAX_RECORD_SIZE') {
      const line = /at line (\d+)/.exec(err.message)?.[1];
      return new ImportFileError(`a row${line ? ` (at line ${line})` : ''} is larger than 1 MiB: a quote left open, or not a CSV file`);
    }
    return new ImportFileError(`not a valid CSV file: ${err.message}`);
  }
  return null;
}
