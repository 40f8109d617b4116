import { describe, expect, it } from 'vitest';
import { reachesDailyLimit, withinDailyLimit } from '../../src/domain/daily-limit.js';
import { toIsoInZone } from '../../src/domain/time.js';

const at = (iso: string) => Date.parse(iso);
const session = (startIso: string, minutes = 30) => ({
  start: at(startIso),
  end: at(startIso) + minutes * 60_000,
});

describe('daily session limit', () => {
  // 23:30 IST on 1 Dec is 18:00Z; 00:30 IST on 2 Dec is 19:00Z the same UTC day.
  const sessions = [session('2026-12-01T13:30:00Z'), session('2026-12-01T18:00:00Z')];

  it('counts sessions by the mentor’s local day, not the UTC day', () => {
    expect(reachesDailyLimit(at('2026-12-01T19:00:00Z'), sessions, 'Asia/Kolkata', 2)).toBe(false);
    expect(reachesDailyLimit(at('2026-12-01T15:00:00Z'), sessions, 'Asia/Kolkata', 2)).toBe(true);
  });

  it('drops only the starts whose local day is full', () => {
    const starts = [at('2026-12-01T15:00:00Z'), at('2026-12-01T19:00:00Z'), at('2026-12-02T13:30:00Z')];
    expect(withinDailyLimit(starts, sessions, 'Asia/Kolkata', 2)).toEqual(starts.slice(1));
    expect(withinDailyLimit(starts, sessions, 'Asia/Kolkata', null)).toEqual(starts);
  });
});

describe('toIsoInZone', () => {
  it('writes local time with the zone’s offset at that instant', () => {
    expect(toIsoInZone(at('2026-12-01T13:30:00Z'), 'Asia/Kolkata')).toBe('2026-12-01T19:00:00.000+05:30');
    expect(toIsoInZone(at('2026-12-01T13:30:00Z'), 'America/New_York')).toBe('2026-12-01T08:30:00.000-05:00');
    expect(toIsoInZone(at('2026-07-01T13:30:00Z'), 'Europe/London')).toBe('2026-07-01T14:30:00.000+01:00');
    expect(toIsoInZone(at('2026-12-01T13:30:00Z'), 'UTC')).toBe('2026-12-01T13:30:00.000Z');
  });
});
