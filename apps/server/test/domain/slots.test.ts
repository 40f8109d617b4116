import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { expandAvailability } from '../../src/domain/availability.js';
import {
  checkSlot,
  defaultSlotPolicy,
  findOpenSlots,
  type Interval,
  isOnGrid,
  overlaps,
  type SlotSearch,
} from '../../src/domain/slots.js';
import { DAY_MS, MINUTE_MS } from '../../src/domain/units.js';

const at = (iso: string): number => Date.parse(iso);
const span = (start: string, end: string): Interval => ({ start: at(start), end: at(end) });
const minutes = (count: number): number => count * MINUTE_MS;

// Tuesday 2026-12-01, 19:00–21:00 in Kolkata (13:30–15:30 UTC), searched from the morning before.
const kolkataEvening = span('2026-12-01T13:30:00Z', '2026-12-01T15:30:00Z');
const search = (overrides: Partial<SlotSearch> = {}): SlotSearch => ({
  availability: [kolkataEvening],
  busy: [],
  durationMinutes: 60,
  timezone: 'Asia/Kolkata',
  from: at('2026-12-01T00:00:00Z'),
  to: at('2026-12-02T00:00:00Z'),
  now: at('2026-12-01T02:00:00Z'),
  policy: defaultSlotPolicy,
  ...overrides,
});
const localTimes = (slots: number[], zone: string) =>
  slots.map((slot) => DateTime.fromMillis(slot, { zone }).toFormat('HH:mm'));

describe('overlaps', () => {
  it('treats intervals that only touch as not overlapping', () => {
    expect(overlaps({ start: 0, end: 10 }, { start: 10, end: 20 })).toBe(false);
    expect(overlaps({ start: 10, end: 20 }, { start: 0, end: 10 })).toBe(false);
  });

  it('sees partial overlap and containment', () => {
    expect(overlaps({ start: 0, end: 10 }, { start: 9, end: 20 })).toBe(true);
    expect(overlaps({ start: 0, end: 30 }, { start: 10, end: 20 })).toBe(true);
  });

  it('never lets an empty interval overlap anything', () => {
    expect(overlaps({ start: 0, end: 30 }, { start: 10, end: 10 })).toBe(false);
  });
});

describe('isOnGrid', () => {
  it('measures the grid on the local clock', () => {
    expect(isOnGrid(at('2026-12-01T13:30:00Z'), 'Asia/Kolkata', 15)).toBe(true);
    expect(isOnGrid(at('2026-12-01T13:30:00Z'), 'Asia/Kolkata', 60)).toBe(true);
    expect(isOnGrid(at('2026-12-01T13:00:00Z'), 'Asia/Kolkata', 60)).toBe(false);
    expect(isOnGrid(at('2026-12-01T03:15:00Z'), 'Asia/Kathmandu', 60)).toBe(true);
    expect(isOnGrid(at('2026-12-01T03:00:00Z'), 'Asia/Kathmandu', 30)).toBe(false); // 08:45
  });

  it('rejects starts with seconds or milliseconds', () => {
    expect(isOnGrid(at('2026-12-01T13:30:01Z'), 'Asia/Kolkata', 15)).toBe(false);
    expect(isOnGrid(at('2026-12-01T13:30:00.001Z'), 'Asia/Kolkata', 15)).toBe(false);
  });

  it('restarts a grid that does not divide the day at local midnight', () => {
    expect(isOnGrid(at('2026-12-01T18:15:00Z'), 'Asia/Kolkata', 25)).toBe(true); // 23:45 = 57 × 25
    expect(isOnGrid(at('2026-12-01T18:30:00Z'), 'Asia/Kolkata', 25)).toBe(true); // 00:00
    expect(isOnGrid(at('2026-12-01T18:40:00Z'), 'Asia/Kolkata', 25)).toBe(false); // 00:10
  });
});

describe('findOpenSlots', () => {
  it('offers every grid step at which the session fits the window', () => {
    expect(localTimes(findOpenSlots(search()), 'Asia/Kolkata')).toEqual([
      '19:00',
      '19:15',
      '19:30',
      '19:45',
      '20:00',
    ]);
  });

  it('follows the grid of the policy', () => {
    const slots = findOpenSlots(search({ policy: { ...defaultSlotPolicy, gridMinutes: 30 } }));
    expect(localTimes(slots, 'Asia/Kolkata')).toEqual(['19:00', '19:30', '20:00']);
  });

  it('aligns to the grid when a window opens off the grid', () => {
    const offGrid = span('2026-12-01T13:37:00Z', '2026-12-01T15:30:00Z');
    expect(localTimes(findOpenSlots(search({ availability: [offGrid] })), 'Asia/Kolkata')).toEqual([
      '19:15',
      '19:30',
      '19:45',
      '20:00',
    ]);
  });

  it('offers nothing closer to now than the minimum notice', () => {
    const now = at('2026-12-01T11:50:00Z'); // notice ends 13:50 UTC, 19:20 in Kolkata
    expect(localTimes(findOpenSlots(search({ now })), 'Asia/Kolkata')).toEqual(['19:30', '19:45', '20:00']);
  });

  it('offers a slot exactly at the end of the horizon but nothing after it', () => {
    const now = at('2026-12-01T14:00:00Z') - 60 * DAY_MS;
    expect(localTimes(findOpenSlots(search({ now })), 'Asia/Kolkata')).toEqual(['19:00', '19:15', '19:30']);
  });

  it('keeps to [from, to)', () => {
    const slots = findOpenSlots(search({ from: at('2026-12-01T13:45:00Z'), to: at('2026-12-01T14:30:00Z') }));
    expect(localTimes(slots, 'Asia/Kolkata')).toEqual(['19:15', '19:30', '19:45']);
  });

  it('never returns a slot that overlaps a booking', () => {
    const booking = span('2026-12-01T14:00:00Z', '2026-12-01T14:30:00Z'); // 19:30–20:00
    const slots = findOpenSlots(search({ durationMinutes: 30, busy: [booking] }));
    expect(localTimes(slots, 'Asia/Kolkata')).toEqual(['19:00', '20:00', '20:15', '20:30']);
  });

  it('keeps the buffer free on both sides of a booking', () => {
    const booking = span('2026-12-01T14:00:00Z', '2026-12-01T14:30:00Z'); // 19:30–20:00
    const slots = findOpenSlots(search({ durationMinutes: 30, busy: [booking], bufferMinutes: 15 }));
    expect(localTimes(slots, 'Asia/Kolkata')).toEqual(['20:15', '20:30']);
  });

  it('copes with unsorted, overlapping and empty inputs', () => {
    const slots = findOpenSlots(
      search({
        durationMinutes: 30,
        availability: [
          span('2026-12-01T14:30:00Z', '2026-12-01T16:00:00Z'),
          span('2026-12-01T13:30:00Z', '2026-12-01T14:45:00Z'),
          span('2026-12-01T13:00:00Z', '2026-12-01T13:00:00Z'),
        ],
        busy: [
          span('2026-12-01T15:00:00Z', '2026-12-01T15:10:00Z'),
          span('2026-12-01T13:40:00Z', '2026-12-01T14:00:00Z'),
          span('2026-12-01T13:45:00Z', '2026-12-01T13:50:00Z'),
        ],
      }),
    );
    expect(localTimes(slots, 'Asia/Kolkata')).toEqual(['19:30', '19:45', '20:00', '20:45', '21:00']);
  });

  it('finds nothing without availability', () => {
    expect(findOpenSlots(search({ availability: [] }))).toEqual([]);
  });

  it('restarts a grid that does not divide the day at local midnight', () => {
    const aroundMidnight = span('2026-12-01T17:30:00Z', '2026-12-01T19:30:00Z'); // 23:00–01:00
    const slots = findOpenSlots(
      search({
        availability: [aroundMidnight],
        durationMinutes: 25,
        policy: { ...defaultSlotPolicy, gridMinutes: 25 },
      }),
    );
    expect(localTimes(slots, 'Asia/Kolkata')).toEqual(['23:20', '23:45', '00:00', '00:25']);
  });

  it('puts hourly Kathmandu slots on its local hours, a quarter past the hour in UTC', () => {
    const morning = span('2026-12-01T03:15:00Z', '2026-12-01T05:15:00Z'); // 09:00–11:00
    const slots = findOpenSlots(
      search({
        availability: [morning],
        timezone: 'Asia/Kathmandu',
        now: at('2026-11-30T00:00:00Z'),
        policy: { ...defaultSlotPolicy, gridMinutes: 60 },
      }),
    );
    expect(slots).toEqual([at('2026-12-01T03:15:00Z'), at('2026-12-01T04:15:00Z')]);
  });

  it('rejects durations and grids that make no sense', () => {
    expect(() => findOpenSlots(search({ durationMinutes: 0 }))).toThrow(RangeError);
    expect(() => findOpenSlots(search({ policy: { ...defaultSlotPolicy, gridMinutes: 7.5 } }))).toThrow(
      RangeError,
    );
    expect(() => findOpenSlots(search({ bufferMinutes: -5 }))).toThrow(RangeError);
  });

  it('re-aligns the grid when a half-hour DST change would shift it (Lord Howe)', () => {
    const zone = 'Australia/Lord_Howe'; // +10:30, then +11:00 from 02:00 on 2026-10-04
    const earlyHours = span('2026-10-03T13:30:00Z', '2026-10-03T19:00:00Z'); // 00:00–06:00 local
    const slots = findOpenSlots(
      search({
        availability: [earlyHours],
        timezone: zone,
        from: earlyHours.start,
        to: earlyHours.end,
        now: earlyHours.start - DAY_MS,
        policy: { ...defaultSlotPolicy, gridMinutes: 60 },
      }),
    );
    expect(localTimes(slots, zone)).toEqual(['00:00', '01:00', '03:00', '04:00', '05:00']);
  });

  describe('on DST change days in London', () => {
    const zone = 'Europe/London';
    const night = (date: string) => {
      const rules = {
        timezone: zone,
        weekly: [{ day: 'sun' as const, start: '00:00', end: '04:00' }],
        overrides: [],
      };
      const midnight = DateTime.fromISO(date, { zone });
      const from = midnight.toMillis();
      const to = midnight.plus({ days: 1 }).toMillis();
      return findOpenSlots({
        availability: expandAvailability(rules, from, to),
        busy: [],
        durationMinutes: 30,
        timezone: zone,
        from,
        to,
        now: from - 7 * DAY_MS,
        policy: defaultSlotPolicy,
      });
    };

    it('skips the nonexistent hour without shifting the slots after it', () => {
      const slots = night('2026-03-29');
      expect(localTimes(slots, zone)).toEqual([
        '00:00',
        '00:15',
        '00:30',
        '00:45',
        '02:00',
        '02:15',
        '02:30',
        '02:45',
        '03:00',
        '03:15',
        '03:30',
      ]);
    });

    it('offers the repeated hour twice, as distinct instants on the local grid', () => {
      const slots = night('2026-10-25');
      const times = localTimes(slots, zone);
      expect(times.filter((time) => time === '01:15')).toHaveLength(2);
      expect(times).toHaveLength(4 + 8 + 7);
      expect(new Set(slots).size).toBe(slots.length);
      expect(
        slots.every((slot, index) => index === 0 || slot === (slots[index - 1] ?? 0) + minutes(15)),
      ).toBe(true);
      expect(slots.every((slot) => isOnGrid(slot, zone, 15))).toBe(true);
    });
  });
});

describe('checkSlot', () => {
  const check = (start: string, overrides: Partial<SlotSearch> = {}) => {
    const { from: _from, to: _to, ...rest } = search(overrides);
    return checkSlot({ ...rest, start: at(start) });
  };

  it('accepts an open slot', () => {
    expect(check('2026-12-01T13:30:00Z')).toBeNull();
  });

  it('refuses a start in the past before anything else', () => {
    expect(check('2026-12-01T01:07:13Z')).toBe('in_the_past');
  });

  it('refuses a start within the minimum notice', () => {
    expect(check('2026-12-01T13:30:00Z', { now: at('2026-12-01T12:00:00Z') })).toBe('too_soon');
  });

  it('refuses a start beyond the horizon', () => {
    expect(check('2026-12-01T13:30:00Z', { now: at('2026-12-01T13:29:00Z') - 60 * DAY_MS })).toBe(
      'beyond_horizon',
    );
  });

  it('refuses a start off the grid', () => {
    expect(check('2026-12-01T13:40:00Z')).toBe('off_grid');
  });

  it('refuses a session that runs past the end of availability', () => {
    expect(check('2026-12-01T14:45:00Z')).toBe('outside_availability');
    expect(check('2026-12-01T04:00:00Z')).toBe('outside_availability');
  });

  it('refuses a session that overlaps a booking or its buffer', () => {
    const booking = span('2026-12-01T14:30:00Z', '2026-12-01T15:00:00Z');
    expect(check('2026-12-01T14:00:00Z', { busy: [booking] })).toBe('slot_taken');
    expect(check('2026-12-01T13:30:00Z', { busy: [booking] })).toBeNull();
    expect(check('2026-12-01T13:30:00Z', { busy: [booking], bufferMinutes: 5 })).toBe('slot_taken');
  });
});
