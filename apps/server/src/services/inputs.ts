import { instantYears, MAX_ID } from '@mentor-scheduling/contracts';
import { DAY_MS, parseInstant } from '../domain/time.js';
import type { ServiceContext } from './context.js';
import { invalidInput } from './errors.js';

const MAX_WINDOW_DAYS = 31;
const DEFAULT_WINDOW_DAYS = 7;

/** Reads a client instant (offset or platform-zone local time) or refuses it with the field's path. */
export function instantOf(ctx: ServiceContext, text: string, field: string): number {
  const instant = parseInstant(text, ctx.config.defaultTimezone);
  if (instant === null) {
    throw invalidInput(
      `/${field}`,
      `${field} is not a valid date-time (or names a local time skipped by a daylight-saving change)`,
    );
  }
  return instant;
}

export interface TimeWindow {
  from: number;
  to: number;
}

/** A listing window: default now → +7 days, at most 31 days, `to` after `from`. */
export function windowOf(
  ctx: ServiceContext,
  input: { from?: string | undefined; to?: string | undefined },
): TimeWindow {
  const from = input.from === undefined ? ctx.now() : instantOf(ctx, input.from, 'from');
  const to = input.to === undefined ? from + DEFAULT_WINDOW_DAYS * DAY_MS : instantOf(ctx, input.to, 'to');
  if (to <= from) throw invalidInput('/to', 'to must be after from');
  if (to - from > MAX_WINDOW_DAYS * DAY_MS)
    throw invalidInput('/to', `the window may span at most ${MAX_WINDOW_DAYS} days`);
  return { from, to };
}

/** Opaque page cursors: base64url text, so clients never build or depend on their contents. */
export function encodeCursor(parts: readonly (number | string)[]): string {
  return Buffer.from(parts.join(':'), 'utf8').toString('base64url');
}

/** What each part of a cursor is, and so which values an issued cursor can hold there. */
export type CursorPart = 'id' | 'instant';

const lastCursorInstant = Date.UTC(instantYears.last + 1, 0, 1);
const isCursorValue: Record<CursorPart, (value: number) => boolean> = {
  // Ids and instants of rows the service read; anything else would name nothing, or fail to bind.
  id: (value) => value >= 1 && value <= MAX_ID,
  instant: (value) => value >= 0 && value < lastCursorInstant,
};

export function decodeCursor(cursor: string, parts: readonly CursorPart[]): number[] {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const texts = text.split(':');
  const values = texts.map(Number);
  // Decoding skips characters that are not base64url, so only a cursor that re-encodes to itself is ours.
  const issued =
    Buffer.from(text, 'utf8').toString('base64url') === cursor &&
    texts.length === parts.length &&
    texts.every((part) => /^\d{1,15}$/.test(part)) &&
    parts.every((part, index) => isCursorValue[part](values[index] as number));
  if (!issued) throw invalidInput('/cursor', 'cursor is not one this service issued');
  return values;
}
