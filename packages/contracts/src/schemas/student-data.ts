import { z } from 'zod';
import { CountSchema, IdAnswerSchema } from '../answer-primitives.js';
import { InstantSchema } from '../primitives.js';
import { RoleSchema } from './auth.js';
import { BookingChangeSchema, BookingSchema } from './bookings.js';
import { DeliveryStatusSchema } from './notifications.js';
import { StudentSchema } from './students.js';

export const StudentExportSchema = z
  .object({
    exported_at: InstantSchema,
    student: StudentSchema.extend({
      erased_at: InstantSchema.nullable().meta({
        description: 'When the student’s personal data was erased; null while it is held',
        example: null,
      }),
    }),
    account: z
      .object({
        id: IdAnswerSchema,
        email: z.string().meta({ example: 'aarav.sharma@example.com' }),
        role: RoleSchema,
        created_at: InstantSchema,
      })
      .nullable()
      .meta({ description: 'The student’s login, if they registered; null when an admin added them' }),
    tokens: z
      .array(
        z.object({
          created_at: InstantSchema,
          expires_at: InstantSchema,
          revoked_at: InstantSchema.nullable().meta({ example: null }),
        }),
      )
      .meta({ description: 'Every login token of the account: when it was made and ends; never the token' }),
    calendar_feed: z
      .object({ created_at: InstantSchema })
      .nullable()
      .meta({ description: 'The private calendar URL, if one was made: when (the URL itself is not kept)' }),
    bookings: z
      .array(
        BookingSchema.extend({
          history: z.array(BookingChangeSchema).meta({ description: 'Its cancellations and moves' }),
        }),
      )
      .meta({ description: 'Every session, past and future, oldest first, with its payment and history' }),
    messages: z
      .array(
        z.object({
          id: IdAnswerSchema,
          booking_id: IdAnswerSchema,
          message: z.string().meta({
            description: 'Which email: `confirmed`, `rescheduled`, `cancelled`, `reminder`, `expired`',
            example: 'confirmed',
          }),
          status: DeliveryStatusSchema,
          created_at: InstantSchema,
          sent_at: InstantSchema.nullable(),
        }),
      )
      .meta({ description: 'The emails to the student about their sessions, sent or due' }),
  })
  .meta({
    id: 'StudentExport',
    description: 'Everything the service holds about one student, as one document.',
  });

export const StudentErasureSchema = z
  .object({
    student_id: IdAnswerSchema,
    erased_at: InstantSchema.meta({ description: 'When the erasure happened (the first time, on a repeat)' }),
    already_erased: z
      .boolean()
      .meta({ description: 'true when an earlier request had erased them', example: false }),
    cancelled_booking_ids: z.array(IdAnswerSchema).meta({
      description:
        'Future sessions this request cancelled (each refunded when it was paid, as any cancellation)',
    }),
    kept_booking_count: CountSchema.meta({
      description:
        'Sessions kept under the pseudonymous student (every one: past ones, and those cancelled, this erasure’s included), for the mentors’ and the platform’s accounts',
      example: 3,
    }),
    tokens_revoked: CountSchema.meta({ description: 'Login tokens that stopped working', example: 1 }),
  })
  .meta({ id: 'StudentErasure', description: 'What erasing a student did.' });
