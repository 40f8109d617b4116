import { z } from 'zod';
import {
  BooleanQuerySchema,
  DurationSchema,
  IdParamSchema,
  IdSchema,
  InstantInputSchema,
  InstantSchema,
  MoneySchema,
  pageQueryShape,
} from '../primitives.js';

export const bookingStatuses = ['confirmed', 'cancelled', 'completed'] as const;
export const BookingStatusSchema = z.enum(bookingStatuses).meta({ id: 'BookingStatus' });

export const BookingSchema = z
  .object({
    id: z.number().int(),
    student_id: z.number().int(),
    mentor_id: z.number().int(),
    area_of_expertise: z.string().nullable(),
    start_time: InstantSchema,
    end_time: InstantSchema,
    duration: z.number().int(),
    cost: MoneySchema,
    currency: z.string(),
    status: BookingStatusSchema,
    cancellation_reason: z.string().nullable(),
    created_at: InstantSchema,
    updated_at: InstantSchema,
  })
  .meta({ id: 'Booking' });

export const CreateBookingSchema = z
  .object({
    student_id: IdSchema.optional().meta({
      description: 'Defaults to the calling student; required when an admin books',
    }),
    mentor_id: IdSchema.optional().meta({
      description: 'Book this mentor; omit it to let the service assign one',
    }),
    area_of_expertise: z.string().trim().min(1).max(120).optional().meta({
      description: 'Required when `mentor_id` is omitted; with a mentor, the mentor must offer it',
    }),
    premium: z
      .boolean()
      .optional()
      .meta({ description: 'With assignment: draw from premium mentors (default: standard)' }),
    start_time: InstantInputSchema,
    end_time: InstantInputSchema.optional().meta({
      description: 'When sent, must equal start_time + duration',
    }),
    duration: DurationSchema,
    cost: MoneySchema.optional().meta({
      description: 'When sent, must equal the server’s price for this session (in rupees), else 422',
    }),
  })
  .meta({ id: 'CreateBooking' });

export const BookingCreatedSchema = z
  .object({
    message: z.literal('Booking confirmed'),
    booking_id: z.number().int(),
    booking: BookingSchema,
  })
  .meta({ id: 'BookingCreated' });

export const ListBookingsQuerySchema = z.object({
  student_id: IdParamSchema.optional(),
  mentor_id: IdParamSchema.optional(),
  status: BookingStatusSchema.optional(),
  from: InstantInputSchema.optional().meta({ description: 'Sessions starting at or after this instant' }),
  to: InstantInputSchema.optional().meta({ description: 'Sessions starting before this instant' }),
  upcoming: BooleanQuerySchema.optional().meta({ description: 'true: only sessions that have not ended' }),
  ...pageQueryShape,
});

export const BookingIdParamsSchema = z.object({ id: IdParamSchema });

export type Booking = z.infer<typeof BookingSchema>;
export type CreateBooking = z.infer<typeof CreateBookingSchema>;

export const CancelBookingSchema = z
  .object({ reason: z.string().trim().min(1).max(500).optional().meta({ example: 'Interview moved' }) })
  .meta({ id: 'CancelBooking' });

export const RescheduleBookingSchema = z
  .object({
    start_time: InstantInputSchema,
    duration: DurationSchema.optional().meta({ description: 'A new length; the session is re-priced' }),
    end_time: InstantInputSchema.optional().meta({
      description: 'When sent, must equal start_time + duration',
    }),
    cost: MoneySchema.optional().meta({
      description: 'When sent, must equal the server’s price for the moved session',
    }),
  })
  .meta({ id: 'RescheduleBooking' });

export const BookingChangeSchema = z
  .object({
    id: z.number().int(),
    booking_id: z.number().int(),
    kind: z.enum(['cancelled', 'rescheduled']),
    actor: z.string().meta({ description: 'Who made the change', example: 'admin' }),
    at: InstantSchema,
    from_start_time: InstantSchema,
    from_end_time: InstantSchema,
    to_start_time: InstantSchema.nullable(),
    to_end_time: InstantSchema.nullable(),
    reason: z.string().nullable(),
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
      'Retries with the same key and the same body return the first answer and create nothing; the same key with another body is refused with 422 idempotency_key_reused.',
    example: '5f1c2e0a-booking-42',
  });
