/**
 * SMS segment counting for the composers: the same rules the server bills by
 * (packages/server/src/core/segments.ts, pure and shared so the two can never disagree).
 */
export { countSegments, type SegmentCount } from '../../../server/src/core/segments.ts';
