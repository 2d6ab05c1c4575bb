// How a time range is cut into a graph's buckets. One rule, documented in the README: the smallest
// size from this list that cuts the range into at most MAX_POINTS buckets. Buckets are UTC: each
// starts at a multiple of its size since the epoch (so an hour at :00, a day at 00:00 UTC), and a
// week on a Monday at 00:00 UTC.

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const BUCKET_SECONDS = [MINUTE, 5 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 7 * DAY] as const;
export const MAX_POINTS = 200;
// 1970-01-01 was a Thursday: weeks counted from the first Monday after it start on Mondays.
const FIRST_MONDAY = 4 * DAY;

export interface Buckets {
  /** Seconds a bucket spans. */
  size: number;
  /** What is subtracted from a time (epoch seconds) before it is divided by `size`. */
  offset: number;
  /** The index of the first and last bucket the range touches. */
  first: number;
  last: number;
}

/** The buckets of [min, max), both epoch milliseconds; null when even weeks give too many. */
export function bucketsFor(min: number, max: number): Buckets | null {
  const from = Math.floor(min / 1000);
  const to = Math.ceil(max / 1000) - 1; // the last second the range includes
  for (const size of BUCKET_SECONDS) {
    const offset = size === 7 * DAY ? FIRST_MONDAY : 0;
    const first = Math.floor((from - offset) / size);
    const last = Math.floor((to - offset) / size);
    if (last - first + 1 <= MAX_POINTS) return { size, offset, first, last };
  }
  return null;
}

/** Where bucket `index` starts, as an ISO 8601 UTC timestamp. */
export function bucketStart(buckets: Buckets, index: number): string {
  return new Date((index * buckets.size + buckets.offset) * 1000).toISOString();
}
