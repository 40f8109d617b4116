import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { DAY_MS, MINUTE_MS } from '../../src/domain/units.js';
import { firstInstantReading, offsetMsAt, offsetSpanAt, wallClockAt } from '../../src/domain/zone.js';

const at = (iso: string): number => Date.parse(iso);

// Zones with unusual changes: half-hour DST, changes at midnight, a negative "summer" offset in
// tz data, an offset that changed by 15 minutes, and hemispheres in both directions.
const ZONES = [
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Europe/London',
  'Europe/Dublin',
  'America/New_York',
  'America/Santiago',
  'Australia/Lord_Howe',
  'Pacific/Apia',
] as const;

const instantsFrom1970To2040 = fc.integer({ min: 0, max: at('2040-01-01T00:00:00Z') });

describe('offsetMsAt', () => {
  it('switches at the exact instant of a DST change', () => {
    const change = at('2026-03-29T01:00:00Z');
    expect(offsetMsAt('Europe/London', change - 1)).toBe(0);
    expect(offsetMsAt('Europe/London', change)).toBe(60 * MINUTE_MS);
  });

  it('agrees with luxon everywhere', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ZONES), instantsFrom1970To2040, (zone, instant) => {
        const expected = DateTime.fromMillis(instant, { zone }).offset * MINUTE_MS;
        expect(offsetMsAt(zone, instant)).toBe(expected);
      }),
      { seed: 1970, numRuns: 300 },
    );
  });

  it('agrees with luxon every quarter hour of each UTC day in 2026 on which a zone changes offset', () => {
    const luxonOffset = (zone: string, instant: number) =>
      DateTime.fromMillis(instant, { zone }).offset * MINUTE_MS;
    let changeDays = 0;
    for (const zone of ZONES) {
      for (
        let midnight = at('2026-01-01T00:00:00Z');
        midnight < at('2027-01-01T00:00:00Z');
        midnight += DAY_MS
      ) {
        if (luxonOffset(zone, midnight) === luxonOffset(zone, midnight + DAY_MS)) continue;
        changeDays++;
        for (let instant = midnight; instant <= midnight + DAY_MS; instant += 15 * MINUTE_MS) {
          expect(offsetMsAt(zone, instant), `${zone} at ${new Date(instant).toISOString()}`).toBe(
            luxonOffset(zone, instant),
          );
        }
      }
    }
    expect(changeDays).toBeGreaterThanOrEqual(10);
  });
});

describe('offsetSpanAt', () => {
  it('ends a span no later than the next offset change', () => {
    const span = offsetSpanAt('America/New_York', at('2026-11-01T00:00:00Z'));
    expect(span).toEqual({ offsetMs: -4 * 60 * MINUTE_MS, until: at('2026-11-01T06:00:00Z') });
  });
});

describe('firstInstantReading', () => {
  it('maps a skipped reading to the end of the gap', () => {
    const wall = at('2026-03-29T01:30:00Z');
    expect(firstInstantReading('Europe/London', wall)).toBe(at('2026-03-29T01:00:00Z'));
  });

  it('maps a repeated reading to its first occurrence', () => {
    const wall = at('2026-10-25T01:30:00Z');
    expect(firstInstantReading('Europe/London', wall)).toBe(at('2026-10-25T00:30:00Z'));
  });

  it('gives the earliest instant whose reading is at or past the asked one', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ZONES), instantsFrom1970To2040, (zone, wall) => {
        const instant = firstInstantReading(zone, wall);
        expect(wallClockAt(zone, instant)).toBeGreaterThanOrEqual(wall);
        expect(wallClockAt(zone, instant - 1)).toBeLessThan(wall);
      }),
      { seed: 2040, numRuns: 300 },
    );
  });
});
