import type { WebhookEventType } from '@mentor-scheduling/contracts';
import type { Knex } from 'knex';
import { instantFromDb } from '../db/connection.js';

/**
 * The outbox's side of a booking change: its event, written by the transaction that makes the
 * change, so that the event exists if and only if the change was committed. What is sent, to whom
 * and when is decided later by the dispatcher (outbox-dispatcher.ts).
 */

export type BookingEventType = WebhookEventType;

/** The booking as a change left it: what every message about that change is made from. */
export interface BookingEventPayload {
  booking_id: number;
  student_id: number;
  mentor_id: number;
  area_id: number | null;
  /** Epoch ms */
  start: number;
  end: number;
  duration_minutes: number;
  price_minor: number;
  currency: string;
  /** The stored status after the change */
  status: string;
  /** Epoch ms; with the id, it names the booking in calendar invitations (their UID) */
  created_at: number;
  /** The invitation's SEQUENCE: how many times the booking was changed (moved or cancelled) */
  sequence: number;
  /** Rescheduled: the time before the move */
  previous: { start: number; end: number } | null;
  reason: string | null;
  /** Money returned (or being returned) to the student, in minor units */
  refund_minor: number | null;
  /** Cancelled: whether the session had been confirmed (its parties were sent invitations) */
  was_confirmed: boolean;
}

export interface BookingEvent {
  type: BookingEventType;
  payload: BookingEventPayload;
}

/** Writes the events of one change in the change's transaction: one statement, whatever their number. */
export async function recordBookingEvents(
  trx: Knex.Transaction,
  now: number,
  events: readonly BookingEvent[],
): Promise<void> {
  if (events.length === 0) return;
  await trx('outbox_events').insert(events.map((event) => eventRowOf(event, now)));
}

export function eventRowOf(event: BookingEvent, now: number) {
  return {
    type: event.type,
    booking_id: event.payload.booking_id,
    payload: JSON.stringify(event.payload),
    occurred_at: new Date(now),
  };
}

export interface StoredBooking {
  id: number;
  student_id: number;
  mentor_id: number;
  area_id: number | null;
  start_at: unknown;
  end_at: unknown;
  duration_minutes: number;
  price_minor: number;
  currency: string;
  status: string;
  cancellation_reason: string | null;
  created_at: unknown;
}

/**
 * The payload of a booking as stored now, read inside the change's transaction (after the change):
 * for the changes that do not already hold every field (cancellations, payments, expiries).
 */
export async function bookingEventPayloadOf(
  trx: Knex.Transaction,
  bookingId: number,
  details: PayloadDetails = {},
): Promise<BookingEventPayload> {
  const row: StoredBooking | undefined = await trx('bookings')
    .select(
      'id',
      'student_id',
      'mentor_id',
      'area_id',
      'start_at',
      'end_at',
      'duration_minutes',
      'price_minor',
      'currency',
      'status',
      'cancellation_reason',
      'created_at',
    )
    .where('id', bookingId)
    .first();
  if (!row) throw new Error(`Booking ${bookingId} vanished inside its own transaction`);
  const [changes] = await trx('booking_changes').where('booking_id', bookingId).count({ count: '*' });
  return payloadOfStored(row, Number(changes?.count ?? 0), details);
}

export type PayloadDetails = Partial<
  Pick<BookingEventPayload, 'previous' | 'refund_minor' | 'was_confirmed' | 'reason'>
>;

/** The payload of a stored booking row that has been changed `changes` times. */
export function payloadOfStored(
  row: StoredBooking,
  changes: number,
  details: PayloadDetails = {},
): BookingEventPayload {
  return {
    booking_id: row.id,
    student_id: row.student_id,
    mentor_id: row.mentor_id,
    area_id: row.area_id,
    start: instantFromDb(row.start_at),
    end: instantFromDb(row.end_at),
    duration_minutes: row.duration_minutes,
    price_minor: Number(row.price_minor),
    currency: row.currency,
    status: row.status,
    created_at: instantFromDb(row.created_at),
    sequence: changes,
    previous: details.previous ?? null,
    reason: details.reason ?? row.cancellation_reason,
    refund_minor: details.refund_minor ?? null,
    was_confirmed: details.was_confirmed ?? row.status === 'confirmed',
  };
}

/** Records one event about a booking whose row the transaction has just changed. */
export async function recordBookingEvent(
  trx: Knex.Transaction,
  now: number,
  type: BookingEventType,
  bookingId: number,
  details?: Parameters<typeof bookingEventPayloadOf>[2],
): Promise<void> {
  await recordBookingEvents(trx, now, [
    { type, payload: await bookingEventPayloadOf(trx, bookingId, details) },
  ]);
}
