import type {
  OperationInput,
  Operations,
  Payment,
  PaymentRecord,
  PaymentTotal,
  SignedDelivery,
} from '@mentor-scheduling/contracts';
import type { Knex } from 'knex';
import { DateTime } from 'luxon';
import type { Database } from '../db/connection.js';
import { instantFromDb } from '../db/connection.js';
import { type BookingStatus, statusAt } from '../domain/booking-status.js';
import { minorToMajor } from '../domain/pricing.js';
import { MINUTE_MS, toIsoUtc } from '../domain/time.js';
import { withClockStopped } from './answer-cache.js';
import { LAPSED_HOLD_REASON, lockMentors, overlapPartyOf, releaseLapsedHolds } from './booking-guard.js';
import type { Logger, ServiceContext } from './context.js';
import { AppError } from './errors.js';
import { decodeCursor, encodeCursor, instantOf } from './inputs.js';
import {
  type CheckoutSessionState,
  type PaymentProvider,
  PaymentProviderError,
  type ProviderEvent,
  type RefundState,
  WebhookSignatureError,
} from './payment-provider.js';
import { type Repeating, repeatEvery } from './repeating.js';
import { loadMentor, refusalFor, scheduleOf } from './slot-rules.js';

/** What the payment work needs: less than a request's context, so the upkeep timer can run it too. */
export interface PaymentDeps {
  db: Database;
  now(): number;
  log: Logger;
  payments: PaymentProvider | null;
}

type StoredPaymentStatus = Payment['status'];
type RefundStatus = 'pending' | 'succeeded' | 'failed';

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

const instantOrNull = (value: unknown) =>
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
  await trx('payments').insert({
    booking_id: booking.id,
    provider: provider.name,
    status: 'pending',
    amount_minor: booking.priceMinor,
    currency: booking.currency,
    checkout_expires_at: new Date(checkoutExpiryFor(now, booking.holdExpiresAt)),
    created_at: new Date(now),
    updated_at: new Date(now),
  });
}

/** Names a booking in this database alone, for the provider: its id and creation instant. */
function bookingReferenceOf(bookingId: number, createdAt: unknown): string {
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
  await ctx.db.knex.transaction(async (trx) => {
    const released = await trx('bookings')
      .where({ id: bookingId, status: 'pending_payment' })
      .update({ status: 'expired', cancellation_reason: UNSTARTED_PAYMENT_REASON, updated_at: now });
    if (released > 0)
      await trx('payments').where({ booking_id: bookingId, status: 'pending' }).update({
        status: 'expired',
        updated_at: now,
      });
    await alsoUndo(trx);
  });
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

interface PaymentRow {
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
  created_at: unknown;
}

async function paymentOfBooking(
  trx: Knex | Knex.Transaction,
  bookingId: number,
): Promise<PaymentRow | undefined> {
  return trx('payments').where('booking_id', bookingId).first();
}

/** What must happen at the provider once a cancellation has committed. */
export type AfterCancel = { refundPaymentId: number } | { closeCheckout: string } | null;

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
    return { refundPaymentId: payment.id };
  }
  if (payment.status === 'pending') {
    await trx('payments')
      .where('id', payment.id)
      .update({ status: 'expired', updated_at: new Date(now) });
    return payment.checkout_session_id ? { closeCheckout: payment.checkout_session_id } : null;
  }
  return null;
}

async function markForRefund(
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
    await deps.db
      .knex('payments')
      .where('id', paymentId)
      .update({
        refund_id: refund.refundId,
        refund_status: refund.status === 'succeeded' ? 'succeeded' : failed ? 'failed' : 'pending',
        refunded_at: refund.status === 'succeeded' ? now() : null,
        ...(failed ? { flag: `The provider reports the refund ${refund.status}: refund it by hand` } : {}),
        updated_at: now(),
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
// The provider's events

type EventOutcome = 'applied' | 'duplicate' | 'ignored';
interface Applied {
  outcome: EventOutcome;
  /** Recorded with the event, for whoever reads payment_events */
  detail: string;
  refundPaymentId?: number;
}

const PAID_AFTER_START_REASON =
  'Paid after the hold expired, when the session had already started: the payment is refunded in full';
const LATE_PAYMENT_REFUSED_REASON =
  'Paid after the hold expired, when the mentor could no longer take the session at that time: the payment is refunded in full';
const LATE_PAYMENT_TAKEN_REASON =
  'Paid after the hold expired, when the slot had been taken meanwhile: the payment is refunded in full';

/**
 * Applies one verified provider event, once: its id is recorded in the transaction that applies it,
 * so a replay, or the same event at another process at the same moment, finds it and changes nothing.
 */
export async function receiveStripeEvent(ctx: ServiceContext, delivery: SignedDelivery) {
  if (!ctx.payments) throw new AppError('payments_off', 'Payments are not enabled on this server');
  let event: ProviderEvent;
  try {
    event = ctx.payments.verifyEvent(delivery.payload, delivery.signature);
  } catch (error) {
    if (!(error instanceof WebhookSignatureError)) throw error;
    ctx.log.warn({ event: 'webhook_refused', reason: error.message }, 'webhook signature refused');
    throw new AppError('invalid_signature', error.message);
  }
  const at = withClockStopped(ctx);
  const applied = await at.db.knex.transaction(async (trx): Promise<Applied> => {
    const recorded = await trx('payment_events')
      .insert({
        event_id: event.id,
        provider: ctx.payments?.name,
        type: event.type.slice(0, 100),
        booking_id: event.checkout?.bookingId ?? null,
        outcome: 'received',
        received_at: new Date(at.now()),
      })
      .onConflict('event_id')
      .ignore()
      .returning('event_id');
    if (recorded.length === 0) return { outcome: 'duplicate', detail: 'already received' };
    const result = await applyEvent(at, trx, event);
    await trx('payment_events')
      .where('event_id', event.id)
      .update({ outcome: `${result.outcome}: ${result.detail}`.slice(0, 40) });
    return result;
  });
  at.log.info(
    {
      event: 'payment_event',
      eventId: event.id,
      type: event.type,
      outcome: applied.outcome,
      detail: applied.detail,
    },
    'payment event received',
  );
  if (applied.refundPaymentId !== undefined) await settleRefund(at, applied.refundPaymentId);
  return { received: true as const, outcome: applied.outcome };
}

async function applyEvent(
  ctx: ServiceContext,
  trx: Knex.Transaction,
  event: ProviderEvent,
): Promise<Applied> {
  if (event.refund && (event.type === 'refund.updated' || event.type === 'refund.failed'))
    return applySettledRefund(ctx, trx, event.refund);
  const checkout = event.checkout;
  if (!checkout) return { outcome: 'ignored', detail: 'not a checkout event' };
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded':
      if (checkout.paymentStatus !== 'paid') return { outcome: 'ignored', detail: 'not paid yet' };
      return applyPaidCheckout(ctx, trx, checkout);
    case 'checkout.session.expired':
    case 'checkout.session.async_payment_failed':
      return applyUnpaidCheckout(ctx, trx, checkout);
    default:
      return { outcome: 'ignored', detail: 'event type not acted on' };
  }
}

/**
 * A refund the provider accepted as `pending` (methods that settle later) has settled: it succeeded,
 * or it failed and an admin must return the money another way. Any other news of it changes nothing.
 */
async function applySettledRefund(
  ctx: ServiceContext,
  trx: Knex.Transaction,
  refund: RefundState,
): Promise<Applied> {
  const payment: PaymentRow | undefined = await trx('payments').where('refund_id', refund.refundId).first();
  if (!payment) return { outcome: 'ignored', detail: 'unknown refund' };
  if (payment.refund_status !== 'pending')
    return { outcome: 'ignored', detail: `refund already ${payment.refund_status}` };
  const now = new Date(ctx.now());
  if (refund.status === 'succeeded') {
    await trx('payments')
      .where('id', payment.id)
      .update({ refund_status: 'succeeded', refunded_at: now, updated_at: now });
    return { outcome: 'applied', detail: 'refund succeeded' };
  }
  if (refund.status === 'failed' || refund.status === 'canceled') {
    await trx('payments')
      .where('id', payment.id)
      .update({
        refund_status: 'failed',
        flag: `The provider reports the refund ${refund.status}: refund it by hand`,
        updated_at: now,
      });
    ctx.log.error({ event: 'refund_failed', paymentId: payment.id }, 'a refund failed at the provider');
    return { outcome: 'applied', detail: `refund ${refund.status}` };
  }
  return { outcome: 'ignored', detail: `refund still ${refund.status}` };
}

interface HeldBooking {
  id: number;
  student_id: number;
  mentor_id: number;
  status: BookingStatus;
  start_at: unknown;
  end_at: unknown;
  hold_expires_at: unknown;
}

async function unrecordedPaymentOf(
  trx: Knex.Transaction,
  checkout: CheckoutSessionState,
): Promise<PaymentRow | null> {
  if (checkout.bookingId === null || checkout.reference === null) return null;
  const candidate = await paymentOfBooking(trx, checkout.bookingId);
  if (!candidate || candidate.checkout_session_id !== null) return null;
  const owner = await trx('bookings').select('created_at').where('id', candidate.booking_id).first();
  return owner && bookingReferenceOf(candidate.booking_id, owner.created_at) === checkout.reference
    ? candidate
    : null;
}

/** The payment the checkout was opened for, and its booking, locked for this transaction. */
async function paymentOfCheckout(
  ctx: ServiceContext,
  trx: Knex.Transaction,
  checkout: CheckoutSessionState,
): Promise<{ payment: PaymentRow; booking: HeldBooking } | null> {
  let payment: PaymentRow | undefined = await trx('payments')
    .where('checkout_session_id', checkout.sessionId)
    .first();
  // The checkout was opened but not recorded (a crash, or a timeout that hid a success): it is the
  // one of the booking it names, if that booking is this database's (its reference matches) and
  // still has no checkout recorded. Recorded below, once the booking is locked.
  const unrecorded = !payment && (await unrecordedPaymentOf(trx, checkout));
  if (unrecorded) payment = unrecorded;
  if (!payment) return null;
  const query = trx('bookings')
    .select('id', 'student_id', 'mentor_id', 'status', 'start_at', 'end_at', 'hold_expires_at')
    .where('id', payment.booking_id);
  if (ctx.db.dialect === 'pg') {
    // Locks in the order every booking write takes them, mentor first, then the booking (a booking's
    // mentor never changes): taken the other way round, a new booking of the same slot deadlocks.
    const owner = await trx('bookings').select('mentor_id').where('id', payment.booking_id).first();
    await lockMentors(trx, ctx.db, [owner.mentor_id]);
    query.forUpdate();
  }
  const booking: HeldBooking = await query.first();
  if (ctx.db.dialect === 'pg') {
    // Read again under the locks: a concurrent event for it has committed by now.
    payment = (await trx('payments').where('id', payment.id).first()) as PaymentRow;
  }
  if (unrecorded) {
    if (payment.checkout_session_id !== null) return null;
    await trx('payments')
      .where('id', payment.id)
      .update({ checkout_session_id: checkout.sessionId, updated_at: new Date(ctx.now()) });
    payment = { ...payment, checkout_session_id: checkout.sessionId };
  }
  return { payment, booking };
}

/**
 * A paid checkout. The amount and currency must be the booking's, else nothing is confirmed and
 * admins are told. A booking still holding its slot is confirmed. One whose hold lapsed is
 * confirmed if its slot is still free (and has not started); otherwise, as for a cancelled one,
 * the payment is refunded in full at once.
 */
async function applyPaidCheckout(
  ctx: ServiceContext,
  trx: Knex.Transaction,
  checkout: CheckoutSessionState,
): Promise<Applied> {
  const found = await paymentOfCheckout(ctx, trx, checkout);
  if (!found) return { outcome: 'ignored', detail: 'unknown checkout' };
  const { payment, booking } = found;
  if (payment.status !== 'pending' && payment.status !== 'expired')
    return { outcome: 'ignored', detail: `payment already ${payment.status}` };
  const now = ctx.now();
  const paid = {
    payment_intent_id: checkout.paymentIntentId,
    paid_amount_minor: checkout.amountTotal,
    paid_currency: checkout.currency,
    paid_at: new Date(now),
    updated_at: new Date(now),
  };
  if (checkout.amountTotal !== Number(payment.amount_minor) || checkout.currency !== payment.currency) {
    const flag = `Paid ${checkout.amountTotal ?? '?'} ${checkout.currency ?? '?'} (minor units) for a booking of ${payment.amount_minor} ${payment.currency}: not confirmed; refund or settle it by hand`;
    await trx('payments')
      .where('id', payment.id)
      .update({ ...paid, status: 'flagged', flag });
    ctx.log.error({ event: 'payment_mismatch', paymentId: payment.id, bookingId: booking.id }, flag);
    return { outcome: 'applied', detail: 'flagged' };
  }
  const holdExpiresAt = instantOrNull(booking.hold_expires_at);
  const live = booking.status === 'pending_payment' && holdExpiresAt !== null && holdExpiresAt > now;
  if (live) {
    await trx('bookings')
      .where('id', booking.id)
      .update({ status: 'confirmed', updated_at: new Date(now) });
    await trx('payments')
      .where('id', payment.id)
      .update({ ...paid, status: 'paid' });
    return { outcome: 'applied', detail: 'confirmed' };
  }
  const lapsed = booking.status === 'pending_payment' || booking.status === 'expired';
  const started = instantFromDb(booking.start_at) <= now;
  const retaken = lapsed && !started ? await retake(ctx, trx, booking) : null;
  if (retaken === 'confirmed') {
    await trx('payments')
      .where('id', payment.id)
      .update({ ...paid, status: 'paid' });
    return { outcome: 'applied', detail: 'confirmed late' };
  }
  if (lapsed) {
    await trx('bookings')
      .where('id', booking.id)
      .update({
        status: 'expired',
        cancellation_reason: started
          ? PAID_AFTER_START_REASON
          : retaken === 'refused'
            ? LATE_PAYMENT_REFUSED_REASON
            : LATE_PAYMENT_TAKEN_REASON,
        updated_at: new Date(now),
      });
  }
  await trx('payments').where('id', payment.id).update(paid);
  await markForRefund(trx, { ...payment, paid_amount_minor: checkout.amountTotal }, now);
  return { outcome: 'applied', detail: 'refunded', refundPaymentId: payment.id };
}

/**
 * Confirms a booking whose hold lapsed, if the mentor can still take it and its time is still free
 * for both the mentor and the student: the mentor's rules are checked first, then the database's
 * overlap guard decides, in a savepoint, so a refusal leaves the rest of the transaction intact.
 * Answers what happened: `taken` when someone else has the time, `refused` when a rule now says no.
 */
async function retake(
  ctx: ServiceContext,
  trx: Knex.Transaction,
  booking: HeldBooking,
): Promise<'confirmed' | 'taken' | 'refused'> {
  const start = instantFromDb(booking.start_at);
  const end = instantFromDb(booking.end_at);
  const now = ctx.now();
  await lockMentors(trx, ctx.db, [booking.mentor_id]);
  await releaseLapsedHolds(
    trx,
    now,
    { start, end },
    { mentorIds: [booking.mentor_id], studentId: booking.student_id },
  );
  // The mentor's rules as they stand now (availability, time off, buffer, daily limit), since the
  // slot was free to others while the hold had lapsed; the notice is not one of them: the session was
  // booked in time, only paid late.
  const plan = { start, end, durationMinutes: (end - start) / MINUTE_MS, movingBookingId: booking.id };
  const schedule = await scheduleOf(trx, await loadMentor(trx, booking.mentor_id), plan, now);
  const refusal = refusalFor(schedule, plan, now, { ...ctx.config.slotPolicy, minNoticeMinutes: 0 });
  if (refusal !== null) return refusal === 'slot_taken' ? 'taken' : 'refused';
  try {
    await trx.transaction((savepoint) =>
      savepoint('bookings')
        .where('id', booking.id)
        .update({ status: 'confirmed', cancellation_reason: null, updated_at: new Date(ctx.now()) }),
    );
    return 'confirmed';
  } catch (error) {
    if (overlapPartyOf(error) === null) throw error;
    return 'taken';
  }
}

/** A checkout that ended unpaid: a booking still waiting for it lets its slot go. */
async function applyUnpaidCheckout(
  ctx: ServiceContext,
  trx: Knex.Transaction,
  checkout: CheckoutSessionState,
): Promise<Applied> {
  const found = await paymentOfCheckout(ctx, trx, checkout);
  if (!found) return { outcome: 'ignored', detail: 'unknown checkout' };
  const { payment, booking } = found;
  if (payment.status !== 'pending')
    return { outcome: 'ignored', detail: `payment already ${payment.status}` };
  const now = new Date(ctx.now());
  await trx('payments').where('id', payment.id).update({ status: 'expired', updated_at: now });
  if (booking.status === 'pending_payment') {
    await trx('bookings')
      .where('id', booking.id)
      .update({ status: 'expired', cancellation_reason: 'The checkout ended unpaid', updated_at: now });
  }
  return { outcome: 'applied', detail: 'released' };
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
    expired += await deps.db.knex.transaction(async (trx) => {
      const count = await trx('bookings')
        .where({ id, status: 'pending_payment' })
        .where('hold_expires_at', '<=', now)
        .update({ status: 'expired', cancellation_reason: LAPSED_HOLD_REASON, updated_at: now });
      if (count > 0)
        await trx('payments')
          .where({ booking_id: id, status: 'pending' })
          .update({ status: 'expired', updated_at: now });
      return count;
    });
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

// ---------------------------------------------------------------------------------------------
// Admins' list

type ListInput = OperationInput<Operations['payments']['list']>;

/** Narrows payments to those that read `status` at `now` (a pending one whose hold lapsed reads expired). */
function wherePaymentStatusReads(query: Knex.QueryBuilder, status: StoredPaymentStatus, now: number): void {
  const waiting = (inner: Knex.QueryBuilder) =>
    inner
      .where('payments.status', 'pending')
      .where('bookings.status', 'pending_payment')
      .where('bookings.hold_expires_at', '>', new Date(now));
  if (status === 'pending') query.where(waiting);
  else if (status === 'expired')
    query.where((expired) =>
      expired
        .where('payments.status', 'expired')
        .orWhere((lapsed) => lapsed.where('payments.status', 'pending').whereNot(waiting)),
    );
  else query.where('payments.status', status);
}

export async function listPayments(request: ServiceContext, input: ListInput) {
  const ctx = withClockStopped(request);
  const now = ctx.now();
  const filtered = () => {
    const query = ctx.db.knex('payments').join('bookings', 'bookings.id', 'payments.booking_id');
    if (input.status !== undefined) wherePaymentStatusReads(query, input.status, now);
    if (input.booking_id !== undefined) query.where('payments.booking_id', input.booking_id);
    if (input.from !== undefined)
      query.where('payments.created_at', '>=', new Date(instantOf(ctx, input.from, 'from')));
    if (input.to !== undefined)
      query.where('payments.created_at', '<', new Date(instantOf(ctx, input.to, 'to')));
    return query;
  };
  const page = filtered()
    .select(
      'payments.*',
      'bookings.student_id',
      'bookings.mentor_id',
      'bookings.status as booking_status',
      'bookings.end_at',
      'bookings.hold_expires_at',
    )
    .orderBy([
      { column: 'payments.created_at', order: 'desc' },
      { column: 'payments.id', order: 'desc' },
    ])
    .limit(input.limit + 1);
  if (input.cursor !== undefined) {
    const [beforeCreated, beforeId] = decodeCursor(input.cursor, ['instant', 'id']) as [number, number];
    page.where((where) =>
      where
        .where('payments.created_at', '<', new Date(beforeCreated))
        .orWhere((tie) =>
          tie.where('payments.created_at', new Date(beforeCreated)).where('payments.id', '<', beforeId),
        ),
    );
  }
  const rows = await page;
  const totals = (await filtered()
    .select(ctx.db.knex.raw('coalesce(payments.paid_currency, payments.currency) as currency'))
    .count({ payments: '*' })
    .sum({ paid: 'payments.paid_amount_minor' })
    .sum({
      refunded: ctx.db.knex.raw(
        "case when payments.refund_status in ('pending', 'succeeded') then payments.refund_amount_minor else 0 end",
      ),
    })
    .groupByRaw('coalesce(payments.paid_currency, payments.currency)')
    .orderBy('currency')) as unknown as {
    currency: string;
    payments: unknown;
    paid: unknown;
    refunded: unknown;
  }[];
  const shown = rows.slice(0, input.limit);
  const last = shown.at(-1);
  return {
    payments: shown.map((row) => paymentRecordOf(row, now)),
    totals: totals.map((total): PaymentTotal => {
      const paid = Number(total.paid ?? 0);
      const refunded = Number(total.refunded ?? 0);
      return {
        currency: String(total.currency),
        payments: Number(total.payments),
        paid: minorToMajor(paid),
        refunded: minorToMajor(refunded),
        net: (paid - refunded) / 100,
      };
    }),
    next_cursor:
      rows.length > input.limit && last ? encodeCursor([instantFromDb(last.created_at), last.id]) : null,
  };
}

function paymentRecordOf(row: Record<string, unknown>, now: number): PaymentRecord {
  const view = paymentViewOf(
    {
      hold_expires_at: row.hold_expires_at,
      payment_id: row.id as number,
      payment_provider: row.provider as string,
      payment_status: row.status as StoredPaymentStatus,
      payment_amount_minor: row.amount_minor as number,
      payment_currency: row.currency as string,
      payment_checkout_url: row.checkout_url as string | null,
      payment_paid_at: row.paid_at,
      payment_refund_status: row.refund_status as RefundStatus | null,
      payment_refund_amount_minor: row.refund_amount_minor as number | null,
      payment_refund_requested_at: row.refund_requested_at,
      payment_refunded_at: row.refunded_at,
      status: row.booking_status as BookingStatus,
      end_at: row.end_at,
    },
    now,
  ) as Payment;
  return {
    ...view,
    id: row.id as number,
    booking_id: row.booking_id as number,
    student_id: row.student_id as number,
    mentor_id: row.mentor_id as number,
    checkout_session_id: (row.checkout_session_id as string | null) ?? null,
    payment_intent_id: (row.payment_intent_id as string | null) ?? null,
    paid_amount: row.paid_amount_minor === null ? null : minorToMajor(Number(row.paid_amount_minor)),
    paid_currency: (row.paid_currency as string | null) ?? null,
    flag: (row.flag as string | null) ?? null,
    created_at: toIsoUtc(instantFromDb(row.created_at)),
    updated_at: toIsoUtc(instantFromDb(row.updated_at)),
  };
}
