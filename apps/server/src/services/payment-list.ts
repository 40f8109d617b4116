/** Admins' view of payments: newest first, filtered, paged, with totals per currency. */
import type {
  OperationInput,
  Operations,
  Payment,
  PaymentRecord,
  PaymentTotal,
} from '@mentor-scheduling/contracts';
import type { Knex } from 'knex';
import { instantFromDb } from '../db/connection.js';
import type { BookingStatus } from '../domain/booking-status.js';
import { minorToMajor } from '../domain/pricing.js';
import { toIsoUtc } from '../domain/time.js';
import { withClockStopped } from './answer-cache.js';
import type { ServiceContext } from './context.js';
import { decodeCursor, encodeCursor, instantOf } from './inputs.js';
import { paymentViewOf, type RefundStatus, type StoredPaymentStatus } from './payments.js';

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
