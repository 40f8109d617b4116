import { z } from 'zod';
import { IdSchema, sessionDurations } from './primitives.js';

/**
 * Numbers as answers carry them, each with its real range. A bare `z.number().int()` is published as
 * any safe integer (`minimum: -9007199254740991`), which generated clients and validators take at its
 * word: ids would look signed and 53-bit, counts could look negative.
 */

/** An id in an answer: a row of a 32-bit column, so 1 to 2147483647, the range inputs are held to. */
export const IdAnswerSchema = IdSchema;

/** How many of something: zero or more. */
export const CountSchema = z.number().int().min(0);

/** A session length in an answer: one of the lengths sold, published as that enum. */
export const SessionMinutesSchema = z
  .literal(sessionDurations)
  .meta({ type: 'integer', description: 'Minutes: 30, 45 or 60', example: 30 });

/**
 * An instant in an answer that speaks a zone the caller chose: the same form as every instant the
 * server returns (milliseconds included), with that zone's offset in place of `Z` (`Z` for UTC).
 */
export const ZonedInstantSchema = z.iso.datetime({ precision: 3, offset: true });

/** The HTTP status of a problem document: always an error. */
export const ErrorStatusSchema = z.number().int().min(400).max(599);
