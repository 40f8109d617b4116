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
    availability: z.array(InstantSchema).meta({
      description:
        'Open slot starts (UTC) for the requested duration over the requested window (default: 30 minutes, the next 7 days).',
    }),
  })
  .meta({ id: 'Mentor' });

const NameSchema = z.string().trim().min(1).max(120);
const AreaNamesSchema = z.array(z.string().trim().min(1).max(120)).min(1).max(40);

export const CreateMentorSchema = z
  .object({
    name: NameSchema,
    headline: z.string().trim().max(280).nullable().optional(),
    areas_of_expertise: AreaNamesSchema,
    is_premium: z.boolean().default(false),
    timezone: TimeZoneSchema.optional().meta({ description: 'Defaults to the platform zone' }),
    weekly: z.array(WeeklyWindowSchema).max(100).optional(),
  })
  .meta({ id: 'CreateMentor' });

export const UpdateMentorSchema = z
  .object({
    name: NameSchema.optional(),
    headline: z.string().trim().max(280).nullable().optional(),
    areas_of_expertise: AreaNamesSchema.optional(),
    is_premium: z.boolean().optional(),
    timezone: TimeZoneSchema.optional(),
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
