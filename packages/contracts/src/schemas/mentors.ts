import { z } from 'zod';
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
  WeekdaySchema,
} from '../primitives.js';

export const WeeklyWindowSchema = z
  .object({ day: WeekdaySchema, start: LocalTimeSchema, end: LocalTimeSchema })
  .meta({ id: 'WeeklyWindow', description: 'A recurring window on one weekday, in the mentor’s zone.' });

export const TimeWindowSchema = z
  .object({ start: LocalTimeSchema, end: LocalTimeSchema })
  .meta({ id: 'TimeWindow' });

export const DateOverrideSchema = z
  .object({
    date: LocalDateSchema,
    windows: z.array(TimeWindowSchema).max(24).meta({
      description: 'Replaces the weekly windows of that date; an empty list is a day off.',
    }),
  })
  .meta({ id: 'DateOverride' });

export const AvailabilityInputSchema = z
  .object({
    weekly: z.array(WeeklyWindowSchema).max(100),
    overrides: z.array(DateOverrideSchema).max(400).default([]),
  })
  .meta({ id: 'AvailabilityInput' });

export const AvailabilitySchema = z
  .object({
    mentor_id: z.number().int(),
    timezone: TimeZoneSchema,
    weekly: z.array(WeeklyWindowSchema),
    overrides: z.array(DateOverrideSchema),
  })
  .meta({ id: 'Availability', description: 'Weekly windows plus date overrides, in the mentor’s zone.' });

export const SetAvailabilityResultSchema = AvailabilitySchema.extend({
  bookings_outside_availability: z.array(z.number().int()).meta({
    description:
      'Ids of upcoming confirmed bookings that the new availability no longer covers; they are kept.',
  }),
}).meta({ id: 'SetAvailabilityResult' });

export const MentorSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    headline: z.string().nullable(),
    areas_of_expertise: z.array(z.string()),
    is_premium: z.boolean(),
    timezone: TimeZoneSchema,
    buffer_minutes: z.number().int().meta({ description: 'Free minutes the mentor keeps between sessions' }),
    max_sessions_per_day: z
      .number()
      .int()
      .nullable()
      .meta({ description: 'At most this many sessions a local day; null: no limit' }),
    availability: z.array(InstantSchema).meta({
      description:
        'Open slot starts (UTC) for the requested duration over the requested window (default: 30 minutes, the next 7 days).',
    }),
  })
  .meta({ id: 'Mentor' });

const NameSchema = z.string().trim().min(1).max(120);
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
const AreaNamesSchema = z.array(z.string().trim().min(1).max(120)).min(1).max(40);

export const CreateMentorSchema = z
  .object({
    name: NameSchema,
    headline: z.string().trim().max(280).nullable().optional(),
    areas_of_expertise: AreaNamesSchema,
    is_premium: z.boolean().default(false),
    timezone: TimeZoneSchema.optional().meta({ description: 'Defaults to the platform zone' }),
    weekly: z.array(WeeklyWindowSchema).max(100).optional(),
    buffer_minutes: BufferSchema.default(0),
    max_sessions_per_day: DailyLimitSchema.default(null),
  })
  .meta({ id: 'CreateMentor' });

export const UpdateMentorSchema = z
  .object({
    name: NameSchema.optional(),
    headline: z.string().trim().max(280).nullable().optional(),
    areas_of_expertise: AreaNamesSchema.optional(),
    is_premium: z.boolean().optional(),
    timezone: TimeZoneSchema.optional(),
    buffer_minutes: BufferSchema.optional(),
    max_sessions_per_day: DailyLimitSchema.optional(),
  })
  .meta({ id: 'UpdateMentor' });

/** The window over which `availability` / slots are listed. */
export const SlotWindowQueryShape = {
  from: InstantInputSchema.optional().meta({ description: 'Window start (default: now)' }),
  to: InstantInputSchema.optional().meta({
    description: 'Window end (default: from + 7 days; at most 31 days)',
  }),
  duration: DurationQuerySchema.default(30),
};

export const ListMentorsQuerySchema = z.object({
  area_of_expertise: z.string().trim().min(1).max(120).optional().meta({ example: 'Equity Research' }),
  is_premium: BooleanQuerySchema.optional(),
  ...SlotWindowQueryShape,
  ...pageQueryShape,
});

export const MentorIdParamsSchema = z.object({ id: IdParamSchema });

export const SlotSchema = z
  .object({ start_time: InstantSchema, end_time: InstantSchema })
  .meta({ id: 'Slot' });

export const MentorSlotsSchema = z
  .object({
    mentor_id: z.number().int(),
    duration: z.number().int(),
    from: InstantSchema,
    to: InstantSchema,
    slots: z.array(SlotSchema),
  })
  .meta({ id: 'MentorSlots' });

export type Mentor = z.infer<typeof MentorSchema>;
export type Availability = z.infer<typeof AvailabilitySchema>;
export type AvailabilityInput = z.infer<typeof AvailabilityInputSchema>;
export type WeeklyWindow = z.infer<typeof WeeklyWindowSchema>;
export type DateOverride = z.infer<typeof DateOverrideSchema>;

export const SlotSearchQuerySchema = z.object({
  area_of_expertise: z.string().trim().min(1).max(120).meta({ example: 'Equity Research' }),
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
    start_time: z.string().meta({ format: 'date-time', example: '2026-12-01T19:00:00+05:30' }),
    end_time: z.string().meta({ format: 'date-time', example: '2026-12-01T19:30:00+05:30' }),
    mentors_available: z.number().int().meta({ description: 'How many mentors of the area are free for it' }),
  })
  .meta({ id: 'OpenSlot' });

export const SlotSearchResultSchema = z
  .object({
    area_of_expertise: z.string(),
    duration: z.number().int(),
    timezone: z.string().meta({ description: 'Zone the times are given in' }),
    from: InstantSchema,
    to: InstantSchema,
    slots: z.array(OpenSlotSchema),
  })
  .meta({ id: 'SlotSearchResult' });
