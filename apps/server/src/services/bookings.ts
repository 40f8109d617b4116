import type { Booking, OperationInput, Operations, Page, SlotHint } from '@mentor-scheduling/contracts';
import type { Knex } from 'knex';
import { instantFromDb } from '../db/connection.js';
import { rankMentors } from '../domain/assignment.js';
import { expandAvailability } from '../domain/availability.js';
import { majorToMinor, minorToMajor, priceOf } from '../domain/pricing.js';
import { checkSlot, type SlotRefusal } from '../domain/slots.js';
import { DAY_MS, MINUTE_MS, toIsoUtc } from '../domain/time.js';
import { areasByName } from './catalogue.js';
import type { ServiceContext } from './context.js';
import { AppError, invalidInput, notFound } from './errors.js';
import { decodeCursor, encodeCursor, instantOf } from './inputs.js';
import { loadSchedules, type MentorSchedule, type MentorScheduleSource, openSlotsOf } from './schedules.js';
import { studentById } from './students.js';

type CreateInput = OperationInput<Operations['bookings']['create']>;

interface BookingRow {
  id: number;
  student_id: number;
  mentor_id: number;
  area_name: string | null;
  start_at: unknown;
  end_at: unknown;
  duration_minutes: number;
  price_minor: number;
  currency: string;
  status: Booking['status'];
  created_at: unknown;
}

const NEXT_SLOT_HINTS = 3;
const HINT_WINDOW_DAYS = 7;

function bookingQuery(db: Knex | Knex.Transaction) {
  return db('bookings')
    .leftJoin('areas', 'areas.id', 'bookings.area_id')
    .select(
      'bookings.id',
      'bookings.student_id',
      'bookings.mentor_id',
      'areas.name as area_name',
      'bookings.start_at',
      'bookings.end_at',
      'bookings.duration_minutes',
      'bookings.price_minor',
      'bookings.currency',
      'bookings.status',
      'bookings.created_at',
    );
}

function present(row: BookingRow): Booking {
  return {
    id: row.id,
    student_id: row.student_id,
    mentor_id: row.mentor_id,
    area_of_expertise: row.area_name,
    start_time: toIsoUtc(instantFromDb(row.start_at)),
    end_time: toIsoUtc(instantFromDb(row.end_at)),
    duration: row.duration_minutes,
    cost: minorToMajor(row.price_minor),
    currency: row.currency,
    status: row.status,
    created_at: toIsoUtc(instantFromDb(row.created_at)),
  };
}

async function bookingById(db: Knex | Knex.Transaction, id: number): Promise<Booking> {
  const row = await bookingQuery(db).where('bookings.id', id).first();
  if (!row) throw notFound('Booking', id);
  return present(row);
}

const refusalMessages: Record<SlotRefusal, string> = {
  in_the_past: 'start_time is in the past',
  too_soon: 'start_time is inside the minimum notice',
  beyond_horizon: 'start_time is beyond the booking horizon',
  off_grid: 'start_time is not on the slot grid',
  outside_availability: 'The session is outside the mentor’s availability',
  slot_taken: 'The mentor already has a session at that time',
};

function refusalError(refusal: SlotRefusal, ctx: ServiceContext): AppError {
  const { minNoticeMinutes, horizonDays, gridMinutes } = ctx.config.slotPolicy;
  const details: Partial<Record<SlotRefusal, string>> = {
    too_soon: `${refusalMessages.too_soon} (${minNoticeMinutes} minutes)`,
    beyond_horizon: `${refusalMessages.beyond_horizon} (${horizonDays} days)`,
    off_grid: `${refusalMessages.off_grid} (every ${gridMinutes} minutes in the mentor’s zone)`,
  };
  return new AppError(refusal, details[refusal] ?? refusalMessages[refusal]);
}

/** Which party a database overlap refusal (SQLite trigger or PostgreSQL exclusion) was about. */
function overlapPartyOf(error: unknown): 'mentor' | 'student' | null {
  const { code, constraint, message } = (error ?? {}) as {
    code?: string;
    constraint?: string;
    message?: string;
  };
  if (code === '23P01') return constraint?.includes('student') ? 'student' : 'mentor';
  if (message?.includes('booking_overlap_student')) return 'student';
  if (message?.includes('booking_overlap_mentor')) return 'mentor';
  return null;
}

class SlotConflict extends Error {
  constructor(
    readonly code: 'slot_taken' | 'no_mentor_available',
    readonly detail: string,
    readonly mentors: MentorScheduleSource[],
  ) {
    super(detail);
  }
}

interface Plan {
  start: number;
  end: number;
  durationMinutes: number;
  studentId: number;
  areaId: number | null;
  priceMinor: number;
}

async function insertBooking(
  trx: Knex.Transaction,
  ctx: ServiceContext,
  plan: Plan,
  mentorId: number,
): Promise<number> {
  const now = new Date(ctx.now());
  const [inserted] = await trx('bookings')
    .insert({
      student_id: plan.studentId,
      mentor_id: mentorId,
      area_id: plan.areaId,
      start_at: new Date(plan.start),
      end_at: new Date(plan.end),
      duration_minutes: plan.durationMinutes,
      price_minor: plan.priceMinor,
      currency: ctx.config.pricing.currency,
      status: 'confirmed',
      created_at: now,
      updated_at: now,
    })
    .returning('id');
  return typeof inserted === 'object' ? inserted.id : inserted;
}

async function refuseStudentOverlap(trx: Knex.Transaction, plan: Plan): Promise<void> {
  const clash = await trx('bookings')
    .select('id')
    .where({ student_id: plan.studentId, status: 'confirmed' })
    .where('start_at', '<', new Date(plan.end))
    .where('end_at', '>', new Date(plan.start))
    .first();
  if (clash) throw new AppError('student_busy', 'The student already has a session at that time');
}

/** Serialises concurrent bookings of the same mentors on PostgreSQL; SQLite has one writer anyway. */
async function lockMentors(trx: Knex.Transaction, ctx: ServiceContext, mentorIds: number[]): Promise<void> {
  if (ctx.db.dialect !== 'pg' || mentorIds.length === 0) return;
  await trx('mentors').select('id').whereIn('id', mentorIds).orderBy('id').forUpdate();
}

async function loadMentor(
  db: Knex | Knex.Transaction,
  id: number,
): Promise<MentorScheduleSource & { is_premium: boolean }> {
  const row = await db('mentors')
    .select('id', 'timezone', 'buffer_minutes', 'is_premium')
    .where('id', id)
    .first();
  if (!row) throw notFound('Mentor', id);
  return { ...row, is_premium: Boolean(row.is_premium) };
}

function scheduleWindow(plan: Plan) {
  return { from: plan.start - DAY_MS, to: plan.end + DAY_MS };
}

function refusalFor(ctx: ServiceContext, schedule: MentorSchedule, plan: Plan): SlotRefusal | null {
  const window = scheduleWindow(plan);
  return checkSlot({
    availability: expandAvailability(schedule.rules, window.from, window.to),
    busy: schedule.busy,
    durationMinutes: plan.durationMinutes,
    timezone: schedule.timezone,
    now: ctx.now(),
    policy: ctx.config.slotPolicy,
    bufferMinutes: schedule.bufferMinutes,
    start: plan.start,
  });
}

async function bookNamedMentor(ctx: ServiceContext, plan: Plan, mentorId: number): Promise<number> {
  return ctx.db.knex.transaction(async (trx) => {
    await lockMentors(trx, ctx, [mentorId]);
    const mentor = await loadMentor(trx, mentorId);
    const window = scheduleWindow(plan);
    const schedule = (await loadSchedules(trx, [mentor], window.from, window.to)).get(
      mentorId,
    ) as MentorSchedule;
    const refusal = refusalFor(ctx, schedule, plan);
    if (refusal === 'slot_taken') throw new SlotConflict('slot_taken', refusalMessages.slot_taken, [mentor]);
    if (refusal) throw refusalError(refusal, ctx);
    await refuseStudentOverlap(trx, plan);
    try {
      return await insertBooking(trx, ctx, plan, mentorId);
    } catch (error) {
      const party = overlapPartyOf(error);
      if (party === 'mentor') throw new SlotConflict('slot_taken', refusalMessages.slot_taken, [mentor]);
      if (party === 'student')
        throw new AppError('student_busy', 'The student already has a session at that time');
      throw error;
    }
  });
}

async function candidatesOf(
  db: Knex | Knex.Transaction,
  areaId: number,
  premium: boolean,
): Promise<MentorScheduleSource[]> {
  return db('mentors')
    .select('mentors.id', 'mentors.timezone', 'mentors.buffer_minutes')
    .join('mentor_areas', 'mentor_areas.mentor_id', 'mentors.id')
    .where('mentor_areas.area_id', areaId)
    .where('mentors.is_premium', premium)
    .orderBy('mentors.id');
}

/**
 * Assigns a mentor of the area who is free for the slot, in the order PRODUCT.md sets (back to back,
 * then fewest sessions that day, then lowest id). When the database refuses the first choice because
 * a concurrent request took it, the next one in the same order is tried.
 */
async function bookAssignedMentor(
  ctx: ServiceContext,
  input: CreateInput,
  plan: Plan,
  premium: boolean,
): Promise<number> {
  return ctx.db.knex.transaction(async (trx) => {
    const candidates = await candidatesOf(trx, plan.areaId as number, premium);
    await lockMentors(
      trx,
      ctx,
      candidates.map((candidate) => candidate.id),
    );
    const window = scheduleWindow(plan);
    const schedules = await loadSchedules(trx, candidates, window.from, window.to);
    const refusals = new Map<number, SlotRefusal | null>();
    for (const schedule of schedules.values())
      refusals.set(schedule.mentorId, refusalFor(ctx, schedule, plan));
    const timeRefusal = [...refusals.values()].find(
      (refusal) => refusal === 'in_the_past' || refusal === 'too_soon' || refusal === 'beyond_horizon',
    );
    if (timeRefusal) throw refusalError(timeRefusal, ctx);
    const free = [...schedules.values()].filter((schedule) => refusals.get(schedule.mentorId) === null);
    await refuseStudentOverlap(trx, plan);
    const ranked = rankMentors(
      free.map((schedule) => ({
        mentorId: schedule.mentorId,
        timezone: schedule.timezone,
        sessions: schedule.busy,
      })),
      { start: plan.start, end: plan.end },
    );
    for (const mentorId of ranked) {
      try {
        // A savepoint per attempt: on PostgreSQL a refused insert would otherwise abort the transaction.
        return await trx.transaction((attempt) => insertBooking(attempt, ctx, plan, mentorId));
      } catch (error) {
        const party = overlapPartyOf(error);
        if (party === 'student')
          throw new AppError('student_busy', 'The student already has a session at that time');
        if (party !== 'mentor') throw error;
      }
    }
    throw new SlotConflict(
      'no_mentor_available',
      `No ${premium ? 'premium' : 'standard'} mentor of ${input.area_of_expertise} is free for that slot`,
      candidates,
    );
  });
}

/** The next open slots after a refused start, offered with a 409 so the client can retry at once. */
async function nextSlotHints(
  ctx: ServiceContext,
  mentors: MentorScheduleSource[],
  plan: Plan,
): Promise<SlotHint[]> {
  const from = Math.max(plan.start, ctx.now());
  const to = from + HINT_WINDOW_DAYS * DAY_MS;
  const schedules = await loadSchedules(ctx.db.knex, mentors, from, to);
  const hints: SlotHint[] = [];
  for (const schedule of schedules.values()) {
    const starts = openSlotsOf(schedule, {
      durationMinutes: plan.durationMinutes,
      from,
      to,
      now: ctx.now(),
      policy: ctx.config.slotPolicy,
    });
    for (const start of starts.slice(0, NEXT_SLOT_HINTS)) {
      hints.push({
        start_time: toIsoUtc(start),
        end_time: toIsoUtc(start + plan.durationMinutes * MINUTE_MS),
        mentor_id: schedule.mentorId,
      });
    }
  }
  return hints
    .sort((a, b) => a.start_time.localeCompare(b.start_time) || a.mentor_id - b.mentor_id)
    .slice(0, NEXT_SLOT_HINTS);
}

export async function createBooking(ctx: ServiceContext, input: CreateInput) {
  const start = instantOf(ctx, input.start_time, 'start_time');
  const end = start + input.duration * MINUTE_MS;
  if (input.end_time !== undefined && instantOf(ctx, input.end_time, 'end_time') !== end) {
    throw invalidInput('/end_time', `end_time must equal start_time + duration (${toIsoUtc(end)})`);
  }
  if (input.mentor_id === undefined && input.area_of_expertise === undefined) {
    throw invalidInput('/mentor_id', 'Send mentor_id, or area_of_expertise to have a mentor assigned');
  }
  await studentById(ctx.db.knex, input.student_id);
  const [area] = input.area_of_expertise ? await areasByName(ctx, [input.area_of_expertise]) : [];

  let isPremium = input.premium ?? false;
  if (input.mentor_id !== undefined) {
    const mentor = await loadMentor(ctx.db.knex, input.mentor_id);
    isPremium = mentor.is_premium;
    if (area) {
      const offers = await ctx.db
        .knex('mentor_areas')
        .where({ mentor_id: mentor.id, area_id: area.id })
        .first();
      if (!offers) throw new AppError('area_not_offered', `Mentor ${mentor.id} does not offer ${area.name}`);
    }
  }
  const priceMinor = priceOf(ctx.config.pricing, input.duration, isPremium);
  if (priceMinor === null) throw invalidInput('/duration', `No price for ${input.duration} minutes`);
  if (input.cost !== undefined && majorToMinor(input.cost) !== priceMinor) {
    throw new AppError(
      'price_mismatch',
      `cost ${input.cost} does not match the price of this session: ${minorToMajor(priceMinor)} ${ctx.config.pricing.currency}`,
    );
  }

  const plan: Plan = {
    start,
    end,
    durationMinutes: input.duration,
    studentId: input.student_id,
    areaId: area?.id ?? null,
    priceMinor,
  };
  let bookingId: number;
  try {
    bookingId =
      input.mentor_id !== undefined
        ? await bookNamedMentor(ctx, plan, input.mentor_id)
        : await bookAssignedMentor(ctx, input, plan, isPremium);
  } catch (error) {
    if (!(error instanceof SlotConflict)) throw error;
    throw new AppError(error.code, error.detail, {
      next_slots: await nextSlotHints(ctx, error.mentors, plan),
    });
  }
  const booking = await bookingById(ctx.db.knex, bookingId);
  ctx.log.info(
    { bookingId, mentorId: booking.mentor_id, studentId: booking.student_id },
    'booking confirmed',
  );
  return { message: 'Booking confirmed' as const, booking_id: bookingId, booking };
}

export async function getBooking(ctx: ServiceContext, input: OperationInput<Operations['bookings']['get']>) {
  return bookingById(ctx.db.knex, input.id);
}

export async function listBookings(
  ctx: ServiceContext,
  input: OperationInput<Operations['bookings']['list']>,
): Promise<Page<Booking>> {
  const query = bookingQuery(ctx.db.knex)
    .orderBy([
      { column: 'bookings.start_at', order: 'asc' },
      { column: 'bookings.id', order: 'asc' },
    ])
    .limit(input.limit + 1);
  if (input.student_id !== undefined) query.where('bookings.student_id', input.student_id);
  if (input.mentor_id !== undefined) query.where('bookings.mentor_id', input.mentor_id);
  if (input.status !== undefined) query.where('bookings.status', input.status);
  if (input.from !== undefined)
    query.where('bookings.start_at', '>=', new Date(instantOf(ctx, input.from, 'from')));
  if (input.to !== undefined) query.where('bookings.start_at', '<', new Date(instantOf(ctx, input.to, 'to')));
  if (input.upcoming !== undefined)
    query.where('bookings.end_at', input.upcoming ? '>' : '<=', new Date(ctx.now()));
  if (input.cursor !== undefined) {
    const [afterStart, afterId] = decodeCursor(input.cursor, 2) as [number, number];
    query.where((where) =>
      where
        .where('bookings.start_at', '>', new Date(afterStart))
        .orWhere((tie) =>
          tie.where('bookings.start_at', new Date(afterStart)).where('bookings.id', '>', afterId),
        ),
    );
  }
  const rows: BookingRow[] = await query;
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    items: page.map(present),
    nextCursor:
      rows.length > input.limit && last ? encodeCursor([instantFromDb(last.start_at), last.id]) : null,
  };
}
