import { z } from 'zod';
import { IdParamSchema, InstantSchema, TimeZoneSchema } from '../primitives.js';
import { WeeklyWindowSchema } from './mentors.js';

const PreferredWindowsSchema = z.array(WeeklyWindowSchema).max(50).meta({
  description:
    'Weekly windows, in the student’s zone, when the student prefers sessions; slot search can keep to them',
});

export const StudentSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    email: z.string(),
    timezone: TimeZoneSchema,
    area_of_interest: z.string().nullable(),
    preferred_windows: z.array(WeeklyWindowSchema),
    created_at: InstantSchema,
  })
  .meta({ id: 'Student' });

export const CreateStudentSchema = z
  .object({
    name: z.string().trim().min(1).max(120),
    email: z.email().max(254),
    timezone: TimeZoneSchema.optional().meta({ description: 'Defaults to the platform zone' }),
    area_of_interest: z.string().trim().min(1).max(120).nullable().optional(),
    preferred_windows: PreferredWindowsSchema.optional(),
  })
  .meta({ id: 'CreateStudent' });

export const UpdateStudentSchema = z
  .object({
    name: z.string().trim().min(1).max(120).optional(),
    email: z.email().max(254).optional(),
    timezone: TimeZoneSchema.optional(),
    area_of_interest: z.string().trim().min(1).max(120).nullable().optional(),
    preferred_windows: PreferredWindowsSchema.optional(),
  })
  .meta({ id: 'UpdateStudent' });

export const StudentIdParamsSchema = z.object({ id: IdParamSchema });

export type Student = z.infer<typeof StudentSchema>;
