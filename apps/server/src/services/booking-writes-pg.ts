import type { Knex } from 'knex';
import { LAPSED_HOLD_REASON } from './booking-guard.js';
import { type BookingWrites, bookingRowOf, knexBookingWrites } from './booking-writes.js';
import type { ServiceContext } from './context.js';
import { notFound } from './errors.js';
import { answerOfKeyRow, type IdempotencyKeyRow, KEY_LIFETIME_MS, keyRowOf } from './idempotency.js';
import { recordBookingEvent } from './outbox.js';
import { paymentsOf, pendingPaymentRowOf } from './payments.js';
import {
  LONGEST_SESSION_MS,
  type OverrideRow,
  scheduleBoundsOf,
  schedulesOf,
  type WindowRow,
} from './schedules.js';
import type { MentorRow } from './slot-rules.js';

/*
 * A booking on PostgreSQL, one statement per step of booking-writes.ts, so that the round trips of a
 * booking are BEGIN, opening, guard, mentor with schedule, insert, completion and COMMIT (7) where
 * they were 15: each round trip costs the server its query building and parsing, and the connection
 * its wait. The statements are knex's own raw queries (`?` placeholders), in the booking's transaction.
 */

const SQL = {
  opening: `SELECT s.name AS student_name, k.request_hash, k.status_code, k.response_body, k.created_at
    FROM (SELECT ?::integer AS id) AS wanted
    -- An erased student is booked no more. The shared lock orders this booking with an erasure
    -- that is running: either the erasure waits for the booking (and then cancels it), or the
    -- booking reads the erased row and is refused.
    LEFT JOIN LATERAL (
      SELECT name FROM students WHERE id = wanted.id AND erased_at IS NULL FOR SHARE
    ) s ON true
    LEFT JOIN idempotency_keys k ON k.scope = ?::text AND k.key = ?::text`,
  // The mentors' rows are locked before any later statement of the transaction reads their sessions
  // (the update waits for `locked`: its condition reads it). The lapsed holds let go here are not
  // sessions those reads would count anyway.
  guard: `WITH locked AS (
      SELECT id FROM mentors WHERE id = ANY(?::integer[]) ORDER BY id FOR UPDATE
    ), released AS (
      UPDATE bookings SET status = 'expired', cancellation_reason = ?, updated_at = ?
      WHERE (SELECT count(*) FROM locked) >= 0
        AND (mentor_id = ANY(?::integer[]) OR student_id = ?) AND status = 'pending_payment'
        AND hold_expires_at <= ? AND start_at < ? AND end_at > ? AND start_at > ?
      RETURNING id
    )
    SELECT (SELECT count(*) FROM locked) AS locked,
      coalesce((SELECT json_agg(id) FROM released), '[]'::json) AS released`,
  mentorWithSchedule: `SELECT m.id, m.name, m.timezone, m.buffer_minutes, m.max_sessions_per_day, m.is_premium,
      coalesce((SELECT json_agg(json_build_array(w.weekday, w.start_minute, w.end_minute))
        FROM availability_windows w WHERE w.mentor_id = m.id), '[]'::json) AS windows,
      coalesce((SELECT json_agg(json_build_array(o.date, o.start_minute, o.end_minute))
        FROM availability_overrides o
        WHERE o.mentor_id = m.id AND o.date BETWEEN ? AND ?), '[]'::json) AS overrides,
      coalesce((SELECT json_agg(json_build_array(
          floor(extract(epoch FROM b.start_at) * 1000), floor(extract(epoch FROM b.end_at) * 1000)))
        FROM bookings b
        WHERE b.mentor_id = m.id
          AND (b.status = 'confirmed' OR (b.status = 'pending_payment' AND b.hold_expires_at > ?))
          AND b.start_at < ? AND b.end_at > ? AND b.start_at > ?), '[]'::json) AS busy
    FROM mentors m WHERE m.id = ?`,
  // Payment, events and the kept answer in one statement. A live answer already under the key
  // (a concurrent request with the same key won) leaves `answered` at 0: the key collides.
  complete: `WITH payment AS (
      INSERT INTO payments (booking_id, provider, status, amount_minor, currency, checkout_expires_at,
        created_at, updated_at)
      SELECT ?::integer, ?::text, 'pending', ?::integer, ?::text, ?::timestamptz, ?::timestamptz, ?::timestamptz
      WHERE ?::boolean
    ), events AS (
      INSERT INTO outbox_events (type, booking_id, payload, occurred_at)
      SELECT e.type, e.booking_id, e.payload, ?::timestamptz
      FROM json_to_recordset(?::json) AS e(type text, booking_id integer, payload text)
    ), answer AS (
      INSERT INTO idempotency_keys (scope, key, request_hash, status_code, response_body, created_at)
      SELECT ?::text, ?::text, ?::text, ?::integer, ?::text, ?::timestamptz WHERE ?::boolean
      ON CONFLICT (scope, key) DO UPDATE SET request_hash = excluded.request_hash,
        status_code = excluded.status_code, response_body = excluded.response_body,
        created_at = excluded.created_at
      WHERE idempotency_keys.created_at < ?
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM answer) AS answered`,
};

/** What the unique key of idempotency_keys would have raised: the request's callers handle it so. */
function keyCollision(): Error {
  return Object.assign(new Error('duplicate key value violates unique constraint on idempotency_keys'), {
    code: '23505',
  });
}

export function pgBookingWrites(ctx: ServiceContext, trx: Knex.Transaction): BookingWrites {
  const rowsOf = async <T>(sql: string, bindings: unknown[]): Promise<T[]> =>
    (await trx.raw(sql, bindings as Knex.RawBinding[])).rows as T[];
  // Steps that do not change: the assigned mentor's (candidates, schedules, savepoints) and areas.
  const knexWrites = knexBookingWrites(ctx, trx);
  return {
    ...knexWrites,
    async opening(studentId, request) {
      const [row] = await rowsOf<IdempotencyKeyRow & { student_name: string | null }>(SQL.opening, [
        studentId,
        request?.scope ?? null,
        request?.key ?? null,
      ]);
      const stored =
        request && row?.request_hash !== null && row?.request_hash !== undefined
          ? answerOfKeyRow(row, request, ctx.now())
          : null;
      if (!row?.student_name) throw notFound('Student', studentId);
      return { stored, studentName: row.student_name };
    },
    async guard(slot, parties) {
      const now = new Date(ctx.now());
      const [row] = await rowsOf<{ released: number[] }>(SQL.guard, [
        [...parties.mentorIds],
        LAPSED_HOLD_REASON,
        now,
        [...parties.mentorIds],
        parties.studentId,
        now,
        new Date(slot.end),
        new Date(slot.start),
        new Date(slot.start - LONGEST_SESSION_MS),
      ]);
      const released = row?.released ?? [];
      for (const bookingId of released) {
        await recordBookingEvent(trx, ctx.now(), 'booking.expired', bookingId);
      }
      return released.length;
    },
    async mentorWithSchedule(mentorId, from, to) {
      const bounds = scheduleBoundsOf(from, to);
      const [row] = await rowsOf<
        MentorRow & {
          windows: [number, number, number][];
          overrides: [string, number | null, number | null][];
          busy: [number, number][];
        }
      >(SQL.mentorWithSchedule, [
        bounds.firstDate,
        bounds.lastDate,
        new Date(ctx.now()),
        new Date(bounds.busyStartsBefore),
        new Date(bounds.busyEndsAfter),
        new Date(bounds.busyStartsAfter),
        mentorId,
      ]);
      if (!row) throw notFound('Mentor', mentorId);
      const mentor: MentorRow = {
        id: row.id,
        name: row.name,
        timezone: row.timezone,
        buffer_minutes: row.buffer_minutes,
        max_sessions_per_day: row.max_sessions_per_day,
        is_premium: Boolean(row.is_premium),
      };
      const windows = row.windows.map(
        ([weekday, start_minute, end_minute]): WindowRow => ({
          mentor_id: mentorId,
          weekday,
          start_minute,
          end_minute,
        }),
      );
      const overrides = row.overrides.map(
        ([date, start_minute, end_minute]): OverrideRow => ({
          mentor_id: mentorId,
          date,
          start_minute,
          end_minute,
        }),
      );
      const busy = row.busy.map(([start, end]) => ({ mentor_id: mentorId, start_at: start, end_at: end }));
      const schedule = schedulesOf([mentor], windows, overrides, busy).get(mentorId);
      return { mentor, schedule: schedule as NonNullable<typeof schedule> };
    },
    async insertBooking(booking) {
      const [inserted] = await trx('bookings').insert(bookingRowOf(booking)).returning('id');
      return typeof inserted === 'object' ? inserted.id : inserted;
    },
    async completeBooking({ at, payment, events, answer, audit }) {
      const now = ctx.now();
      const paymentRow = payment ? pendingPaymentRowOf(paymentsOf(ctx), payment, at) : null;
      const keyRow = answer ? keyRowOf(answer.request, answer.stored, now) : null;
      const [row] = await rowsOf<{ answered: string | number }>(SQL.complete, [
        paymentRow?.booking_id ?? null,
        paymentRow?.provider ?? null,
        paymentRow?.amount_minor ?? null,
        paymentRow?.currency ?? null,
        paymentRow?.checkout_expires_at ?? null,
        paymentRow?.created_at ?? null,
        paymentRow?.updated_at ?? null,
        paymentRow !== null,
        new Date(at),
        JSON.stringify(
          events.map((event) => ({
            type: event.type,
            booking_id: event.payload.booking_id,
            payload: JSON.stringify(event.payload),
          })),
        ),
        keyRow?.scope ?? null,
        keyRow?.key ?? null,
        keyRow?.request_hash ?? null,
        keyRow?.status_code ?? null,
        keyRow?.response_body ?? null,
        keyRow?.created_at ?? null,
        keyRow !== null,
        new Date(now - KEY_LIFETIME_MS),
      ]);
      if (keyRow && Number(row?.answered ?? 0) === 0) throw keyCollision();
      // Only bookings made on a student's behalf have one: a round trip of its own is cheap enough.
      if (audit) await trx('audit_log').insert(audit);
    },
    attempt: (work) => trx.transaction((savepoint) => work(pgBookingWrites(ctx, savepoint))),
  };
}
