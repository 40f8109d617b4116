import type { AvailabilityInput, Weekday } from '@mentor-scheduling/contracts';

/**
 * The server ends a window at midnight with `24:00`, which a time input cannot hold (it would show
 * empty). In the form that end reads `00:00`; an end can never be at the start of its own day, so
 * the two cannot be confused.
 */
const endOfDay = '24:00';
const midnight = '00:00';

function endForForm(end: string): string {
  return end === endOfDay ? midnight : end;
}

function endForServer(end: string): string {
  return end === midnight ? endOfDay : end;
}

/** Stored availability as the editor's values. */
export function toFormValues(availability: {
  weekly: AvailabilityInput['weekly'];
  overrides: AvailabilityInput['overrides'];
}): AvailabilityInput {
  return {
    weekly: availability.weekly.map((window) => ({ ...window, end: endForForm(window.end) })),
    overrides: availability.overrides.map((override) => ({
      date: override.date,
      windows: override.windows.map((window) => ({ ...window, end: endForForm(window.end) })),
    })),
  };
}

/** The editor's values as `mentors.setAvailability` takes them. */
export function toRequest(values: AvailabilityInput): AvailabilityInput {
  return {
    weekly: values.weekly.map((window) => ({ ...window, end: endForServer(window.end) })),
    overrides: values.overrides.map((override) => ({
      date: override.date,
      windows: override.windows.map((window) => ({ ...window, end: endForServer(window.end) })),
    })),
  };
}

function minutesOf(clock: string): number {
  const [hours = 0, minutes = 0] = clock.split(':').map(Number);
  return hours * 60 + minutes;
}

function clockOf(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/**
 * A sensible new window for a day: office hours on an empty day, else the hour after its latest
 * window, so adding one rarely starts with an overlap to fix.
 */
export function nextWindow(existing: readonly { start: string; end: string }[]): {
  start: string;
  end: string;
} {
  const latestEnd = Math.max(
    -1,
    ...existing.map((window) => (window.end === midnight ? 24 * 60 : minutesOf(window.end))),
  );
  if (latestEnd < 0 || latestEnd >= 24 * 60) return { start: '09:00', end: '17:00' };
  const end = Math.min(latestEnd + 60, 24 * 60);
  return { start: clockOf(latestEnd), end: end === 24 * 60 ? midnight : clockOf(end) };
}

/**
 * Where a problem the server found belongs in the form: `/weekly/3/end` → `weekly.3.end`. A whole
 * window (an overlap is reported on `/weekly/3`) is shown on its start. Null for anything the form
 * does not show (the zone), which is then said above the form.
 */
export function fieldOfProblem(path: string): string | null {
  const parts = path.split('/').filter(Boolean);
  const [section] = parts;
  if (section !== 'weekly' && section !== 'overrides') return null;
  if (parts.length < 2 || !/^\d+$/.test(parts[1] ?? '')) return null;
  const last = parts.at(-1) ?? '';
  if (/^\d+$/.test(last)) {
    // A weekly window or an override's window as a whole; an override as a whole goes on its date.
    const isOverride = section === 'overrides' && parts.length === 2;
    return [...parts, isOverride ? 'date' : 'start'].join('.');
  }
  if (section === 'overrides' && last === 'windows') return [...parts.slice(0, 2), 'date'].join('.');
  return parts.join('.');
}

/** The server's words on one window, as a sentence for the person who typed it. */
export function plainProblem(message: string): string {
  if (message === 'must be later than start') return 'End must be later than start.';
  if (message.startsWith('overlaps ')) return 'This window overlaps another one on the same day.';
  if (message.startsWith('date already overridden')) return 'Another date change is for the same date.';
  if (message.startsWith('must be a time')) return 'Enter a time.';
  if (message.startsWith('must be a calendar date')) return 'Enter a date.';
  const sentence = message.charAt(0).toUpperCase() + message.slice(1);
  return sentence.endsWith('.') ? sentence : `${sentence}.`;
}

export function windowsOfDay<T extends { day: Weekday }>(
  weekly: readonly T[],
  day: Weekday,
): { window: T; index: number }[] {
  return weekly.flatMap((window, index) => (window.day === day ? [{ window, index }] : []));
}
