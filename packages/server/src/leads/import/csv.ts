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

const QUOTE = 0x22;
const COMMA = 0x2c;
const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;

/** How a field's value is written in the record's bytes (`CsvRecord`). */
export const enum FieldKind {
  /** Unquoted: the value is the bytes [start, end) as they are (a quote inside is kept). */
  Plain = 0,
  /** Quoted, holding no doubled quote: the value is [start, end), the bytes between the quotes. */
  Quoted = 1,
  /** Quoted with doubled quotes inside: the value is [start, end) with each `""` read as one `"`. */
  Doubled = 2,
  /**
   * Quoted, but the closing quote is followed by more text (`"a"b`): kept as written but for the
   * doubled quotes of the quoted part. The value is `"`, then [start, mid) with each `""` read as
   * `"`, then [mid, end) as it is (from the closing quote on).
   */
  Relaxed = 3,
}

/**
 * One record of the file, as spans of the bytes it was read from (valid until the next record is
 * read): nothing is decoded until asked for, so a column nobody mapped costs nothing.
 */
export class CsvRecord {
  buf: Buffer = Buffer.alloc(0);
  /** Fields in this record. */
  count = 0;
  kind = new Uint8Array(16);
  start = new Int32Array(16);
  mid = new Int32Array(16);
  end = new Int32Array(16);

  /** Makes room for `n` fields. */
  reserve(n: number): void {
    if (n <= this.kind.length) return;
    const size = Math.max(n, this.kind.length * 2);
    const kind = new Uint8Array(size);
    kind.set(this.kind);
    this.kind = kind;
    for (const key of ['start', 'mid', 'end'] as const) {
      const grown = new Int32Array(size);
      grown.set(this[key]);
      this[key] = grown;
    }
  }

  /** Field `i`'s value as text (undefined past the end of a short row). */
  text(i: number): string | undefined {
    if (i >= this.count) return undefined;
    const { buf } = this;
    const start = this.start[i]!;
    const end = this.end[i]!;
    switch (this.kind[i] as FieldKind) {
      case FieldKind.Plain:
      case FieldKind.Quoted:
        return buf.toString('utf8', start, end);
      case FieldKind.Doubled:
        return buf.toString('utf8', start, end).replaceAll('""', '"');
      default:
        return '"' + buf.toString('utf8', start, this.mid[i]).replaceAll('""', '"') + buf.toString('utf8', this.mid[i], end);
    }
  }

  /** Field `i`'s bytes as written: never less than its value's UTF-8 length, at most 2 more. */
  spanBytes(i: number): number {
    return i < this.count ? this.end[i]! - this.start[i]! + (this.kind[i] === FieldKind.Relaxed ? 1 : 0) : 0;
  }

  /** Every field is blank (whitespace as String.prototype.trim sees it): a spreadsheet's empty row. */
  blank(): boolean {
    const { buf } = this;
    for (let i = 0; i < this.count; i++) {
      if (this.kind[i]! >= FieldKind.Doubled) return false; // holds a quote
      for (let p = this.start[i]!, end = this.end[i]!; p < end; p++) {
        const c = buf[p]!;
        if (c === SPACE || (c >= 0x09 && c <= 0x0d)) continue;
        // Other whitespace (no-break spaces, U+2028, …) is not ASCII: ask JavaScript.
        if (c >= 0x80) return this.blankFrom(i);
        return false;
      }
    }
    return true;
  }

  private blankFrom(i: number): boolean {
    for (; i < this.count; i++) if (this.text(i)!.trim() !== '') return false;
    return true;
  }
}

/** Line ends in buf[from, to): CRLF, LF and CR are one each. */
function lineEnds(buf: Buffer, from: number, to: number): number {
  let n = 0;
  for (let p = from; p < to; p++) {
    const c = buf[p];
    if (c === LF || (c === CR && buf[p + 1] !== LF)) n++;
  }
  return n;
}

/**
 * The CSV reader for lead lists, byte by byte. Fed the file's chunks (`push`, then `finish`), it
 * hands out records (`next`) as spreadsheets write them, every value exactly as written (no
 * trimming):
 *
 * - a UTF-8 byte-order mark at the start is skipped;
 * - records end at CRLF, LF or CR, mixed in one file too;
 * - a field starting with `"` is quoted: it may hold commas, line ends and doubled quotes (`""`); a
 *   quote anywhere else is kept as written, and so is text after a closing quote (`"a"b`);
 * - rows may have any number of fields;
 * - blank lines, and records whose fields are all blank (`,,,`), are skipped.
 *
 * That is what `csv-parse` reads with `relax_quotes`, `relax_column_count`, `skip_empty_lines` and
 * `skip_records_with_empty_values` (csv.property.test.ts compares the two on random text), at a
 * fraction of the cost: a record is a set of spans over the bytes, and only the fields asked for
 * are ever decoded. A quote never closed, or a record over `MAX_RECORD_BYTES`, is an
 * `ImportFileError`.
 */
export class CsvReader {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private final = false;
  private bomChecked = false;
  /** Line (from 1) of the byte at `pos`. */
  private line = 1;
  private readonly record = new CsvRecord();

  /** The file's next chunk; call once `next` has returned null. */
  push(chunk: Buffer): void {
    const rest = this.buf.length - this.pos;
    this.buf = rest > 0 ? Buffer.concat([this.buf.subarray(this.pos), chunk]) : chunk;
    this.pos = 0;
    this.skipBom();
  }

  /** The file has no more chunks; call once `next` has returned null. */
  finish(): void {
    this.final = true;
    this.skipBom();
  }

  private skipBom(): void {
    if (this.bomChecked || (this.buf.length < 3 && !this.final)) return;
    this.bomChecked = true;
    if (this.buf[0] === 0xef && this.buf[1] === 0xbb && this.buf[2] === 0xbf) this.pos = 3;
  }

  /**
   * The next record (the same object each time, valid until the next call), or null when the
   * bytes so far hold no complete record (push more) or, after `finish`, none is left.
   */
  next(): CsvRecord | null {
    if (!this.bomChecked) return null;
    for (;;) {
      const at = this.pos;
      if (at >= this.buf.length) return null;
      const end = this.scan(at);
      if (end < 0) {
        // Incomplete: kept (from `at`) until the next chunk, unless it cannot be a lead any more.
        if (this.buf.length - at > MAX_RECORD_BYTES) throw this.tooLarge();
        return null;
      }
      if (end - at > MAX_RECORD_BYTES) throw this.tooLarge();
      this.line += lineEnds(this.buf, at, end);
      this.pos = end;
      if (!this.record.blank()) return this.record;
    }
  }

  private tooLarge(): ImportFileError {
    return new ImportFileError(`a row (at line ${this.line}) is larger than 1 MiB: a quote left open, or not a CSV file`);
  }

  /**
   * Reads the record starting at `at` into `this.record`; returns where the next one starts, or -1
   * when the bytes end before the record does and more may come.
   */
  private scan(at: number): number {
    const { buf, final, record } = this;
    const len = buf.length;
    record.buf = buf;
    let n = 0;
    let p = at;
    for (;;) {
      record.reserve(n + 1);
      if (p < len && buf[p] === QUOTE) {
        // Quoted: up to a quote followed by a delimiter, a line end or the end of the file.
        let q = p + 1;
        let doubled = false;
        for (;;) {
          q = buf.indexOf(QUOTE, q);
          if (q < 0) {
            if (!final) return -1;
            throw new ImportFileError(`not a valid CSV file: the quoted field opened at line ${this.line + lineEnds(buf, at, p)} is never closed`);
          }
          if (q + 1 >= len && !final) return -1;
          const d = q + 1 < len ? buf[q + 1]! : -1;
          if (d === QUOTE) {
            doubled = true;
            q += 2;
            continue;
          }
          if (d === -1 || d === COMMA || d === LF || d === CR) {
            record.kind[n] = doubled ? FieldKind.Doubled : FieldKind.Quoted;
            record.start[n] = p + 1;
            record.end[n] = q;
            p = q + 1;
            break;
          }
          // Text after the closing quote: the field goes on, as written, to the next delimiter.
          let r = q + 1;
          for (let c = buf[r]; r < len && c !== COMMA && c !== LF && c !== CR; c = buf[++r]);
          if (r >= len && !final) return -1;
          record.kind[n] = FieldKind.Relaxed;
          record.start[n] = p + 1;
          record.mid[n] = q;
          record.end[n] = r;
          p = r;
          break;
        }
      } else {
        let r = p;
        for (let c = buf[r]; r < len && c !== COMMA && c !== LF && c !== CR; c = buf[++r]);
        if (r >= len && !final) return -1;
        record.kind[n] = FieldKind.Plain;
        record.start[n] = p;
        record.end[n] = r;
        p = r;
      }
      n++;
      if (p >= len) break; // the end of the file ends the record
      const c = buf[p];
      if (c === COMMA) {
        p++;
        continue;
      }
      if (c === CR) {
        if (p + 1 >= len && !final) return -1;
        p += buf[p + 1] === LF ? 2 : 1;
      } else {
        p++;
      }
      break;
    }
    record.count = n;
    return p;
  }
}

/** Any error out of the reading pipeline → the operator-facing reason, when it is the file's fault. */
export function asFileError(err: unknown): ImportFileError | null {
  return err instanceof ImportFileError ? err : null;
}
