/**
 * A student's rights over their data (India's DPDP Act, the GDPR): a copy of everything held about
 * them, and its erasure. Erasure keeps past sessions under the same id, now pseudonymous, because
 * mentors are paid and the platform accounts for them.
 */
import { randomBytes } from 'node:crypto';
import type { OperationInput, Operations } from '@mentor-scheduling/contracts';
import type { Knex } from 'knex';
import { instantFromDb } from '../db/connection.js';
import { toIsoUtc } from '../domain/time.js';
import { requireStudentSelf } from './access.js';
import { withClockStopped } from './answer-cache.js';
import { recordAudit, redactAuditEntriesOf } from './audit-log.js';
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
 * locked and its tokens and calendar feed ended, the free text the student wrote and the copies of
 * their name kept elsewhere (audit entries, stored answers of retried requests) redacted, and the
 * erasure recorded in the audit log, so that from then on nothing is written to them and nothing
 * is booked for them. Then their future sessions are cancelled, each as an admin's cancellation
 * (refund, the mentor's email, webhooks). Asking again applies all of it again (whatever came back
 * meanwhile goes again) and cancels what is left, and is answered as a repeat.
 */
export async function eraseStudent(
  request: ServiceContext,
  input: OperationInput<Operations['students']['erase']>,
) {
  requireStudentSelf(request, input.id);
  const ctx = withClockStopped(request);
  const db = ctx.db.knex;
  await studentById(db, input.id);
  // An unusable password, hashed like any other: logging in as an erased account costs the same
  // time as any failed login, so timing does not tell which accounts were erased.
  const lockedPassword = await ctx.passwords.hash(randomBytes(32).toString('base64url'));
  const erasure = await db.transaction(async (trx) => {
    const read = trx('students').where('id', input.id).first('erased_at', 'email_normalized');
    // Two erasures at once: the second waits for the first and then sees it (PostgreSQL; SQLite
    // runs one writer at a time).
    if (ctx.db.dialect === 'pg') read.forUpdate();
    const current = await read;
    const first = current.erased_at === null;
    const erasedAt = first ? ctx.now() : instantFromDb(current.erased_at);
    await trx('students')
      .where('id', input.id)
      .update({
        name: erasedName(input.id),
        email: erasedAddress('student', input.id),
        email_normalized: erasedAddress('student', input.id),
        timezone: ctx.config.defaultTimezone,
        area_of_interest_id: null,
        erased_at: new Date(erasedAt),
        ...(first ? { updated_at: new Date(erasedAt) } : {}),
      });
    await trx('student_preferred_windows').where('student_id', input.id).delete();
    await trx('login_attempts').where('email_normalized', current.email_normalized).delete();
    let tokensRevoked = 0;
    const account = await trx('accounts').where('student_id', input.id).first('id', 'email_normalized');
    if (account) {
      tokensRevoked = await revokeTokensOf(ctx, trx, account.id);
      await trx('accounts')
        .where('id', account.id)
        .update({
          email: erasedAddress('account', account.id),
          email_normalized: erasedAddress('account', account.id),
          password_hash: lockedPassword,
        });
      await trx('calendar_feeds').where('account_id', account.id).delete();
      await trx('login_attempts').where('email_normalized', account.email_normalized).delete();
      await forgetReasonsWrittenBy(trx, `account:${account.id}`);
    }
    await redactStoredAnswers(trx, input.id);
    await redactAuditEntriesOf(trx, input.id);
    if (first) {
      // In the erasure's transaction: the record of it exists exactly when the erasure does.
      await recordAudit(ctx, trx, {
        operation: 'students.erase',
        targetType: 'student',
        targetId: input.id,
        studentId: null,
        before: { erased_at: null },
        after: { erased_at: toIsoUtc(erasedAt) },
      });
    }
    return { erasedAt, first, tokensRevoked };
  });
  if (erasure.first)
    ctx.log.info({ event: 'student_erased', student: input.id, by: ctx.actor.label }, 'student erased');

  // The student's own cut-off does not hold back their erasure: the cancellation runs with an
  // admin's rights, and the booking's history names who asked.
  const canceller: ServiceContext = {
    ...ctx,
    actor: { ...ctx.actor, role: 'admin', label: `${ctx.actor.label} (erasure of student ${input.id})` },
  };
  const upcoming: number[] = await db('bookings')
    .where('student_id', input.id)
    .whereIn('status', ['confirmed', 'pending_payment'])
    .where('start_at', '>', new Date(ctx.now()))
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
      // The student is erased but keeps sessions: an admin repeats the erasure to cancel them.
      ctx.log.error(
        { event: 'erasure_incomplete', student: input.id, booking: bookingId, err: error },
        'student erased, but a future session could not be cancelled: erase them again',
      );
      throw error;
    }
  }
  const kept = await db('bookings').where('student_id', input.id).count({ count: '*' }).first();
  return {
    student_id: input.id,
    erased_at: toIsoUtc(erasure.erasedAt),
    already_erased: !erasure.first,
    cancelled_booking_ids: cancelled,
    kept_booking_count: Number(kept?.count ?? 0),
    tokens_revoked: erasure.tokensRevoked,
  };
}

const erasedName = (id: number) => `Erased student ${id}`;

/**
 * The reasons the student typed when cancelling are their words: gone from their bookings, the
 * bookings' history and the events the messages about those cancellations are made from.
 */
async function forgetReasonsWrittenBy(trx: Knex.Transaction, actorLabel: string): Promise<void> {
  const bookingIds: number[] = await trx('booking_changes')
    .where({ actor: actorLabel, kind: 'cancelled' })
    .pluck('booking_id');
  if (bookingIds.length === 0) return;
  await trx('booking_changes').where({ actor: actorLabel }).whereNotNull('reason').update({ reason: null });
  await trx('bookings').whereIn('id', bookingIds).update({ cancellation_reason: null });
  const events = await trx('outbox_events')
    .whereIn('booking_id', bookingIds)
    .where('type', 'booking.cancelled')
    .select('id', 'payload');
  for (const event of events) {
    const payload = JSON.parse(event.payload) as { reason: string | null };
    if (payload.reason === null) continue;
    await trx('outbox_events')
      .where('id', event.id)
      .update({ payload: JSON.stringify({ ...payload, reason: null }) });
  }
}

/** Answers kept for retried requests (a day) show bookings with the student's name as it was. */
async function redactStoredAnswers(trx: Knex.Transaction, studentId: number): Promise<void> {
  const rows = await trx('idempotency_keys')
    .where('response_body', 'like', `%"student_id":${studentId},%`)
    .select('scope', 'key', 'response_body');
  for (const row of rows) {
    const answer = JSON.parse(row.response_body) as {
      booking?: { student_id?: number; student_name?: string };
    };
    if (answer.booking?.student_id !== studentId) continue;
    answer.booking.student_name = erasedName(studentId);
    await trx('idempotency_keys')
      .where({ scope: row.scope, key: row.key })
      .update({ response_body: JSON.stringify(answer) });
  }
}
