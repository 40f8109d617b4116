import { z } from 'zod';

export const IdSchema = z.number().int().positive().meta({ example: 1 });

/** Path and query ids arrive as text on REST and as numbers on tRPC; both are accepted. */
export const IdParamSchema = z
  .union([
    z.number().int().positive(),
    z
      .string()
      .regex(/^[1-9]\d{0,15}$/, 'Expected a positive whole number')
      .transform(Number),
  ])
  .meta({
    description: 'Numeric id',
    example: 1,
    // Documented as what a REST caller sends: a plain positive integer.
    override: ({ jsonSchema }: { jsonSchema: Record<string, unknown> }) => {
      for (const key of Object.keys(jsonSchema)) delete jsonSchema[key];
      Object.assign(jsonSchema, { type: 'integer', minimum: 1, description: 'Numeric id', example: 1 });
    },
  });

/** Zones already found valid: building an Intl formatter per check showed in every mentor listing. */
const knownTimeZones = new Set<string>();
const MAX_REMEMBERED_ZONES = 1000;

export function isValidTimeZone(zone: string): boolean {
  if (knownTimeZones.has(zone)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    return false;
  }
  if (knownTimeZones.size < MAX_REMEMBERED_ZONES) knownTimeZones.add(zone);
  return true;
}

export const TimeZoneSchema = z
  .string()
  .min(1)
  .max(64)
  .refine(isValidTimeZone, { message: 'Not a known IANA time zone' })
  .meta({ description: 'IANA time zone name', example: 'Asia/Kolkata' });

/** An instant as the server returns it: RFC 3339 in UTC with a `Z`. */
export const InstantSchema = z.iso.datetime().meta({ example: '2026-12-01T13:30:00.000Z' });

const instantInputPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|z|[+-]\d{2}:\d{2})?$/;

/**
 * An instant as clients may send it: RFC 3339 with an offset, or a local date-time without one,
 * which is read in the platform zone (`DEFAULT_TIMEZONE`, Asia/Kolkata unless configured).
 */
export const InstantInputSchema = z
  .string()
  .regex(instantInputPattern, 'Expected an ISO 8601 date-time')
  .meta({
    description:
      'RFC 3339 date-time. With an offset (`Z`, `+05:30`) it is exact; without one (`2026-12-01T19:00:00`, as the first backend accepted) it is read in the platform zone `DEFAULT_TIMEZONE` (default Asia/Kolkata).',
    example: '2026-12-01T19:00:00+05:30',
  });

export const sessionDurations = [30, 45, 60] as const;
export type SessionDuration = (typeof sessionDurations)[number];

export const DurationSchema = z
  .union([z.literal(30), z.literal(45), z.literal(60)], { error: 'duration must be 30, 45 or 60 minutes' })
  .meta({ id: 'Duration', description: 'Session length in minutes', example: 30 });

/** Query-string form of a duration: text on REST, a number on tRPC. */
export const DurationQuerySchema = z.coerce
  .number<string | number>()
  .pipe(DurationSchema)
  .meta({
    description: 'Session length in minutes: 30, 45 or 60',
    example: 30,
    // Documented as what the server accepts: the coercion alone would render as any number, and
    // REST callers sent 31 in good faith (the spec allowed it) only to get 400.
    override: ({ jsonSchema }: { jsonSchema: Record<string, unknown> }) => {
      for (const key of Object.keys(jsonSchema)) delete jsonSchema[key];
      Object.assign(jsonSchema, {
        type: 'integer',
        enum: [...sessionDurations],
        description: 'Session length in minutes: 30, 45 or 60',
        example: 30,
      });
    },
  });

/** Booleans in query strings: `true`/`false` on REST, real booleans on tRPC. */
export const BooleanQuerySchema = z
  .union([z.boolean(), z.enum(['true', 'false']).transform((text) => text === 'true')])
  .meta({
    // Documented as what a REST caller sends: a plain boolean query parameter.
    override: ({ jsonSchema }: { jsonSchema: Record<string, unknown> }) => {
      for (const key of Object.keys(jsonSchema)) delete jsonSchema[key];
      jsonSchema.type = 'boolean';
      jsonSchema.example = true;
    },
  });

export const LocalTimeSchema = z
  .string()
  .regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'Expected HH:MM (24-hour clock)')
  .meta({
    description: 'Wall-clock time in the mentor’s zone, HH:MM; `24:00` ends a window at midnight',
    example: '19:00',
  });

export const LocalDateSchema = z.iso
  .date()
  .meta({ description: 'Calendar date, YYYY-MM-DD', example: '2026-12-25' });

export const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export const WeekdaySchema = z
  .enum(weekdays)
  .meta({ id: 'Weekday', description: 'Day of the week', example: 'tue' });
export type Weekday = (typeof weekdays)[number];

export const PageLimitSchema = z.coerce
  .number<string | number>()
  .int()
  .min(1)
  .max(200)
  .default(50)
  .meta({ description: 'Page size (default 50, at most 200)', example: 50 });

const cursorDescription =
  'Opaque cursor from the previous page (`Link: rel="next"` on REST, `nextCursor` on tRPC)';
export const CursorSchema = z
  .string()
  .min(1)
  .max(200)
  .meta({ description: cursorDescription, example: 'NTA' });

export const pageQueryShape = {
  limit: PageLimitSchema,
  cursor: CursorSchema.optional().meta({ description: cursorDescription }),
};

export const MoneySchema = z.number().nonnegative().meta({
  description: 'Amount in rupees (major units); stored by the server as integer paise',
  example: 2000,
});
