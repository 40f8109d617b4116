/** Half-open span of time [start, end) in epoch milliseconds (UTC). */
export interface Interval {
  start: number;
  end: number;
}

export function isEmpty(interval: Interval): boolean {
  return interval.end <= interval.start;
}

/**
 * Set intersection of two half-open intervals. An empty interval overlaps nothing, even when its
 * point lies strictly inside the other one; the bare `a.start < b.end && b.start < a.end` test
 * would say otherwise.
 */
export function overlaps(a: Interval, b: Interval): boolean {
  return a.start < b.end && b.start < a.end && !isEmpty(a) && !isEmpty(b);
}

export function contains(outer: Interval, inner: Interval): boolean {
  return outer.start <= inner.start && inner.end <= outer.end;
}

/**
 * Sorted, disjoint, non-empty intervals covering the same instants as the input. Touching intervals
 * become one, so "inside one interval" means "inside the covered time" whatever way the caller
 * happened to cut it up. The input is never mutated.
 */
export function normalizeIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = intervals.filter((interval) => !isEmpty(interval)).sort((a, b) => a.start - b.start);
  const merged: Interval[] = [];
  for (const interval of sorted) {
    const last = merged[merged.length - 1];
    if (last && interval.start <= last.end) {
      last.end = Math.max(last.end, interval.end);
    } else {
      merged.push({ start: interval.start, end: interval.end });
    }
  }
  return merged;
}

export function clipIntervals(intervals: readonly Interval[], window: Interval): Interval[] {
  const clipped: Interval[] = [];
  for (const interval of intervals) {
    const start = Math.max(interval.start, window.start);
    const end = Math.min(interval.end, window.end);
    if (start < end) clipped.push({ start, end });
  }
  return clipped;
}
