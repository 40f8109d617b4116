import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import {
  type AvailabilityRules,
  expandAvailability,
  findAvailabilityProblems,
  type WeeklyWindow,
} from '../../src/domain/availability.js';
import type { Interval } from '../../src/domain/interval.js';
import { MINUTE_MS } from '../../src/domain/units.js';

const at = (iso: string): number => Date.parse(iso);
const span = (start: string, end: string): Interval => ({ start: at(start), end: at(end) });
const hoursOf = (interval: Interval): number => (interval.end - interval.start) / (60 * MINUTE_MS);

function rules(timezone: string, weekly: WeeklyWindow[], overrides: AvailabilityRules['overrides'] = []) {
  return { timezone, weekly, overrides };
}

const weekdayEvenings: WeeklyWindow[] = (['mon', 'tue', 'wed', 'thu', 'fri'] as const).map((day) => ({
  day,
  start: '19:00',
  end: '23:00',
}));

describe('findAvailabilityProblems', () => {
  it('finds nothing wrong with sound rules', () => {
    const sound = rules(
      'Asia/Kolkata',
      [...weekdayEvenings, { day: 'sat', start: '20:00', end: '24:00' }],
      [
        { date: '2026-12-25', windows: [] },
        { date: '2026-12-26', windows: [{ start: '10:00', end: '12:00' }] },
      ],
    );
    expect(findAvailabilityProblems(sound)).toEqual([]);
  });

  it('points at an end that is not after its start', () => {
    const problems = findAvailabilityProblems(
      rules('Asia/Kolkata', [
        { day: 'mon', start: '10:00', end: '11:00' },
        { day: 'mon', start: '12:00', end: '12:00' },
        { day: 'tue', start: '18:00', end: '09:00' },
      ]),
    );
    expect(problems.map((p) => p.path)).toEqual(['/weekly/1/end', '/weekly/2/end']);
  });

  it('allows 24:00 only as an end', () => {
    const problems = findAvailabilityProblems(
      rules('Asia/Kolkata', [
        { day: 'mon', start: '22:00', end: '24:00' },
        { day: 'tue', start: '24:00', end: '24:00' },
      ]),
    );
    expect(problems.map((p) => p.path)).toEqual(['/weekly/1/start']);
  });

  it('points at malformed times and unknown days', () => {
    const problems = findAvailabilityProblems(
      rules('Asia/Kolkata', [
        { day: 'mon', start: '9:00', end: '10:00' },
        { day: 'tue', start: '09:00', end: '25:00' },
        { day: 'someday' as WeeklyWindow['day'], start: '09:00', end: '10:00' },
      ]),
    );
    expect(problems.map((p) => p.path)).toEqual(['/weekly/0/start', '/weekly/1/end', '/weekly/2/day']);
  });

  it('reports overlapping windows of the same weekday but lets windows touch', () => {
    const problems = findAvailabilityProblems(
      rules('Asia/Kolkata', [
        { day: 'mon', start: '09:00', end: '12:00' },
        { day: 'mon', start: '12:00', end: '14:00' },
        { day: 'tue', start: '09:00', end: '12:00' },
        { day: 'mon', start: '11:00', end: '13:00' },
      ]),
    );
    expect(problems).toEqual([
      { path: '/weekly/3', message: 'overlaps /weekly/0' },
      { path: '/weekly/3', message: 'overlaps /weekly/1' },
    ]);
  });

  it('reports overlapping windows within one override and a date overridden twice', () => {
    const problems = findAvailabilityProblems(
      rules('Asia/Kolkata', weekdayEvenings, [
        {
          date: '2026-12-25',
          windows: [
            { start: '10:00', end: '12:00' },
            { start: '11:30', end: '13:00' },
          ],
        },
        { date: '2026-12-25', windows: [] },
      ]),
    );
    expect(problems.map((p) => p.path)).toEqual(['/overrides/0/windows/1', '/overrides/1/date']);
  });

  it('points at override dates that do not exist and bad override windows', () => {
    const problems = findAvailabilityProblems(
      rules(
        'Asia/Kolkata',
        [],
        [
          { date: '2026-02-30', windows: [] },
          { date: '2026-3-01', windows: [] },
          { date: '2026-03-02', windows: [{ start: '10:00', end: '09:00' }] },
        ],
      ),
    );
    expect(problems.map((p) => p.path)).toEqual([
      '/overrides/0/date',
      '/overrides/1/date',
      '/overrides/2/windows/0/end',
    ]);
  });

  it('points at an unknown time zone', () => {
    expect(findAvailabilityProblems(rules('India/Pune', weekdayEvenings)).map((p) => p.path)).toEqual([
      '/timezone',
    ]);
  });
});

describe('expandAvailability', () => {
  it('places Kolkata weekday evenings on the real instants of one week', () => {
    // 2026-11-30 is a Monday; Kolkata is UTC+05:30 all year.
    const week = expandAvailability(
      rules('Asia/Kolkata', weekdayEvenings),
      at('2026-11-29T18:30:00Z'),
      at('2026-12-06T18:30:00Z'),
    );
    expect(week).toEqual([
      span('2026-11-30T13:30:00Z', '2026-11-30T17:30:00Z'),
      span('2026-12-01T13:30:00Z', '2026-12-01T17:30:00Z'),
      span('2026-12-02T13:30:00Z', '2026-12-02T17:30:00Z'),
      span('2026-12-03T13:30:00Z', '2026-12-03T17:30:00Z'),
      span('2026-12-04T13:30:00Z', '2026-12-04T17:30:00Z'),
    ]);
  });

  it('clips to the requested range', () => {
    const clipped = expandAvailability(
      rules('Asia/Kolkata', weekdayEvenings),
      at('2026-11-30T15:00:00Z'),
      at('2026-12-01T14:00:00Z'),
    );
    expect(clipped).toEqual([
      span('2026-11-30T15:00:00Z', '2026-11-30T17:30:00Z'),
      span('2026-12-01T13:30:00Z', '2026-12-01T14:00:00Z'),
    ]);
  });

  it('returns nothing for an empty range', () => {
    const from = at('2026-11-30T15:00:00Z');
    expect(expandAvailability(rules('Asia/Kolkata', weekdayEvenings), from, from)).toEqual([]);
  });

  it('lets a window ending at 24:00 run into the next day and merges it with a window starting at midnight', () => {
    const lateNights = rules('Asia/Kolkata', [
      { day: 'mon', start: '22:00', end: '24:00' },
      { day: 'tue', start: '00:00', end: '01:30' },
    ]);
    expect(expandAvailability(lateNights, at('2026-11-30T00:00:00Z'), at('2026-12-02T00:00:00Z'))).toEqual([
      span('2026-11-30T16:30:00Z', '2026-11-30T20:00:00Z'),
    ]);
  });

  it('replaces a date with its override: a day off removes it, windows take its place', () => {
    const holidays = rules('Asia/Kolkata', weekdayEvenings, [
      { date: '2026-12-01', windows: [] },
      {
        date: '2026-12-02',
        windows: [
          { start: '09:00', end: '10:00' },
          { start: '21:00', end: '22:00' },
        ],
      },
      { date: '2026-12-05', windows: [{ start: '10:00', end: '11:00' }] },
    ]);
    expect(expandAvailability(holidays, at('2026-11-30T18:30:00Z'), at('2026-12-05T18:30:00Z'))).toEqual([
      span('2026-12-02T03:30:00Z', '2026-12-02T04:30:00Z'),
      span('2026-12-02T15:30:00Z', '2026-12-02T16:30:00Z'),
      span('2026-12-03T13:30:00Z', '2026-12-03T17:30:00Z'),
      span('2026-12-04T13:30:00Z', '2026-12-04T17:30:00Z'),
      span('2026-12-05T04:30:00Z', '2026-12-05T05:30:00Z'),
    ]);
  });

  it('finds windows of the local date before the range start when they reach into it', () => {
    // Kathmandu is ahead of UTC: Monday 00:00–02:00 there is still Sunday in UTC.
    const earlyMonday = rules('Asia/Kathmandu', [{ day: 'mon', start: '00:00', end: '02:00' }]);
    expect(expandAvailability(earlyMonday, at('2026-11-29T19:00:00Z'), at('2026-11-30T00:00:00Z'))).toEqual([
      span('2026-11-29T19:00:00Z', '2026-11-29T20:15:00Z'),
    ]);
  });

  it('places Kathmandu windows at +05:45', () => {
    const mornings = rules('Asia/Kathmandu', [{ day: 'tue', start: '09:00', end: '10:30' }]);
    expect(expandAvailability(mornings, at('2026-11-30T00:00:00Z'), at('2026-12-07T00:00:00Z'))).toEqual([
      span('2026-12-01T03:15:00Z', '2026-12-01T04:45:00Z'),
    ]);
  });

  it('throws on rules with problems', () => {
    const broken = rules('Asia/Kolkata', [{ day: 'mon', start: '19:00', end: '18:00' }]);
    expect(() => expandAvailability(broken, 0, 1)).toThrow(/\/weekly\/0\/end/);
  });

  describe.each([
    { zone: 'Europe/London', springForward: '2026-03-29', fallBack: '2026-10-25' },
    { zone: 'America/New_York', springForward: '2026-03-08', fallBack: '2026-11-01' },
  ])('around DST changes in $zone', ({ zone, springForward, fallBack }) => {
    const sundayNight = (start: string, end: string) => rules(zone, [{ day: 'sun', start, end }]);
    const onDate = (date: string, windowRules: AvailabilityRules) => {
      const midnight = DateTime.fromISO(date, { zone });
      return expandAvailability(windowRules, midnight.toMillis(), midnight.plus({ days: 1 }).toMillis());
    };
    const localTime = (instant: number) => DateTime.fromMillis(instant, { zone }).toFormat('HH:mm');

    it('shortens a window across the spring-forward gap to the real elapsed time', () => {
      const [window, ...rest] = onDate(springForward, sundayNight('00:30', '03:00'));
      expect(rest).toEqual([]);
      expect(window && hoursOf(window)).toBe(1.5);
    });

    it('starts a window that opens inside the gap at the end of the gap', () => {
      const [window] = onDate(
        springForward,
        sundayNight(zone === 'Europe/London' ? '01:30' : '02:30', '04:00'),
      );
      expect(window && localTime(window.start)).toBe(zone === 'Europe/London' ? '02:00' : '03:00');
    });

    it('drops a window that lies entirely in the gap', () => {
      const inGap = zone === 'Europe/London' ? sundayNight('01:00', '01:45') : sundayNight('02:00', '02:45');
      expect(onDate(springForward, inGap)).toEqual([]);
    });

    it('lengthens a window across the fall-back change to the real elapsed time', () => {
      const [window, ...rest] = onDate(fallBack, sundayNight('00:30', '03:00'));
      expect(rest).toEqual([]);
      expect(window && hoursOf(window)).toBe(3.5);
    });

    it('starts a window inside the repeated hour at its first occurrence', () => {
      const [window] = onDate(fallBack, sundayNight('01:30', '03:00'));
      expect(window && hoursOf(window)).toBe(2.5);
    });

    it('keeps ordinary Sundays at their wall-clock length', () => {
      const nextSunday = DateTime.fromISO(fallBack).plus({ weeks: 1 }).toISODate() ?? '';
      const [window] = onDate(nextSunday, sundayNight('00:30', '03:00'));
      expect(window && hoursOf(window)).toBe(2.5);
    });
  });
});
