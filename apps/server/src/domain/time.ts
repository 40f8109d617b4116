import { isCalendarDate, wallClockMs } from './calendar.js';
import { MINUTE_MS } from './units.js';
import { assertKnownTimeZone, firstInstantReading, wallClockAt } from './zone.js';

export { DAY_MS, MINUTE_MS } from './units.js';

// RFC 3339 date-time; seconds are optional because people type `19:00`, and without an offset the
// text is a wall-clock reading in a zone supplied by the caller.
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(?:([Zz])|([+-])(\d{2}):(\d{2}))?$/;

/**
 * The instant a date-time text denotes, or null when the text is not a real date-time.
 *
 * Text without an offset is read in `defaultZone`. A reading the zone skips (spring forward) is
 * refused rather than shifted, because the writer meant a time that never happens. A reading the
 * zone shows twice (fall back) is taken at its first occurrence, which is also how availability
 * windows are placed, so a time shown next to a window means the same instant.
 *
 * Fractions finer than a millisecond are truncated. An unknown `defaultZone` throws: that is the
 * caller's bug, not bad input.
 */
export function parseInstant(text: string, defaultZone: string): number | null {
  assertKnownTimeZone(defaultZone);
  const match = DATE_TIME.exec(text);
  if (!match) return null;
  const field = (group: number): number => Number(match[group] ?? 0);
  const [year, month, day, hour, minute, second] = [
    field(1),
    field(2),
    field(3),
    field(4),
    field(5),
    field(6),
  ];
  const millisecond = Number((match[7] ?? '').slice(0, 3).padEnd(3, '0'));
  if (!isCalendarDate(year, month, day) || hour > 23 || minute > 59 || second > 59) return null;

  const wall = wallClockMs(year, month, day, hour, minute, second, millisecond);
  if (match[8] !== undefined) return wall;

  const sign = match[9];
  if (sign !== undefined) {
    const [offsetHours, offsetMinutes] = [field(10), field(11)];
    if (offsetHours > 23 || offsetMinutes > 59) return null;
    const offsetMs = (offsetHours * 60 + offsetMinutes) * MINUTE_MS;
    return sign === '+' ? wall - offsetMs : wall + offsetMs;
  }

  const instant = firstInstantReading(defaultZone, wall);
  return wallClockAt(defaultZone, instant) === wall ? instant : null;
}

/**
 * Formatted instants, kept: `Date#toISOString` costs about 1.7 µs on Node 20, and a mentors page
 * formats thousands of slot times, nearly all of them already formatted for an earlier answer.
 */
const isoTexts = new Map<number, string>();
const ISO_TEXTS_KEPT = 50_000;

export function toIsoUtc(ms: number): string {
  let text = isoTexts.get(ms);
  if (text === undefined) {
    text = new Date(ms).toISOString();
    // Wholesale forgetting keeps memory bounded at the cost of a re-format now and then.
    if (isoTexts.size >= ISO_TEXTS_KEPT) isoTexts.clear();
    isoTexts.set(ms, text);
  }
  return text;
}

/**
 * An instant as RFC 3339 in a zone's local time with its offset (`2026-12-01T19:00:00.000+05:30`),
 * `Z` for UTC: milliseconds included, as in every instant the API answers.
 */
export function toIsoInZone(ms: number, timezone: string): string {
  const wall = wallClockAt(timezone, ms);
  const offsetMinutes = Math.round((wall - ms) / MINUTE_MS);
  const local = toIsoUtc(wall).slice(0, 23);
  if (offsetMinutes === 0) return `${local}Z`;
  const sign = offsetMinutes > 0 ? '+' : '-';
  const absolute = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(absolute / 60)).padStart(2, '0')}:${String(absolute % 60).padStart(2, '0')}`;
}
