import { contains, type Interval, normalizeIntervals, overlaps } from './interval.js';
import { DAY_MS, MINUTE_MS } from './units.js';
import { offsetMsAt, offsetSpanAt } from './zone.js';

export { type Interval, overlaps } from './interval.js';

export interface SlotPolicy {
  /** Slots start at local multiples of this many minutes after midnight. */
  gridMinutes: number;
  minNoticeMinutes: number;
  /** Measured in real 24-hour days from now, not calendar days. */
  horizonDays: number;
}

export const defaultSlotPolicy: Readonly<SlotPolicy> = Object.freeze({
  gridMinutes: 15,
  minNoticeMinutes: 120,
  horizonDays: 60,
});

interface SlotRules {
  /** Any order; touching or overlapping intervals count as one stretch of availability. */
  availability: Interval[];
  /** Any order, e.g. the mentor's confirmed sessions. */
  busy: Interval[];
  durationMinutes: number;
  timezone: string;
  now: number;
  policy: SlotPolicy;
  /** Free time required between a slot and any busy interval, on both sides. */
  bufferMinutes?: number;
}

export interface SlotSearch extends SlotRules {
  from: number;
  to: number;
}

export interface SlotCheck extends SlotRules {
  start: number;
}

export type SlotRefusal =
  | 'in_the_past'
  | 'too_soon'
  | 'beyond_horizon'
  | 'off_grid'
  | 'outside_availability'
  | 'slot_taken';

interface Limits {
  durationMs: number;
  bufferMs: number;
  gridMs: number;
  earliestStart: number;
  latestStart: number;
}

function limitsOf(rules: SlotRules): Limits {
  const { durationMinutes, policy } = rules;
  const bufferMinutes = rules.bufferMinutes ?? 0;
  if (!Number.isInteger(durationMinutes) || durationMinutes <= 0) {
    throw new RangeError(`durationMinutes must be a positive integer, got ${durationMinutes}`);
  }
  if (!Number.isInteger(policy.gridMinutes) || policy.gridMinutes <= 0) {
    throw new RangeError(`gridMinutes must be a positive integer, got ${policy.gridMinutes}`);
  }
  if (!(bufferMinutes >= 0)) throw new RangeError(`bufferMinutes must not be negative, got ${bufferMinutes}`);
  return {
    durationMs: durationMinutes * MINUTE_MS,
    bufferMs: bufferMinutes * MINUTE_MS,
    gridMs: policy.gridMinutes * MINUTE_MS,
    ...bookableStarts(rules.now, policy),
  };
}

/** The earliest and latest starts the minimum notice and the horizon allow at `now`. */
function bookableStarts(now: number, policy: SlotPolicy): { earliestStart: number; latestStart: number } {
  return {
    earliestStart: now + policy.minNoticeMinutes * MINUTE_MS,
    latestStart: now + policy.horizonDays * DAY_MS,
  };
}

function isGridReading(wallMs: number, gridMs: number): boolean {
  const sinceMidnight = wallMs - Math.floor(wallMs / DAY_MS) * DAY_MS;
  return sinceMidnight % gridMs === 0;
}

/**
 * Whether the local clock at `start` reads a whole multiple of the grid since local midnight, with
 * zero seconds. The grid restarts at every local midnight, so grids that do not divide a day still
 * begin each day at 00:00.
 */
export function isOnGrid(start: number, timezone: string, gridMinutes: number): boolean {
  return isGridReading(start + offsetMsAt(timezone, start), gridMinutes * MINUTE_MS);
}

/** The first instant at or after `instant` whose reading under a fixed offset is on the grid. */
function nextGridInstant(instant: number, offsetMs: number, gridMs: number): number {
  const wall = instant + offsetMs;
  const midnight = Math.floor(wall / DAY_MS) * DAY_MS;
  const onGrid = midnight + Math.ceil((wall - midnight) / gridMs) * gridMs;
  return Math.min(onGrid, midnight + DAY_MS) - offsetMs;
}

/**
 * Every bookable start in [from, to), ascending.
 *
 * A single pass over availability and busy time, both sorted: candidates step along the local grid
 * under one known offset at a time, re-aligning only where the zone's offset may change, and jump
 * straight past busy time instead of testing each grid step against it.
 */
export function findOpenSlots(search: SlotSearch): number[] {
  const { durationMs, bufferMs, gridMs, earliestStart, latestStart } = limitsOf(search);
  const busy = normalizeIntervals(search.busy);
  const slots: number[] = [];
  let nextBusy = 0;

  for (const stretch of normalizeIntervals(search.availability)) {
    const startsFrom = Math.max(stretch.start, search.from, earliestStart);
    const startsBefore = Math.min(stretch.end - durationMs + 1, search.to, latestStart + 1);
    let cursor = startsFrom;
    while (cursor < startsBefore) {
      const { offsetMs, until } = offsetSpanAt(search.timezone, cursor);
      const spanEnd = Math.min(until, startsBefore);
      let wanted = cursor;
      let candidate = nextGridInstant(wanted, offsetMs, gridMs);
      while (candidate < spanEnd) {
        // Busy time is merged, so ends ascend too: what ended before this candidate's buffer
        // cannot block any later candidate either.
        let blocker = busy[nextBusy];
        while (blocker && blocker.end + bufferMs <= candidate) blocker = busy[++nextBusy];
        if (blocker && blocker.start < candidate + durationMs + bufferMs) {
          wanted = blocker.end + bufferMs;
        } else {
          slots.push(candidate);
          wanted = candidate + 1;
        }
        candidate = nextGridInstant(wanted, offsetMs, gridMs);
      }
      // Past the span the grid must be re-aligned under the next offset.
      cursor = Math.max(wanted, spanEnd);
    }
  }
  return slots;
}

export type StartRefusal = Extract<SlotRefusal, 'in_the_past' | 'too_soon' | 'beyond_horizon' | 'off_grid'>;

/**
 * Why no one could take a session starting at `start`, whatever their calendar, or null. The grid is
 * read on the local clocks of `timezones` (the mentors who could take it): a start on the grid of
 * any one of them passes, as each mentor's own calendar decides the rest. Both a named booking (one
 * zone) and an assignment (the pool's zones) are judged by this rule first.
 */
export function startRefusal(
  start: number,
  rules: { now: number; policy: SlotPolicy; timezones: readonly string[] },
): StartRefusal | null {
  const { now, policy } = rules;
  const { earliestStart, latestStart } = bookableStarts(now, policy);
  if (start < now) return 'in_the_past';
  if (start < earliestStart) return 'too_soon';
  if (start > latestStart) return 'beyond_horizon';
  if (!rules.timezones.some((timezone) => isOnGrid(start, timezone, policy.gridMinutes))) return 'off_grid';
  return null;
}

/**
 * Why a booking starting at `start` cannot be made, or null when it can. Refusals are ordered from
 * the cheapest and most basic to the most circumstantial, and a start passes exactly when
 * `findOpenSlots` would list it.
 */
export function checkSlot(check: SlotCheck): SlotRefusal | null {
  const { durationMs, bufferMs } = limitsOf(check);
  const { start } = check;
  const refusal = startRefusal(start, { ...check, timezones: [check.timezone] });
  if (refusal) return refusal;
  const session = { start, end: start + durationMs };
  if (!normalizeIntervals(check.availability).some((stretch) => contains(stretch, session))) {
    return 'outside_availability';
  }
  const guarded = { start: start - bufferMs, end: session.end + bufferMs };
  if (check.busy.some((busy) => overlaps(guarded, busy))) return 'slot_taken';
  return null;
}
