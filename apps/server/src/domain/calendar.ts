import { DAY_MS } from './units.js';

/**
 * "Wall milliseconds": a local calendar date and clock reading encoded as if it were a UTC instant.
 * They make date arithmetic on wall clocks plain integer arithmetic; they become real instants only
 * after a time zone resolves them (see zone.ts).
 */
export function wallClockMs(
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
  millisecond = 0,
): number {
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millisecond);
  return date.getTime();
}

export function daysInMonth(year: number, month: number): number {
  return new Date(wallClockMs(year, month + 1, 0)).getUTCDate();
}

export function isCalendarDate(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Local midnight of a `YYYY-MM-DD` date in wall milliseconds, or null if no such date exists. */
export function parseIsoDate(text: string): number | null {
  const match = ISO_DATE.exec(text);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return isCalendarDate(year, month, day) ? wallClockMs(year, month, day) : null;
}

export function formatIsoDate(wallMs: number): string {
  return new Date(wallMs).toISOString().slice(0, 10);
}

/** Days since 1970-01-01 of the local date a wall-millisecond reading falls on. */
export function dayNumber(wallMs: number): number {
  return Math.floor(wallMs / DAY_MS);
}

/** 0 = Monday … 6 = Sunday. */
export function isoWeekdayIndex(wallMs: number): number {
  return (new Date(wallMs).getUTCDay() + 6) % 7;
}
