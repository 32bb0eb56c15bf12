/**
 * Send-rate limits shared by every sender process: token buckets in PostgreSQL (table
 * `send_rate_buckets`), one per sender source and one per sender number that has a limit. Tokens
 * are SMS segments; a bucket refills at its rate (segments per second) up to a fifth of a
 * second's worth (at least one segment), so the rate holds across processes without bursts, while a
 * sender that wakes a little late does not lose its turn.
 *
 * A claim locks the buckets it needs (rows FOR UPDATE, in key order, so claims never deadlock),
 * spends tokens on the leads it takes, and writes the buckets back in the same transaction.
 */
import { sql } from 'kysely';
import type { Trx } from '../db/pool.ts';

/** A bucket's capacity: a fifth of a second of its rate, never less than one segment. */
export function bucketCapacity(rate: number): number {
  return Math.max(1, rate / 5);
}

/** Tokens a bucket holds at `nowMs`, having held `tokens` at `atMs`. */
export function refill(tokens: number, atMs: number, nowMs: number, rate: number): number {
  return Math.min(bucketCapacity(rate), tokens + (rate * Math.max(0, nowMs - atMs)) / 1000);
}

/**
 * Whether a message of `segments` may be sent from a bucket holding `tokens`: it needs them all,
 * except that a message longer than the whole capacity needs a full bucket (and then leaves it
 * in debt, which the refill pays back before the next one).
 */
export function affords(tokens: number, segments: number, rate: number): boolean {
  return tokens >= Math.min(segments, bucketCapacity(rate)) - 1e-9;
}

/** When a bucket holding `tokens` will afford `segments` (ms from now). */
export function waitFor(tokens: number, segments: number, rate: number): number {
  const need = Math.min(segments, bucketCapacity(rate)) - tokens;
  return need <= 0 ? 0 : Math.ceil((need / rate) * 1000);
}

export interface Bucket {
  key: string;
  rate: number;
  tokens: number;
  /** The instant `tokens` is as of, ms: never earlier than what another claim already saved. */
  atMs: number;
}

/** Locks and refills the buckets (creating full ones for keys never seen) as of `now`. */
export async function lockBuckets(trx: Trx, wanted: { key: string; rate: number }[], now: Date): Promise<Map<string, Bucket>> {
  const out = new Map<string, Bucket>();
  if (wanted.length === 0) return out;
  const sorted = [...wanted].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const keys = sorted.map((w) => w.key);
  // A bucket seen for the first time starts full.
  const capacities = sorted.map((w) => bucketCapacity(w.rate));
  await sql`INSERT INTO send_rate_buckets (key, tokens, at)
    SELECT k, c, ${now} FROM unnest(${keys}::text[], ${capacities}::float8[]) AS v(k, c) ON CONFLICT (key) DO NOTHING`.execute(trx);
  const rows = await sql<{ key: string; tokens: number; at: Date }>`
    SELECT key, tokens, at FROM send_rate_buckets WHERE key = ANY(${keys}::text[]) ORDER BY key FOR UPDATE`.execute(trx);
  const byKey = new Map(rows.rows.map((r) => [r.key, r]));
  for (const w of sorted) {
    const row = byKey.get(w.key);
    // Our `now` was read before the lock was granted; a claim that held the lock meanwhile may
    // have saved a later instant. Time is never counted twice: refill from the later of the two.
    const atMs = Math.max(now.getTime(), row?.at.getTime() ?? 0);
    const tokens = row ? refill(Number(row.tokens), row.at.getTime(), atMs, w.rate) : bucketCapacity(w.rate);
    out.set(w.key, { key: w.key, rate: w.rate, tokens, atMs });
  }
  return out;
}

/** Writes the buckets' tokens back, each as of its own instant. */
export async function saveBuckets(trx: Trx, buckets: Iterable<Bucket>): Promise<void> {
  const list = [...buckets];
  if (list.length === 0) return;
  await sql`UPDATE send_rate_buckets b SET tokens = v.tokens, at = v.at
    FROM unnest(${list.map((b) => b.key)}::text[], ${list.map((b) => b.tokens)}::float8[], ${list.map((b) => new Date(b.atMs).toISOString())}::timestamptz[]) AS v(key, tokens, at)
    WHERE b.key = v.key`.execute(trx);
}
