import type { Dashboard, OperationInput, Operations } from '@mentor-scheduling/contracts';
import { DateTime } from 'luxon';
import { instantFromDb } from '../db/connection.js';
import { expandAvailability } from '../domain/availability.js';
import { type BookingStatus, holdsItsTime, statusAt } from '../domain/booking-status.js';
import { clipIntervals } from '../domain/interval.js';
import { minorToMajor } from '../domain/pricing.js';
import { MINUTE_MS, toIsoUtc } from '../domain/time.js';
import type { ServiceContext } from './context.js';
import { loadSchedules } from './schedules.js';

/** What admins see of the business: one week's sessions, revenue, utilisation and areas. */

interface WeekBookingRow {
  mentor_id: number;
  area_name: string | null;
  start_at: unknown;
  end_at: unknown;
  price_minor: number | string;
  status: BookingStatus;
  hold_expires_at: unknown;
}

export async function dashboard(
  ctx: ServiceContext,
  input: OperationInput<Operations['reports']['dashboard']>,
): Promise<Dashboard> {
  const zone = ctx.config.defaultTimezone;
  const now = ctx.now();
  const day = input.week_of ? DateTime.fromISO(input.week_of, { zone }) : DateTime.fromMillis(now, { zone });
  const weekStartAt = day.startOf('week');
  const weekStart = weekStartAt.toMillis();
  const weekEnd = weekStartAt.plus({ weeks: 1 }).toMillis();
  const weekStarts = Array.from({ length: input.weeks }, (_, index) =>
    weekStartAt.minus({ weeks: input.weeks - 1 - index }),
  );
  const historyStart = weekStarts[0]?.toMillis() ?? weekStart;

  const rows: WeekBookingRow[] = await ctx.db
    .knex('bookings')
    .leftJoin('areas', 'areas.id', 'bookings.area_id')
    .select(
      'bookings.mentor_id',
      'areas.name as area_name',
      'bookings.start_at',
      'bookings.end_at',
      'bookings.price_minor',
      'bookings.status',
      'bookings.hold_expires_at',
    )
    .where('bookings.start_at', '>=', new Date(historyStart))
    .where('bookings.start_at', '<', new Date(weekEnd));
  const bookings = rows.map((row) => {
    const start = instantFromDb(row.start_at);
    const end = instantFromDb(row.end_at);
    const holdExpiresAt = row.hold_expires_at === null ? null : instantFromDb(row.hold_expires_at);
    return {
      ...row,
      start,
      end,
      priceMinor: Number(row.price_minor),
      status: statusAt(row.status, end, now, holdExpiresAt),
      holdsTime: holdsItsTime(row.status, now, holdExpiresAt),
    };
  });
  const takesPlace = (status: BookingStatus) => status === 'confirmed' || status === 'completed';
  const thisWeek = bookings.filter((booking) => booking.start >= weekStart);

  const sessions = { confirmed: 0, completed: 0, cancelled: 0, pending_payment: 0, expired: 0 };
  for (const booking of thisWeek) sessions[booking.status] += 1;

  const revenueByWeek = weekStarts.map((start) => ({
    start: start.toMillis(),
    revenueMinor: 0,
    sessions: 0,
  }));
  for (const booking of bookings) {
    if (!takesPlace(booking.status)) continue;
    const bucket = revenueByWeek.findLast((candidate) => candidate.start <= booking.start);
    if (!bucket) continue;
    bucket.revenueMinor += booking.priceMinor;
    bucket.sessions += 1;
  }

  const areaCounts = new Map<string | null, number>();
  for (const booking of thisWeek) {
    if (takesPlace(booking.status))
      areaCounts.set(booking.area_name, (areaCounts.get(booking.area_name) ?? 0) + 1);
  }

  const mentors: Array<{
    id: number;
    name: string;
    is_premium: boolean | number;
    timezone: string;
    buffer_minutes: number;
    max_sessions_per_day: number | null;
  }> = await ctx.db
    .knex('mentors')
    .select('id', 'name', 'is_premium', 'timezone', 'buffer_minutes', 'max_sessions_per_day')
    .orderBy('id');
  const schedules = await loadSchedules(ctx.db.knex, mentors, weekStart, weekEnd, now);
  const week = { start: weekStart, end: weekEnd };
  const utilisation = mentors.map((mentor) => {
    const schedule = schedules.get(mentor.id);
    const available = schedule
      ? clipIntervals(expandAvailability(schedule.rules, weekStart, weekEnd), week).reduce(
          (sum, interval) => sum + (interval.end - interval.start),
          0,
        )
      : 0;
    const booked = thisWeek
      .filter(
        (booking) => booking.mentor_id === mentor.id && (booking.holdsTime || booking.status === 'completed'),
      )
      .reduce((sum, booking) => sum + (booking.end - booking.start), 0);
    const availableMinutes = Math.round(available / MINUTE_MS);
    const bookedMinutes = Math.round(booked / MINUTE_MS);
    return {
      mentor_id: mentor.id,
      name: mentor.name,
      is_premium: Boolean(mentor.is_premium),
      booked_minutes: bookedMinutes,
      available_minutes: availableMinutes,
      utilisation: availableMinutes === 0 ? 0 : Math.round((bookedMinutes / availableMinutes) * 1000) / 1000,
    };
  });
  utilisation.sort(
    (a, b) =>
      b.utilisation - a.utilisation || b.booked_minutes - a.booked_minutes || a.mentor_id - b.mentor_id,
  );

  const thisWeekRevenue = revenueByWeek.at(-1)?.revenueMinor ?? 0;
  return {
    timezone: zone,
    week_start: toIsoUtc(weekStart),
    week_end: toIsoUtc(weekEnd),
    currency: ctx.config.pricing.currency,
    sessions,
    revenue_this_week: minorToMajor(thisWeekRevenue),
    utilisation,
    revenue_by_week: revenueByWeek.map((bucket) => ({
      week_start: toIsoUtc(bucket.start),
      revenue: minorToMajor(bucket.revenueMinor),
      sessions: bucket.sessions,
    })),
    bookings_by_area: [...areaCounts.entries()]
      .map(([area, count]) => ({ area, sessions: count }))
      .sort((a, b) => b.sessions - a.sessions || String(a.area).localeCompare(String(b.area))),
  };
}
