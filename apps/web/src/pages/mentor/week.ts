import { DateTime } from 'luxon';
import { formatTime } from '../../time.js';

/** The instants a week view shows, `[from, to)`, as the server takes them. */
export interface VisibleWeek {
  from: string;
  to: string;
}

export interface OpenStretch {
  start: string;
  end: string;
}

/**
 * Open slots overlap (a 30-minute slot starts every quarter hour), so drawn one by one they would
 * pile up; joined, they read as the stretches of time a student can still book.
 */
export function joinOpenSlots(slots: readonly { start_time: string; end_time: string }[]): OpenStretch[] {
  const sorted = [...slots].sort((a, b) => Date.parse(a.start_time) - Date.parse(b.start_time));
  const stretches: { start: number; end: number }[] = [];
  for (const slot of sorted) {
    const start = Date.parse(slot.start_time);
    const end = Date.parse(slot.end_time);
    const last = stretches.at(-1);
    if (last && start <= last.end) last.end = Math.max(last.end, end);
    else stretches.push({ start, end });
  }
  return stretches.map((stretch) => ({
    start: new Date(stretch.start).toISOString(),
    end: new Date(stretch.end).toISOString(),
  }));
}

/** "30 Nov – 6 Dec 2026" for the days of `[from, to)` in a zone. */
export function weekTitle(week: VisibleWeek, zone: string): string {
  const first = DateTime.fromISO(week.from, { zone });
  const last = DateTime.fromISO(week.to, { zone }).minus({ milliseconds: 1 });
  const month = (at: DateTime) => at.toFormat('LLL', { locale: 'en-GB' }).slice(0, 3);
  const start = first.hasSame(last, 'year')
    ? `${first.day} ${month(first)}`
    : `${first.day} ${month(first)} ${first.year}`;
  return `${start} – ${last.day} ${month(last)} ${last.year}`;
}

/** Open stretches grouped by the day they start on in a zone, in order: for a list beside the grid. */
export function openTimesByDay(stretches: readonly OpenStretch[], zone: string) {
  const days = new Map<string, { day: string; times: string[] }>();
  for (const stretch of stretches) {
    const start = DateTime.fromISO(stretch.start, { zone });
    const key = start.toISODate() ?? stretch.start;
    const entry = days.get(key) ?? {
      day: `${start.toFormat('cccc', { locale: 'en-GB' })} ${start.day} ${start.toFormat('LLL', { locale: 'en-GB' }).slice(0, 3)}`,
      times: [],
    };
    entry.times.push(`${formatTime(stretch.start, zone)}–${formatTime(stretch.end, zone)}`);
    days.set(key, entry);
  }
  return [...days.values()];
}
