import type { DirectConnection } from '../db/sqlite-group-commit.js';
import { LAPSED_HOLD_REASON } from './booking-guard.js';
import type { BookingWrites, Candidate } from './booking-writes.js';
import { unknownAreas } from './catalogue.js';
import type { ServiceContext } from './context.js';
import { notFound } from './errors.js';
import { answerOfKeyRow, type IdempotencyKeyRow, KEY_LIFETIME_MS, keyRowOf } from './idempotency.js';
import { type BookingEvent, payloadOfStored, type StoredBooking } from './outbox.js';
import { paymentsOf, pendingPaymentRowOf } from './payments.js';
import {
  LONGEST_SESSION_MS,
  type MentorSchedule,
  type MentorScheduleSource,
  type OverrideRow,
  scheduleBoundsOf,
  schedulesOf,
  type WindowRow,
} from './schedules.js';
import type { MentorRow } from './slot-rules.js';

/*
 * The statements of booking-writes.ts's knex implementation, written out for better-sqlite3, which
 * runs them synchronously from statements prepared once per connection. Instants are epoch ms and
 * booleans 0/1, as knex stores them on SQLite.
 */

/** Confirmed sessions, and holds for payment that have not lapsed at the bound instant. */
const HOLDING_TIME = `(status = 'confirmed' OR (status = 'pending_payment' AND hold_expires_at > @now))`;

/** The mentors of a statement, bound as one JSON array: one statement text whatever their number. */
const MENTORS = `(SELECT value FROM json_each(@mentors))`;

const SQL = {
  storedAnswer: `SELECT request_hash, status_code, response_body, created_at FROM idempotency_keys
    WHERE scope = ? AND key = ?`,
  forgetExpiredKey: `DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND created_at < ?`,
  storeAnswer: `INSERT INTO idempotency_keys (scope, key, request_hash, status_code, response_body, created_at)
    VALUES (?, ?, ?, ?, ?, ?)`,
  // An erased student is booked no more (SQLite runs one writer: no booking overlaps the erasure).
  studentName: `SELECT name FROM students WHERE id = ? AND erased_at IS NULL`,
  area: `SELECT id, name FROM areas WHERE lower(name) = ? OR slug = ? ORDER BY id LIMIT 1`,
  // Finds the holds through the partial indexes of migration 009.
  releaseLapsedHolds: `UPDATE bookings SET status = 'expired', cancellation_reason = @reason, updated_at = @now
    WHERE (mentor_id IN ${MENTORS} OR student_id = @student)
      AND status = 'pending_payment' AND hold_expires_at <= @now
      AND start_at < @end AND end_at > @start AND start_at > @startsAfter
    RETURNING id, student_id, mentor_id, area_id, start_at, end_at, duration_minutes, price_minor,
      currency, status, cancellation_reason, created_at`,
  changesOf: `SELECT count(*) AS count FROM booking_changes WHERE booking_id = ?`,
  mentor: `SELECT id, name, timezone, buffer_minutes, max_sessions_per_day, is_premium FROM mentors
    WHERE id = ?`,
  offersArea: `SELECT 1 AS offers FROM mentor_areas WHERE mentor_id = ? AND area_id = ?`,
  candidates: `SELECT mentors.id, mentors.name, mentors.timezone, mentors.buffer_minutes,
      mentors.max_sessions_per_day
    FROM mentors JOIN mentor_areas ON mentor_areas.mentor_id = mentors.id
    WHERE mentor_areas.area_id = ? AND mentors.is_premium = ? ORDER BY mentors.id`,
  // One row of three JSON arrays: better-sqlite3 spends more making a row into an object than SQLite
  // spends finding it, and a schedule is tens of rows (a mentor's sessions around the slot).
  schedules: `SELECT
    (SELECT json_group_array(json_array(mentor_id, weekday, start_minute, end_minute))
      FROM availability_windows WHERE mentor_id IN ${MENTORS}) AS windows,
    (SELECT json_group_array(json_array(mentor_id, date, start_minute, end_minute))
      FROM availability_overrides
      WHERE mentor_id IN ${MENTORS} AND date BETWEEN @firstDate AND @lastDate) AS overrides,
    (SELECT json_group_array(json_array(mentor_id, start_at, end_at)) FROM bookings
      WHERE mentor_id IN ${MENTORS} AND ${HOLDING_TIME}
        AND start_at < @busyStartsBefore AND end_at > @busyEndsAfter AND start_at > @busyStartsAfter) AS busy`,
  studentClash: `SELECT id FROM bookings
    WHERE student_id = @student AND ${HOLDING_TIME}
      AND start_at < @end AND end_at > @start AND start_at > @startsAfter LIMIT 1`,
  insertBooking: `INSERT INTO bookings (student_id, mentor_id, area_id, start_at, end_at, duration_minutes,
      price_minor, currency, status, hold_expires_at, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  insertPayment: `INSERT INTO payments (booking_id, provider, status, amount_minor, currency,
      checkout_expires_at, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  insertAudit: `INSERT INTO audit_log (at, actor_role, actor_label, actor_account_id, request_id,
      operation, target_type, target_id, student_id, before, after)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  insertEvents: (count: number) =>
    `INSERT INTO outbox_events (type, booking_id, payload, occurred_at) VALUES ${Array.from(
      { length: count },
      () => '(?, ?, ?, ?)',
    ).join(', ')}`,
};

const epochMs = (instant: Date) => instant.getTime();

type ScheduleJson = { windows: string; overrides: string; busy: string };

/** Schedules from the three JSON arrays of SQL.schedules. */
function schedulesFromJson(mentors: readonly MentorScheduleSource[], found: ScheduleJson) {
  const windows = (JSON.parse(found.windows) as number[][]).map(
    ([mentor_id, weekday, start_minute, end_minute]): WindowRow => ({
      mentor_id: mentor_id as number,
      weekday: weekday as number,
      start_minute: start_minute as number,
      end_minute: end_minute as number,
    }),
  );
  const overrides = (JSON.parse(found.overrides) as [number, string, number | null, number | null][]).map(
    ([mentor_id, date, start_minute, end_minute]): OverrideRow => ({
      mentor_id,
      date,
      start_minute,
      end_minute,
    }),
  );
  const busy = (JSON.parse(found.busy) as [number, number, number][]).map(
    ([mentor_id, start_at, end_at]) => ({
      mentor_id,
      start_at,
      end_at,
    }),
  );
  return schedulesOf(mentors, windows, overrides, busy);
}

export function directBookingWrites(ctx: ServiceContext, db: DirectConnection): BookingWrites {
  const recordEvents = (events: readonly BookingEvent[], at: number) => {
    if (events.length === 0) return;
    const values: unknown[] = [];
    let encoded: { payload: object; json: string } | undefined;
    for (const event of events) {
      // The events of one change share their payload: encoded once.
      if (encoded?.payload !== event.payload) {
        encoded = { payload: event.payload, json: JSON.stringify(event.payload) };
      }
      values.push(event.type, event.payload.booking_id, encoded.json, at);
    }
    db.run(SQL.insertEvents(events.length), ...values);
  };
  const schedules = (mentors: readonly MentorScheduleSource[], from: number, to: number) => {
    const found = db.get<ScheduleJson>(SQL.schedules, {
      mentors: JSON.stringify(mentors.map((mentor) => mentor.id)),
      now: ctx.now(),
      ...scheduleBoundsOf(from, to),
    }) as ScheduleJson;
    return schedulesFromJson(mentors, found);
  };
  const writes: BookingWrites = {
    async opening(studentId, request) {
      const stored = request
        ? answerOfKeyRow(
            db.get<IdempotencyKeyRow>(SQL.storedAnswer, request.scope, request.key),
            request,
            ctx.now(),
          )
        : null;
      const student = db.get<{ name: string }>(SQL.studentName, studentId);
      if (!student) throw notFound('Student', studentId);
      return { stored, studentName: student.name };
    },
    async area(name) {
      const key = name.trim().toLowerCase();
      const row = db.get<{ id: number; name: string }>(SQL.area, key, key);
      if (!row) throw unknownAreas([name]);
      return row;
    },
    // One writer: the transaction already excludes every other booking; lapsed holds are let go.
    async guard(slot, parties) {
      const now = ctx.now();
      const released = db.all<StoredBooking>(SQL.releaseLapsedHolds, {
        reason: LAPSED_HOLD_REASON,
        now,
        mentors: JSON.stringify(parties.mentorIds),
        student: parties.studentId,
        start: slot.start,
        end: slot.end,
        startsAfter: slot.start - LONGEST_SESSION_MS,
      });
      recordEvents(
        released.map((row) => {
          const changes = db.get<{ count: number }>(SQL.changesOf, row.id)?.count ?? 0;
          return { type: 'booking.expired', payload: payloadOfStored(row, changes) };
        }),
        now,
      );
      return released.length;
    },
    async mentorWithSchedule(mentorId, from, to) {
      const row = db.get<Omit<MentorRow, 'is_premium'> & { is_premium: number }>(SQL.mentor, mentorId);
      if (!row) throw notFound('Mentor', mentorId);
      const mentor: MentorRow = { ...row, is_premium: Boolean(row.is_premium) };
      return { mentor, schedule: schedules([mentor], from, to).get(mentorId) as MentorSchedule };
    },
    async offersArea(mentorId, areaId) {
      return db.get(SQL.offersArea, mentorId, areaId) !== undefined;
    },
    async candidates(areaId, premium) {
      return db.all<Candidate>(SQL.candidates, areaId, premium ? 1 : 0);
    },
    schedules: async (mentors, from, to) => (mentors.length === 0 ? new Map() : schedules(mentors, from, to)),
    async studentHasSessionDuring(studentId, slot) {
      const clash = db.get(SQL.studentClash, {
        student: studentId,
        now: ctx.now(),
        start: slot.start,
        end: slot.end,
        startsAfter: slot.start - LONGEST_SESSION_MS,
      });
      return clash !== undefined;
    },
    async insertBooking(booking) {
      const { lastInsertRowid } = db.run(
        SQL.insertBooking,
        booking.studentId,
        booking.mentorId,
        booking.areaId,
        booking.start,
        booking.end,
        booking.durationMinutes,
        booking.priceMinor,
        booking.currency,
        booking.status,
        booking.holdExpiresAt,
        booking.createdAt,
        booking.createdAt,
      );
      return Number(lastInsertRowid);
    },
    async completeBooking({ at, payment, events, answer, audit }) {
      if (payment) {
        const row = pendingPaymentRowOf(paymentsOf(ctx), payment, at);
        db.run(
          SQL.insertPayment,
          row.booking_id,
          row.provider,
          row.status,
          row.amount_minor,
          row.currency,
          epochMs(row.checkout_expires_at),
          epochMs(row.created_at),
          epochMs(row.updated_at),
        );
      }
      recordEvents(events, at);
      if (answer) {
        const { request } = answer;
        db.run(SQL.forgetExpiredKey, request.scope, request.key, ctx.now() - KEY_LIFETIME_MS);
        const row = keyRowOf(request, answer.stored, ctx.now());
        db.run(
          SQL.storeAnswer,
          row.scope,
          row.key,
          row.request_hash,
          row.status_code,
          row.response_body,
          epochMs(row.created_at),
        );
      }
      if (audit) {
        db.run(
          SQL.insertAudit,
          epochMs(audit.at),
          audit.actor_role,
          audit.actor_label,
          audit.actor_account_id,
          audit.request_id,
          audit.operation,
          audit.target_type,
          audit.target_id,
          audit.student_id,
          audit.before,
          audit.after,
        );
      }
    },
    attempt: (work) => db.savepoint(() => work(writes)),
  };
  return writes;
}
