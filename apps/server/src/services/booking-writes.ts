import type { Knex } from 'knex';
import { inChildSpan, inCurrentContext } from '../telemetry/spans.js';
import type { AuditRow } from './audit-log.js';
import { lockMentors, releaseLapsedHolds } from './booking-guard.js';
import { pgBookingWrites } from './booking-writes-pg.js';
import { directBookingWrites } from './booking-writes-sqlite.js';
import { areasByName } from './catalogue.js';
import type { ServiceContext } from './context.js';
import { type IdempotentRequest, type StoredAnswer, storeAnswer, storedAnswerOf } from './idempotency.js';
import { type BookingEvent, recordBookingEvents } from './outbox.js';
import { insertPendingPayment, paymentsOf } from './payments.js';
import {
  LONGEST_SESSION_MS,
  loadSchedules,
  type MentorSchedule,
  type MentorScheduleSource,
  whereHoldingTime,
} from './schedules.js';
import { loadMentor, type MentorRow } from './slot-rules.js';
import { studentNameOf } from './students.js';

export type Candidate = MentorScheduleSource & { name: string };

/** A booking row about to be inserted; instants in epoch ms. */
export interface NewBooking {
  studentId: number;
  mentorId: number;
  areaId: number | null;
  start: number;
  end: number;
  durationMinutes: number;
  priceMinor: number;
  currency: string;
  status: 'confirmed' | 'pending_payment';
  holdExpiresAt: number | null;
  createdAt: number;
}

export interface PendingPayment {
  id: number;
  priceMinor: number;
  currency: string;
  holdExpiresAt: number;
}

/** What a new booking writes besides its own row, once that row is in. */
export interface BookingCompletion {
  bookingId: number;
  /** When the booking was made: its payment and events carry the same instant (epoch ms) */
  at: number;
  /** The pending payment that holds the slot (payments on), or null */
  payment: PendingPayment | null;
  events: readonly BookingEvent[];
  /** The answer to keep under the request's idempotency key, or null without a key */
  answer: { request: IdempotentRequest; stored: StoredAnswer } | null;
  /** The audit entry of a booking made by an admin on a student's behalf, or null */
  audit: AuditRow | null;
}

/**
 * Everything creating a booking reads and writes, inside the transaction that makes it, in steps
 * as coarse as the rules allow, so that PostgreSQL takes each in one round trip. Three ways to run
 * it: through knex (sqlite3), as statements prepared once and run synchronously on better-sqlite3,
 * many bookings to a commit (booking-writes-sqlite.ts), and as one statement per step on PostgreSQL
 * (booking-writes-pg.ts). The booking's rules are written once, in bookings.ts, against this.
 */
export interface BookingWrites {
  /**
   * The answer first stored under the request's idempotency key (null without a key, or when none
   * is stored), and the student's name. Another request under the key, or an unknown student, is refused.
   */
  opening(
    studentId: number,
    request: IdempotentRequest | null,
  ): Promise<{ stored: StoredAnswer | null; studentName: string }>;
  /** The area of this name or slug, any case; an unknown one is refused */
  area(name: string): Promise<{ id: number; name: string }>;
  /**
   * Orders this transaction after others booking these mentors (PostgreSQL row locks; SQLite has
   * one writer), and lets go of the parties' lapsed holds that overlap the slot (booking-guard.ts):
   * answers how many it let go.
   */
  guard(
    slot: { start: number; end: number },
    parties: { mentorIds: readonly number[]; studentId: number },
  ): Promise<number>;
  /** The mentor and their schedule over [from, to); an unknown mentor is refused */
  mentorWithSchedule(
    mentorId: number,
    from: number,
    to: number,
  ): Promise<{ mentor: MentorRow; schedule: MentorSchedule }>;
  offersArea(mentorId: number, areaId: number): Promise<boolean>;
  /** The mentors of an area in one tier, by id */
  candidates(areaId: number, premium: boolean): Promise<Candidate[]>;
  schedules(
    mentors: readonly MentorScheduleSource[],
    from: number,
    to: number,
  ): Promise<Map<number, MentorSchedule>>;
  /** Whether the student holds a session overlapping the slot */
  studentHasSessionDuring(studentId: number, slot: { start: number; end: number }): Promise<boolean>;
  /** Inserts the booking (the database refuses an overlap) and answers its id */
  insertBooking(booking: NewBooking): Promise<number>;
  completeBooking(completion: BookingCompletion): Promise<void>;
  /** Runs `work` in a savepoint, so that a refused insert leaves the transaction usable */
  attempt<T>(work: (writes: BookingWrites) => Promise<T>): Promise<T>;
}

/**
 * Runs `work` in a transaction of its own: on better-sqlite3 in the next group commit, elsewhere in a
 * knex transaction.
 */
export function inBookingTransaction<T>(
  ctx: ServiceContext,
  work: (writes: BookingWrites) => Promise<T>,
): Promise<T> {
  const groupCommit = ctx.db.groupCommit;
  // A span of its own when traced: on better-sqlite3 no query goes through knex, whose spans would
  // otherwise show the transaction; and a group commit runs it later, in another request's turn.
  const attributes = {
    'db.system.name': ctx.db.dialect === 'pg' ? 'postgresql' : 'sqlite',
    'booking.write_path': groupCommit ? 'group_commit' : 'knex_transaction',
  };
  return inChildSpan('booking transaction', { attributes }, () => {
    if (groupCommit)
      return groupCommit.run(inCurrentContext((connection) => work(directBookingWrites(ctx, connection))));
    if (ctx.db.dialect === 'pg') return ctx.db.knex.transaction((trx) => work(pgBookingWrites(ctx, trx)));
    return ctx.db.knex.transaction((trx) => work(knexBookingWrites(ctx, trx)));
  });
}

export function knexBookingWrites(ctx: ServiceContext, trx: Knex.Transaction): BookingWrites {
  return {
    async opening(studentId, request) {
      const stored = request ? await storedAnswerOf(ctx, request, trx) : null;
      return { stored, studentName: await studentNameOf(trx, studentId) };
    },
    area: async (name) => (await areasByName(ctx, [name], trx))[0] as { id: number; name: string },
    async guard(slot, parties) {
      await lockMentors(trx, ctx.db, [...parties.mentorIds]);
      return releaseLapsedHolds(trx, ctx.now(), slot, parties);
    },
    async mentorWithSchedule(mentorId, from, to) {
      const mentor = await loadMentor(trx, mentorId);
      const schedules = await loadSchedules(trx, [mentor], from, to, ctx.now());
      return { mentor, schedule: schedules.get(mentor.id) as MentorSchedule };
    },
    async offersArea(mentorId, areaId) {
      const row = await trx('mentor_areas')
        .select('mentor_id')
        .where({ mentor_id: mentorId, area_id: areaId })
        .first();
      return row !== undefined;
    },
    candidates: (areaId, premium) =>
      trx('mentors')
        .select(
          'mentors.id',
          'mentors.name',
          'mentors.timezone',
          'mentors.buffer_minutes',
          'mentors.max_sessions_per_day',
        )
        .join('mentor_areas', 'mentor_areas.mentor_id', 'mentors.id')
        .where('mentor_areas.area_id', areaId)
        .where('mentors.is_premium', premium)
        .orderBy('mentors.id'),
    schedules: (mentors, from, to) => loadSchedules(trx, mentors, from, to, ctx.now()),
    async studentHasSessionDuring(studentId, slot) {
      const clash = await trx('bookings')
        .select('id')
        .where('student_id', studentId)
        .modify(whereHoldingTime, ctx.now())
        .where('start_at', '<', new Date(slot.end))
        .where('end_at', '>', new Date(slot.start))
        .where('start_at', '>', new Date(slot.start - LONGEST_SESSION_MS))
        .first();
      return clash !== undefined;
    },
    async insertBooking(booking) {
      const [inserted] = await trx('bookings').insert(bookingRowOf(booking)).returning('id');
      return typeof inserted === 'object' ? inserted.id : inserted;
    },
    async completeBooking({ at, payment, events, answer, audit }) {
      if (payment) await insertPendingPayment(trx, paymentsOf(ctx), payment, at);
      await recordBookingEvents(trx, at, events);
      if (answer) await storeAnswer(ctx, trx, answer.request, answer.stored);
      if (audit) await trx('audit_log').insert(audit);
    },
    attempt: (work) => trx.transaction((savepoint) => work(knexBookingWrites(ctx, savepoint))),
  };
}

/** The row of a new booking as knex writes it (instants as Date). */
export function bookingRowOf(booking: NewBooking) {
  return {
    student_id: booking.studentId,
    mentor_id: booking.mentorId,
    area_id: booking.areaId,
    start_at: new Date(booking.start),
    end_at: new Date(booking.end),
    duration_minutes: booking.durationMinutes,
    price_minor: booking.priceMinor,
    currency: booking.currency,
    status: booking.status,
    hold_expires_at: booking.holdExpiresAt === null ? null : new Date(booking.holdExpiresAt),
    created_at: new Date(booking.createdAt),
    updated_at: new Date(booking.createdAt),
  };
}
