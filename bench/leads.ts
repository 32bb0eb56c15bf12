/**
 * The lead bodies the benchmark sends: one unique, valid NANP phone per request.
 *
 * Phone `i` is +1 212 EEE LLLL: area code 212 (New York, so the lead gets a time zone), line
 * LLLL = i mod 10,000, and exchange EEE = 555 for the first 10,000, then 556 … 999, then
 * 200 … 554 — every exchange is NXX with N in 2..9, as the numbering plan requires. That makes
 * 8,000,000 distinct phones before the sequence repeats.
 */
const EXCHANGES: readonly number[] = [
  ...Array.from({ length: 999 - 555 + 1 }, (_, k) => 555 + k),
  ...Array.from({ length: 554 - 200 + 1 }, (_, k) => 200 + k),
];
const LINES = 10_000;

export function benchPhone(i: number): string {
  const exchange = EXCHANGES[Math.floor(i / LINES) % EXCHANGES.length]!;
  const line = String(i % LINES).padStart(4, '0');
  return `+1212${exchange}${line}`;
}

/** The JSON body of `POST /api/public/engage/lead/load` for phone number `i`. */
export function leadLoadBody(campaignId: string, i: number): string {
  return JSON.stringify({
    campaignId,
    fields: [
      { name: 'Phone', value: benchPhone(i), type: 'phone' },
      { name: 'First Name', value: 'Ada' },
      { name: 'Last Name', value: 'Lovelace' },
      { name: 'Zip', value: '10001' },
    ],
  });
}
