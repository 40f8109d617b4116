import { z } from 'zod';
import { CountSchema, IdAnswerSchema } from '../answer-primitives.js';
import {
  IdParamSchema,
  InstantInputSchema,
  InstantSchema,
  MoneySchema,
  pageQueryShape,
} from '../primitives.js';

export const paymentStatuses = ['pending', 'paid', 'expired', 'refunded', 'flagged'] as const;
export const PaymentStatusSchema = z.enum(paymentStatuses).meta({
  id: 'PaymentStatus',
  description:
    '`pending` while the student may pay (the slot is held until `expires_at`); `paid` once the provider’s signed message confirmed the payment (the booking is then confirmed); `expired` when the hold ended unpaid; `refunded` when the money was (or is being) returned, see `refund`; `flagged` when the provider reported a payment that does not match the booking (amount or currency), which never confirms it: an admin must look.',
  example: 'paid',
});

export const RefundSchema = z
  .object({
    status: z.enum(['pending', 'succeeded', 'failed']).meta({
      description:
        '`pending` until the provider accepted the refund (a provider that cannot be reached is tried again); `failed` when it refused: an admin must look',
      example: 'succeeded',
    }),
    amount: MoneySchema,
    requested_at: InstantSchema.meta({ example: '2026-11-30T10:00:00.000Z' }),
    refunded_at: InstantSchema.nullable().meta({ example: '2026-11-30T10:00:01.000Z' }),
  })
  .meta({ id: 'Refund', description: 'The money returned for a payment, in full.' });

export const PaymentSchema = z
  .object({
    provider: z.enum(['stripe']).meta({ example: 'stripe' }),
    status: PaymentStatusSchema,
    amount: MoneySchema.meta({ description: 'What is due, in rupees: the booking’s `cost`' }),
    currency: z.string().meta({ example: 'INR' }),
    checkout_url: z.string().nullable().meta({
      description:
        'Where the student pays (the provider’s hosted page), while the payment is `pending`; null otherwise',
      example: 'https://checkout.stripe.com/c/pay/cs_test_a1b2c3',
    }),
    expires_at: InstantSchema.nullable().meta({
      description:
        'Until when the slot is held for this payment (a whole minute, at the latest the session’s start). A payment that arrives later confirms the booking only if the slot is still free; else it is refunded at once',
      example: '2026-11-28T10:30:00.000Z',
    }),
    paid_at: InstantSchema.nullable().meta({ example: null }),
    refund: RefundSchema.nullable().meta({ example: null }),
  })
  .meta({ id: 'Payment', description: 'How a booking is paid for, when payments are on.' });

export const PaymentRecordSchema = PaymentSchema.extend({
  id: IdAnswerSchema.meta({ example: 1 }),
  booking_id: IdAnswerSchema.meta({ example: 1 }),
  student_id: IdAnswerSchema.meta({ example: 1 }),
  mentor_id: IdAnswerSchema.meta({ example: 2 }),
  checkout_session_id: z.string().nullable().meta({
    description: 'The provider’s id of the checkout (Stripe: `cs_…`)',
    example: 'cs_test_a1b2c3',
  }),
  payment_intent_id: z.string().nullable().meta({
    description: 'The provider’s id of the payment, once paid (Stripe: `pi_…`)',
    example: 'pi_3Nx',
  }),
  paid_amount: MoneySchema.nullable().meta({
    description: 'What the provider reported as paid; differs from `amount` only on a `flagged` payment',
    example: 2000,
  }),
  paid_currency: z.string().nullable().meta({ example: 'INR' }),
  flag: z.string().nullable().meta({
    description: 'Why an admin should look at this payment, when one should',
    example: null,
  }),
  created_at: InstantSchema.meta({ example: '2026-11-28T10:00:00.000Z' }),
  updated_at: InstantSchema.meta({ example: '2026-11-28T10:05:00.000Z' }),
}).meta({ id: 'PaymentRecord', description: 'A payment as admins see it, with the provider’s ids.' });

export const PaymentTotalSchema = z
  .object({
    currency: z.string().meta({ example: 'INR' }),
    payments: CountSchema.meta({
      description: 'Payments in this currency that matched the filters',
      example: 3,
    }),
    paid: MoneySchema.meta({ description: 'Money received', example: 9000 }),
    refunded: MoneySchema.meta({ description: 'Money returned or being returned', example: 2000 }),
    net: z.number().meta({ description: '`paid` − `refunded`', example: 7000 }),
  })
  .meta({
    id: 'PaymentTotal',
    description: 'Sums over every payment that matched the filters, in one currency.',
  });

export const ListPaymentsQuerySchema = z.object({
  status: PaymentStatusSchema.optional().meta({ description: 'Only payments in this state' }),
  from: InstantInputSchema.optional().meta({ description: 'Payments created at or after this instant' }),
  to: InstantInputSchema.optional().meta({ description: 'Payments created before this instant' }),
  booking_id: IdParamSchema.optional().meta({ description: 'Only the payment of this booking' }),
  ...pageQueryShape,
});

export const PaymentListSchema = z
  .object({
    payments: z.array(PaymentRecordSchema),
    totals: z.array(PaymentTotalSchema).meta({
      description: 'Per currency, over every payment that matched the filters (not only this page)',
    }),
    next_cursor: z.string().nullable().meta({
      description: 'Pass as `cursor` for the next page; null on the last page',
      example: null,
    }),
  })
  .meta({ id: 'PaymentList', description: 'A page of payments, newest first, with totals.' });

/** The part of a Stripe event this service reads; Stripe sends more, all of it kept as received. */
export const StripeEventSchema = z
  .looseObject({
    id: z.string().meta({ example: 'evt_1Nx' }),
    type: z.string().meta({ example: 'checkout.session.completed' }),
    data: z.looseObject({ object: z.looseObject({}) }),
  })
  .meta({
    id: 'StripeEvent',
    description:
      'An event as Stripe sends it (https://docs.stripe.com/api/events/object), signed in the `Stripe-Signature` header.',
  });

export const WebhookReceivedSchema = z
  .object({
    received: z.literal(true).meta({ example: true }),
    outcome: z.enum(['applied', 'duplicate', 'ignored']).meta({
      description:
        '`applied`: the event changed what it should; `duplicate`: this event id was applied before, nothing changed; `ignored`: an event type or checkout this service does not act on',
      example: 'applied',
    }),
  })
  .meta({ id: 'WebhookReceived', description: 'The event was verified and recorded.' });

export type Payment = z.infer<typeof PaymentSchema>;
export type PaymentRecord = z.infer<typeof PaymentRecordSchema>;
export type PaymentTotal = z.infer<typeof PaymentTotalSchema>;
