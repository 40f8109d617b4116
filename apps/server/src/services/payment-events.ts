/**
 * The payment provider's events: verified, recorded once by id in the transaction that applies
 * them, then applied to the payment and its booking (see docs/payments.md).
 */
import type { SignedDelivery } from '@mentor-scheduling/contracts';
import type { Knex } from 'knex';
import { instantFromDb } from '../db/connection.js';
import type { BookingStatus } from '../domain/booking-status.js';
import { MINUTE_MS } from '../domain/time.js';
import { withClockStopped } from './answer-cache.js';
import { lockMentors, overlapPartyOf, releaseLapsedHolds } from './booking-guard.js';
import type { ServiceContext } from './context.js';
import { AppError } from './errors.js';
import { recordBookingEvent } from './outbox.js';
import {
  type CheckoutSessionState,
  type ProviderEvent,
  type RefundState,
  WebhookSignatureError,
} from './payment-provider.js';
import {
  bookingReferenceOf,
  instantOrNull,
  markForRefund,
  type PaymentRow,
  paymentOfBooking,
  settleRefund,
} from './payments.js';
import { loadMentor, refusalFor, scheduleOf } from './slot-rules.js';

type EventOutcome = 'applied' | 'duplicate' | 'ignored';
interface Applied {
  outcome: EventOutcome;
  /** Recorded with the event, for whoever reads payment_events */
  detail: string;
  refundPaymentId?: number;
  /** Bookings whose hold this event let go (written down as expired) */
  expired?: number;
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
  if (!ctx.payments) {
    ctx.metrics.paymentEventReceived('payments_off');
    throw new AppError('payments_off', 'Payments are not enabled on this server');
  }
  let event: ProviderEvent;
  try {
    event = ctx.payments.verifyEvent(delivery.payload, delivery.signature);
  } catch (error) {
    if (!(error instanceof WebhookSignatureError)) throw error;
    ctx.log.warn({ event: 'webhook_refused', reason: error.message }, 'webhook signature refused');
    ctx.metrics.paymentEventReceived('invalid_signature');
    throw new AppError('invalid_signature', error.message);
  }
  const at = withClockStopped(ctx);
  let applied: Applied;
  try {
    applied = await applyOnce(at, event);
  } catch (error) {
    ctx.metrics.paymentEventReceived('failed');
    throw error;
  }
  ctx.metrics.paymentEventReceived(applied.outcome);
  if (applied.expired) ctx.metrics.bookingsChanged('expired', applied.expired);
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

/** Records the event by its id and applies it, in one transaction: a replay finds it recorded. */
function applyOnce(at: ServiceContext, event: ProviderEvent): Promise<Applied> {
  return at.db.knex.transaction(async (trx): Promise<Applied> => {
    const recorded = await trx('payment_events')
      .insert({
        event_id: event.id,
        provider: at.payments?.name,
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
    await recordBookingEvent(trx, ctx.now(), 'payment.refunded', payment.booking_id, {
      refund_minor: Number(payment.refund_amount_minor ?? payment.paid_amount_minor ?? payment.amount_minor),
    });
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

/** The checkout's payment and booking, locked, when the payment is in a state the event acts on. */
async function paymentToApply(
  ctx: ServiceContext,
  trx: Knex.Transaction,
  checkout: CheckoutSessionState,
  actsOn: readonly PaymentRow['status'][],
): Promise<{ payment: PaymentRow; booking: HeldBooking } | Applied> {
  const found = await paymentOfCheckout(ctx, trx, checkout);
  if (!found) return { outcome: 'ignored', detail: 'unknown checkout' };
  if (!actsOn.includes(found.payment.status))
    return { outcome: 'ignored', detail: `payment already ${found.payment.status}` };
  return found;
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
  const found = await paymentToApply(ctx, trx, checkout, ['pending', 'expired']);
  if ('outcome' in found) return found;
  const { payment, booking } = found;
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
    await recordBookingEvent(trx, now, 'booking.confirmed', booking.id);
    return { outcome: 'applied', detail: 'confirmed' };
  }
  const lapsed = booking.status === 'pending_payment' || booking.status === 'expired';
  const started = instantFromDb(booking.start_at) <= now;
  const retaking = lapsed && !started ? await retake(ctx, trx, booking) : null;
  const retaken = retaking?.result ?? null;
  // Other parties' lapsed holds that retaking the slot let go.
  const othersReleased = retaking?.lapsedHoldsReleased ?? 0;
  if (retaken === 'confirmed') {
    await trx('payments')
      .where('id', payment.id)
      .update({ ...paid, status: 'paid' });
    await recordBookingEvent(trx, now, 'booking.confirmed', booking.id);
    return { outcome: 'applied', detail: 'confirmed late', expired: othersReleased };
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
  // A hold written down as expired before now had its event then; this one expires it now.
  const expiresNow = booking.status === 'pending_payment';
  if (expiresNow)
    await recordBookingEvent(trx, now, 'booking.expired', booking.id, {
      refund_minor: Number(checkout.amountTotal),
    });
  return {
    outcome: 'applied',
    detail: 'refunded',
    refundPaymentId: payment.id,
    expired: othersReleased + (expiresNow ? 1 : 0),
  };
}

/**
 * Confirms a booking whose hold lapsed, if the mentor can still take it and its time is still free
 * for both the mentor and the student: the mentor's rules are checked first, then the database's
 * overlap guard decides, in a savepoint, so a refusal leaves the rest of the transaction intact.
 * Answers what happened: `taken` when someone else has the time, `refused` when a rule now says no;
 * and how many lapsed holds of others it let go on the way.
 */
async function retake(
  ctx: ServiceContext,
  trx: Knex.Transaction,
  booking: HeldBooking,
): Promise<{ result: 'confirmed' | 'taken' | 'refused'; lapsedHoldsReleased: number }> {
  const start = instantFromDb(booking.start_at);
  const end = instantFromDb(booking.end_at);
  const now = ctx.now();
  await lockMentors(trx, ctx.db, [booking.mentor_id]);
  const lapsedHoldsReleased = await releaseLapsedHolds(
    trx,
    now,
    { start, end },
    { mentorIds: [booking.mentor_id], studentId: booking.student_id },
    booking.id,
  );
  // The mentor's rules as they stand now (availability, time off, buffer, daily limit), since the
  // slot was free to others while the hold had lapsed; the notice is not one of them: the session was
  // booked in time, only paid late.
  const plan = { start, end, durationMinutes: (end - start) / MINUTE_MS, movingBookingId: booking.id };
  const schedule = await scheduleOf(trx, await loadMentor(trx, booking.mentor_id), plan, now);
  const refusal = refusalFor(schedule, plan, now, { ...ctx.config.slotPolicy, minNoticeMinutes: 0 });
  if (refusal !== null)
    return { result: refusal === 'slot_taken' ? 'taken' : 'refused', lapsedHoldsReleased };
  try {
    await trx.transaction((savepoint) =>
      savepoint('bookings')
        .where('id', booking.id)
        .update({ status: 'confirmed', cancellation_reason: null, updated_at: new Date(ctx.now()) }),
    );
    return { result: 'confirmed', lapsedHoldsReleased };
  } catch (error) {
    if (overlapPartyOf(error) === null) throw error;
    return { result: 'taken', lapsedHoldsReleased };
  }
}

/** A checkout that ended unpaid: a booking still waiting for it lets its slot go. */
async function applyUnpaidCheckout(
  ctx: ServiceContext,
  trx: Knex.Transaction,
  checkout: CheckoutSessionState,
): Promise<Applied> {
  const found = await paymentToApply(ctx, trx, checkout, ['pending']);
  if ('outcome' in found) return found;
  const { payment, booking } = found;
  const now = new Date(ctx.now());
  await trx('payments').where('id', payment.id).update({ status: 'expired', updated_at: now });
  if (booking.status === 'pending_payment') {
    await trx('bookings')
      .where('id', booking.id)
      .update({ status: 'expired', cancellation_reason: 'The checkout ended unpaid', updated_at: now });
    await recordBookingEvent(trx, ctx.now(), 'booking.expired', booking.id);
    return { outcome: 'applied', detail: 'released', expired: 1 };
  }
  return { outcome: 'applied', detail: 'released' };
}
