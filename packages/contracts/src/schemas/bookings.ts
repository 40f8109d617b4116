import { z } from 'zod';
import { IdAnswerSchema, SessionMinutesSchema } from '../answer-primitives.js';
import {
  BooleanQuerySchema,
  DurationSchema,
  IdParamSchema,
  IdSchema,
  InstantInputSchema,
  InstantSchema,
  MoneyInputSchema,
  MoneySchema,
  pageQueryShape,
  textSchema,
} from '../primitives.js';
import { PaymentSchema } from './payments.js';

export const bookingStatuses = ['pending_payment', 'confirmed', 'cancelled', 'completed', 'expired'] as const;
export const BookingStatusSchema = z.enum(bookingStatuses).meta({
  id: 'BookingStatus',
  description:
    'With payments on, a new booking is `pending_payment` (its slot held for the student until `payment.expires_at`) until the payment provider’s signed message confirms it, and `expired` when the hold ends unpaid; with payments off it is `confirmed` at once. A `confirmed` session stays so until it is `cancelled`, or `completed` from its end on. A hold past its expiry reads `expired` at once, like `completed`, whether or not anything has written it yet. `completed` is derived when the booking is read, on the server’s clock: a confirmed booking whose `end_time` is at or before now reads `completed` in every answer, and the `status` and `upcoming` filters of the list agree with it. A completed session can no longer be cancelled or moved (409 `booking_not_active`).',
  example: 'confirmed',
});

export const BookingSchema = z
  .object({
    id: IdAnswerSchema.meta({ example: 1 }),
    student_id: IdAnswerSchema.meta({ example: 1 }),
    mentor_id: IdAnswerSchema.meta({ example: 2 }),
    student_name: z.string().meta({ description: 'The student, by name', example: 'Aarav Sharma' }),
    mentor_name: z.string().meta({ description: 'The mentor, by name', example: 'Rohan Mehta' }),
    area_of_expertise: z.string().nullable().meta({ example: 'Equity Research' }),
    start_time: InstantSchema,
    end_time: InstantSchema.meta({ example: '2026-12-01T14:00:00.000Z' }),
    duration: SessionMinutesSchema,
    cost: MoneySchema,
    currency: z.string().meta({ description: 'ISO 4217 code of `cost`', example: 'INR' }),
    status: BookingStatusSchema,
    cancellation_reason: z.string().nullable().meta({
      description: 'Why the session was cancelled, or why its hold expired, when known',
      example: null,
    }),
    payment: PaymentSchema.nullable().meta({
      description: 'How the session is paid for; null when it was booked with payments off',
    }),
    created_at: InstantSchema.meta({ example: '2026-11-20T09:15:00.000Z' }),
    updated_at: InstantSchema.meta({ example: '2026-11-20T09:15:00.000Z' }),
  })
  .meta({ id: 'Booking', description: 'A session between a student and a mentor.' });

export const CreateBookingSchema = z
  .object({
    student_id: IdSchema.optional().meta({
      description: 'Defaults to the calling student; required when an admin books',
    }),
    mentor_id: IdSchema.optional().meta({
      description: 'Book this mentor; omit it to let the service assign one',
    }),
    area_of_expertise: textSchema({ max: 120 }).optional().meta({
      description: 'Required when `mentor_id` is omitted; with a mentor, the mentor must offer it',
      example: 'Equity Research',
    }),
    premium: z.boolean().optional().meta({
      description: 'With assignment: draw from premium mentors (default: standard)',
      example: false,
    }),
    start_time: InstantInputSchema,
    end_time: InstantInputSchema.optional().meta({
      description: 'When sent, must equal start_time + duration',
      example: '2026-12-01T19:30:00+05:30',
    }),
    duration: DurationSchema,
    cost: MoneyInputSchema.optional().meta({
      description:
        'When sent, must equal the server’s price for this session (in rupees, at most 2 decimals), else 422',
    }),
  })
  .meta({
    id: 'CreateBooking',
    description: 'A session to book: a named mentor, or an area to assign one from.',
    example: {
      student_id: 1,
      mentor_id: 2,
      start_time: '2026-12-01T19:00:00+05:30',
      end_time: '2026-12-01T19:30:00+05:30',
      duration: 30,
      cost: 2000,
    },
  });

export const BookingCreatedSchema = z
  .object({
    message: z.enum(['Booking confirmed', 'Booking held until paid']).meta({
      description:
        '`Booking held until paid` when payments are on: send the student to `payment.checkout_url`',
      example: 'Booking confirmed',
    }),
    booking_id: IdAnswerSchema.meta({ description: 'The same as `booking.id`', example: 1 }),
    booking: BookingSchema,
    payment: PaymentSchema.nullable().meta({
      description: 'The same as `booking.payment`: where and until when to pay; null with payments off',
    }),
  })
  .meta({ id: 'BookingCreated', description: 'The first backend’s answer, with the whole booking.' });

export const ListBookingsQuerySchema = z.object({
  student_id: IdParamSchema.optional().meta({ description: 'Only sessions of this student' }),
  mentor_id: IdParamSchema.optional().meta({ description: 'Only sessions of this mentor' }),
  status: BookingStatusSchema.optional().meta({ description: 'Only sessions in this state' }),
  from: InstantInputSchema.optional().meta({ description: 'Sessions starting at or after this instant' }),
  to: InstantInputSchema.optional().meta({ description: 'Sessions starting before this instant' }),
  upcoming: BooleanQuerySchema.optional().meta({ description: 'true: only sessions that have not ended' }),
  ...pageQueryShape,
});

export const BookingIdParamsSchema = z.object({ id: IdParamSchema });

export type Booking = z.infer<typeof BookingSchema>;
export type CreateBooking = z.infer<typeof CreateBookingSchema>;

export const CancelBookingSchema = z
  .object({
    reason: textSchema({ max: 500, multiline: true }).optional().meta({
      description: 'Why; kept in the booking’s history. May span lines; no other control characters',
      example: 'Interview moved',
    }),
  })
  .meta({ id: 'CancelBooking', description: 'Optionally, why the session is cancelled.' });

export const RescheduleBookingSchema = z
  .object({
    start_time: InstantInputSchema.meta({ example: '2026-12-08T19:00:00+05:30' }),
    duration: DurationSchema.optional().meta({
      description:
        'A new length; the session is then re-priced at the mentor’s current tier. Without a new length the price paid is kept, even if the mentor’s tier changed since the booking',
      example: 45,
    }),
    end_time: InstantInputSchema.optional().meta({
      description: 'When sent, must equal start_time + duration',
      example: '2026-12-08T19:45:00+05:30',
    }),
    cost: MoneyInputSchema.optional().meta({
      description:
        'When sent, must equal the price of the moved session: the price paid, unless `duration` changes it (at most 2 decimals)',
      example: 3000,
    }),
  })
  .meta({ id: 'RescheduleBooking', description: 'Where to move the session, and optionally a new length.' });

export const BookingChangeSchema = z
  .object({
    id: IdAnswerSchema.meta({ example: 1 }),
    booking_id: IdAnswerSchema.meta({ example: 1 }),
    kind: z.enum(['cancelled', 'rescheduled']).meta({ example: 'rescheduled' }),
    actor: z.string().meta({ description: 'Who made the change', example: 'admin' }),
    at: InstantSchema.meta({ example: '2026-11-25T10:00:00.000Z' }),
    from_start_time: InstantSchema,
    from_end_time: InstantSchema.meta({ example: '2026-12-01T14:00:00.000Z' }),
    from_cost: MoneySchema.nullable().meta({
      description: 'The price before the change; null for changes recorded before prices were kept',
      example: 2000,
    }),
    to_start_time: InstantSchema.meta({ example: '2026-12-08T13:30:00.000Z' }).nullable(),
    to_end_time: InstantSchema.meta({ example: '2026-12-08T14:15:00.000Z' }).nullable(),
    to_cost: MoneySchema.nullable().meta({
      description:
        'The price after a reschedule: the same as `from_cost` unless the duration changed; null when cancelled',
      example: 3000,
    }),
    reason: z.string().nullable().meta({ example: null }),
  })
  .meta({ id: 'BookingChange', description: 'One recorded change of a booking' });

/** The retry key of `POST /api/bookings`: a header on REST, an input field on tRPC. */
export const IdempotencyKeySchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'Visible ASCII characters only')
  .meta({
    description:
      'Retries with the same key and the same body return the first answer and create nothing; the same key with another body is refused with 422 idempotency_key_reused. On REST the key is read from this header only: a body field or query parameter `idempotency_key` is refused with 400.',
    example: '5f1c2e0a-booking-42',
  });
