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

/** The longest range a query may span: MAX_POINTS weeks (a week's buckets may touch one more). */
export const MAX_RANGE_MS = MAX_POINTS * 7 * DAY * 1000;

/** The buckets of [min, max), both epoch milliseconds, no more than MAX_RANGE_MS apart. */
export function bucketsFor(min: number, max: number): Buckets {
  const from = Math.floor(min / 1000);
  const to = Math.ceil(max / 1000) - 1; // the last second the range includes
  const cut = (size: number) => {
    const offset = size === 7 * DAY ? FIRST_MONDAY : 0;
    return { size, offset, first: Math.floor((from - offset) / size), last: Math.floor((to - offset) / size) };
  };
  for (const size of BUCKET_SECONDS) {
    const buckets = cut(size);
    if (buckets.last - buckets.first + 1 <= MAX_POINTS) return buckets;
  }
  return cut(7 * DAY);
}

/** Where bucket `index` starts, as an ISO 8601 UTC timestamp. */
export function bucketStart(buckets: Buckets, index: number): string {
  return new Date((index * buckets.size + buckets.offset) * 1000).toISOString();
}
