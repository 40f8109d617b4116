/**
 * Mentor sessions as iCalendar (RFC 5545): the invitation attached to booking emails (iTIP, RFC 5546),
 * the .ics a participant downloads for one booking, and the private feed a student or mentor
 * subscribes to. Times are always written in UTC (`…Z`) so no client has to know a time zone.
 */
import ical, {
  escape as escapeText,
  ICalAttendeeRole,
  ICalAttendeeStatus,
  ICalAttendeeType,
  type ICalCalendar,
  ICalCalendarMethod,
  ICalEventStatus,
} from 'ical-generator';
import type { CalendarAttachment, EmailAddress } from './notification-ports.js';

export interface SessionCalendarEntry {
  /** Stable per booking across every message: e.g. `booking-42-1764321000000@mentors.example.com` */
  uid: string;
  /** Rises with each change of the booking (0 at first); a cancellation is a change too */
  sequence: number;
  /** Epoch ms, written in UTC */
  start: number;
  /** Epoch ms, written in UTC */
  end: number;
  /** When this version was made (DTSTAMP), epoch ms */
  stamp: number;
  /** e.g. "Equity Research session with Asha Rao" */
  summary: string;
  description: string;
  status: 'confirmed' | 'cancelled' | 'tentative';
  /** The platform (MAIL_FROM) */
  organizer: EmailAddress;
  attendees: Array<EmailAddress & { role: 'student' | 'mentor' }>;
  /** The session's page in the web app */
  url?: string | undefined;
}

const productId = { company: 'Mentor sessions', product: 'scheduling', language: 'EN' };

/** How often subscribed clients are asked to fetch the feed again, in seconds. */
const feedRefreshSeconds = 60 * 60;

const eventStatus = {
  confirmed: ICalEventStatus.CONFIRMED,
  cancelled: ICalEventStatus.CANCELLED,
  tentative: ICalEventStatus.TENTATIVE,
} as const;

/**
 * One booking as an iTIP message: REQUEST (created/moved), CANCEL (cancelled), PUBLISH (download).
 *
 * REQUEST and CANCEL name both participants as attendees; PUBLISH must not (RFC 5546 3.2.1), so a
 * downloaded file is a plain event with its organizer. CANCEL always says STATUS:CANCELLED; its
 * sequence must be above the last REQUEST's or clients ignore it.
 */
export function sessionInvitation(
  entry: SessionCalendarEntry,
  method: 'REQUEST' | 'CANCEL' | 'PUBLISH',
): CalendarAttachment {
  if (method === 'REQUEST' && entry.status === 'cancelled') {
    throw new RangeError(`A cancelled booking (${entry.uid}) is sent as CANCEL, not REQUEST`);
  }
  const calendar = ical({ method: ICalCalendarMethod[method], prodId: productId });
  addSession(calendar, entry, {
    status: method === 'CANCEL' ? 'cancelled' : entry.status,
    organizer: true,
    attendees: method !== 'PUBLISH',
  });
  return { method, content: finished(calendar) };
}

/**
 * A subscribable calendar of many sessions, named, with a refresh hint. It carries no METHOD: it is
 * a view of the subscriber's sessions, not a scheduling message, so it names neither organizer nor
 * attendees (nothing for a client to answer, and no one's email address in a URL-reachable file).
 */
export function sessionFeed(name: string, entries: SessionCalendarEntry[]): string {
  // ical-generator writes the calendar name unescaped: a comma or a line break would corrupt the file.
  const calendar = ical({
    prodId: productId,
    name: escapeText(printable(name), false),
    ttl: feedRefreshSeconds,
  });
  for (const entry of entries) {
    addSession(calendar, entry, { status: entry.status, organizer: false, attendees: false });
  }
  return finished(calendar);
}

function addSession(
  calendar: ICalCalendar,
  entry: SessionCalendarEntry,
  parts: { status: SessionCalendarEntry['status']; organizer: boolean; attendees: boolean },
): void {
  calendar.createEvent({
    id: checkedUid(entry.uid),
    sequence: entry.sequence,
    start: instant(entry.start, 'start'),
    end: instant(entry.end, 'end'),
    stamp: instant(entry.stamp, 'stamp'),
    summary: printable(entry.summary),
    description: printable(entry.description),
    status: eventStatus[parts.status],
    url: entry.url ?? null,
    organizer: parts.organizer
      ? { name: parameterText(entry.organizer.name), email: entry.organizer.address }
      : null,
    attendees: parts.attendees
      ? entry.attendees.map((attendee) => ({
          name: parameterText(attendee.name),
          email: attendee.address,
          role: ICalAttendeeRole.REQ,
          type: ICalAttendeeType.INDIVIDUAL,
          // Both people agreed to the session in the app, and replies would only reach the platform's
          // sending address, which reads none: so no response is asked for.
          status: ICalAttendeeStatus.ACCEPTED,
          rsvp: false,
        }))
      : [],
  });
}

/** RFC 5545 ends every line with CRLF, the last one too; ical-generator leaves the last one bare. */
function finished(calendar: ICalCalendar): string {
  const content = calendar.toString();
  return content.endsWith('\r\n') ? content : `${content}\r\n`;
}

function instant(epochMs: number, what: string): Date {
  const date = new Date(epochMs);
  if (Number.isNaN(date.getTime())) throw new RangeError(`The session's ${what} is not a time`);
  return date;
}

/** The UID is written as given, so it may hold nothing the TEXT grammar would need escaped. */
function checkedUid(uid: string): string {
  if (!/^[\x21-\x7e]+$/.test(uid) || /[\\;,]/.test(uid)) {
    throw new RangeError(`Calendar UID ${JSON.stringify(uid)} is not plain printable ASCII`);
  }
  return uid;
}

/** Control characters other than tab and line breaks are not allowed anywhere in iCalendar. */
function printable(text: string): string {
  return text.replace(/[^\P{Cc}\t\n\r]/gu, '');
}

/**
 * A name inside a quoted parameter (CN="…"), where RFC 5545 allows no double quote or line break.
 * RFC 6868 spells them `^'` and `^n` (and `^` itself `^^`); ical-generator quotes the value but
 * only backslash-escapes, which readers take literally.
 */
function parameterText(name: string): string {
  return printable(name)
    .replace(/\^/g, '^^')
    .replace(/\r\n|\r|\n/g, '^n')
    .replace(/"/g, "^'");
}
