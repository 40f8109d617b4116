import type { OperationInput, Operations } from '@mentor-scheduling/contracts';
import { instantFromDb } from '../db/connection.js';
import { expandAvailability } from '../domain/availability.js';
import { contains } from '../domain/interval.js';
import { MINUTE_MS, toIsoInZone, toIsoUtc } from '../domain/time.js';
import { requireStudentSelf } from './access.js';
import { withClockStopped } from './answer-cache.js';
import { areasByName } from './catalogue.js';
import type { ServiceContext } from './context.js';
import { invalidInput } from './errors.js';
import { windowOf } from './inputs.js';
import {
  LONGEST_SESSION_MS,
  loadSchedules,
  type MentorScheduleSource,
  openSlotsOf,
  whereHoldingTime,
} from './schedules.js';
import { timedSlotComputation } from './service-metrics.js';
import { preferredWindowsOf, studentById } from './students.js';

type SearchInput = OperationInput<Operations['slots']['search']>;

/** The student's sessions (and live holds) in the window: those times are not open to them. */
async function studentBusyOf(ctx: ServiceContext, studentId: number, from: number, to: number) {
  const rows: { start_at: unknown; end_at: unknown }[] = await ctx.db
    .knex('bookings')
    .select('start_at', 'end_at')
    .where('student_id', studentId)
    .modify(whereHoldingTime, ctx.now())
    .where('start_at', '<', new Date(to))
    .where('end_at', '>', new Date(from))
    .where('start_at', '>', new Date(from - LONGEST_SESSION_MS));
  return rows.map((row) => ({ start: instantFromDb(row.start_at), end: instantFromDb(row.end_at) }));
}

/**
 * Open start times of an area across its mentors, each with how many mentors are free for it.
 * Mentor availability decides; a student's sessions and preferred windows only narrow it.
 */
export async function searchSlots(request: ServiceContext, input: SearchInput) {
  const ctx = withClockStopped(request);
  if (input.preferred_only && input.student_id === undefined) {
    throw invalidInput('/preferred_only', 'preferred_only needs student_id');
  }
  const window = windowOf(ctx, input);
  const durationMs = input.duration * MINUTE_MS;
  // A student's sessions and preferences are theirs: only they (or an admin) may search with them.
  if (input.student_id !== undefined) requireStudentSelf(ctx, input.student_id);

  // The open starts are the costly part: kept per search (see answer-cache.ts), everything they are
  // computed from read inside. The answer itself is built per request, because it echoes the window,
  // which by default starts at this very millisecond.
  const searchKey = `slots.search ${JSON.stringify(input)}`;
  const open = await ctx.answers.through(ctx, searchKey, () =>
    timedSlotComputation(ctx.metrics, 'slots.search', async () => {
      const [area] = await areasByName(ctx, [input.area_of_expertise]);
      let studentBusy: { start: number; end: number }[] = [];
      let preferred: { start: number; end: number }[] | null = null;
      if (input.student_id !== undefined) {
        const student = await studentById(ctx.db.knex, input.student_id);
        studentBusy = await studentBusyOf(ctx, student.id, window.from, window.to + durationMs);
        if (input.preferred_only) {
          const weekly = await preferredWindowsOf(ctx.db.knex, student.id);
          preferred = expandAvailability(
            { timezone: student.timezone, weekly, overrides: [] },
            window.from,
            window.to + durationMs,
          );
        }
      }
      const mentors: MentorScheduleSource[] = await ctx.db
        .knex('mentors')
        .select('mentors.id', 'mentors.timezone', 'mentors.buffer_minutes', 'mentors.max_sessions_per_day')
        .join('mentor_areas', 'mentor_areas.mentor_id', 'mentors.id')
        .where('mentor_areas.area_id', area?.id as number)
        .where('mentors.is_premium', input.premium ?? false);
      const schedules = await loadSchedules(ctx.db.knex, mentors, window.from, window.to, ctx.now());
      const freeMentors = new Map<number, number>();
      const query = {
        durationMinutes: input.duration,
        ...window,
        now: ctx.now(),
        policy: ctx.config.slotPolicy,
      };
      for (const schedule of schedules.values()) {
        for (const start of openSlotsOf(schedule, query, studentBusy)) {
          freeMentors.set(start, (freeMentors.get(start) ?? 0) + 1);
        }
      }
      const starts = [...freeMentors.keys()]
        .filter(
          (start) =>
            !preferred || preferred.some((stretch) => contains(stretch, { start, end: start + durationMs })),
        )
        .sort((a, b) => a - b);
      return {
        areaName: area?.name ?? input.area_of_expertise,
        starts,
        mentorsFree: starts.map((start) => freeMentors.get(start) ?? 0),
      };
    }),
  );
  const zone = input.timezone ?? 'UTC';
  return {
    area_of_expertise: open.areaName,
    duration: input.duration,
    timezone: zone,
    from: toIsoUtc(window.from),
    to: toIsoUtc(window.to),
    slots: open.starts.map((start, index) => ({
      start_time: toIsoInZone(start, zone),
      end_time: toIsoInZone(start + durationMs, zone),
      mentors_available: open.mentorsFree[index] ?? 0,
    })),
  };
}
