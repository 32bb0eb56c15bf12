/**
 * The per-row half of an import, in JavaScript: each CSV record becomes either a line of COPY text
 * for `leads` — its phone in E.164, its place from the ZIP or area code, its mapped columns as
 * `leadData`, a time-ordered lead id — or a rejection (`FIELD_TOO_LARGE`, `INVALID_PHONE`). Lines
 * are written byte by byte from the record's bytes into off-heap buffers; only the phone and the
 * ZIP become strings. What depends on the database (opt-outs, do-not-contact, duplicates) is
 * decided in SQL (settle.ts) for the few rows the phone filter cannot clear.
 */
import { areaCodeInfo } from '../../core/area-codes.ts';
import { writeNewId } from '../../core/ids.ts';
import { normalizePhone, normalizePhoneBytes } from '../../core/phone.ts';
import { combine, createZipMemo, type LeadLocation } from '../enrichment.ts';
import { FieldKind, type CsvRecord } from './csv.ts';
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
  /** Where the next line starts in the current segment. */
  used = 0;
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
    const into = this.begin(line.length * 3);
    this.commit(this.used + into.write(line, this.used, 'utf8'), rn);
  }

  /** Room for a line of at most `max` bytes: the segment to write it into from `used` on (then `commit`). */
  begin(max: number): Buffer {
    if (this.used + max > this.current.length) {
      this.seal();
      this.current = max > SEGMENT ? Buffer.allocUnsafe(max) : this.pool.take();
      this.used = 0;
    }
    return this.current;
  }

  /** The line written from `used` on into the segment `begin` gave ends at `end` (its `\n` included). */
  commit(end: number, rn?: number): void {
    const start = this.used;
    this.used = end;
    this.length += end - start;
    this.rows++;
    // The current segment becomes views[views.length] when sealed (it is not empty now).
    if (rn !== undefined) this.places.set(rn, [this.views.length, start, end]);
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

const TAB = 0x09;
const LF = 0x0a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * What a byte below 0x20 becomes inside a JSON string inside COPY text: JSON.stringify's escape
 * (`\n`, `\u001f`, …) with its backslash doubled for COPY.
 */
const CONTROL = Array.from({ length: 0x20 }, (_, c) => Buffer.from(copyText(JSON.stringify(String.fromCharCode(c)).slice(1, -1)), 'latin1'));
/** The most bytes one byte of a value can become (a control character: `\\u001f`). */
const MAX_ESCAPE = Math.max(...CONTROL.map((e) => e.length));

/**
 * Writes bytes[from, to) as the inside of a JSON string, escaped for COPY text, into `out` at `o`;
 * with `doubled`, each `""` is read as one quote. Returns the offset after it.
 */
function writeJsonText(bytes: Buffer, from: number, to: number, doubled: boolean, out: Buffer, o: number): number {
  for (let p = from; p < to; p++) {
    const c = bytes[p]!;
    if (c >= 0x20 && c !== QUOTE && c !== BACKSLASH) {
      out[o++] = c;
    } else if (c === QUOTE) {
      // JSON's \" with its backslash escaped for COPY.
      out[o++] = BACKSLASH;
      out[o++] = BACKSLASH;
      out[o++] = QUOTE;
      if (doubled) p++;
    } else if (c === BACKSLASH) {
      out[o++] = BACKSLASH;
      out[o++] = BACKSLASH;
      out[o++] = BACKSLASH;
      out[o++] = BACKSLASH;
    } else {
      const e = CONTROL[c]!;
      for (let k = 0; k < e.length; k++) out[o++] = e[k]!;
    }
  }
  return o;
}

/** Field `i` of the record as a JSON string (or `null` past the end of a short row), escaped for COPY. */
function writeJsonField(rec: CsvRecord, i: number, out: Buffer, o: number): number {
  if (i >= rec.count) {
    out[o++] = 0x6e; // null
    out[o++] = 0x75;
    out[o++] = 0x6c;
    out[o++] = 0x6c;
    return o;
  }
  const { buf } = rec;
  const kind = rec.kind[i] as FieldKind;
  out[o++] = QUOTE;
  if (kind === FieldKind.Relaxed) {
    // `"`, the quoted part with its doubled quotes read as one, then the rest as written.
    o = writeJsonText(buf, rec.mid[i]!, rec.mid[i]! + 1, false, out, o);
    o = writeJsonText(buf, rec.start[i]!, rec.mid[i]!, true, out, o);
    o = writeJsonText(buf, rec.mid[i]!, rec.end[i]!, false, out, o);
  } else {
    o = writeJsonText(buf, rec.start[i]!, rec.end[i]!, kind === FieldKind.Doubled, out, o);
  }
  out[o++] = QUOTE;
  return o;
}

/** Copies a short run of bytes (a loop beats a native call at these sizes). */
function put(src: Uint8Array, out: Buffer, o: number): number {
  for (let k = 0; k < src.length; k++) out[o++] = src[k]!;
  return o;
}

/** A place as COPY text: `zip \t state \t time zone \t lat \t lon`. */
const encodePlace = (l: LeadLocation) =>
  Buffer.from(`${copyText(l.zip)}\t${copyText(l.state)}\t${copyText(l.timeZone)}\t${l.lat ?? '\\N'}\t${l.lon ?? '\\N'}`, 'utf8');

/**
 * A lead's place (enrichment.ts: the ZIP's, else the area code's) as COPY text, memoised: by the
 * ZIP as written when the ZIP decides it, by the area code when it does not. The same answers as
 * `enrichLocation`.
 */
export class PlaceText {
  private readonly zipOf = createZipMemo();
  /** Rows without a known ZIP: the place is the area code's (0: not a NANP number). */
  private readonly byArea = new Map<number, Uint8Array>();

  of(rawZip: string | undefined, phone: string): Uint8Array {
    if (rawZip !== undefined && rawZip !== '') {
      const hit = this.zipOf(rawZip);
      if (hit.zip !== null && hit.place !== null) {
        // A ZIP whose point has no zone borrows the area code's (combine): rare, not memoised.
        if (hit.place.timeZone === null) return encodePlace(combine(hit.zip, hit.place, areaOf(areaKey(phone))));
        return (hit.encoded ??= encodePlace(combine(hit.zip, hit.place, null)));
      }
    }
    const area = areaKey(phone);
    let text = this.byArea.get(area);
    if (text === undefined) {
      text = encodePlace(combine(null, null, areaOf(area)));
      this.byArea.set(area, text);
    }
    return text;
  }
}

/** A NANP E.164 phone's area code as a number (`+12125550101` → 212); 0 for any other phone. */
function areaKey(phone: string): number {
  if (phone.length !== 12 || phone.charCodeAt(1) !== 0x31) return 0;
  return (phone.charCodeAt(2) - 48) * 100 + (phone.charCodeAt(3) - 48) * 10 + (phone.charCodeAt(4) - 48);
}

const areaOf = (area: number) => (area === 0 ? null : areaCodeInfo(String(area)));

/**
 * Turns records into COPY lines of `leads`. One per import: it owns the ZIP memo, the JavaScript-side
 * rejections and the phone filter. `now` stamps the lead ids (time-ordered like every other id) and
 * their `created`.
 */
export class RowStager {
  readonly rejections = new RejectionLog();
  /** Data rows seen (the `row` of the last one). */
  rows = 0;
  private readonly places = new PlaceText();
  private headerPending: boolean;
  /** The mapped columns' indexes in the file, in the mapping's order. */
  private readonly columns: number[];
  /** `{"Phone":`, `,"Name":` … — each mapped column's JSON key as COPY text, encoded once. */
  private readonly jsonKeys: Buffer[];
  /** `\t` workspace, campaign, list and created `\t`: the same on every line. */
  private readonly fixed: Buffer;
  /** Bytes of a line besides its values and place: id, fixed part, phone, keys, quotes, `}\n`. */
  private readonly lineBytes: number;
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
    this.columns = options.mappedCols.map((c) => c.columnIndex);
    // JSON text has no raw tabs or line breaks; only its backslashes need COPY's escaping.
    this.jsonKeys = options.mappedCols.map((c, i) => Buffer.from(`${i === 0 ? '{' : ','}${JSON.stringify(c.columnId)}:`.replace(/\\/g, '\\\\'), 'utf8'));
    this.fixed = Buffer.from(`\t${target.workspaceId}\t${target.campaignId}\t${target.listId}\t${now.toISOString()}\t`, 'utf8');
    this.lineBytes = 24 + this.fixed.length + 16 + 1 + this.jsonKeys.reduce((n, k) => n + k.length + 4, 0) + 2;
  }

  /** Writes the record's lead line to `out`, unless it is the header or rejected. */
  stage(rec: CsvRecord, out: CopyBuffer): void {
    if (this.headerPending) {
      this.headerPending = false;
      return;
    }
    const row = ++this.rows;
    const { columns, options } = this;
    let max = this.lineBytes;
    for (let i = 0; i < columns.length; i++) {
      const span = rec.spanBytes(columns[i]!);
      // Bytes bound the characters from above: only a long field is decoded to count them.
      if (span > MAX_FIELD_CHARS) {
        const value = rec.text(columns[i]!)!;
        if (value.length > MAX_FIELD_CHARS) {
          this.rejections.add(row, 'FIELD_TOO_LARGE', `${options.mappedCols[i]!.columnId}: ${value.length} characters (at most ${MAX_FIELD_CHARS})`);
          return;
        }
      }
      max += span * MAX_ESCAPE;
    }
    const phoneColumn = columns[options.phone]!;
    const phone = phoneColumn < rec.count ? phoneOf(rec, phoneColumn) : null;
    if (phone === null) {
      this.rejections.add(row, 'INVALID_PHONE', rec.text(phoneColumn) ?? null);
      return;
    }
    const place = this.places.of(options.zip === null ? undefined : rec.text(columns[options.zip]!), phone);
    // A phone seen earlier in this chunk: settle.ts rejects it as DUPLICATE unless a suppression
    // says more. Suppressions, earlier chunks and the campaign's other leads are looked up only when
    // the filter may hold the phone.
    let candidate: boolean;
    let repeat = false;
    if (options.deDupe) {
      repeat = out.phones.has(phone);
      if (!repeat) out.phones.add(phone);
      // Added in passing: the file's later rows with this phone become candidates.
      candidate = this.seen.testAndAdd(phone) || repeat;
    } else {
      candidate = this.seen.mightHave(phone);
    }
    if (candidate) out.candidates += `${row}\t${phone}\t${copyText(rec.text(phoneColumn)!)}\t${repeat ? 't' : 'f'}\n`;

    // LEAD_COLUMNS: id, workspace, campaign, list, created, phone, zip, state, zone, lat, lon, leadData.
    const into = out.begin(max + place.length);
    let o = writeNewId(this.now, into, out.used);
    into.set(this.fixed, o);
    o += this.fixed.length;
    o += into.write(phone, o, 'latin1');
    into[o++] = TAB;
    o = put(place, into, o);
    into[o++] = TAB;
    for (let i = 0; i < columns.length; i++) {
      o = put(this.jsonKeys[i]!, into, o);
      o = writeJsonField(rec, columns[i]!, into, o);
    }
    into[o++] = 0x7d; // }
    into[o++] = LF;
    out.commit(o, candidate ? row : undefined);
  }
}

/** The phone in field `i` as E.164, or null; plain and quoted fields are read from their bytes. */
function phoneOf(rec: CsvRecord, i: number): string | null {
  const kind = rec.kind[i] as FieldKind;
  if (kind === FieldKind.Plain || kind === FieldKind.Quoted) return normalizePhoneBytes(rec.buf, rec.start[i]!, rec.end[i]!);
  return normalizePhone(rec.text(i)!);
}
