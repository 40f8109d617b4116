import { IANAZone } from 'luxon';
import { DAY_MS, MINUTE_MS } from './units.js';

/*
 * Offsets of IANA zones, through luxon. Asking luxon costs a formatToParts call (~10 µs), which is
 * too slow to do per slot candidate, so each zone keeps a timeline of UTC days: the offset at the
 * start and end of the day and, when they differ, the exact instant of the change.
 *
 * The timeline assumes a zone changes its offset at most once per UTC day: zones change a few
 * times a year at most, and two changes inside one UTC day would go unnoticed here.
 */

interface UtcDay {
  offsetBeforeMs: number;
  /** The first instant with the new offset; the end of the day when the offset does not change. */
  changeAt: number;
  offsetAfterMs: number;
}

interface ZoneTimeline {
  zone: IANAZone;
  midnightOffsets: Map<number, number>;
  days: Map<number, UtcDay>;
}

/**
 * Days kept over all zones (each a few numbers, ~100 bytes): windows and zones come from requests, so
 * the cache starts over when it is full rather than growing with them.
 */
const MAX_CACHED_DAYS = 50_000;
let cachedDays = 0;

const timelines = new Map<string, ZoneTimeline>();

/**
 * luxon builds an Intl.DateTimeFormat for every validity check (~150 µs), so a zone found valid
 * gets its (empty) timeline at once and is never checked again. Unknown names are not remembered:
 * they come from user input, and remembering them would let that input grow the cache.
 */
function findTimeline(zoneName: string): ZoneTimeline | undefined {
  let timeline = timelines.get(zoneName);
  if (!timeline && IANAZone.isValidZone(zoneName)) {
    timeline = { zone: IANAZone.create(zoneName), midnightOffsets: new Map(), days: new Map() };
    timelines.set(zoneName, timeline);
  }
  return timeline;
}

export function isKnownTimeZone(name: string): boolean {
  return findTimeline(name) !== undefined;
}

function timelineOf(zoneName: string): ZoneTimeline {
  const timeline = findTimeline(zoneName);
  // A zone name reaching the domain has been validated at the edge; an unknown one is a bug.
  if (!timeline) throw new RangeError(`Unknown time zone: ${zoneName}`);
  return timeline;
}

export function assertKnownTimeZone(zoneName: string): void {
  timelineOf(zoneName);
}

function askLuxon(zone: IANAZone, instant: number): number {
  // Offsets with seconds (old local mean times) would otherwise pick up float noise.
  return Math.round(zone.offset(instant) * MINUTE_MS);
}

function offsetAtUtcMidnight(timeline: ZoneTimeline, midnight: number): number {
  let offset = timeline.midnightOffsets.get(midnight);
  if (offset === undefined) {
    offset = askLuxon(timeline.zone, midnight);
    timeline.midnightOffsets.set(midnight, offset);
  }
  return offset;
}

function utcDayOf(timeline: ZoneTimeline, instant: number): UtcDay {
  const dayIndex = Math.floor(instant / DAY_MS);
  const cached = timeline.days.get(dayIndex);
  if (cached) return cached;
  if (cachedDays >= MAX_CACHED_DAYS) {
    for (const kept of timelines.values()) {
      kept.days.clear();
      kept.midnightOffsets.clear();
    }
    cachedDays = 0;
  }
  const dayStart = dayIndex * DAY_MS;
  const dayEnd = dayStart + DAY_MS;
  const offsetBeforeMs = offsetAtUtcMidnight(timeline, dayStart);
  const offsetAfterMs = offsetAtUtcMidnight(timeline, dayEnd);
  let changeAt = dayEnd;
  if (offsetBeforeMs !== offsetAfterMs) {
    let stillBefore = dayStart;
    let alreadyAfter = dayEnd;
    while (alreadyAfter - stillBefore > 1) {
      const middle = Math.floor((stillBefore + alreadyAfter) / 2);
      if (askLuxon(timeline.zone, middle) === offsetBeforeMs) stillBefore = middle;
      else alreadyAfter = middle;
    }
    changeAt = alreadyAfter;
  }
  const day = { offsetBeforeMs, changeAt, offsetAfterMs };
  timeline.days.set(dayIndex, day);
  cachedDays += 1;
  return day;
}

/** How far the zone's wall clock is ahead of UTC at an instant. */
export function offsetMsAt(zoneName: string, instant: number): number {
  const day = utcDayOf(timelineOf(zoneName), instant);
  return instant < day.changeAt ? day.offsetBeforeMs : day.offsetAfterMs;
}

export interface OffsetSpan {
  offsetMs: number;
  /** The offset holds from the asked instant up to (not including) this one, and may change there. */
  until: number;
}

export function offsetSpanAt(zoneName: string, instant: number): OffsetSpan {
  const day = utcDayOf(timelineOf(zoneName), instant);
  if (instant < day.changeAt) return { offsetMs: day.offsetBeforeMs, until: day.changeAt };
  return { offsetMs: day.offsetAfterMs, until: Math.floor(instant / DAY_MS) * DAY_MS + DAY_MS };
}

/** The zone's wall-clock reading at an instant, in wall milliseconds (see calendar.ts). */
export function wallClockAt(zoneName: string, instant: number): number {
  return instant + offsetMsAt(zoneName, instant);
}

/**
 * The earliest instant at which the zone's clock reads `wallMs` or later.
 *
 * One rule covers both kinds of DST transition: a repeated reading (fall back) gives its earlier
 * occurrence, and a skipped reading (spring forward) gives the first instant after the gap. Callers
 * that must reject skipped readings compare `wallClockAt` of the result with what they asked for.
 */
export function firstInstantReading(zoneName: string, wallMs: number): number {
  // No instant before wall - (largest nearby offset) can read `wallMs` yet.
  const largestOffset = Math.max(
    offsetMsAt(zoneName, wallMs - DAY_MS),
    offsetMsAt(zoneName, wallMs),
    offsetMsAt(zoneName, wallMs + DAY_MS),
  );
  let from = wallMs - largestOffset;
  // Each pass moves to the next offset span; two or three passes always suffice.
  for (let pass = 0; pass < 8; pass++) {
    const span = offsetSpanAt(zoneName, from);
    if (from + span.offsetMs >= wallMs) return from;
    const readsExactly = wallMs - span.offsetMs;
    if (readsExactly < span.until) return readsExactly;
    from = span.until;
  }
  throw new Error(`No instant reads ${new Date(wallMs).toISOString()} in ${zoneName}`);
}
