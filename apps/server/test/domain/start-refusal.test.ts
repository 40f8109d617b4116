import { describe, expect, it } from 'vitest';
import { statusAt } from '../../src/domain/booking-status.js';
import { checkSlot, defaultSlotPolicy, startRefusal } from '../../src/domain/slots.js';

const at = (iso: string): number => Date.parse(iso);
const now = at('2026-12-01T00:00:00Z');
const hourly = { ...defaultSlotPolicy, gridMinutes: 60 };

describe('startRefusal', () => {
  it('reads an hourly grid on each zone’s clock: 14:00 UTC is 19:30 in Kolkata', () => {
    const start = at('2026-12-01T14:00:00Z');
    expect(startRefusal(start, { now, policy: hourly, timezones: ['Asia/Kolkata'] })).toBe('off_grid');
    expect(startRefusal(start, { now, policy: hourly, timezones: ['Europe/London'] })).toBeNull();
  });

  it('lets a start pass when it is on the grid of any mentor of a pool', () => {
    const start = at('2026-12-01T14:00:00Z');
    const pool = { now, policy: hourly, timezones: ['Asia/Kolkata', 'Europe/London'] };
    expect(startRefusal(start, pool)).toBeNull();
  });

  it('judges notice and horizon before the grid, whatever the zones', () => {
    const offGridAndPast = at('2026-11-30T13:40:00Z');
    expect(startRefusal(offGridAndPast, { now, policy: hourly, timezones: [] })).toBe('in_the_past');
    expect(startRefusal(at('2026-12-01T01:00:00Z'), { now, policy: hourly, timezones: [] })).toBe('too_soon');
  });

  it('is the first thing checkSlot asks', () => {
    const start = at('2026-12-01T14:00:00Z');
    const check = {
      availability: [],
      busy: [{ start, end: start + 1 }],
      durationMinutes: 30,
      timezone: 'Asia/Kolkata',
      now,
      policy: hourly,
      start,
    };
    expect(checkSlot(check)).toBe('off_grid');
  });
});

describe('statusAt', () => {
  const end = at('2026-12-01T14:00:00Z');

  it('reads a confirmed session as completed from its end on', () => {
    expect(statusAt('confirmed', end, end - 1)).toBe('confirmed');
    expect(statusAt('confirmed', end, end)).toBe('completed');
  });

  it('leaves a cancelled session cancelled', () => {
    expect(statusAt('cancelled', end, end + 1)).toBe('cancelled');
  });
});
