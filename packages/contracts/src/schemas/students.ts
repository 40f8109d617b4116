import { z } from 'zod';
import { IdAnswerSchema } from '../answer-primitives.js';
import { IdParamSchema, InstantSchema, pageQueryShape, TimeZoneSchema, textSchema } from '../primitives.js';

const NameSchema = textSchema({ max: 120 }).meta({ example: 'Mira Sen' });
const AreaOfInterestSchema = textSchema({ max: 120 }).nullable();

import { WeeklyWindowSchema } from './mentors.js';

const PreferredWindowsSchema = z.array(WeeklyWindowSchema).max(50).meta({
  description:
    'Weekly windows, in the student’s zone, when the student prefers sessions; slot search can keep to them',
});

export const StudentSchema = z
  .object({
    id: IdAnswerSchema.meta({ example: 1 }),
    name: z.string().meta({ example: 'Aarav Sharma' }),
    email: z.string().meta({ example: 'aarav.sharma@example.com' }),
    timezone: TimeZoneSchema,
    area_of_interest: z.string().nullable().meta({ example: 'Equity Research' }),
    preferred_windows: z.array(WeeklyWindowSchema),
    created_at: InstantSchema,
  })
  .meta({ id: 'Student', description: 'A student who books sessions.' });

export const CreateStudentSchema = z
  .object({
    name: NameSchema,
    email: z.email().max(254).meta({ example: 'mira.sen@example.com' }),
    timezone: TimeZoneSchema.optional().meta({ description: 'Defaults to the platform zone' }),
    area_of_interest: AreaOfInterestSchema.optional().meta({ example: 'Consulting' }),
    preferred_windows: PreferredWindowsSchema.optional(),
  })
  .meta({
    id: 'CreateStudent',
    description: 'A new student (an admin adds them; students may also register).',
  });

export const UpdateStudentSchema = z
  .object({
    name: NameSchema.optional(),
    email: z.email().max(254).optional().meta({ example: 'mira.sen@example.com' }),
    timezone: TimeZoneSchema.optional(),
    area_of_interest: AreaOfInterestSchema.optional().meta({ example: 'Strategy' }),
    preferred_windows: PreferredWindowsSchema.optional(),
  })
  .meta({ id: 'UpdateStudent', description: 'The fields to change; the others stay as they are.' });

export const StudentIdParamsSchema = z.object({ id: IdParamSchema });

export type Student = z.infer<typeof StudentSchema>;

export const ListStudentsQuerySchema = z.object({
  q: textSchema({ max: 120 }).optional().meta({
    description: 'Only students whose name or email contains this text (any case)',
    example: 'sharma',
  }),
  ...pageQueryShape,
});
