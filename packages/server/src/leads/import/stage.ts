/**
 * The per-row half of an import, in JavaScript: each CSV record becomes either a row of the staging
 * table (COPY text format) with its phone in E.164, its place from the ZIP or area code, its mapped
 * columns as `leadData`, and a time-ordered lead id — or a rejection (`FIELD_TOO_LARGE`,
 * `INVALID_PHONE`). What depends on the database (opt-outs, do-not-contact, duplicates) is decided
 * afterwards in SQL over the whole file at once.
 */
import { newId } from '../../core/ids.ts';
import { normalizePhone } from '../../core/phone.ts';
import { createLocationEnricher } from '../enrichment.ts';
import type { ImportOptions } from './options.ts';
import { PhoneFilter } from './phone-filter.ts';

/** Longest value a mapped column may hold (the single-lead load's limit); longer → FIELD_TOO_LARGE. */
export const MAX_FIELD_CHARS = 10_000;
/** Rejections kept with the import; past this only counted. */
export const MAX_REJECTIONS = 10_000;
/** A rejection's `value` is cut to this many characters. */
const MAX_VALUE_CHARS = 100;

export type ImportRejectReason = 'INVALID_PHONE' | 'FIELD_TOO_LARGE' | 'DUPLICATE' | 'OPTED_OUT' | 'DNC';

export interface Rejection {
  /** 1-based record number over the file's data rows (header and blank lines not counted). */
  row: number;
  reason: ImportRejectReason;
  /** The offending value as written (the phone for every reason but FIELD_TOO_LARGE), cut to 100 characters. */
  value: string | null;
}

export const clip = (v: string | null | undefined): string | null => (v === undefined || v === null ? null : v.length > MAX_VALUE_CHARS ? v.slice(0, MAX_VALUE_CHARS) : v);

/** The rejections found in JavaScript, first MAX_REJECTIONS kept (in row order), all counted. */
export class RejectionLog {
  readonly kept: Rejection[] = [];
  readonly counts: Partial<Record<ImportRejectReason, number>> = {};
  total = 0;

  add(row: number, reason: ImportRejectReason, value: string | null): void {
    this.total++;
    this.counts[reason] = (this.counts[reason] ?? 0) + 1;
    if (this.kept.length < MAX_REJECTIONS) this.kept.push({ row, reason, value: clip(value) });
  }
}

const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A value in PostgreSQL's COPY text format. */
export function copyText(v: string | null): string {
  if (v === null) return '\\N';
  return COPY_SPECIAL.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]!) : v;
}

/** Columns of the staging table, in COPY order. */
export const STAGING_COLUMNS = ['rn', 'id', 'phone', 'zip', 'state', 'time_zone', 'lat', 'lon', 'lead_data', 'repeat', 'seen'] as const;

/** Size of a CopyBuffer segment. */
const SEGMENT = 1024 * 1024;

/**
 * Segments handed back once their chunk was COPYed, reused by the next chunks: an import then
 * allocates two chunks' worth of buffers instead of a file's worth of garbage.
 */
export class SegmentPool {
  private readonly free: Buffer[] = [];

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafe(SEGMENT);
  }

  give(segments: Buffer[]): void {
    for (const s of segments) if (s.length === SEGMENT) this.free.push(s);
  }
}

/**
 * A chunk of COPY text as bytes, in 1 MiB segments. Rows are written straight into off-heap
 * buffers: building one big string per chunk instead made the garbage collector the import's
 * largest cost, and segments never need copying as the chunk grows.
 */
export class CopyBuffer {
  private readonly full: Buffer[] = [];
  private readonly views: Buffer[] = [];
  private current: Buffer;
  private used = 0;
  /** Bytes written. */
  length = 0;
  /** Phones of this chunk so far: a repeat within the chunk is flagged for settle.ts. */
  readonly phones = new Set<string>();

  constructor(private readonly pool: SegmentPool) {
    this.current = pool.take();
  }

  write(line: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit.
    if (this.used + line.length * 3 > this.current.length) {
      this.seal();
      this.current = line.length * 3 > SEGMENT ? Buffer.allocUnsafe(line.length * 3) : this.pool.take();
      this.used = 0;
    }
    const n = this.current.write(line, this.used, 'utf8');
    this.used += n;
    this.length += n;
  }

  private seal(): void {
    this.full.push(this.current);
    if (this.used > 0) this.views.push(this.current.subarray(0, this.used));
  }

  /** The bytes written, segment by segment. Nothing may be written afterwards. */
  segments(): Buffer[] {
    this.seal();
    this.current = Buffer.alloc(0);
    return [...this.views];
  }

  /** Gives the segments back to the pool once the COPY is done with them. */
  release(): void {
    this.pool.give(this.full);
    this.full.length = 0;
    this.views.length = 0;
  }
}

/**
 * Turns records into COPY lines. One per import: it owns the ZIP cache and the JavaScript-side
 * rejections. `now` stamps the lead ids (time-ordered like every other id).
 */
export class RowStager {
  readonly rejections = new RejectionLog();
  /** Data rows seen (the `row` of the last one). */
  rows = 0;
  private readonly enrich = createLocationEnricher();
  private headerPending: boolean;
  /** `{"Phone":`, `,"Name":` … — each mapped column's JSON key, written once. */
  private readonly jsonKeys: string[];
  /**
   * With `deDupe`: the campaign's phones and the file's so far. Only rows it may have seen are
   * looked up among the campaign's leads.
   */
  readonly seen: PhoneFilter | null;

  constructor(
    private readonly options: ImportOptions,
    private readonly now: Date,
  ) {
    this.headerPending = options.firstRowHeaders;
    this.jsonKeys = options.mappedCols.map((c, i) => `${i === 0 ? '{' : ','}${JSON.stringify(c.columnId)}:`);
    this.seen = options.deDupe ? new PhoneFilter() : null;
  }

  /** Writes the record's staging row to `out`, unless it is the header or rejected. */
  stage(record: string[], out: CopyBuffer): void {
    if (this.headerPending) {
      this.headerPending = false;
      return;
    }
    const row = ++this.rows;
    const { mappedCols } = this.options;
    // leadData as JSON text, keys in the mapping's order; a column past the end of a short
    // (ragged) row is unknown (null), not empty.
    let json = '';
    for (let i = 0; i < mappedCols.length; i++) {
      const col = mappedCols[i]!;
      const value = record[col.columnIndex];
      if (value !== undefined && value.length > MAX_FIELD_CHARS) {
        this.rejections.add(row, 'FIELD_TOO_LARGE', `${col.columnId}: ${value.length} characters (at most ${MAX_FIELD_CHARS})`);
        return;
      }
      json += this.jsonKeys[i]! + (value === undefined ? 'null' : JSON.stringify(value));
    }
    json += '}';
    const rawPhone = record[mappedCols[this.options.phone]!.columnIndex];
    const phone = rawPhone === undefined ? null : normalizePhone(rawPhone);
    if (phone === null) {
      this.rejections.add(row, 'INVALID_PHONE', rawPhone ?? null);
      return;
    }
    const zipCol = this.options.zip === null ? null : mappedCols[this.options.zip]!;
    const place = this.enrich({ zip: zipCol === null ? null : (record[zipCol.columnIndex] ?? null), phone });
    // A phone seen earlier in this chunk: settle.ts rejects it as DUPLICATE unless a suppression
    // says more. Earlier chunks and the campaign's other leads are found among its leads, looked
    // up only when the filter may have seen the phone.
    const repeat = out.phones.has(phone);
    if (!repeat) out.phones.add(phone);
    let seen = false;
    if (this.seen !== null && !repeat) {
      seen = this.seen.mightHave(phone);
      if (!seen) this.seen.add(phone);
    }
    // JSON text has no raw tabs or line breaks; only its backslashes need COPY's escaping.
    out.write(
      `${row}\t${newId(this.now)}\t${phone}\t${copyText(place.zip)}\t${copyText(place.state)}\t${copyText(place.timeZone)}\t` +
      `${place.lat ?? '\\N'}\t${place.lon ?? '\\N'}\t${json.includes('\\') ? json.replace(/\\/g, '\\\\') : json}\t${repeat ? 't' : 'f'}\t${seen ? 't' : 'f'}\n`,
    );
  }
}
