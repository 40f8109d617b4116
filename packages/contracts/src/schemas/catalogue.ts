import { z } from 'zod';
import { CountSchema, IdAnswerSchema } from '../answer-primitives.js';
import { DurationSchema, MoneySchema } from '../primitives.js';

export const AreaSchema = z
  .object({
    id: IdAnswerSchema.meta({ example: 7 }),
    name: z.string().meta({ example: 'Equity Research' }),
    slug: z.string().meta({ example: 'equity-research' }),
    mentor_count: CountSchema.meta({ description: 'How many mentors offer this area', example: 2 }),
  })
  .meta({ id: 'Area', description: 'A role or domain students prepare for.' });

export const PriceSchema = z
  .object({
    duration: DurationSchema,
    standard: MoneySchema,
    premium: MoneySchema.meta({ description: 'With a premium mentor', example: 3000 }),
  })
  .meta({ id: 'Price', description: 'What a session of one duration costs, in rupees.' });

export const PricingSchema = z
  .object({
    currency: z.string().meta({ example: 'INR' }),
    premium_multiplier: z.number().positive().meta({ example: 1.5 }),
    prices: z.array(PriceSchema),
  })
  .meta({ id: 'Pricing', description: 'The server’s price table; a booking’s cost is computed from it.' });

export const HealthSchema = z
  .object({
    status: z.literal('ok').meta({ example: 'ok' }),
    uptime_seconds: z
      .number()
      .nonnegative()
      .meta({ description: 'Seconds since the process started', example: 3600 }),
  })
  .meta({ id: 'Health', description: 'The process answers.' });

export const ReadinessSchema = z
  .object({
    status: z.literal('ready').meta({ example: 'ready' }),
    database: z.literal('ok').meta({ example: 'ok' }),
  })
  .meta({ id: 'Readiness', description: 'The process answers and its database does too.' });

export type Area = z.infer<typeof AreaSchema>;
export type Pricing = z.infer<typeof PricingSchema>;
