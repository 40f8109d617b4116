import { DateTime, IANAZone } from 'luxon';

/** Names of days and months in one fixed language, so a page reads the same on every browser. */
const locale = 'en-GB';

/** A short list to pick from; any valid IANA zone is still accepted where a zone is typed. */
export const commonZones: readonly string[] = [
  'Asia/Kolkata',
  'UTC',
  'Europe/London',
  'Europe/Berlin',
  'America/New_York',
  'America/Los_Angeles',
  'Asia/Dubai',
  'Asia/Singapore',
  'Asia/Tokyo',
  'Australia/Sydney',
];

export function isValidZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

/** The browser's own zone; UTC when the browser does not say or says something unknown. */
export function browserZone(): string {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return zone && isValidZone(zone) ? zone : 'UTC';
}

function inZone(iso: string, zone: string): DateTime {
  return DateTime.fromISO(iso, { setZone: true }).setZone(zone).setLocale(locale);
}

// Luxon's en-GB month names follow the platform's ICU, which writes "Sept"; three letters read better.
function dayAndTime(at: DateTime): string {
  return `${at.toFormat('ccc d')} ${monthName(at)}, ${at.toFormat('HH:mm')}`;
}

const shortMonths = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
function monthName(at: DateTime): string {
  return shortMonths[at.month - 1] ?? at.toFormat('LLL');
}

/**
 * An instant as a day and a 24-hour time in a zone: "Mon 7 Dec, 19:00". Say which zone next to it,
 * or use `{ withZone: true }`: "Mon 7 Dec, 19:00 (Asia/Kolkata)".
 */
export function formatInstant(iso: string, zone: string, options: { withZone?: boolean } = {}): string {
  const text = dayAndTime(inZone(iso, zone));
  return options.withZone ? `${text} (${zone})` : text;
}

/** A session's time in a zone, labelled with it: "Mon 7 Dec, 19:00–19:30 (Asia/Kolkata)". */
export function formatRange(startIso: string, endIso: string, zone: string): string {
  const start = inZone(startIso, zone);
  const end = inZone(endIso, zone);
  const endText = start.hasSame(end, 'day') ? end.toFormat('HH:mm') : dayAndTime(end);
  return `${dayAndTime(start)}–${endText} (${zone})`;
}

/** Only the time of day: "19:00". */
export function formatTime(iso: string, zone: string): string {
  return inZone(iso, zone).toFormat('HH:mm');
}

/**
 * A zone with its offset from UTC at an instant (now, unless given), as a choice in a list:
 * "Europe/London (UTC+01:00)" in summer, "Europe/London (UTC+00:00)" in winter.
 */
export function zoneLabel(zone: string, atIso?: string): string {
  if (zone === 'UTC') return 'UTC';
  const at = atIso ? DateTime.fromISO(atIso, { zone }) : DateTime.now().setZone(zone);
  if (!at.isValid) return zone;
  return `${zone} (UTC${at.toFormat('ZZ')})`;
}
