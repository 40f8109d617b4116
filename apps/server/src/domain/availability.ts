import { dayNumber, formatIsoDate, isoWeekdayIndex, parseIsoDate } from './calendar.js';
import { clipIntervals, type Interval, normalizeIntervals } from './interval.js';
import { DAY_MS, MINUTE_MS } from './units.js';
import { firstInstantReading, isKnownTimeZone, wallClockAt } from './zone.js';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Wall-clock times `HH:MM` in the mentor's zone; `end` may be `24:00`, the midnight ending the day. */
export interface TimeWindow {
  start: string;
  end: string;
}

export interface WeeklyWindow extends TimeWindow {
  day: Weekday;
}

/** Replaces the weekly windows of one local date; no windows means a day off. */
export interface DateOverride {
  date: string;
  windows: TimeWindow[];
}

export interface AvailabilityRules {
  timezone: string;
  weekly: WeeklyWindow[];
  overrides: DateOverride[];
}

export interface AvailabilityProblem {
  /** JSON Pointer into the rules, e.g. `/weekly/2/end`. */
  path: string;
  message: string;
}

const CLOCK_TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
const END_OF_DAY = '24:00';
const MINUTES_PER_DAY = 24 * 60;

function minutesSinceMidnight(clock: string, role: 'start' | 'end'): number | null {
  if (role === 'end' && clock === END_OF_DAY) return MINUTES_PER_DAY;
  const match = CLOCK_TIME.exec(clock);
  return match ? Number(match[1]) * 60 + Number(match[2]) : null;
}

interface WindowMinutes {
  start: number;
  end: number;
}

/** Checks one window; returns its minutes when it is usable for overlap checks. */
function checkWindow(
  window: TimeWindow,
  path: string,
  problems: AvailabilityProblem[],
): WindowMinutes | null {
  const start = minutesSinceMidnight(window.start, 'start');
  const end = minutesSinceMidnight(window.end, 'end');
  if (start === null) {
    problems.push({ path: `${path}/start`, message: 'must be a time HH:MM from 00:00 to 23:59' });
  }
  if (end === null) {
    problems.push({ path: `${path}/end`, message: 'must be a time HH:MM, or 24:00 for the end of the day' });
  }
  if (start === null || end === null) return null;
  if (end <= start) {
    problems.push({ path: `${path}/end`, message: 'must be later than start' });
    return null;
  }
  return { start, end };
}

interface PlacedWindow extends WindowMinutes {
  path: string;
}

function reportOverlaps(windows: PlacedWindow[], problems: AvailabilityProblem[]): void {
  for (const [index, later] of windows.entries()) {
    for (const earlier of windows.slice(0, index)) {
      if (earlier.start < later.end && later.start < earlier.end) {
        problems.push({ path: later.path, message: `overlaps ${earlier.path}` });
      }
    }
  }
}

/** Every reason the rules cannot be used, each pointing at the offending field; empty when valid. */
export function findAvailabilityProblems(rules: AvailabilityRules): AvailabilityProblem[] {
  const problems: AvailabilityProblem[] = [];
  if (!isKnownTimeZone(rules.timezone)) {
    problems.push({ path: '/timezone', message: 'must be an IANA time zone such as Asia/Kolkata' });
  }

  const weeklyByDay = new Map<Weekday, PlacedWindow[]>();
  for (const [index, window] of rules.weekly.entries()) {
    const path = `/weekly/${index}`;
    const dayIsKnown = (WEEKDAYS as readonly string[]).includes(window.day);
    if (!dayIsKnown) problems.push({ path: `${path}/day`, message: `must be one of ${WEEKDAYS.join(', ')}` });
    const minutes = checkWindow(window, path, problems);
    if (dayIsKnown && minutes) {
      const sameDay = weeklyByDay.get(window.day) ?? [];
      sameDay.push({ ...minutes, path });
      weeklyByDay.set(window.day, sameDay);
    }
  }
  for (const sameDay of weeklyByDay.values()) reportOverlaps(sameDay, problems);

  const firstPathOfDate = new Map<string, string>();
  for (const [index, override] of rules.overrides.entries()) {
    const path = `/overrides/${index}`;
    if (parseIsoDate(override.date) === null) {
      problems.push({ path: `${path}/date`, message: 'must be a calendar date YYYY-MM-DD' });
    } else {
      const earlierPath = firstPathOfDate.get(override.date);
      if (earlierPath === undefined) firstPathOfDate.set(override.date, path);
      else problems.push({ path: `${path}/date`, message: `date already overridden at ${earlierPath}` });
    }
    const placed: PlacedWindow[] = [];
    for (const [windowIndex, window] of override.windows.entries()) {
      const windowPath = `${path}/windows/${windowIndex}`;
      const minutes = checkWindow(window, windowPath, problems);
      if (minutes) placed.push({ ...minutes, path: windowPath });
    }
    reportOverlaps(placed, problems);
  }
  return problems;
}

function windowMinutes(window: TimeWindow): WindowMinutes {
  const start = minutesSinceMidnight(window.start, 'start');
  const end = minutesSinceMidnight(window.end, 'end');
  if (start === null || end === null) throw new RangeError(`Invalid window ${window.start}–${window.end}`);
  return { start, end };
}

/**
 * The real instants the rules make available within [from, to), as sorted, disjoint intervals.
 *
 * Windows are wall-clock times, so they are placed on local dates of the mentor's zone: each
 * boundary becomes the first instant the clock reads it. On a spring-forward night a boundary in
 * the gap moves to the end of the gap, and a window inside the gap vanishes; on a fall-back night a
 * window spanning the repeated hour lasts the real elapsed time (00:30–03:00 is 3.5 hours in
 * London), and a boundary inside the repeated hour sits at its first occurrence.
 *
 * Throws on rules that `findAvailabilityProblems` rejects.
 */
export function expandAvailability(rules: AvailabilityRules, from: number, to: number): Interval[] {
  const problems = findAvailabilityProblems(rules);
  if (problems.length > 0) {
    throw new RangeError(
      `Unusable availability rules: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`,
    );
  }
  if (to <= from) return [];

  const zone = rules.timezone;
  const weekly: WindowMinutes[][] = WEEKDAYS.map((day) =>
    rules.weekly.filter((window) => window.day === day).map(windowMinutes),
  );
  const overrides = new Map(rules.overrides.map((o) => [o.date, o.windows.map(windowMinutes)]));

  // A day of margin on both sides: a window of the local date before `from` can reach into it.
  const firstDay = dayNumber(wallClockAt(zone, from)) - 1;
  const lastDay = dayNumber(wallClockAt(zone, to)) + 1;
  const covered: Interval[] = [];
  for (let day = firstDay; day <= lastDay; day++) {
    const midnight = day * DAY_MS;
    const override = overrides.size > 0 ? overrides.get(formatIsoDate(midnight)) : undefined;
    const windows = override ?? weekly[isoWeekdayIndex(midnight)] ?? [];
    for (const window of windows) {
      const start = firstInstantReading(zone, midnight + window.start * MINUTE_MS);
      const end = firstInstantReading(zone, midnight + window.end * MINUTE_MS);
      covered.push({ start, end });
    }
  }
  return normalizeIntervals(clipIntervals(covered, { start: from, end: to }));
}
