import type { Knex } from 'knex';
import type { Database } from '../db/connection.js';
import { recordBookingEvent } from './outbox.js';
import { LONGEST_SESSION_MS } from './schedules.js';

export const LAPSED_HOLD_REASON = 'The payment was not completed before the hold expired';

/**
 * Marks `expired` the holds for payment of these mentors and this student that lapsed and overlap
 * `[start, end)`, inside the transaction that is about to write there; answers how many it let go. The database's overlap guard
 * counts every hold, live or lapsed (it cannot read the clock), so a lapsed hold must be let go
 * first; done here, in the same transaction, a slot is free the instant its hold lapses, whatever
 * any sweeper does. Only the parties' own rows: those are the ones the guard compares, and the
 * mentors' locks (PostgreSQL) already order this transaction before others that touch them.
 */
export async function releaseLapsedHolds(
  trx: Knex.Transaction,
  now: number,
  slot: { start: number; end: number },
  parties: { mentorIds: readonly number[]; studentId: number },
  /** A booking the caller is deciding about itself (a late payment's own hold): never released here */
  exceptBookingId?: number,
): Promise<number> {
  const { start, end } = slot;
  const released: Array<{ id: number } | number> = await trx('bookings')
    .where((party) => party.whereIn('mentor_id', parties.mentorIds).orWhere('student_id', parties.studentId))
    .where('status', 'pending_payment')
    .where('hold_expires_at', '<=', new Date(now))
    .where('start_at', '<', new Date(end))
    .where('end_at', '>', new Date(start))
    .where('start_at', '>', new Date(start - LONGEST_SESSION_MS))
    .modify((query) => {
      if (exceptBookingId !== undefined) query.whereNot('id', exceptBookingId);
    })
    .update({ status: 'expired', cancellation_reason: LAPSED_HOLD_REASON, updated_at: new Date(now) })
    .returning('id');
  for (const row of released) {
    await recordBookingEvent(trx, now, 'booking.expired', typeof row === 'object' ? row.id : row);
  }
  return released.length;
}

/** Serialises concurrent bookings of the same mentors on PostgreSQL; SQLite has one writer anyway. */
export async function lockMentors(trx: Knex.Transaction, db: Database, mentorIds: number[]): Promise<void> {
  if (db.dialect !== 'pg' || mentorIds.length === 0) return;
  await trx('mentors').select('id').whereIn('id', mentorIds).orderBy('id').forUpdate();
}

/** Which party a database overlap refusal (SQLite trigger or PostgreSQL exclusion) was about. */
export function overlapPartyOf(error: unknown): 'mentor' | 'student' | null {
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
