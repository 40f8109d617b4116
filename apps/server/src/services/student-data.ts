/**
 * A student's rights over their data (India's DPDP Act, the GDPR): a copy of everything held about
 * them, and its erasure. Erasure keeps past sessions under the same id, now pseudonymous, because
 * mentors are paid and the platform accounts for them.
 */
import type { OperationInput, Operations } from '@mentor-scheduling/contracts';
import { instantFromDb } from '../db/connection.js';
import { toIsoUtc } from '../domain/time.js';
import { requireStudentSelf } from './access.js';
import { withClockStopped } from './answer-cache.js';
import { redactAuditEntriesOf } from './audit-log.js';
import { revokeTokensOf } from './auth.js';
import { bookingsOfStudent, cancelBooking, changesOfBookings } from './bookings.js';
import type { ServiceContext } from './context.js';
import { AppError } from './errors.js';
import { presentStudent, studentById } from './students.js';

const isoOrNull = (value: unknown) =>
  value === null || value === undefined ? null : toIsoUtc(instantFromDb(value));

/** Where an erased student's and their account's addresses point: `.invalid` is reserved, nothing reaches it. */
const erasedAddress = (what: 'student' | 'account', id: number) => `erased-${what}-${id}@erased.invalid`;

export async function exportStudent(
  request: ServiceContext,
  input: OperationInput<Operations['students']['export']>,
) {
  requireStudentSelf(request, input.id);
  const ctx = withClockStopped(request);
  const db = ctx.db.knex;
  const row = await studentById(db, input.id);
  const account = await db('accounts')
    .where('student_id', input.id)
    .first('id', 'email', 'role', 'created_at');
  const tokens = account
    ? await db('auth_tokens')
        .where('account_id', account.id)
        .orderBy('id')
        .select('created_at', 'expires_at', 'revoked_at')
    : [];
  const feed = account
    ? await db('calendar_feeds').where('account_id', account.id).first('created_at')
    : undefined;
  const bookings = await bookingsOfStudent(ctx, input.id);
  const changes = await changesOfBookings(
    db,
    bookings.map((booking) => booking.id),
  );
  const messages = await db('outbox_deliveries')
    .join('outbox_events', 'outbox_events.id', 'outbox_deliveries.event_id')
    .join('bookings', 'bookings.id', 'outbox_events.booking_id')
    .where('bookings.student_id', input.id)
    .where('outbox_deliveries.channel', 'email')
    .where('outbox_deliveries.recipient', 'student')
    .orderBy('outbox_deliveries.id')
    .select(
      'outbox_deliveries.id',
      'outbox_events.booking_id',
      'outbox_deliveries.kind',
      'outbox_deliveries.status',
      'outbox_deliveries.created_at',
      'outbox_deliveries.sent_at',
    );
  return {
    exported_at: toIsoUtc(ctx.now()),
    student: { ...(await presentStudent(db, row)), erased_at: isoOrNull(row.erased_at) },
    account: account
      ? {
          id: account.id,
          email: account.email,
          role: account.role,
          created_at: toIsoUtc(instantFromDb(account.created_at)),
        }
      : null,
    tokens: tokens.map((token) => ({
      created_at: toIsoUtc(instantFromDb(token.created_at)),
      expires_at: toIsoUtc(instantFromDb(token.expires_at)),
      revoked_at: isoOrNull(token.revoked_at),
    })),
    calendar_feed: feed ? { created_at: toIsoUtc(instantFromDb(feed.created_at)) } : null,
    bookings: bookings.map((booking) => ({
      ...booking,
      history: changes.filter((change) => change.booking_id === booking.id),
    })),
    messages: messages.map((message) => ({
      id: message.id,
      booking_id: message.booking_id,
      message: message.kind,
      status: message.status,
      created_at: toIsoUtc(instantFromDb(message.created_at)),
      sent_at: isoOrNull(message.sent_at),
    })),
  };
}

const ERASURE_REASON = 'The student closed their account';

/**
 * Erases a student. First, in one transaction: the personal fields are replaced, the account
 * locked and its tokens and calendar feed ended, and the audit log's copies redacted, so that from
 * then on nothing is written to them. Then their future sessions are cancelled, each as an admin's
 * cancellation (refund, the mentor's email, webhooks). A repeat, or a retry after a failure part
 * way, only cancels what is left.
 */
export async function eraseStudent(
  request: ServiceContext,
  input: OperationInput<Operations['students']['erase']>,
) {
  requireStudentSelf(request, input.id);
  const ctx = withClockStopped(request);
  const db = ctx.db.knex;
  await studentById(db, input.id);
  const now = new Date(ctx.now());
  const erasure = await db.transaction(async (trx) => {
    const current = await trx('students').where('id', input.id).first('erased_at', 'email_normalized');
    if (current.erased_at !== null)
      return { erasedAt: instantFromDb(current.erased_at), tokensRevoked: null };
    await trx('students')
      .where('id', input.id)
      .update({
        name: `Erased student ${input.id}`,
        email: erasedAddress('student', input.id),
        email_normalized: erasedAddress('student', input.id),
        area_of_interest_id: null,
        erased_at: now,
        updated_at: now,
      });
    await trx('student_preferred_windows').where('student_id', input.id).delete();
    await trx('login_attempts').where('email_normalized', current.email_normalized).delete();
    let tokensRevoked = 0;
    const account = await trx('accounts').where('student_id', input.id).first('id', 'email_normalized');
    if (account) {
      tokensRevoked = await revokeTokensOf(ctx, trx, account.id);
      await trx('accounts')
        .where('id', account.id)
        // No password hash reads as valid: the account cannot log in again.
        .update({
          email: erasedAddress('account', account.id),
          email_normalized: erasedAddress('account', account.id),
          password_hash: 'erased',
        });
      await trx('calendar_feeds').where('account_id', account.id).delete();
      await trx('login_attempts').where('email_normalized', account.email_normalized).delete();
    }
    await redactAuditEntriesOf(trx, input.id);
    return { erasedAt: now.getTime(), tokensRevoked };
  });

  // The student's own cut-off does not hold back their erasure: the cancellation runs with an
  // admin's rights, and the booking's history names who asked.
  const canceller: ServiceContext = {
    ...ctx,
    actor: { ...ctx.actor, role: 'admin', label: `${ctx.actor.label} (erasure of student ${input.id})` },
  };
  const upcoming: number[] = await db('bookings')
    .where('student_id', input.id)
    .whereIn('status', ['confirmed', 'pending_payment'])
    .where('start_at', '>', now)
    .orderBy('id')
    .pluck('id');
  const cancelled: number[] = [];
  for (const bookingId of upcoming) {
    try {
      await cancelBooking(canceller, { id: bookingId, reason: ERASURE_REASON });
      cancelled.push(bookingId);
    } catch (error) {
      // A hold that lapsed, or a session that started or was cancelled meanwhile, is already settled.
      if (error instanceof AppError && ['booking_not_active', 'booking_started'].includes(error.code))
        continue;
      throw error;
    }
  }
  const kept = await db('bookings').where('student_id', input.id).count({ count: '*' }).first();
  if (erasure.tokensRevoked !== null)
    ctx.log.info({ event: 'student_erased', student: input.id, by: ctx.actor.label }, 'student erased');
  return {
    student_id: input.id,
    erased_at: toIsoUtc(erasure.erasedAt),
    already_erased: erasure.tokensRevoked === null,
    cancelled_booking_ids: cancelled,
    kept_booking_count: Number(kept?.count ?? 0),
    tokens_revoked: erasure.tokensRevoked ?? 0,
  };
}
