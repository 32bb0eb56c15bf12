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

/** Columns of `leads` each staged row gives, in COPY order (the four after `id` are the same on every row). */
export const LEAD_COLUMNS = ['id', 'workspace_id', 'campaign_id', 'list_id', 'created', 'phone', 'zip', 'state', 'time_zone', 'lat', 'lon', 'lead_data'] as const;

/** Columns of a chunk's candidates (rows the checks in SQL must look at), in COPY order. */
export const CANDIDATE_COLUMNS = ['rn', 'phone', 'value', 'repeat'] as const;

/** Where the import's leads go: the values every row of the file shares. */
export interface LeadTarget {
  workspaceId: number;
  campaignId: string;
  listId: string;
}

/** A finished chunk: its lead lines as COPY text, and its candidates. */
export interface ChunkData {
  segments: Uint8Array[];
  /** COPY text (CANDIDATE_COLUMNS) of the rows the checks in SQL must look at. */
  candidates: string;
  /** Where each candidate's line is: [row number, [segment, start, end]]. */
  places: [number, [number, number, number]][];
  /** Lines in `segments`. */
  rows: number;
}

/** The chunk's bytes but for the lines of the candidates `rns`, as Buffers (no copy). */
export function withoutLines(chunk: ChunkData, rns: Iterable<number>): Buffer[] {
  const segments = chunk.segments.map((u) => Buffer.from(u.buffer, u.byteOffset, u.byteLength));
  const places = new Map(chunk.places);
  const cuts = [...rns].map((rn) => places.get(rn)!).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (cuts.length === 0) return segments;
  const out: Buffer[] = [];
  let seg = 0;
  let from = 0;
  for (const [s, start, end] of cuts) {
    for (; seg < s; seg++, from = 0) if (from < segments[seg]!.length) out.push(segments[seg]!.subarray(from));
    if (from < start) out.push(segments[seg]!.subarray(from, start));
    from = end;
  }
  for (; seg < segments.length; seg++, from = 0) if (from < segments[seg]!.length) out.push(segments[seg]!.subarray(from));
  return out;
}

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
  /** Rows written. */
  rows = 0;
  /** COPY text (CANDIDATE_COLUMNS) of the rows settle.ts must check, usually few. */
  candidates = '';
  /** Where each candidate's line is: row number → [segment, start, end]. */
  private readonly places = new Map<number, [number, number, number]>();

  constructor(private readonly pool: SegmentPool) {
    this.current = pool.take();
  }

  /** Appends a line; with `rn`, remembers where it is, so that `without` can leave it out. */
  write(line: string, rn?: number): void {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit.
    if (this.used + line.length * 3 > this.current.length) {
      this.seal();
      this.current = line.length * 3 > SEGMENT ? Buffer.allocUnsafe(line.length * 3) : this.pool.take();
      this.used = 0;
    }
    const start = this.used;
    const n = this.current.write(line, this.used, 'utf8');
    this.used += n;
    this.length += n;
    this.rows++;
    // The current segment becomes views[views.length] when sealed (it is not empty now).
    if (rn !== undefined) this.places.set(rn, [this.views.length, start, this.used]);
  }

  /** The bytes written (see `segments`) but for the lines of the rows `rns`, which must have been written with their row number. */
  without(rns: Iterable<number>): Buffer[] {
    return withoutLines(this.data(), rns);
  }

  /** The chunk as plain data (to post to another thread). Nothing may be written afterwards. */
  data(): ChunkData {
    return { segments: this.segments(), candidates: this.candidates, places: [...this.places], rows: this.rows };
  }

  private seal(): void {
    this.full.push(this.current);
    if (this.used > 0) this.views.push(this.current.subarray(0, this.used));
  }

  /** The bytes written, segment by segment. Nothing may be written afterwards. */
  segments(): Buffer[] {
    if (this.current.length > 0) {
      this.seal();
      this.current = Buffer.alloc(0);
    }
    return [...this.views];
  }

  /** Gives the segments back to the pool once the COPY is done with them. */
  release(): void {
    this.pool.give(this.full);
    this.full.length = 0;
    this.views.length = 0;
    this.places.clear();
  }
}

/**
 * Turns records into COPY lines of `leads`. One per import: it owns the ZIP cache, the JavaScript-side
 * rejections and the phone filter. `now` stamps the lead ids (time-ordered like every other id) and
 * their `created`.
 */
export class RowStager {
  readonly rejections = new RejectionLog();
  /** Data rows seen (the `row` of the last one). */
  rows = 0;
  private readonly enrich = createLocationEnricher();
  private headerPending: boolean;
  /** `{"Phone":`, `,"Name":` … — each mapped column's JSON key, written once. */
  private readonly jsonKeys: string[];
  /** workspace, campaign, list and created: the same on every line. */
  private readonly fixed: string;
  /**
   * The workspace's suppressed phones and, with `deDupe`, the campaign's phones and the file's so
   * far (settle.ts fills in the first two). A row whose phone it may hold is a candidate: only
   * candidates are checked in SQL against suppressions and the campaign's leads.
   */
  readonly seen: PhoneFilter;

  constructor(
    private readonly options: ImportOptions,
    private readonly now: Date,
    target: LeadTarget = { workspaceId: 0, campaignId: '', listId: '' },
    seen = new PhoneFilter(),
  ) {
    this.seen = seen;
    this.headerPending = options.firstRowHeaders;
    this.jsonKeys = options.mappedCols.map((c, i) => `${i === 0 ? '{' : ','}${JSON.stringify(c.columnId)}:`);
    this.fixed = `${target.workspaceId}\t${target.campaignId}\t${target.listId}\t${now.toISOString()}`;
  }

  /** Writes the record's lead line to `out`, unless it is the header or rejected. */
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
    // says more. Suppressions, earlier chunks and the campaign's other leads are looked up only when
    // the filter may hold the phone.
    const repeat = this.options.deDupe && out.phones.has(phone);
    if (this.options.deDupe && !repeat) out.phones.add(phone);
    const candidate = repeat || this.seen.mightHave(phone);
    if (this.options.deDupe && !candidate) this.seen.add(phone);
    if (candidate) out.candidates += `${row}\t${phone}\t${copyText(rawPhone!)}\t${repeat ? 't' : 'f'}\n`;
    // JSON text has no raw tabs or line breaks; only its backslashes need COPY's escaping.
    out.write(
      `${newId(this.now)}\t${this.fixed}\t${phone}\t${copyText(place.zip)}\t${copyText(place.state)}\t${copyText(place.timeZone)}\t` +
      `${place.lat ?? '\\N'}\t${place.lon ?? '\\N'}\t${json.includes('\\') ? json.replace(/\\/g, '\\\\') : json}\n`,
      candidate ? row : undefined,
    );
  }
}
