import { z } from 'zod';
import { IdAnswerSchema, SessionMinutesSchema, ZonedInstantSchema } from '../answer-primitives.js';
import {
  BooleanQuerySchema,
  DurationQuerySchema,
  IdParamSchema,
  InstantInputSchema,
  InstantSchema,
  LocalDateSchema,
  LocalTimeSchema,
  pageQueryShape,
  TimeZoneSchema,
  textSchema,
  WeekdaySchema,
} from '../primitives.js';

export const WeeklyWindowSchema = z
  .object({ day: WeekdaySchema, start: LocalTimeSchema, end: LocalTimeSchema.meta({ example: '23:00' }) })
  .meta({ id: 'WeeklyWindow', description: 'A recurring window on one weekday, in the mentor’s zone.' });

export const TimeWindowSchema = z
  .object({ start: LocalTimeSchema, end: LocalTimeSchema.meta({ example: '21:00' }) })
  .meta({ id: 'TimeWindow', description: 'A window on one date, in the mentor’s zone.' });

export const DateOverrideSchema = z
  .object({
    date: LocalDateSchema,
    windows: z.array(TimeWindowSchema).max(24).meta({
      description: 'Replaces the weekly windows of that date; an empty list is a day off.',
    }),
  })
  .meta({ id: 'DateOverride', description: 'Other windows, or none, on one date.' });

export const AvailabilityInputSchema = z
  .object({
    weekly: z.array(WeeklyWindowSchema).max(100),
    overrides: z.array(DateOverrideSchema).max(400).default([]),
  })
  .meta({
    id: 'AvailabilityInput',
    description: 'The new weekly windows and date overrides; they replace the old ones.',
  });

export const AvailabilitySchema = z
  .object({
    mentor_id: IdAnswerSchema.meta({ example: 2 }),
    timezone: TimeZoneSchema,
    weekly: z.array(WeeklyWindowSchema),
    overrides: z.array(DateOverrideSchema),
  })
  .meta({ id: 'Availability', description: 'Weekly windows plus date overrides, in the mentor’s zone.' });

export const SetAvailabilityResultSchema = AvailabilitySchema.extend({
  bookings_outside_availability: z.array(IdAnswerSchema).meta({
    description:
      'Ids of upcoming confirmed bookings that the new availability no longer covers; they are kept.',
    example: [],
  }),
}).meta({ id: 'SetAvailabilityResult', description: 'The availability as stored, and what it leaves out.' });

export const MentorSchema = z
  .object({
    id: IdAnswerSchema.meta({ example: 2 }),
    name: z.string().meta({ example: 'Rohan Mehta' }),
    headline: z.string().nullable().meta({ example: 'Equity research lead, ten years on the sell side' }),
    areas_of_expertise: z.array(z.string()).meta({ example: ['Corporate Finance', 'Equity Research'] }),
    is_premium: z.boolean().meta({ description: 'Premium mentors cost more', example: false }),
    timezone: TimeZoneSchema,
    buffer_minutes: z
      .number()
      .int()
      .min(0)
      .meta({ description: 'Free minutes the mentor keeps between sessions', example: 0 }),
    max_sessions_per_day: z
      .number()
      .int()
      .min(1)
      .nullable()
      .meta({ description: 'At most this many sessions a local day; null: no limit', example: null }),
    availability: z.array(InstantSchema).meta({
      description:
        'Open slot starts (UTC) for the requested duration over the requested window (default: 30 minutes, the next 7 days).',
      example: ['2026-12-01T13:30:00.000Z', '2026-12-01T14:00:00.000Z', '2026-12-01T14:30:00.000Z'],
    }),
  })
  .meta({ id: 'Mentor', description: 'A mentor, with their open slot starts.' });

const NameSchema = textSchema({ max: 120 }).meta({ example: 'Zoya Khan' });
const HeadlineSchema = textSchema({ min: 0, max: 280 }).meta({
  description: 'One line about the mentor',
  example: 'Strategy director',
});
const BufferSchema = z
  .number()
  .int()
  .min(0)
  .max(120)
  .meta({ description: 'Minutes kept free between sessions', example: 15 });
const DailyLimitSchema = z
  .number()
  .int()
  .min(1)
  .max(48)
  .nullable()
  .meta({ description: 'Sessions a local day at most; null: no limit', example: 4 });
const AreaNamesSchema = z
  .array(textSchema({ max: 120 }))
  .min(1)
  .max(40)
  .meta({
    description: 'Names (or slugs) of areas from GET /api/areas',
    example: ['Consulting', 'Strategy'],
  });

export const CreateMentorSchema = z
  .object({
    name: NameSchema,
    headline: HeadlineSchema.nullable().optional(),
    areas_of_expertise: AreaNamesSchema,
    is_premium: z.boolean().default(false).meta({ example: false }),
    timezone: TimeZoneSchema.optional().meta({ description: 'Defaults to the platform zone' }),
    weekly: z.array(WeeklyWindowSchema).max(100).optional(),
    buffer_minutes: BufferSchema.default(0),
    max_sessions_per_day: DailyLimitSchema.default(null),
  })
  .meta({ id: 'CreateMentor', description: 'A new mentor; weekly windows may follow later.' });

export const UpdateMentorSchema = z
  .object({
    name: NameSchema.optional(),
    headline: HeadlineSchema.nullable().optional(),
    areas_of_expertise: AreaNamesSchema.optional(),
    is_premium: z.boolean().optional().meta({ example: true }),
    timezone: TimeZoneSchema.optional(),
    buffer_minutes: BufferSchema.optional(),
    max_sessions_per_day: DailyLimitSchema.optional(),
  })
  .meta({ id: 'UpdateMentor', description: 'The fields to change; the others stay as they are.' });

/** The window over which `availability` / slots are listed. */
export const SlotWindowQueryShape = {
  from: InstantInputSchema.optional().meta({ description: 'Window start (default: now)' }),
  to: InstantInputSchema.optional().meta({
    description: 'Window end (default: from + 7 days; at most 31 days)',
  }),
  duration: DurationQuerySchema.default(30).meta({
    description: 'Session length in minutes: 30, 45 or 60 (default 30)',
  }),
};

export const ListMentorsQuerySchema = z.object({
  area_of_expertise: textSchema({ max: 120 })
    .optional()
    .meta({ description: 'Only mentors of this area (name or slug)', example: 'Equity Research' }),
  is_premium: BooleanQuerySchema.optional().meta({
    description: 'Only premium (true) or standard (false) mentors',
  }),
  ...SlotWindowQueryShape,
  ...pageQueryShape,
});

export const MentorIdParamsSchema = z.object({ id: IdParamSchema });

export const SlotSchema = z
  .object({
    start_time: InstantSchema,
    end_time: InstantSchema.meta({ example: '2026-12-01T14:00:00.000Z' }),
  })
  .meta({ id: 'Slot', description: 'An open slot, `[start_time, end_time)`.' });

export const MentorSlotsSchema = z
  .object({
    mentor_id: IdAnswerSchema.meta({ example: 2 }),
    duration: SessionMinutesSchema,
    from: InstantSchema.meta({ example: '2026-12-01T00:00:00.000Z' }),
    to: InstantSchema.meta({ example: '2026-12-08T00:00:00.000Z' }),
    slots: z.array(SlotSchema),
  })
  .meta({ id: 'MentorSlots', description: 'Open slots of one mentor over [`from`, `to`).' });

export type Mentor = z.infer<typeof MentorSchema>;
export type Availability = z.infer<typeof AvailabilitySchema>;
export type AvailabilityInput = z.infer<typeof AvailabilityInputSchema>;
export type WeeklyWindow = z.infer<typeof WeeklyWindowSchema>;
export type DateOverride = z.infer<typeof DateOverrideSchema>;

export const SlotSearchQuerySchema = z.object({
  area_of_expertise: textSchema({ max: 120 }).meta({
    description: 'The area (name or slug)',
    example: 'Equity Research',
  }),
  ...SlotWindowQueryShape,
  premium: BooleanQuerySchema.optional().meta({ description: 'Search premium mentors (default: standard)' }),
  student_id: IdParamSchema.optional().meta({
    description: 'Leave out times when this student already has a session',
  }),
  preferred_only: BooleanQuerySchema.optional().meta({
    description: 'With student_id: only times inside the student’s preferred weekly windows',
  }),
  timezone: TimeZoneSchema.optional().meta({ description: 'Zone of the answered times (default UTC)' }),
});

export const OpenSlotSchema = z
  .object({
    start_time: ZonedInstantSchema.meta({ example: '2026-12-01T19:00:00.000+05:30' }),
    end_time: ZonedInstantSchema.meta({ example: '2026-12-01T19:30:00.000+05:30' }),
    mentors_available: z
      .number()
      .int()
      .min(1)
      .meta({ description: 'How many mentors of the area are free for it', example: 2 }),
  })
  .meta({ id: 'OpenSlot' });

export const SlotSearchResultSchema = z
  .object({
    area_of_expertise: z.string().meta({ example: 'Equity Research' }),
    duration: SessionMinutesSchema,
    timezone: z.string().meta({ description: 'Zone the times are given in', example: 'Asia/Kolkata' }),
    from: InstantSchema.meta({ example: '2026-12-01T00:00:00.000Z' }),
    to: InstantSchema.meta({ example: '2026-12-08T00:00:00.000Z' }),
    slots: z.array(OpenSlotSchema),
  })
  .meta({ id: 'SlotSearchResult', description: 'Open start times of an area over [`from`, `to`).' });
