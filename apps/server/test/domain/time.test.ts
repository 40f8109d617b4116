import { describe, expect, it } from 'vitest';
import { DAY_MS, MINUTE_MS, parseInstant, toIsoUtc } from '../../src/domain/time.js';

const at = (iso: string): number => Date.parse(iso);

describe('parseInstant', () => {
  it('reads an instant in UTC', () => {
    expect(parseInstant('2026-12-01T19:00:00Z', 'Asia/Kolkata')).toBe(at('2026-12-01T19:00:00Z'));
  });

  it('applies positive and negative offsets', () => {
    expect(parseInstant('2026-12-01T19:00:00+05:30', 'UTC')).toBe(at('2026-12-01T13:30:00Z'));
    expect(parseInstant('2026-12-01T19:00:00-04:00', 'UTC')).toBe(at('2026-12-01T23:00:00Z'));
    expect(parseInstant('2026-12-01T19:00:00+05:45', 'UTC')).toBe(at('2026-12-01T13:15:00Z'));
  });

  it('lets an explicit offset win over the default zone', () => {
    expect(parseInstant('2026-12-01T19:00:00Z', 'America/New_York')).toBe(at('2026-12-01T19:00:00Z'));
  });

  it('accepts a time without seconds and with fractions, dropping anything finer than a millisecond', () => {
    expect(parseInstant('2026-12-01T19:00Z', 'UTC')).toBe(at('2026-12-01T19:00:00Z'));
    expect(parseInstant('2026-12-01T19:00:00.5Z', 'UTC')).toBe(at('2026-12-01T19:00:00.500Z'));
    expect(parseInstant('2026-12-01T19:00:00.123999Z', 'UTC')).toBe(at('2026-12-01T19:00:00.123Z'));
  });

  it('reads a time without offset on the wall clock of the default zone', () => {
    expect(parseInstant('2026-12-01T19:00:00', 'Asia/Kolkata')).toBe(at('2026-12-01T13:30:00Z'));
    expect(parseInstant('2026-12-01T19:00', 'Asia/Kolkata')).toBe(at('2026-12-01T13:30:00Z'));
    expect(parseInstant('2026-07-01T09:00', 'Europe/London')).toBe(at('2026-07-01T08:00:00Z'));
    expect(parseInstant('2026-12-01T09:00', 'Asia/Kathmandu')).toBe(at('2026-12-01T03:15:00Z'));
  });

  it.each([
    '2026-02-30T10:00:00Z',
    '2025-02-29T10:00',
    '2026-13-01T10:00Z',
    '2026-00-10T10:00Z',
    '2026-12-01T24:00Z',
    '2026-12-01T19:60Z',
    '2026-12-01T19:00:60Z',
    '2026-12-01T19:00+24:00',
    '2026-12-01T19:00+05:60',
    '2026-12-01 19:00Z',
    '2026-12-01',
    '2026-12-01T19',
    '2026-12-01T19:00:00.Z',
    '2026-12-01T19:00:00+0530',
    ' 2026-12-01T19:00Z',
    '',
    'tomorrow at seven',
  ])('refuses %j', (text) => {
    expect(parseInstant(text, 'Asia/Kolkata')).toBeNull();
  });

  it('accepts a leap day in a leap year', () => {
    expect(parseInstant('2028-02-29T00:00Z', 'UTC')).toBe(at('2028-02-29T00:00:00Z'));
  });

  it('refuses a local time skipped by a spring-forward change', () => {
    expect(parseInstant('2026-03-29T01:00', 'Europe/London')).toBeNull();
    expect(parseInstant('2026-03-29T01:59:59', 'Europe/London')).toBeNull();
    expect(parseInstant('2026-03-08T02:30', 'America/New_York')).toBeNull();
  });

  it('accepts the local times on both sides of a spring-forward gap', () => {
    expect(parseInstant('2026-03-29T00:59', 'Europe/London')).toBe(at('2026-03-29T00:59:00Z'));
    expect(parseInstant('2026-03-29T02:00', 'Europe/London')).toBe(at('2026-03-29T01:00:00Z'));
  });

  it('takes the earlier instant for a local time repeated by a fall-back change', () => {
    expect(parseInstant('2026-10-25T01:30', 'Europe/London')).toBe(at('2026-10-25T00:30:00Z'));
    expect(parseInstant('2026-11-01T01:30', 'America/New_York')).toBe(at('2026-11-01T05:30:00Z'));
  });

  it('throws for an unknown zone, which is a programming error rather than bad input', () => {
    expect(() => parseInstant('2026-12-01T19:00', 'Mars/Olympus_Mons')).toThrow(RangeError);
  });
});

describe('toIsoUtc', () => {
  it('formats with milliseconds and Z', () => {
    expect(toIsoUtc(at('2026-12-01T13:30:00Z'))).toBe('2026-12-01T13:30:00.000Z');
  });

  it('round-trips through parseInstant', () => {
    const instant = at('2026-12-01T13:30:15.250Z');
    expect(parseInstant(toIsoUtc(instant), 'Asia/Kolkata')).toBe(instant);
  });
});

describe('time units', () => {
  it('measures a minute and a UTC day in milliseconds', () => {
    expect(MINUTE_MS).toBe(60_000);
    expect(DAY_MS).toBe(86_400_000);
  });
});
