import { describe, expect, it } from 'vitest';
import {
  browserZone,
  commonZones,
  formatInstant,
  formatRange,
  formatTime,
  isValidZone,
  zoneLabel,
} from '../src/time.js';

describe('formatInstant and formatRange', () => {
  it('shows an instant in the zone asked for', () => {
    expect(formatInstant('2026-12-07T13:30:00.000Z', 'Asia/Kolkata')).toBe('Mon 7 Dec, 19:00');
    expect(formatInstant('2026-12-07T13:30:00.000Z', 'UTC')).toBe('Mon 7 Dec, 13:30');
    expect(formatInstant('2026-12-07T13:30:00.000Z', 'America/New_York', { withZone: true })).toBe(
      'Mon 7 Dec, 08:30 (America/New_York)',
    );
    expect(formatTime('2026-12-07T13:30:00.000Z', 'Asia/Singapore')).toBe('21:30');
  });

  it('labels a session with its zone', () => {
    expect(formatRange('2026-12-07T13:30:00.000Z', '2026-12-07T14:00:00.000Z', 'Asia/Kolkata')).toBe(
      'Mon 7 Dec, 19:00–19:30 (Asia/Kolkata)',
    );
  });

  it('names both days when a session crosses midnight in that zone', () => {
    expect(formatRange('2026-09-14T18:00:00.000Z', '2026-09-14T19:00:00.000Z', 'Asia/Kolkata')).toBe(
      'Mon 14 Sep, 23:30–Tue 15 Sep, 00:30 (Asia/Kolkata)',
    );
  });

  it('keeps the real length of a session over a daylight-saving change in London', () => {
    // Clocks go forward at 01:00 UTC on 29 March 2026: an hour from 00:30 GMT ends at 02:30 BST.
    expect(formatRange('2026-03-29T00:30:00.000Z', '2026-03-29T01:30:00.000Z', 'Europe/London')).toBe(
      'Sun 29 Mar, 00:30–02:30 (Europe/London)',
    );
    // Clocks go back at 01:00 UTC on 25 October 2026: 01:30 happens twice, an hour apart.
    expect(formatInstant('2026-10-25T00:30:00.000Z', 'Europe/London')).toBe('Sun 25 Oct, 01:30');
    expect(formatInstant('2026-10-25T01:30:00.000Z', 'Europe/London')).toBe('Sun 25 Oct, 01:30');
  });
});

describe('zones', () => {
  it('labels a zone with its offset at the instant given', () => {
    expect(zoneLabel('Europe/London', '2026-01-15T12:00:00.000Z')).toBe('Europe/London (UTC+00:00)');
    expect(zoneLabel('Europe/London', '2026-07-15T12:00:00.000Z')).toBe('Europe/London (UTC+01:00)');
    expect(zoneLabel('Asia/Kolkata', '2026-07-15T12:00:00.000Z')).toBe('Asia/Kolkata (UTC+05:30)');
    expect(zoneLabel('America/New_York', '2026-01-15T12:00:00.000Z')).toBe('America/New_York (UTC-05:00)');
    expect(zoneLabel('UTC')).toBe('UTC');
  });

  it('tells known zones from unknown ones', () => {
    expect(isValidZone('Asia/Kolkata')).toBe(true);
    expect(isValidZone('Mars/Olympus_Mons')).toBe(false);
    expect(isValidZone('')).toBe(false);
    expect(commonZones.every(isValidZone)).toBe(true);
    expect(commonZones).toEqual(
      expect.arrayContaining([
        'Asia/Kolkata',
        'UTC',
        'Europe/London',
        'America/New_York',
        'Asia/Singapore',
        'Asia/Dubai',
      ]),
    );
    expect(isValidZone(browserZone())).toBe(true);
  });
});
