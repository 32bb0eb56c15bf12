/** The per-row half of an import, without a database: COPY text, segments, the phone filter. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ImportOptions } from './options.ts';
import { PhoneFilter } from './phone-filter.ts';
import { CopyBuffer, RowStager, SegmentPool, copyText } from './stage.ts';

const options = (o: Partial<ImportOptions> = {}): ImportOptions => ({
  deDupe: true, firstRowHeaders: false, webhookUrl: null, listName: null, phone: 0, zip: 1,
  mappedCols: [{ columnIndex: 0, columnId: 'Phone' }, { columnIndex: 1, columnId: 'Zip' }, { columnIndex: 2, columnId: 'Note' }],
  ...o,
});

/** COPY text format → fields (the inverse of copyText), as PostgreSQL reads it. */
function parseCopyLine(line: string): (string | null)[] {
  return line.split('\t').map((f) => (f === '\\N' ? null : f.replace(/\\(.)/g, (_m, c: string) => ({ t: '\t', n: '\n', r: '\r', '\\': '\\' })[c] ?? c)));
}

function stageAll(stager: RowStager, records: string[][]) {
  const out = new CopyBuffer(new SegmentPool());
  for (const r of records) stager.stage(r, out);
  const text = Buffer.concat(out.segments()).toString('utf8');
  return text === '' ? [] : text.slice(0, -1).split('\n').map(parseCopyLine);
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
  it('writes one staging row per accepted record with leadData as JSON, and rejects the rest', () => {
    const now = new Date('2026-01-02T03:04:05Z');
    const stager = new RowStager(options(), now);
    const rows = stageAll(stager, [
      ['(212) 555-0101', '90210', 'a\tb\\c "q"\nd'],
      ['nope', '10001', 'x'],
      ['212-555-0102', '', 'x'.repeat(10_001)],
      ['2125550101'],
    ]);
    expect(rows).toHaveLength(2);
    const [first, repeat] = rows;
    // Lead ids are time-ordered like every other id: seconds first.
    const seconds = Math.floor(now.getTime() / 1000).toString(16);
    expect(first!.slice(0, 3)).toEqual(['1', expect.stringMatching(new RegExp(`^${seconds}[0-9a-f]{16}$`)), '+12125550101']);
    expect(first!.slice(3, 6)).toEqual(['90210', 'CA', 'America/Los_Angeles']);
    expect(JSON.parse(first![8]!)).toEqual({ Phone: '(212) 555-0101', Zip: '90210', Note: 'a\tb\\c "q"\nd' });
    expect(first!.slice(9)).toEqual(['f', 'f']);
    // A repeat within the chunk is flagged; the ragged row's missing columns are null.
    expect(JSON.parse(repeat![8]!)).toEqual({ Phone: '2125550101', Zip: null, Note: null });
    expect(repeat!.slice(0, 1).concat(repeat!.slice(9))).toEqual(['4', 't', 'f']);
    expect(stager.rejections.kept).toEqual([
      { row: 2, reason: 'INVALID_PHONE', value: 'nope' },
      { row: 3, reason: 'FIELD_TOO_LARGE', value: 'Note: 10001 characters (at most 10000)' },
    ]);
    expect(stager.rows).toBe(4);
  });

  it('skips the header row, and marks phones the filter has seen in earlier chunks', () => {
    const stager = new RowStager(options({ firstRowHeaders: true }), new Date());
    expect(stageAll(stager, [['Phone', 'Zip', 'Note'], ['2125550201', '', '']])).toHaveLength(1);
    const [again] = stageAll(stager, [['+1 212 555 0201', '', '']]);
    expect(again!.slice(9)).toEqual(['f', 't']);
    expect(stager.rows).toBe(2);
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

  it('rarely claims a phone it was not given', () => {
    const f = new PhoneFilter();
    for (let i = 0; i < 200_000; i++) f.add(`+1212${5_000_000 + i}`);
    let falsePositives = 0;
    for (let i = 0; i < 200_000; i++) if (f.mightHave(`+1312${5_000_000 + i}`)) falsePositives++;
    expect(falsePositives).toBeLessThan(20);
  });
});
