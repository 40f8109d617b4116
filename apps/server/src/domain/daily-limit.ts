import { dayNumber } from './calendar.js';
import type { Interval } from './interval.js';
import { wallClockAt } from './zone.js';

/** The mentor's local calendar day a session belongs to: the day it starts on, in their zone. */
export function localDayOf(instant: number, timezone: string): number {
  return dayNumber(wallClockAt(timezone, instant));
}

function sessionsPerDay(sessions: readonly Interval[], timezone: string): Map<number, number> {
  const perDay = new Map<number, number>();
  for (const session of sessions) {
    const day = localDayOf(session.start, timezone);
    perDay.set(day, (perDay.get(day) ?? 0) + 1);
  }
  return perDay;
}

/** Whether one more session starting at `start` would exceed the mentor's sessions-per-day limit. */
export function reachesDailyLimit(
  start: number,
  sessions: readonly Interval[],
  timezone: string,
  limit: number | null,
): boolean {
  if (limit === null) return false;
  return (sessionsPerDay(sessions, timezone).get(localDayOf(start, timezone)) ?? 0) >= limit;
}

/** The slot starts that still fit under the limit on their local day. */
export function withinDailyLimit(
  starts: readonly number[],
  sessions: readonly Interval[],
  timezone: string,
  limit: number | null,
): number[] {
  if (limit === null) return [...starts];
  const perDay = sessionsPerDay(sessions, timezone);
  return starts.filter((start) => (perDay.get(localDayOf(start, timezone)) ?? 0) < limit);
}
