import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import {
  type AvailabilityRules,
  expandAvailability,
  WEEKDAYS,
  type WeeklyWindow,
} from '../../src/domain/availability.js';
import {
  checkSlot,
  findOpenSlots,
  type Interval,
  isOnGrid,
  type SlotSearch,
} from '../../src/domain/slots.js';
import { DAY_MS, MINUTE_MS } from '../../src/domain/units.js';

// Lord Howe shifts by half an hour, which moves an hourly grid: the only way to see that the grid
// is re-aligned after an offset change.
const ZONES = [
  'Asia/Kolkata',
  'Europe/London',
  'America/New_York',
  'Asia/Kathmandu',
  'Australia/Lord_Howe',
] as const;
// Mondays of ordinary weeks and of weeks with DST changes in London, New York or Lord Howe.
const MONDAYS = [
  '2026-03-02',
  '2026-03-23',
  '2026-03-30',
  '2026-06-01',
  '2026-09-28',
  '2026-10-19',
  '2026-10-26',
  '2026-11-30',
];
const RUNS = { seed: 20_261_201, numRuns: 200 };

const clock = (minute: number): string =>
  minute === 24 * 60
    ? '24:00'
    : `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;

// Distinct sorted boundaries paired up give windows that neither overlap nor touch; five-minute
// boundaries put some of them off the grid and some inside DST gaps.
const windowsOfOneDay = fc.uniqueArray(fc.integer({ min: 0, max: 288 }), { maxLength: 6 }).map((steps) => {
  const boundaries = steps.map((step) => step * 5).sort((a, b) => a - b);
  const windows: { start: string; end: string }[] = [];
  for (let index = 0; index + 1 < boundaries.length; index += 2) {
    windows.push({ start: clock(boundaries[index] ?? 0), end: clock(boundaries[index + 1] ?? 0) });
  }
  return windows;
});

const weeklyWindows = fc
  .tuple(...WEEKDAYS.map(() => windowsOfOneDay))
  .map((days) => days.flatMap((windows, index) => windows.map((w) => ({ ...w, day: WEEKDAYS[index] }))))
  .map((windows) => windows as WeeklyWindow[]);

const scenario = fc
  .record({
    timezone: fc.constantFrom(...ZONES),
    monday: fc.constantFrom(...MONDAYS),
    weekly: weeklyWindows,
    busy: fc.array(
      fc.record({
        startMinute: fc.integer({ min: -1440, max: 9 * 1440 }),
        lengthMinutes: fc.integer({ min: 1, max: 240 }),
        jitterMs: fc.integer({ min: 0, max: MINUTE_MS - 1 }),
      }),
      { maxLength: 10 },
    ),
    durationMinutes: fc.constantFrom(30, 45, 60),
    gridMinutes: fc.constantFrom(5, 15, 30, 60),
    minNoticeMinutes: fc.constantFrom(0, 120),
    horizonDays: fc.constantFrom(2, 60),
    bufferMinutes: fc.constantFrom(0, 10, 15),
    nowMinute: fc.integer({ min: -2 * 1440, max: 3 * 1440 }),
    fromMinute: fc.integer({ min: -1440, max: 1440 }),
  })
  .map((s): SlotSearch => {
    const monday = Date.parse(`${s.monday}T00:00:00Z`);
    const from = monday + s.fromMinute * MINUTE_MS;
    const to = from + 7 * DAY_MS;
    const rules: AvailabilityRules = { timezone: s.timezone, weekly: s.weekly, overrides: [] };
    return {
      // Wider than [from, to) so that the search itself must respect from and to.
      availability: expandAvailability(rules, from - DAY_MS, to + DAY_MS),
      busy: s.busy.map(({ startMinute, lengthMinutes, jitterMs }) => {
        const start = monday + startMinute * MINUTE_MS + jitterMs;
        return { start, end: start + lengthMinutes * MINUTE_MS };
      }),
      durationMinutes: s.durationMinutes,
      timezone: s.timezone,
      from,
      to,
      now: monday + s.nowMinute * MINUTE_MS,
      policy: {
        gridMinutes: s.gridMinutes,
        minNoticeMinutes: s.minNoticeMinutes,
        horizonDays: s.horizonDays,
      },
      bufferMinutes: s.bufferMinutes,
    };
  });

const durationOf = (search: SlotSearch) => search.durationMinutes * MINUTE_MS;
const bufferOf = (search: SlotSearch) => (search.bufferMinutes ?? 0) * MINUTE_MS;

function insideAvailability(search: SlotSearch, start: number): boolean {
  return search.availability.some((a) => a.start <= start && start + durationOf(search) <= a.end);
}

function clearOfBusy(search: SlotSearch, start: number): boolean {
  const guarded: Interval = {
    start: start - bufferOf(search),
    end: start + durationOf(search) + bufferOf(search),
  };
  return search.busy.every((busy) => busy.end <= guarded.start || guarded.end <= busy.start);
}

// Read the clock with luxon directly, independently of the code under test.
function onLocalGrid(search: SlotSearch, start: number): boolean {
  const local = DateTime.fromMillis(start, { zone: search.timezone });
  return (
    local.second === 0 &&
    local.millisecond === 0 &&
    (local.hour * 60 + local.minute) % search.policy.gridMinutes === 0
  );
}

function withinNoticeAndHorizon(search: SlotSearch, start: number): boolean {
  const { now, policy } = search;
  return start >= now + policy.minNoticeMinutes * MINUTE_MS && start <= now + policy.horizonDays * DAY_MS;
}

/** Every UTC five-minute mark; all zones here are offset by multiples of 15 minutes, so no grid point is missed. */
function bruteForceSlots(search: SlotSearch): number[] {
  const step = 5 * MINUTE_MS;
  const slots: number[] = [];
  for (let start = Math.ceil(search.from / step) * step; start < search.to; start += step) {
    if (
      withinNoticeAndHorizon(search, start) &&
      insideAvailability(search, start) &&
      clearOfBusy(search, start) &&
      onLocalGrid(search, start)
    ) {
      slots.push(start);
    }
  }
  return slots;
}

describe('findOpenSlots, for random weekly availability, bookings, zones and policies', () => {
  it('returns only bookable starts, ascending and without duplicates', () => {
    fc.assert(
      fc.property(scenario, (search) => {
        const slots = findOpenSlots(search);
        const unbookable = slots.filter(
          (start) =>
            start < search.from ||
            start >= search.to ||
            !insideAvailability(search, start) ||
            !onLocalGrid(search, start) ||
            !withinNoticeAndHorizon(search, start) ||
            !clearOfBusy(search, start),
        );
        expect(unbookable.map((start) => new Date(start).toISOString())).toEqual([]);
        expect(slots.every((start, index) => index === 0 || start > (slots[index - 1] ?? start))).toBe(true);
      }),
      RUNS,
    );
  });

  it('misses no bookable start', () => {
    fc.assert(
      fc.property(scenario, (search) => {
        expect(findOpenSlots(search)).toEqual(bruteForceSlots(search));
      }),
      RUNS,
    );
  });
});

describe('checkSlot, for random scenarios', () => {
  const singleStart = (search: SlotSearch, start: number) => {
    const { from: _from, to: _to, ...rest } = search;
    return { ...rest, start };
  };

  it('accepts every start findOpenSlots offers', () => {
    fc.assert(
      fc.property(scenario, (search) => {
        const refused = findOpenSlots(search).filter(
          (start) => checkSlot(singleStart(search, start)) !== null,
        );
        expect(refused).toEqual([]);
      }),
      RUNS,
    );
  });

  it('accepts a start exactly when findOpenSlots offers it', () => {
    const quarterHours = fc.integer({ min: -2 * 96, max: 10 * 96 }).map((k) => k * 15 * MINUTE_MS);
    const anyMillisecond = fc.integer({ min: -2 * DAY_MS, max: 10 * DAY_MS });
    fc.assert(
      fc.property(
        scenario,
        fc.array(fc.oneof(quarterHours, anyMillisecond), { minLength: 1, maxLength: 20 }),
        (search, shifts) => {
          for (const shift of shifts) {
            const start = search.from + shift;
            const offered = findOpenSlots({ ...search, from: start, to: start + 1 });
            const refusal = checkSlot(singleStart(search, start));
            expect(refusal === null, `${new Date(start).toISOString()}: ${refusal}`).toBe(
              offered.includes(start),
            );
            if (refusal === null)
              expect(isOnGrid(start, search.timezone, search.policy.gridMinutes)).toBe(true);
          }
        },
      ),
      RUNS,
    );
  });
});
