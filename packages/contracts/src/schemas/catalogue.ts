import { z } from 'zod';
import { DurationSchema, MoneySchema } from '../primitives.js';

export const AreaSchema = z
  .object({
    id: z.number().int(),
    name: z.string().meta({ example: 'Equity Research' }),
    slug: z.string().meta({ example: 'equity-research' }),
    mentor_count: z.number().int().meta({ description: 'How many mentors offer this area' }),
  })
  .meta({ id: 'Area', description: 'A role or domain students prepare for.' });

export const PriceSchema = z
  .object({
    duration: DurationSchema,
    standard: MoneySchema,
    premium: MoneySchema,
  })
  .meta({ id: 'Price' });

export const PricingSchema = z
  .object({
    currency: z.string().meta({ example: 'INR' }),
    premium_multiplier: z.number().positive().meta({ example: 1.5 }),
    prices: z.array(PriceSchema),
  })
  .meta({ id: 'Pricing', description: 'The server’s price table; a booking’s cost is computed from it.' });

export const HealthSchema = z
  .object({ status: z.literal('ok'), uptime_seconds: z.number() })
  .meta({ id: 'Health' });

export const ReadinessSchema = z
  .object({ status: z.literal('ready'), database: z.literal('ok') })
  .meta({ id: 'Readiness' });

export type Area = z.infer<typeof AreaSchema>;
export type Pricing = z.infer<typeof PricingSchema>;
