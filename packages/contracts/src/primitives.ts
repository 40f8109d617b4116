import { z } from 'zod';

/**
 * Ids are 32-bit signed integer columns on every database: a larger id names nothing, and on
 * PostgreSQL it would not even bind. The contract states the range so such an id is invalid input.
 */
export const MAX_ID = 2_147_483_647;

// The range is checked first and ends the check: beyond it, the other checks only repeat "too big".
export const IdSchema = z.number().max(MAX_ID, { abort: true }).int().min(1).meta({ example: 1 });

/**
 * Path and query ids. Like every parameter schema, a value schema: REST reads the text of the URL
 * into the value this schema takes (see apps/server/src/http/rest.ts), tRPC callers send the value.
 */
export const IdParamSchema = IdSchema.meta({ description: 'Numeric id', example: 1 });

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

/** An instant as the server returns it: RFC 3339 in UTC with milliseconds and a `Z`, one form everywhere. */
export const InstantSchema = z.iso.datetime({ precision: 3 }).meta({ example: '2026-12-01T13:30:00.000Z' });

const instantInputPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|z|[+-]\d{2}:\d{2})?$/;

/**
 * Years a client instant may name. The service answers instants it derives from the input (the
 * window's other end, up to 31 days on; the instant in UTC, up to a day's offset away) as RFC 3339
 * with a four-digit year, so the input stays a month and a day clear of year 10000; and it stays at
 * or after 1970, where every database driver stores instants alike. No session is ever that far off.
 */
export const instantYears = { first: 1970, last: 9998 } as const;

function isWithinInstantYears(text: string): boolean {
  const year = Number(text.slice(0, 4));
  return year >= instantYears.first && year <= instantYears.last;
}

/**
 * An instant as clients may send it: RFC 3339 with an offset, or a local date-time without one,
 * which is read in the platform zone (`DEFAULT_TIMEZONE`, Asia/Kolkata unless configured).
 */
export const InstantInputSchema = z
  .string()
  .regex(instantInputPattern, { message: 'Expected an ISO 8601 date-time', abort: true })
  .refine(isWithinInstantYears, {
    message: `Expected a date-time in the years ${instantYears.first} to ${instantYears.last}`,
    abort: true,
  })
  .meta({
    description: `RFC 3339 date-time, in the years ${instantYears.first} to ${instantYears.last}. With an offset (\`Z\`, \`+05:30\`) it is exact; without one (\`2026-12-01T19:00:00\`, as the first backend accepted) it is read in the platform zone \`DEFAULT_TIMEZONE\` (default Asia/Kolkata).`,
    example: '2026-12-01T19:00:00+05:30',
  });

export const sessionDurations = [30, 45, 60] as const;
export type SessionDuration = (typeof sessionDurations)[number];

export const DurationSchema = z
  .union([z.literal(30), z.literal(45), z.literal(60)], { error: 'duration must be 30, 45 or 60 minutes' })
  .meta({ id: 'Duration', description: 'Session length in minutes', example: 30 });

/**
 * A duration as a parameter. Stated as an integer enum (not the `anyOf` of `Duration`) so the
 * published parameter reads as what the server accepts: REST callers sent 31 in good faith when the
 * spec allowed any number, only to get 400.
 */
export const DurationQuerySchema = z
  .literal(sessionDurations, { error: 'duration must be 30, 45 or 60 minutes' })
  .meta({
    type: 'integer',
    description: 'Session length in minutes: 30, 45 or 60',
    example: 30,
  });

/** A boolean parameter; REST reads `true`/`false` in the URL as one. */
export const BooleanQuerySchema = z.boolean().meta({ example: true });

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

export const PageLimitSchema = z
  .number()
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

const moneyDescription = 'Amount in rupees (major units); stored by the server as integer paise';
export const MoneySchema = z.number().nonnegative().meta({ description: moneyDescription, example: 2000 });

/** Money a client sends: whole paise, so at most two decimals (1999.999 is no price the server has). */
export const MoneyInputSchema = z
  .number()
  .nonnegative()
  .multipleOf(0.01, 'Expected an amount in rupees with at most 2 decimals')
  .meta({ description: `${moneyDescription}; at most 2 decimals`, example: 2000 });

/**
 * Control characters (C0, DEL, C1) never belong in text a person typed: a NUL is refused by
 * PostgreSQL, and the others hide in logs, emails and calendar files. A multi-line text keeps its
 * tabs and line breaks; a single-line text (names, filters) keeps none. Written as plain ranges so
 * the published pattern reads the same in every regex dialect.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const withoutControlCharacters = /^[^\x00-\x1f\x7f-\x9f]*$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const withoutControlCharactersBesideLineBreaks = /^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$/;

/** Text a person enters: trimmed, `min`..`max` characters, without control characters. */
export function textSchema({
  min = 1,
  max,
  multiline = false,
}: {
  min?: number;
  max: number;
  multiline?: boolean;
}) {
  return z
    .string()
    .trim()
    .min(min)
    .max(max)
    .regex(
      multiline ? withoutControlCharactersBesideLineBreaks : withoutControlCharacters,
      multiline
        ? 'Control characters other than tabs and line breaks are not allowed'
        : 'Control characters (including tabs and line breaks) are not allowed',
    );
}
