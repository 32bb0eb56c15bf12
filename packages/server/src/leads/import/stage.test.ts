/** The per-row half of an import, without a database: COPY text, segments, the phone filter. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ImportOptions } from './options.ts';
import { PhoneFilter } from './phone-filter.ts';
import { CsvReader } from './csv.ts';
import { enrichLocation } from '../enrichment.ts';
import { CopyBuffer, PlaceText, RowStager, SegmentPool, copyText } from './stage.ts';
import { toCsvField } from './testkit.ts';

const options = (o: Partial<ImportOptions> = {}): ImportOptions => ({
  deDupe: true, firstRowHeaders: false, webhookUrl: null, listName: null, phone: 0, zip: 1,
  mappedCols: [{ columnIndex: 0, columnId: 'Phone' }, { columnIndex: 1, columnId: 'Zip' }, { columnIndex: 2, columnId: 'Note' }],
  ...o,
});

/** COPY text format → fields (the inverse of copyText), as PostgreSQL reads it. */
function parseCopyLine(line: string): (string | null)[] {
  return line.split('\t').map((f) => (f === '\\N' ? null : f.replace(/\\(.)/g, (_m, c: string) => ({ t: '\t', n: '\n', r: '\r', '\\': '\\' })[c] ?? c)));
}

/** A chunk's lines as fields. */
function lines(out: CopyBuffer): (string | null)[][] {
  const text = Buffer.concat(out.segments()).toString('utf8');
  return text === '' ? [] : text.slice(0, -1).split('\n').map(parseCopyLine);
}

/** Stages each row, written as CSV and read back by the import's reader. */
function stageRows(stager: RowStager, rows: string[][], out: CopyBuffer): void {
  const reader = new CsvReader();
  reader.push(Buffer.from(rows.map((r) => r.map(toCsvField).join(',')).join('\n')));
  reader.finish();
  for (let record = reader.next(); record !== null; record = reader.next()) stager.stage(record, out);
}

describe('copyText', () => {
  it('round-trips any text through COPY escaping', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(parseCopyLine(copyText(s))).toEqual([s]);
      }),
    );
    expect(copyText(null)).toBe('\\N');
  });
});

describe('RowStager', () => {
  const target = { workspaceId: 7, campaignId: 'c'.repeat(24), listId: 'l'.repeat(24) };

  it('writes one lead line per accepted record with leadData as JSON, and rejects the rest', () => {
    const now = new Date('2026-01-02T03:04:05Z');
    const stager = new RowStager(options(), now, target);
    const out = new CopyBuffer(new SegmentPool());
    stageRows(stager, [
      ['(212) 555-0101', '90210', 'a\tb\\c "q"\nd'],
      ['nope', '10001', 'x'],
      ['212-555-0102', '', 'x'.repeat(10_001)],
      ['2125550101'],
    ], out);
    const rows = lines(out);
    expect(rows).toHaveLength(2);
    const [first, repeat] = rows;
    const seconds = Math.floor(now.getTime() / 1000).toString(16);
    // LEAD_COLUMNS: id, workspace, campaign, list, created, phone, zip, state, time zone, lat, lon, leadData.
    expect(first!.slice(0, 6)).toEqual([expect.stringMatching(new RegExp(`^${seconds}[0-9a-f]{16}$`)), '7', target.campaignId, target.listId, now.toISOString(), '+12125550101']);
    expect(first!.slice(6, 9)).toEqual(['90210', 'CA', 'America/Los_Angeles']);
    expect(JSON.parse(first![11]!)).toEqual({ Phone: '(212) 555-0101', Zip: '90210', Note: 'a\tb\\c "q"\nd' });
    expect(JSON.parse(repeat![11]!)).toEqual({ Phone: '2125550101', Zip: null, Note: null });
    // Row 4 repeats row 1's phone: the one candidate for the checks in SQL, flagged as a repeat.
    expect(out.candidates).toBe('4\t+12125550101\t2125550101\tt\n');
    expect(stager.rejections.kept).toEqual([
      { row: 2, reason: 'INVALID_PHONE', value: 'nope' },
      { row: 3, reason: 'FIELD_TOO_LARGE', value: 'Note: 10001 characters (at most 10000)' },
    ]);
    expect(stager.rows).toBe(4);
    // A rejected candidate's line is left out of the COPY; the others stay, byte for byte.
    expect(Buffer.concat(out.without([4])).toString('utf8')).toBe(Buffer.concat(out.segments()).toString('utf8').split('\n')[0] + '\n');
  });

  it('skips the header row, and makes candidates of phones the filter holds (suppressed, or seen in earlier chunks)', () => {
    const stager = new RowStager(options({ firstRowHeaders: true }), new Date(), target);
    stager.seen.add('+12125550299'); // e.g. opted out
    const out = new CopyBuffer(new SegmentPool());
    stageRows(stager, [['Phone', 'Zip', 'Note'], ['2125550201', '', ''], ['2125550299', '', '']], out);
    expect(lines(out)).toHaveLength(2);
    expect(out.candidates).toBe('2\t+12125550299\t2125550299\tf\n');
    const next = new CopyBuffer(new SegmentPool());
    stageRows(stager, [['+1 212 555 0201', '', '']], next);
    expect(next.candidates).toBe('3\t+12125550201\t+1 212 555 0201\tf\n');
    expect(stager.rows).toBe(3);
  });

  it('without deDupe, only suppressed phones are candidates', () => {
    const stager = new RowStager(options({ deDupe: false }), new Date(), target);
    const out = new CopyBuffer(new SegmentPool());
    stageRows(stager, [['2125550301'], ['2125550301']], out);
    expect(lines(out)).toHaveLength(2);
    expect(out.candidates).toBe('');
  });

  it('writes leadData as exactly the fields the reader reads, stray quotes, escapes and all', () => {
    const raw = fc.string({ unit: fc.constantFrom('"', '"', ',', '\\', '\t', '\u0001', ' ', 'a', 'é', '😀', "'"), maxLength: 12 });
    const mapped = options({ deDupe: false, zip: null, mappedCols: ['Phone', 'A', 'B', 'C'].map((columnId, columnIndex) => ({ columnIndex, columnId })) });
    const stager = new RowStager(mapped, new Date(), target);
    const pool = new SegmentPool();
    fc.assert(
      fc.property(fc.array(raw, { minLength: 1, maxLength: 4 }), (raws) => {
        const reader = new CsvReader();
        reader.push(Buffer.from(['2125550101', ...raws].join(',') + '\n'));
        reader.finish();
        let record;
        try {
          record = reader.next()!;
        } catch {
          fc.pre(false); // a quote never closed: not a file that loads
          return;
        }
        const expected = { Phone: '2125550101', A: record.text(1) ?? null, B: record.text(2) ?? null, C: record.text(3) ?? null };
        const out = new CopyBuffer(pool);
        stager.stage(record, out);
        expect(JSON.parse(lines(out)[0]![11]!)).toEqual(expected);
        out.release();
      }),
      { numRuns: 2000 },
    );
  });

  it('spreads a chunk over pooled segments without losing a byte', () => {
    const pool = new SegmentPool();
    const out = new CopyBuffer(pool);
    const lines = Array.from({ length: 30_000 }, (_, i) => `${i}\t${'é'.repeat(i % 50)}\n`);
    for (const l of lines) out.write(l);
    const segments = out.segments();
    expect(segments.length).toBeGreaterThan(1);
    expect(Buffer.concat(segments).toString('utf8')).toBe(lines.join(''));
    out.release();
    const reused = new CopyBuffer(pool);
    reused.write('x\n');
    expect(Buffer.concat(reused.segments()).toString()).toBe('x\n');
  });
});

describe('PlaceText', () => {
  it('writes enrichLocation’s place for any ZIP as written and phone, memoised or not', () => {
    const places = new PlaceText();
    // Known, padded, ZIP+4, Canadian, unknown, not a ZIP, absent; a military ZIP without a zone (34001).
    const zips = ['10001', '90210', '2134', '94105-1234', 'K1A 0B1', '00000', 'n/a', '', undefined, '34001', '96799'];
    const phones = ['+12125550101', '+13105550101', '+18085550101', '+16135550101', '+442079460958'];
    for (const round of [1, 2]) {
      for (const zip of zips) {
        for (const phone of phones) {
          const l = enrichLocation({ zip: zip ?? null, phone });
          const expected = [l.zip, l.state, l.timeZone, l.lat === null ? null : String(l.lat), l.lon === null ? null : String(l.lon)];
          expect(parseCopyLine(Buffer.from(places.of(zip, phone)).toString('utf8')), `${zip} ${phone}, round ${round}`).toEqual(expected);
        }
      }
    }
  });
});

describe('PhoneFilter', () => {
  it('never forgets a phone it was given', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 2_000_000_000, max: 9_999_999_999 }), { maxLength: 200 }), (nums) => {
        const f = new PhoneFilter();
        for (const n of nums) f.add(`+1${n}`);
        expect(nums.every((n) => f.mightHave(`+1${n}`))).toBe(true);
      }),
    );
  });

  it('testAndAdd answers what mightHave said before, and adds the phone', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 2_000_000_000, max: 2_000_000_050 }), { maxLength: 100 }), (nums) => {
        const a = new PhoneFilter();
        const b = new PhoneFilter();
        for (const n of nums) {
          const before = a.mightHave(`+1${n}`);
          a.add(`+1${n}`);
          expect(b.testAndAdd(`+1${n}`)).toBe(before);
        }
        const bytes = (f: PhoneFilter) => Buffer.from(f.bits.buffer, f.bits.byteOffset, f.bits.byteLength);
        expect(bytes(b).equals(bytes(a))).toBe(true);
      }),
      { numRuns: 20 },
    );
  });

  it('rarely claims a phone it was not given', () => {
    const f = new PhoneFilter();
    for (let i = 0; i < 200_000; i++) f.add(`+1212${5_000_000 + i}`);
    let falsePositives = 0;
    for (let i = 0; i < 200_000; i++) if (f.mightHave(`+1312${5_000_000 + i}`)) falsePositives++;
    expect(falsePositives).toBeLessThan(20);
  });
});

describe('CopyBuffer.without', () => {
  it('leaves out exactly the lines asked for, across segment boundaries', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), fc.array(fc.nat(), { maxLength: 40 }), (n, picks) => {
        const out = new CopyBuffer(new SegmentPool());
        const all = Array.from({ length: n }, (_, i) => `${i + 1}\t${'é'.repeat((i * 37) % 900)}\n`);
        all.forEach((l, i) => out.write(l, i + 1));
        const drop = new Set(picks.map((p) => (p % n) + 1));
        const kept = all.filter((_, i) => !drop.has(i + 1)).join('');
        expect(Buffer.concat(out.without(drop)).toString('utf8')).toBe(kept);
      }),
      { numRuns: 30 },
    );
  });
});
