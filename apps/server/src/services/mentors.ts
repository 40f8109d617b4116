import type {
  Availability,
  AvailabilityInput,
  Mentor,
  OperationInput,
  Operations,
  Page,
} from '@mentor-scheduling/contracts';
import type { Knex } from 'knex';
import { instantFromDb } from '../db/connection.js';
import { MentorModel } from '../db/models.js';
import { expandAvailability, findAvailabilityProblems } from '../domain/availability.js';
import { DAY_MS, MINUTE_MS, toIsoUtc } from '../domain/time.js';
import { requireMentorSelf } from './access.js';
import { withClockStopped } from './answer-cache.js';
import { areasByName } from './catalogue.js';
import type { ServiceContext } from './context.js';
import { AppError, invalidInput, notFound } from './errors.js';
import { decodeCursor, encodeCursor, windowOf } from './inputs.js';
import {
  isoWeekdayOf,
  loadSchedules,
  type MentorScheduleSource,
  minutesOfClock,
  openSlotsOf,
  rulesFromRows,
  whereHoldingTime,
} from './schedules.js';
import { timedSlotComputation } from './service-metrics.js';

type MentorRow = MentorScheduleSource & {
  name: string;
  headline: string | null;
  is_premium: boolean | number;
};

/** What PATCH may change; with the id, also every column a mentor is presented from. */
const editableMentorFields = [
  'name',
  'headline',
  'is_premium',
  'timezone',
  'buffer_minutes',
  'max_sessions_per_day',
] as const;
const mentorColumns = ['id', ...editableMentorFields] as const;

async function areaNamesOf(db: Knex | Knex.Transaction, mentorIds: number[]): Promise<Map<number, string[]>> {
  const rows: { mentor_id: number; name: string }[] = await db('mentor_areas')
    .join('areas', 'areas.id', 'mentor_areas.area_id')
    .select('mentor_areas.mentor_id', 'areas.name')
    .whereIn('mentor_areas.mentor_id', mentorIds)
    .orderBy('areas.name');
  const byMentor = new Map<number, string[]>();
  for (const row of rows) byMentor.set(row.mentor_id, [...(byMentor.get(row.mentor_id) ?? []), row.name]);
  return byMentor;
}

interface AvailabilityQuery {
  from?: string | undefined;
  to?: string | undefined;
  duration: number;
}

/** Mentors as the API shows them, with their open slot starts: a constant number of queries per page. */
async function presentMentors(
  ctx: ServiceContext,
  rows: MentorRow[],
  query: AvailabilityQuery,
): Promise<Mentor[]> {
  const db = ctx.db.knex;
  if (rows.length === 0) return [];
  const window = windowOf(ctx, query);
  const ids = rows.map((row) => row.id);
  const [areas, schedules] = await Promise.all([
    areaNamesOf(db, ids),
    loadSchedules(db, rows, window.from, window.to, ctx.now()),
  ]);
  const now = ctx.now();
  return rows.map((row) => {
    const schedule = schedules.get(row.id);
    const slots = schedule
      ? openSlotsOf(schedule, {
          durationMinutes: query.duration,
          ...window,
          now,
          policy: ctx.config.slotPolicy,
        })
      : [];
    return {
      id: row.id,
      name: row.name,
      headline: row.headline,
      areas_of_expertise: areas.get(row.id) ?? [],
      is_premium: Boolean(row.is_premium),
      timezone: row.timezone,
      buffer_minutes: row.buffer_minutes,
      max_sessions_per_day: row.max_sessions_per_day,
      availability: slots.map(toIsoUtc),
    };
  });
}

async function mentorRowOf(db: Knex | Knex.Transaction, id: number): Promise<MentorRow> {
  const row = await db('mentors').select(mentorColumns).where('id', id).first();
  if (!row) throw notFound('Mentor', id);
  return row;
}

/** A page of mentors with their open slots: computed once per data version and clock minute. */
export function listMentors(
  ctx: ServiceContext,
  input: OperationInput<Operations['mentors']['list']>,
): Promise<Page<Mentor>> {
  refuseOversizedListing(ctx, input);
  return ctx.answers.through(ctx, `mentors.list ${JSON.stringify(input)}`, (at) =>
    timedSlotComputation(at.metrics, 'mentors.list', () => computeMentorsPage(at, input)),
  );
}

/**
 * Mentor-days one mentors page may list: the default page (50) over the longest window (31 days), or
 * a full page (200) over 8 days. An answer grows with mentors × window (about 1.2 KB of slot times
 * per mentor-day), so this bounds its size (~2 MB) and the memory one request can take.
 */
export const MAX_LISTED_MENTOR_DAYS = 1600;

function refuseOversizedListing(
  ctx: ServiceContext,
  input: OperationInput<Operations['mentors']['list']>,
): void {
  const window = windowOf(ctx, input);
  const mentorDays = (input.limit * (window.to - window.from)) / DAY_MS;
  if (mentorDays > MAX_LISTED_MENTOR_DAYS) {
    const days = Math.floor((MAX_LISTED_MENTOR_DAYS / input.limit) * 10) / 10;
    throw invalidInput(
      '/limit',
      `limit × window days may be at most ${MAX_LISTED_MENTOR_DAYS}: with limit=${input.limit} the window may span ${days} days; ask for a smaller page or a shorter window`,
    );
  }
}

async function computeMentorsPage(
  ctx: ServiceContext,
  input: OperationInput<Operations['mentors']['list']>,
): Promise<Page<Mentor>> {
  const knex = ctx.db.knex;
  const query = knex('mentors')
    .select(mentorColumns.map((column) => `mentors.${column}`))
    .orderBy('mentors.id')
    .limit(input.limit + 1);
  if (input.area_of_expertise !== undefined) {
    const key = input.area_of_expertise.trim().toLowerCase();
    query.whereIn(
      'mentors.id',
      knex('mentor_areas')
        .join('areas', 'areas.id', 'mentor_areas.area_id')
        .select('mentor_areas.mentor_id')
        .where((where) => where.whereRaw('lower(areas.name) = ?', [key]).orWhere('areas.slug', key)),
    );
  }
  if (input.is_premium !== undefined) query.where('mentors.is_premium', input.is_premium);
  if (input.cursor !== undefined) {
    const [afterId] = decodeCursor(input.cursor, ['id']);
    query.where('mentors.id', '>', afterId as number);
  }
  const rows: MentorRow[] = await query;
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    items: await presentMentors(ctx, page, input),
    nextCursor: rows.length > input.limit && last ? encodeCursor([last.id]) : null,
  };
}

export function getMentor(
  ctx: ServiceContext,
  input: OperationInput<Operations['mentors']['get']>,
): Promise<Mentor> {
  return ctx.answers.through(ctx, `mentors.get ${JSON.stringify(input)}`, (at) =>
    timedSlotComputation(at.metrics, 'mentors.get', async () => {
      const [mentor] = await presentMentors(at, [await mentorRowOf(at.db.knex, input.id)], input);
      return mentor as Mentor;
    }),
  );
}

export async function mentorSlots(
  ctx: ServiceContext,
  input: OperationInput<Operations['mentors']['slots']>,
) {
  const at = withClockStopped(ctx);
  const window = windowOf(at, input);
  // The open starts are kept (see answer-cache.ts); the answer echoes the window, so it is built per request.
  const slotsKey = `mentors.slots ${JSON.stringify(input)}`;
  const open = await at.answers.through(at, slotsKey, () =>
    timedSlotComputation(at.metrics, 'mentors.slots', async () => {
      const row = await mentorRowOf(at.db.knex, input.id);
      const schedules = await loadSchedules(at.db.knex, [row], window.from, window.to, at.now());
      const schedule = schedules.get(row.id);
      const starts = schedule
        ? openSlotsOf(schedule, {
            durationMinutes: input.duration,
            ...window,
            now: at.now(),
            policy: at.config.slotPolicy,
          })
        : [];
      return { mentorId: row.id, starts };
    }),
  );
  return {
    mentor_id: open.mentorId,
    duration: input.duration,
    from: toIsoUtc(window.from),
    to: toIsoUtc(window.to),
    slots: open.starts.map((start) => ({
      start_time: toIsoUtc(start),
      end_time: toIsoUtc(start + input.duration * MINUTE_MS),
    })),
  };
}

function refuseInvalidAvailability(timezone: string, availability: AvailabilityInput, pathPrefix = ''): void {
  const problems = findAvailabilityProblems({
    timezone,
    weekly: availability.weekly,
    overrides: availability.overrides,
  });
  if (problems.length > 0) {
    throw new AppError('invalid_request', problems.map((problem) => problem.message).join('; '), {
      errors: problems.map((problem) => ({ path: `${pathPrefix}${problem.path}`, message: problem.message })),
    });
  }
}

interface OverrideRowInput {
  mentor_id: number;
  date: string;
  start_minute: number | null;
  end_minute: number | null;
}

async function replaceAvailability(
  trx: Knex.Transaction,
  mentorId: number,
  availability: AvailabilityInput,
): Promise<void> {
  await trx('availability_windows').where('mentor_id', mentorId).delete();
  await trx('availability_overrides').where('mentor_id', mentorId).delete();
  if (availability.weekly.length > 0) {
    await trx('availability_windows').insert(
      availability.weekly.map((window) => ({
        mentor_id: mentorId,
        weekday: isoWeekdayOf(window.day),
        start_minute: minutesOfClock(window.start),
        end_minute: minutesOfClock(window.end),
      })),
    );
  }
  const overrideRows = availability.overrides.flatMap((override): OverrideRowInput[] =>
    override.windows.length === 0
      ? [{ mentor_id: mentorId, date: override.date, start_minute: null, end_minute: null }]
      : override.windows.map((window) => ({
          mentor_id: mentorId,
          date: override.date,
          start_minute: minutesOfClock(window.start),
          end_minute: minutesOfClock(window.end),
        })),
  );
  if (overrideRows.length > 0) await trx('availability_overrides').insert(overrideRows);
}

async function replaceAreas(trx: Knex.Transaction, mentorId: number, areaIds: number[]): Promise<void> {
  await trx('mentor_areas').where('mentor_id', mentorId).delete();
  await trx('mentor_areas').insert(areaIds.map((areaId) => ({ mentor_id: mentorId, area_id: areaId })));
}

export async function createMentor(
  ctx: ServiceContext,
  input: OperationInput<Operations['mentors']['create']>,
): Promise<Mentor> {
  const timezone = input.timezone ?? ctx.config.defaultTimezone;
  const availability = { weekly: input.weekly ?? [], overrides: [] };
  refuseInvalidAvailability(timezone, availability);
  const areas = await areasByName(ctx, input.areas_of_expertise);
  const now = new Date(ctx.now());
  const mentorId = await ctx.db.knex.transaction(async (trx) => {
    const inserted = await MentorModel.query(trx).insert({
      name: input.name,
      headline: input.headline ?? null,
      is_premium: input.is_premium,
      timezone,
      buffer_minutes: input.buffer_minutes,
      max_sessions_per_day: input.max_sessions_per_day,
      created_at: now,
      updated_at: now,
    });
    await replaceAreas(
      trx,
      inserted.id,
      areas.map((area) => area.id),
    );
    await replaceAvailability(trx, inserted.id, availability);
    return inserted.id;
  });
  return getMentor(ctx, { id: mentorId, duration: 30 });
}

export async function updateMentor(
  ctx: ServiceContext,
  input: OperationInput<Operations['mentors']['update']>,
): Promise<Mentor> {
  requireMentorSelf(ctx, input.id);
  if (
    ctx.actor.role === 'mentor' &&
    (input.is_premium !== undefined || input.areas_of_expertise !== undefined)
  ) {
    // Tier and catalogue placement set the price students pay: the platform decides them.
    throw new AppError('forbidden', 'Only an admin can change is_premium or areas_of_expertise');
  }
  const areas = input.areas_of_expertise ? await areasByName(ctx, input.areas_of_expertise) : undefined;
  await ctx.db.knex.transaction(async (trx) => {
    await mentorRowOf(trx, input.id);
    const changes: Record<string, unknown> = {};
    for (const field of editableMentorFields) {
      if (input[field] !== undefined) changes[field] = input[field];
    }
    await trx('mentors')
      .where('id', input.id)
      .update({ ...changes, updated_at: new Date(ctx.now()) });
    if (areas)
      await replaceAreas(
        trx,
        input.id,
        areas.map((area) => area.id),
      );
  });
  return getMentor(ctx, { id: input.id, duration: 30 });
}

async function availabilityOf(db: Knex | Knex.Transaction, mentor: MentorRow): Promise<Availability> {
  // Sequential: `db` may be a transaction, whose one connection runs one query at a time.
  const windows = await db('availability_windows')
    .select('mentor_id', 'weekday', 'start_minute', 'end_minute')
    .where('mentor_id', mentor.id);
  const overrides = await db('availability_overrides')
    .select('mentor_id', 'date', 'start_minute', 'end_minute')
    .where('mentor_id', mentor.id);
  const rules = rulesFromRows(mentor.timezone, windows, overrides);
  return { mentor_id: mentor.id, timezone: rules.timezone, weekly: rules.weekly, overrides: rules.overrides };
}

export async function getAvailability(
  ctx: ServiceContext,
  input: OperationInput<Operations['mentors']['availability']>,
): Promise<Availability> {
  return availabilityOf(ctx.db.knex, await mentorRowOf(ctx.db.knex, input.id));
}

/**
 * Replaces the weekly windows and overrides. Bookings are never dropped by an availability change;
 * the upcoming ones the new availability no longer covers are listed so the mentor can act on them.
 */
export async function setAvailability(
  ctx: ServiceContext,
  input: OperationInput<Operations['mentors']['setAvailability']>,
) {
  requireMentorSelf(ctx, input.id);
  return ctx.db.knex.transaction(async (trx) => {
    const mentor = await mentorRowOf(trx, input.id);
    refuseInvalidAvailability(mentor.timezone, input);
    await replaceAvailability(trx, mentor.id, input);
    const availability = await availabilityOf(trx, mentor);
    const upcoming: { id: number; start_at: unknown; end_at: unknown }[] = await trx('bookings')
      .select('id', 'start_at', 'end_at')
      .where('mentor_id', mentor.id)
      .modify(whereHoldingTime, ctx.now())
      .where('end_at', '>', new Date(ctx.now()))
      .orderBy('start_at');
    const uncovered = upcoming.filter((booking) => {
      const start = instantFromDb(booking.start_at);
      const end = instantFromDb(booking.end_at);
      return !expandAvailability(availability, start, end).some(
        (interval) => interval.start <= start && interval.end >= end,
      );
    });
    return { ...availability, bookings_outside_availability: uncovered.map((booking) => booking.id) };
  });
}
