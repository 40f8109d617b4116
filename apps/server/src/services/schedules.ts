import type { Knex } from 'knex';
import { instantFromDb } from '../db/connection.js';
import type { AvailabilityRules, DateOverride, Weekday, WeeklyWindow } from '../domain/availability.js';
import { expandAvailability } from '../domain/availability.js';
import { withinDailyLimit } from '../domain/daily-limit.js';
import type { Interval } from '../domain/slots.js';
import { findOpenSlots, type SlotPolicy } from '../domain/slots.js';
import { DAY_MS, MINUTE_MS } from '../domain/time.js';

const isoWeekdays: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

export function weekdayName(isoWeekday: number): Weekday {
  const name = isoWeekdays[isoWeekday - 1];
  if (!name) throw new RangeError(`Not an ISO weekday: ${isoWeekday}`);
  return name;
}

export function isoWeekdayOf(name: Weekday): number {
  return isoWeekdays.indexOf(name) + 1;
}

export function clockTime(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

export function minutesOfClock(text: string): number {
  const [hours = 0, minutes = 0] = text.split(':').map(Number);
  return hours * 60 + minutes;
}

export interface MentorScheduleSource {
  id: number;
  timezone: string;
  buffer_minutes: number;
  max_sessions_per_day: number | null;
}

/** Everything needed to decide about one mentor's time: rules in their zone and busy intervals. */
export interface MentorSchedule {
  mentorId: number;
  timezone: string;
  rules: AvailabilityRules;
  /** Confirmed sessions over the loaded window, widened to whole local days for the daily limit */
  busy: Interval[];
  bufferMinutes: number;
  maxSessionsPerDay: number | null;
}

export interface WindowRow {
  mentor_id: number;
  weekday: number;
  start_minute: number;
  end_minute: number;
}
export interface OverrideRow {
  mentor_id: number;
  date: string;
  start_minute: number | null;
  end_minute: number | null;
}

/** Stored weekly windows (ISO weekday, minutes after midnight) as the API shows them, in week order. */
export function weeklyWindowsFromRows(
  rows: readonly { weekday: number; start_minute: number; end_minute: number }[],
): WeeklyWindow[] {
  return rows
    .map((row) => ({
      day: weekdayName(row.weekday),
      start: clockTime(row.start_minute),
      end: clockTime(row.end_minute),
    }))
    .sort((a, b) => isoWeekdayOf(a.day) - isoWeekdayOf(b.day) || a.start.localeCompare(b.start));
}

export function rulesFromRows(
  timezone: string,
  windows: readonly WindowRow[],
  overrides: readonly OverrideRow[],
): AvailabilityRules {
  const weekly = weeklyWindowsFromRows(windows);
  const byDate = new Map<string, DateOverride>();
  for (const row of overrides) {
    const override = byDate.get(row.date) ?? { date: row.date, windows: [] };
    if (row.start_minute !== null && row.end_minute !== null) {
      override.windows.push({ start: clockTime(row.start_minute), end: clockTime(row.end_minute) });
    }
    byDate.set(row.date, override);
  }
  const overrideList = [...byDate.values()].sort((a, b) => a.date.localeCompare(b.date));
  for (const override of overrideList) override.windows.sort((a, b) => a.start.localeCompare(b.start));
  return { timezone, weekly, overrides: overrideList };
}

/** Sessions last 30, 45 or 60 minutes; a day is a safe bound for index ranges. */
export const LONGEST_SESSION_MS = DAY_MS;

/** UTC calendar date a day away from an instant: a safe bound for local dates in any zone. */
function paddedDate(ms: number, days: number): string {
  return new Date(ms + days * DAY_MS).toISOString().slice(0, 10);
}

/**
 * Narrows a query of bookings to those that keep their time from others at `now`: confirmed
 * sessions, and holds for payment that have not lapsed (see `holdsItsTime`).
 */
export function whereHoldingTime(query: Knex.QueryBuilder, now: number): void {
  query.where((holding) =>
    holding
      .where('bookings.status', 'confirmed')
      .orWhere((held) =>
        held
          .where('bookings.status', 'pending_payment')
          .where('bookings.hold_expires_at', '>', new Date(now)),
      ),
  );
}

/**
 * Loads the schedules of many mentors over [from, to) in three queries, whatever their number,
 * so listing a page of mentors with their open slots never turns into one query per mentor.
 */
export async function loadSchedules(
  db: Knex | Knex.Transaction,
  mentors: readonly MentorScheduleSource[],
  from: number,
  to: number,
  now: number,
  options: { excludeBookingId?: number } = {},
): Promise<Map<number, MentorSchedule>> {
  if (mentors.length === 0) return new Map();
  const ids = mentors.map((mentor) => mentor.id);
  const bounds = scheduleBoundsOf(from, to);
  // One after another: on a transaction they share one connection, which runs one query at a time.
  const windows = await db<WindowRow>('availability_windows')
    .select('mentor_id', 'weekday', 'start_minute', 'end_minute')
    .whereIn('mentor_id', ids);
  const overrides = await db<OverrideRow>('availability_overrides')
    .select('mentor_id', 'date', 'start_minute', 'end_minute')
    .whereIn('mentor_id', ids)
    .whereBetween('date', [bounds.firstDate, bounds.lastDate]);
  const bookings = await db('bookings')
    .select('mentor_id', 'start_at', 'end_at')
    .whereIn('mentor_id', ids)
    .modify(whereHoldingTime, now)
    .where('start_at', '<', new Date(bounds.busyStartsBefore))
    .where('end_at', '>', new Date(bounds.busyEndsAfter))
    .where('start_at', '>', new Date(bounds.busyStartsAfter))
    .modify((query) => {
      if (options.excludeBookingId !== undefined) query.whereNot('id', options.excludeBookingId);
    });
  return schedulesOf(mentors, windows, overrides, bookings);
}

/** What loading schedules over [from, to) reads: override dates and the range of busy sessions. */
export function scheduleBoundsOf(from: number, to: number) {
  // A whole day either side covers both buffers and the local days the daily limit counts.
  const margin = DAY_MS;
  return {
    firstDate: paddedDate(from, -2),
    lastDate: paddedDate(to, 2),
    busyStartsBefore: to + margin,
    busyEndsAfter: from - margin,
    // Redundant with the bound above (no session lasts a day), but it bounds the index range on
    // (mentor_id, start_at): without it every past session of the mentor is scanned.
    busyStartsAfter: from - margin - LONGEST_SESSION_MS,
  };
}

/** The schedules of these mentors from their stored windows, overrides and busy sessions. */
export function schedulesOf(
  mentors: readonly MentorScheduleSource[],
  windows: readonly WindowRow[],
  overrides: readonly OverrideRow[],
  bookings: readonly { mentor_id: number; start_at: unknown; end_at: unknown }[],
): Map<number, MentorSchedule> {
  const schedules = new Map<number, MentorSchedule>();
  for (const mentor of mentors) {
    schedules.set(mentor.id, {
      mentorId: mentor.id,
      timezone: mentor.timezone,
      rules: rulesFromRows(
        mentor.timezone,
        windows.filter((row) => row.mentor_id === mentor.id),
        overrides.filter((row) => row.mentor_id === mentor.id),
      ),
      busy: [],
      bufferMinutes: mentor.buffer_minutes,
      maxSessionsPerDay: mentor.max_sessions_per_day,
    });
  }
  for (const row of bookings) {
    schedules
      .get(row.mentor_id)
      ?.busy.push({ start: instantFromDb(row.start_at), end: instantFromDb(row.end_at) });
  }
  return schedules;
}

export interface SlotQuery {
  durationMinutes: number;
  from: number;
  to: number;
  now: number;
  policy: SlotPolicy;
}

export function openSlotsOf(
  schedule: MentorSchedule,
  query: SlotQuery,
  extraBusy: Interval[] = [],
): number[] {
  // A slot may start just before `to` and run past it: availability is expanded one duration further.
  const availability = expandAvailability(
    schedule.rules,
    query.from,
    query.to + query.durationMinutes * MINUTE_MS,
  );
  const starts = findOpenSlots({
    availability,
    busy: extraBusy.length ? [...schedule.busy, ...extraBusy] : schedule.busy,
    durationMinutes: query.durationMinutes,
    timezone: schedule.timezone,
    from: query.from,
    to: query.to,
    now: query.now,
    policy: query.policy,
    bufferMinutes: schedule.bufferMinutes,
  });
  return withinDailyLimit(starts, schedule.busy, schedule.timezone, schedule.maxSessionsPerDay);
}
