import { z } from 'zod';
import { CountSchema, IdAnswerSchema } from '../answer-primitives.js';
import { InstantSchema, LocalDateSchema, MoneySchema } from '../primitives.js';

export const DashboardQuerySchema = z.object({
  week_of: LocalDateSchema.optional().meta({
    description: 'A day of the week to report, in the platform zone (`DEFAULT_TIMEZONE`); default: this week',
    example: '2026-12-01',
  }),
  weeks: z.number().int().min(1).max(26).default(8).meta({
    description: 'How many weeks of revenue, ending with the reported one (default 8, at most 26)',
    example: 8,
  }),
});

export const MentorUtilisationSchema = z
  .object({
    mentor_id: IdAnswerSchema.meta({ example: 2 }),
    name: z.string().meta({ example: 'Rohan Mehta' }),
    is_premium: z.boolean().meta({ example: false }),
    booked_minutes: CountSchema.meta({
      description: 'Minutes of sessions that week (held ones included)',
      example: 90,
    }),
    available_minutes: CountSchema.meta({
      description: 'Minutes of availability that week (weekly windows and date overrides)',
      example: 600,
    }),
    utilisation: z.number().min(0).meta({
      description:
        '`booked_minutes / available_minutes` (0 without availability); above 1 only if sessions were booked outside it',
      example: 0.15,
    }),
  })
  .meta({
    id: 'MentorUtilisation',
    description: 'How much of a mentor’s available time was booked in the week.',
  });

export const DashboardSchema = z
  .object({
    timezone: z.string().meta({ description: 'The zone weeks are counted in', example: 'Asia/Kolkata' }),
    week_start: InstantSchema.meta({
      description: 'Monday 00:00 of the reported week, in that zone',
      example: '2026-11-29T18:30:00.000Z',
    }),
    week_end: InstantSchema.meta({ example: '2026-12-06T18:30:00.000Z' }),
    currency: z.string().meta({ example: 'INR' }),
    sessions: z
      .object({
        confirmed: CountSchema.meta({ description: 'To come, or under way', example: 12 }),
        completed: CountSchema.meta({ example: 5 }),
        cancelled: CountSchema.meta({ example: 2 }),
        pending_payment: CountSchema.meta({ example: 1 }),
        expired: CountSchema.meta({ example: 0 }),
      })
      .meta({ description: 'Sessions starting in the week, by status' }),
    revenue_this_week: MoneySchema.meta({
      description: 'The cost of the week’s confirmed and completed sessions',
      example: 34000,
    }),
    utilisation: z.array(MentorUtilisationSchema).meta({ description: 'Every mentor, busiest first' }),
    revenue_by_week: z
      .array(
        z.object({
          week_start: InstantSchema.meta({ example: '2026-11-29T18:30:00.000Z' }),
          revenue: MoneySchema.meta({
            description: 'Confirmed and completed sessions starting that week',
            example: 34000,
          }),
          sessions: CountSchema.meta({ example: 17 }),
        }),
      )
      .meta({ description: 'Oldest first, ending with the reported week' }),
    bookings_by_area: z
      .array(
        z.object({
          area: z.string().nullable().meta({
            description: 'null: a mentor picked by name, without an area',
            example: 'Equity Research',
          }),
          sessions: CountSchema.meta({ example: 4 }),
        }),
      )
      .meta({ description: 'Confirmed and completed sessions of the week per area, most first' }),
  })
  .meta({ id: 'Dashboard', description: 'The business at a glance, for one week.' });

export type Dashboard = z.infer<typeof DashboardSchema>;
