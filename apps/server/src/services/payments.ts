import type { Payment } from '@mentor-scheduling/contracts';
import type { Knex } from 'knex';
import { DateTime } from 'luxon';
import type { Database } from '../db/connection.js';
import { instantFromDb } from '../db/connection.js';
import { type BookingStatus, statusAt } from '../domain/booking-status.js';
import { minorToMajor } from '../domain/pricing.js';
import { MINUTE_MS, toIsoUtc } from '../domain/time.js';
import { LAPSED_HOLD_REASON } from './booking-guard.js';
import type { Logger, ServiceContext } from './context.js';
import { AppError } from './errors.js';
import { recordBookingEvent } from './outbox.js';
import { type PaymentProvider, PaymentProviderError } from './payment-provider.js';
import { type Repeating, repeatEvery } from './repeating.js';
import type { ServiceMetrics } from './service-metrics.js';

/** What the payment work needs: less than a request's context, so the upkeep timer can run it too. */
export interface PaymentDeps {
  db: Database;
  now(): number;
  log: Logger;
  payments: PaymentProvider | null;
  /** Where holds let go are reported; absent, they are not counted (upkeep run by hand) */
  metrics?: ServiceMetrics;
}

export type StoredPaymentStatus = Payment['status'];
export type RefundStatus = 'pending' | 'succeeded' | 'failed';

/** Stripe Checkout takes an expiry between 30 minutes and 24 hours after it is created. */
const CHECKOUT_MIN_LIFETIME_MS = 30 * MINUTE_MS;
const CHECKOUT_MAX_LIFETIME_MS = 24 * 60 * MINUTE_MS;
/** Slack for the time the request takes to reach the provider. */
const CHECKOUT_EXPIRY_SLACK_MS = 2 * MINUTE_MS;

/**
 * Until when a new booking holds its slot: `holdMinutes` from now, rounded up to a whole minute
 * (kept answers change only at whole minutes, see answer-cache.ts), and never past the session's start.
 */
export function holdExpiryFor(now: number, holdMinutes: number, start: number): number {
  const lapse = Math.ceil((now + holdMinutes * MINUTE_MS) / MINUTE_MS) * MINUTE_MS;
  return Math.min(lapse, start);
}

/**
 * When the provider's checkout closes: at the hold's end when the provider allows it; a hold shorter
 * than the provider's minimum leaves the checkout open longer, and a payment made after the hold is
 * then a late payment (see `applyPaidCheckout`).
 */
function checkoutExpiryFor(now: number, holdExpiresAt: number): number {
  const earliest = now + CHECKOUT_MIN_LIFETIME_MS + CHECKOUT_EXPIRY_SLACK_MS;
  const latest = now + CHECKOUT_MAX_LIFETIME_MS - CHECKOUT_EXPIRY_SLACK_MS;
  return Math.min(Math.max(holdExpiresAt, earliest), latest);
}

// ---------------------------------------------------------------------------------------------
// The payment of a booking, as bookings show it

/** The payment columns read with a booking (left-joined, so all null when it has none). */
export const bookingPaymentColumns = [
  'bookings.hold_expires_at',
  'payments.id as payment_id',
  'payments.provider as payment_provider',
  'payments.status as payment_status',
  'payments.amount_minor as payment_amount_minor',
  'payments.currency as payment_currency',
  'payments.checkout_url as payment_checkout_url',
  'payments.paid_at as payment_paid_at',
  'payments.refund_status as payment_refund_status',
  'payments.refund_amount_minor as payment_refund_amount_minor',
  'payments.refund_requested_at as payment_refund_requested_at',
  'payments.refunded_at as payment_refunded_at',
] as const;

export interface BookingPaymentColumns {
  hold_expires_at: unknown;
  payment_id: number | null;
  payment_provider: string | null;
  payment_status: StoredPaymentStatus | null;
  payment_amount_minor: number | null;
  payment_currency: string | null;
  payment_checkout_url: string | null;
  payment_paid_at: unknown;
  payment_refund_status: RefundStatus | null;
  payment_refund_amount_minor: number | null;
  payment_refund_requested_at: unknown;
  payment_refunded_at: unknown;
}

export function withPayment(query: Knex.QueryBuilder): Knex.QueryBuilder {
  return query.leftJoin('payments', 'payments.booking_id', 'bookings.id').select(...bookingPaymentColumns);
}

export const instantOrNull = (value: unknown) =>
  value === null || value === undefined ? null : instantFromDb(value);
const isoOrNull = (value: unknown) => {
  const instant = instantOrNull(value);
  return instant === null ? null : toIsoUtc(instant);
};

/**
 * A payment still `pending` whose booking no longer waits for it (the hold lapsed, or the booking was
 * cancelled) reads `expired`, on the same clock as the booking's own status.
 */
function paymentStatusAt(
  stored: StoredPaymentStatus,
  bookingStatus: BookingStatus,
  bookingEnd: number,
  holdExpiresAt: number | null,
  now: number,
): StoredPaymentStatus {
  if (stored !== 'pending') return stored;
  return statusAt(bookingStatus, bookingEnd, now, holdExpiresAt) === 'pending_payment'
    ? 'pending'
    : 'expired';
}

export function paymentViewOf(
  row: BookingPaymentColumns & { status: BookingStatus; end_at: unknown },
  now: number,
): Payment | null {
  if (row.payment_id === null || row.payment_id === undefined) return null;
  const holdExpiresAt = instantOrNull(row.hold_expires_at);
  const status = paymentStatusAt(
    row.payment_status as StoredPaymentStatus,
    row.status,
    instantFromDb(row.end_at),
    holdExpiresAt,
    now,
  );
  return {
    provider: row.payment_provider as 'stripe',
    status,
    amount: minorToMajor(Number(row.payment_amount_minor)),
    currency: row.payment_currency as string,
    checkout_url: status === 'pending' ? row.payment_checkout_url : null,
    expires_at: holdExpiresAt === null ? null : toIsoUtc(holdExpiresAt),
    paid_at: isoOrNull(row.payment_paid_at),
    refund:
      row.payment_refund_status === null
        ? null
        : {
            status: row.payment_refund_status,
            amount: minorToMajor(Number(row.payment_refund_amount_minor)),
            requested_at: isoOrNull(row.payment_refund_requested_at) as string,
            refunded_at: isoOrNull(row.payment_refunded_at),
          },
  };
}

/**
 * The provider's retry key of a payment's refund: the same for every attempt, and distinct between
 * databases that share a provider account (a staging and a developer's database both have a payment
 * 1; their creation instants tell them apart), since the provider keeps keys per account.
 */
function refundKeyOf(payment: { id: number; created_at: unknown }): string {
  return `payment-${payment.id}-${instantFromDb(payment.created_at)}-refund`;
}

// ---------------------------------------------------------------------------------------------
// Opening the checkout of a new booking

/**
 * Records, in the booking's transaction, that the booking waits for this payment. The checkout's
 * expiry is fixed here, once: every attempt to open the checkout (a retry, or one after a crash)
 * then sends the provider the very same request, which its idempotency key answers with the same
 * checkout; an expiry recomputed from each attempt's clock would be a different request, refused.
 */
export async function insertPendingPayment(
  trx: Knex.Transaction,
  provider: PaymentProvider,
  booking: { id: number; priceMinor: number; currency: string; holdExpiresAt: number },
  now: number,
): Promise<void> {
  await trx('payments').insert(pendingPaymentRowOf(provider, booking, now));
}

/** The payment provider of a change that needs one (payments are on). */
export function paymentsOf(ctx: ServiceContext): PaymentProvider {
  if (!ctx.payments) throw new Error('A pending payment needs payments on');
  return ctx.payments;
}

export function pendingPaymentRowOf(
  provider: PaymentProvider,
  booking: { id: number; priceMinor: number; currency: string; holdExpiresAt: number },
  now: number,
) {
  return {
    booking_id: booking.id,
    provider: provider.name,
    status: 'pending',
    amount_minor: booking.priceMinor,
    currency: booking.currency,
    checkout_expires_at: new Date(checkoutExpiryFor(now, booking.holdExpiresAt)),
    created_at: new Date(now),
    updated_at: new Date(now),
  };
}

/** Names a booking in this database alone, for the provider: its id and creation instant. */
export function bookingReferenceOf(bookingId: number, createdAt: unknown): string {
  return `booking-${bookingId}-${instantFromDb(createdAt)}`;
}

export const UNSTARTED_PAYMENT_REASON =
  'The payment provider could not be reached, so the booking was not held; nothing was charged';

/**
 * Opens the provider's checkout for a booking that holds its slot, and records it. The provider
 * gets a key derived from the booking, so a second call (a retried request, or one after a crash
 * between the booking's commit and this call) answers the same checkout instead of a second one.
 * Answers the checkout's URL, or null when the hold has meanwhile ended.
 */
export async function openCheckout(
  ctx: ServiceContext,
  bookingId: number,
): Promise<{ url: string; sessionId: string } | null> {
  const provider = ctx.payments as PaymentProvider;
  const details = await ctx.db
    .knex('bookings')
    .join('payments', 'payments.booking_id', 'bookings.id')
    .join('students', 'students.id', 'bookings.student_id')
    .join('mentors', 'mentors.id', 'bookings.mentor_id')
    .leftJoin('areas', 'areas.id', 'bookings.area_id')
    .where('bookings.id', bookingId)
    .first(
      'bookings.status',
      'bookings.hold_expires_at',
      'bookings.start_at',
      'bookings.duration_minutes',
      'bookings.created_at',
      'payments.amount_minor',
      'payments.currency',
      'payments.checkout_session_id',
      'payments.checkout_url',
      'payments.checkout_expires_at',
      'students.email',
      'students.timezone',
      'mentors.name as mentor_name',
      'areas.name as area_name',
    );
  const holdExpiresAt = instantOrNull(details?.hold_expires_at);
  if (details?.status !== 'pending_payment' || holdExpiresAt === null || holdExpiresAt <= ctx.now())
    return null;
  if (details.checkout_url) return { url: details.checkout_url, sessionId: details.checkout_session_id };
  const start = instantFromDb(details.start_at);
  const when = DateTime.fromMillis(start, { zone: details.timezone }).toFormat('ccc d LLL yyyy, HH:mm ZZZZ');
  const config = ctx.config.payments;
  const base = config.provider === 'stripe' ? config.publicBaseUrl : '';
  const checkout = await provider.createCheckout({
    bookingId,
    amountMinor: Number(details.amount_minor),
    currency: details.currency,
    description: `${details.area_name ?? 'Mentoring'} session with ${details.mentor_name}, ${details.duration_minutes} min, ${when}`,
    customerEmail: details.email,
    reference: bookingReferenceOf(bookingId, details.created_at),
    expiresAt: instantFromDb(details.checkout_expires_at),
    successUrl: `${base}/bookings/${bookingId}?payment=done`,
    cancelUrl: `${base}/bookings/${bookingId}?payment=cancelled`,
    idempotencyKey: `${bookingReferenceOf(bookingId, details.created_at)}-checkout`,
  });
  await ctx.db
    .knex('payments')
    .where('booking_id', bookingId)
    .whereNull('checkout_session_id')
    .update({
      checkout_session_id: checkout.sessionId,
      checkout_url: checkout.url,
      checkout_expires_at: new Date(checkout.expiresAt),
      updated_at: new Date(ctx.now()),
    });
  return { url: checkout.url, sessionId: checkout.sessionId };
}

/**
 * Lets go of a booking whose checkout could not be opened: the student was told nothing was booked.
 * The row stays, `expired` with the reason, so that a payment for it that the provider reports
 * anyway is still recognised (and, as any late payment, confirmed when the slot is free, else refunded).
 */
export async function releaseUnstartedHold(
  ctx: ServiceContext,
  bookingId: number,
  alsoUndo: (trx: Knex.Transaction) => Promise<void>,
): Promise<void> {
  const now = new Date(ctx.now());
  const released = await ctx.db.knex.transaction(async (trx) => {
    const rows = await trx('bookings')
      .where({ id: bookingId, status: 'pending_payment' })
      .update({ status: 'expired', cancellation_reason: UNSTARTED_PAYMENT_REASON, updated_at: now });
    if (rows > 0) {
      await trx('payments').where({ booking_id: bookingId, status: 'pending' }).update({
        status: 'expired',
        updated_at: now,
      });
      await recordBookingEvent(trx, ctx.now(), 'booking.expired', bookingId);
    }
    await alsoUndo(trx);
    return rows;
  });
  if (released > 0) ctx.metrics.bookingsChanged('expired', released);
}

/** The refusal a student sees when the provider cannot open a checkout. */
export function paymentUnavailable(error: unknown, ctx: ServiceContext): AppError {
  const retryable = error instanceof PaymentProviderError && error.retryable;
  if (retryable) ctx.log.warn({ err: error, event: 'payment_unavailable' }, 'payment provider unavailable');
  else ctx.log.error({ err: error, event: 'payment_refused' }, 'payment provider refused the checkout');
  return new AppError(
    'payment_unavailable',
    'The payment provider cannot be reached, so nothing was booked; try again in a minute',
    { headers: { 'retry-after': '60' } },
  );
}

// ---------------------------------------------------------------------------------------------
// Cancellation and refunds

export interface PaymentRow {
  id: number;
  booking_id: number;
  status: StoredPaymentStatus;
  amount_minor: number;
  currency: string;
  checkout_session_id: string | null;
  payment_intent_id: string | null;
  paid_amount_minor: number | null;
  refund_status: RefundStatus | null;
  refund_id: string | null;
  refund_amount_minor?: number | null;
  created_at: unknown;
}

export async function paymentOfBooking(
  trx: Knex | Knex.Transaction,
  bookingId: number,
): Promise<PaymentRow | undefined> {
  return trx('payments').where('booking_id', bookingId).first();
}

/** What must happen at the provider once a cancellation has committed. */
export type AfterCancel = { refundPaymentId: number; refundMinor: number } | { closeCheckout: string } | null;

/**
 * In the cancellation's transaction: a paid session's payment is marked for a full refund (made at
 * the provider once this commits, see `settleRefund`); a pending one ends, its checkout to be closed.
 */
export async function settlePaymentOnCancel(
  trx: Knex.Transaction,
  bookingId: number,
  now: number,
): Promise<AfterCancel> {
  const payment = await paymentOfBooking(trx, bookingId);
  if (!payment) return null;
  if (payment.status === 'paid') {
    await markForRefund(trx, payment, now);
    return {
      refundPaymentId: payment.id,
      refundMinor: Number(payment.paid_amount_minor ?? payment.amount_minor),
    };
  }
  if (payment.status === 'pending') {
    await trx('payments')
      .where('id', payment.id)
      .update({ status: 'expired', updated_at: new Date(now) });
    return payment.checkout_session_id ? { closeCheckout: payment.checkout_session_id } : null;
  }
  return null;
}

export async function markForRefund(
  trx: Knex.Transaction,
  payment: Pick<PaymentRow, 'id' | 'paid_amount_minor' | 'amount_minor'>,
  now: number,
  extra: Record<string, unknown> = {},
): Promise<void> {
  await trx('payments')
    .where('id', payment.id)
    .update({
      status: 'refunded',
      refund_status: 'pending',
      refund_amount_minor: payment.paid_amount_minor ?? payment.amount_minor,
      refund_requested_at: new Date(now),
      updated_at: new Date(now),
      ...extra,
    });
}

/** Does at the provider what a committed cancellation left to do; failures are retried by the upkeep. */
export async function afterCancel(deps: PaymentDeps, work: AfterCancel): Promise<void> {
  if (!work || !deps.payments) return;
  if ('refundPaymentId' in work) {
    await settleRefund(deps, work.refundPaymentId);
    return;
  }
  try {
    await deps.payments.expireCheckout(work.closeCheckout);
  } catch (error) {
    // A checkout left open can still be paid; that payment is then refunded as a late one.
    deps.log.warn({ err: error, event: 'checkout_not_closed' }, 'closing a checkout failed');
  }
}

/**
 * Asks the provider for the refund a payment was marked for, with a key derived from the payment so
 * that trying again (after a timeout, a crash, or from two processes) never refunds twice.
 */
export async function settleRefund(deps: PaymentDeps, paymentId: number): Promise<void> {
  const provider = deps.payments;
  if (!provider) return;
  const payment: (PaymentRow & { refund_amount_minor: number }) | undefined = await deps.db
    .knex('payments')
    .where('id', paymentId)
    .first();
  if (payment?.refund_status !== 'pending' || payment.refund_id !== null) return;
  const now = () => new Date(deps.now());
  if (!payment.payment_intent_id) {
    await deps.db.knex('payments').where('id', paymentId).update({
      refund_status: 'failed',
      flag: 'No provider payment id to refund: refund it by hand',
      updated_at: now(),
    });
    return;
  }
  try {
    const refund = await provider.refund({
      bookingId: payment.booking_id,
      paymentIntentId: payment.payment_intent_id,
      amountMinor: Number(payment.refund_amount_minor),
      idempotencyKey: refundKeyOf(payment),
    });
    const failed = refund.status === 'failed' || refund.status === 'canceled';
    await deps.db.knex.transaction(async (trx) => {
      // Only the first writer of this refund's outcome tells anyone: another process may have
      // asked the provider with the same key at the same time and got the same refund.
      const settled = await trx('payments')
        .where({ id: paymentId, refund_status: 'pending' })
        .whereNull('refund_id')
        .update({
          refund_id: refund.refundId,
          refund_status: refund.status === 'succeeded' ? 'succeeded' : failed ? 'failed' : 'pending',
          refunded_at: refund.status === 'succeeded' ? now() : null,
          ...(failed ? { flag: `The provider reports the refund ${refund.status}: refund it by hand` } : {}),
          updated_at: now(),
        });
      if (settled > 0 && refund.status === 'succeeded')
        await recordBookingEvent(trx, deps.now(), 'payment.refunded', payment.booking_id, {
          refund_minor: Number(payment.refund_amount_minor),
        });
    });
  } catch (error) {
    if (error instanceof PaymentProviderError && error.retryable) {
      deps.log.warn({ err: error, event: 'refund_retry', paymentId }, 'refund will be tried again');
      await deps.db.knex('payments').where('id', paymentId).increment('refund_attempts', 1);
      return;
    }
    deps.log.error({ err: error, event: 'refund_refused', paymentId }, 'the provider refused a refund');
    await deps.db
      .knex('payments')
      .where('id', paymentId)
      .update({
        refund_status: 'failed',
        flag: `The provider refused the refund (${(error as Error).message}): refund it by hand`.slice(
          0,
          500,
        ),
        updated_at: now(),
      });
  }
}

// ---------------------------------------------------------------------------------------------
// Upkeep: what no request does on time by itself

const UPKEEP_BATCH = 100;

/**
 * Writes down the holds that lapsed (reads already show them `expired`) and asks the provider again
 * for refunds it could not take before. Idempotent: several processes may run it at once.
 */
export async function keepPayments(deps: PaymentDeps): Promise<{ expired: number; refundsTried: number }> {
  const now = new Date(deps.now());
  const lapsed: { id: number }[] = await deps.db
    .knex('bookings')
    .select('id')
    .where('status', 'pending_payment')
    .where('hold_expires_at', '<=', now)
    .orderBy('id')
    .limit(UPKEEP_BATCH);
  let expired = 0;
  // One booking per transaction: holding no lock while waiting for another, the upkeep can never be
  // part of a deadlock with a booking or a provider event.
  for (const { id } of lapsed) {
    const count = await deps.db.knex.transaction(async (trx) => {
      const count = await trx('bookings')
        .where({ id, status: 'pending_payment' })
        .where('hold_expires_at', '<=', now)
        .update({ status: 'expired', cancellation_reason: LAPSED_HOLD_REASON, updated_at: now });
      if (count > 0) {
        await trx('payments')
          .where({ booking_id: id, status: 'pending' })
          .update({ status: 'expired', updated_at: now });
        await recordBookingEvent(trx, deps.now(), 'booking.expired', id);
      }
      return count;
    });
    expired += count;
    if (count > 0) deps.metrics?.bookingsChanged('expired', count);
  }
  // Holds that a booking's transaction let go (see releaseLapsedHolds) leave their payment pending.
  const stale: { id: number }[] = await deps.db
    .knex('payments')
    .join('bookings', 'bookings.id', 'payments.booking_id')
    .select('payments.id')
    .where('payments.status', 'pending')
    .whereIn('bookings.status', ['expired', 'cancelled'])
    .limit(UPKEEP_BATCH);
  if (stale.length > 0)
    await deps.db
      .knex('payments')
      .whereIn(
        'id',
        stale.map((row) => row.id),
      )
      .where('status', 'pending')
      .update({ status: 'expired', updated_at: now });
  const refunds: { id: number }[] = deps.payments
    ? await deps.db
        .knex('payments')
        .select('id')
        .where('refund_status', 'pending')
        .whereNull('refund_id')
        .orderBy('id')
        .limit(UPKEEP_BATCH)
    : [];
  for (const refund of refunds) await settleRefund(deps, refund.id);
  return { expired, refundsTried: refunds.length };
}

/** Runs `keepPayments` now and every `intervalMs`, on a timer that does not keep the process alive. */
export function startPaymentUpkeep(deps: PaymentDeps, intervalMs: number): Repeating {
  return repeatEvery(
    intervalMs,
    async () => {
      const result = await keepPayments(deps);
      if (result.expired + result.refundsTried > 0)
        deps.log.info({ event: 'payment_upkeep', ...result }, 'expired holds and retried refunds');
    },
    (error) => deps.log.warn({ event: 'payment_upkeep_failed', err: error }, 'payment upkeep failed'),
  );
}
