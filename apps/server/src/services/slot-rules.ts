import type { Knex } from 'knex';
import { expandAvailability } from '../domain/availability.js';
import { reachesDailyLimit } from '../domain/daily-limit.js';
import { checkSlot, type SlotPolicy, type SlotRefusal } from '../domain/slots.js';
import { DAY_MS } from '../domain/time.js';
import { notFound } from './errors.js';
import { loadSchedules, type MentorSchedule, type MentorScheduleSource } from './schedules.js';

/** Why a mentor cannot take a session at a time. */
export type Refusal = SlotRefusal | 'daily_limit_reached';

/** A session to place on a mentor's schedule. */
export interface SlotPlan {
  start: number;
  end: number;
  durationMinutes: number;
  /** A booking whose own time never counts against the plan: the one being moved or retaken */
  movingBookingId?: number;
}

export type MentorRow = MentorScheduleSource & { is_premium: boolean; name: string };

export async function loadMentor(db: Knex | Knex.Transaction, id: number): Promise<MentorRow> {
  const row = await db('mentors')
    .select('id', 'name', 'timezone', 'buffer_minutes', 'max_sessions_per_day', 'is_premium')
    .where('id', id)
    .first();
  if (!row) throw notFound('Mentor', id);
  return { ...row, is_premium: Boolean(row.is_premium) };
}

/** The mentor's schedule around the plan, read in the transaction that will write it. */
export async function scheduleOf(
  trx: Knex.Transaction,
  mentor: MentorScheduleSource,
  plan: SlotPlan,
  now: number,
): Promise<MentorSchedule> {
  const schedules = await loadSchedules(trx, [mentor], plan.start - DAY_MS, plan.end + DAY_MS, now, {
    ...(plan.movingBookingId !== undefined ? { excludeBookingId: plan.movingBookingId } : {}),
  });
  return schedules.get(mentor.id) as MentorSchedule;
}

/** The first rule of the mentor's the plan breaks (availability, grid, notice, buffer, daily limit), or null. */
export function refusalFor(
  schedule: MentorSchedule,
  plan: SlotPlan,
  now: number,
  policy: SlotPolicy,
): Refusal | null {
  const refusal = checkSlot({
    availability: expandAvailability(schedule.rules, plan.start - DAY_MS, plan.end + DAY_MS),
    busy: schedule.busy,
    durationMinutes: plan.durationMinutes,
    timezone: schedule.timezone,
    now,
    policy,
    bufferMinutes: schedule.bufferMinutes,
    start: plan.start,
  });
  if (refusal) return refusal;
  return reachesDailyLimit(plan.start, schedule.busy, schedule.timezone, schedule.maxSessionsPerDay)
    ? 'daily_limit_reached'
    : null;
}
