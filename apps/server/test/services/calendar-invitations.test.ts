import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';
import {
  type SessionCalendarEntry,
  sessionFeed,
  sessionInvitation,
} from '../../src/services/calendar-invitations.js';

const start = Date.UTC(2026, 11, 7, 13, 30);
const end = Date.UTC(2026, 11, 7, 14, 0);
const stamp = Date.UTC(2026, 10, 28, 9, 10, 0);

function booking(overrides: Partial<SessionCalendarEntry> = {}): SessionCalendarEntry {
  return {
    uid: 'booking-42-1764321000000@mentors.example.com',
    sequence: 0,
    start,
    end,
    stamp,
    summary: 'Equity Research session with Asha Rao',
    description: 'Your 30-minute session. Manage it at https://app.example.com/sessions/42',
    status: 'confirmed',
    organizer: { name: 'Mentor sessions', address: 'sessions@mentors.example.com' },
    attendees: [
      { name: 'Ravi Kumar', address: 'ravi@students.example.com', role: 'student' },
      { name: 'Asha Rao', address: 'asha@mentors.example.com', role: 'mentor' },
    ],
    url: 'https://app.example.com/sessions/42',
    ...overrides,
  };
}

function calendarOf(content: string): ICAL.Component {
  const calendar = new ICAL.Component(ICAL.parse(content));
  expect(calendar.name).toBe('vcalendar');
  return calendar;
}

function onlyEvent(content: string): ICAL.Component {
  const events = calendarOf(content).getAllSubcomponents('vevent');
  expect(events).toHaveLength(1);
  return events[0] as ICAL.Component;
}

/** The logical lines (folding undone), so one property's raw text can be checked. */
function unfoldedLines(content: string): string[] {
  return content.replace(/\r\n[ \t]/g, '').split('\r\n');
}

function rawProperty(content: string, name: string): string[] {
  return unfoldedLines(content).filter((line) => line.startsWith(`${name}:`) || line.startsWith(`${name};`));
}

/**
 * NAME (RFC 7986) and X-WR-CALNAME are TEXT, but ical.js leaves properties it does not know
 * undecoded: read each one's raw value the way a TEXT property is read.
 */
function calendarNames(content: string): string[] {
  return ['NAME', 'X-WR-CALNAME'].flatMap((name) =>
    rawProperty(content, name).map((line) =>
      String(ICAL.Property.fromString(`DESCRIPTION${line.slice(name.length)}`).getFirstValue()),
    ),
  );
}

function epochMs(component: ICAL.Component, property: string): number {
  const value = component.getFirstPropertyValue(property);
  expect(value).toBeInstanceOf(ICAL.Time);
  const time = value as ICAL.Time;
  expect(time.zone?.tzid).toBe('UTC');
  return time.toJSDate().getTime();
}

function attendeesOf(
  event: ICAL.Component,
): Array<{ cn: unknown; address: unknown; partstat: unknown; rsvp: unknown; role: unknown }> {
  return event.getAllProperties('attendee').map((property) => ({
    cn: property.getParameter('cn'),
    address: String(property.getFirstValue()).toLowerCase(),
    partstat: property.getParameter('partstat'),
    rsvp: property.getParameter('rsvp'),
    role: property.getParameter('role'),
  }));
}

describe('session invitations (iTIP)', () => {
  it('REQUEST carries the booking: method, UID, sequence, UTC times, stamp, organizer, both attendees', () => {
    const attachment = sessionInvitation(booking({ sequence: 3 }), 'REQUEST');
    expect(attachment.method).toBe('REQUEST');

    const calendar = calendarOf(attachment.content);
    expect(calendar.getFirstPropertyValue('method')).toBe('REQUEST');
    expect(calendar.getFirstPropertyValue('version')).toBe('2.0');
    expect(calendar.getFirstPropertyValue('prodid')).toContain('Mentor sessions');

    const event = onlyEvent(attachment.content);
    const session = new ICAL.Event(event);
    expect(session.uid).toBe('booking-42-1764321000000@mentors.example.com');
    expect(session.sequence).toBe(3);
    expect(session.summary).toBe('Equity Research session with Asha Rao');
    expect(session.description).toBe(
      'Your 30-minute session. Manage it at https://app.example.com/sessions/42',
    );
    expect(epochMs(event, 'dtstart')).toBe(start);
    expect(epochMs(event, 'dtend')).toBe(end);
    expect(epochMs(event, 'dtstamp')).toBe(stamp);
    expect(rawProperty(attachment.content, 'DTSTART')).toEqual(['DTSTART:20261207T133000Z']);
    expect(rawProperty(attachment.content, 'DTEND')).toEqual(['DTEND:20261207T140000Z']);
    expect(rawProperty(attachment.content, 'DTSTAMP')).toEqual(['DTSTAMP:20261128T091000Z']);
    expect(event.getFirstPropertyValue('status')).toBe('CONFIRMED');
    expect(event.getFirstPropertyValue('url')).toBe('https://app.example.com/sessions/42');

    const organizer = event.getFirstProperty('organizer');
    expect(String(organizer?.getFirstValue()).toLowerCase()).toBe('mailto:sessions@mentors.example.com');
    expect(organizer?.getParameter('cn')).toBe('Mentor sessions');

    expect(attendeesOf(event)).toEqual([
      {
        cn: 'Ravi Kumar',
        address: 'mailto:ravi@students.example.com',
        partstat: 'ACCEPTED',
        rsvp: 'FALSE',
        role: 'REQ-PARTICIPANT',
      },
      {
        cn: 'Asha Rao',
        address: 'mailto:asha@mentors.example.com',
        partstat: 'ACCEPTED',
        rsvp: 'FALSE',
        role: 'REQ-PARTICIPANT',
      },
    ]);
  });

  it('REQUEST for a booking not yet confirmed says STATUS:TENTATIVE', () => {
    const event = onlyEvent(sessionInvitation(booking({ status: 'tentative' }), 'REQUEST').content);
    expect(event.getFirstPropertyValue('status')).toBe('TENTATIVE');
  });

  it('refuses a REQUEST for a cancelled booking (that is a CANCEL)', () => {
    expect(() => sessionInvitation(booking({ status: 'cancelled' }), 'REQUEST')).toThrow(/CANCEL/);
  });

  it('CANCEL keeps the UID, carries the higher sequence and STATUS:CANCELLED, and names both attendees', () => {
    const request = onlyEvent(sessionInvitation(booking({ sequence: 1 }), 'REQUEST').content);
    // The caller may still hold the booking's last status; a CANCEL cancels regardless.
    const attachment = sessionInvitation(booking({ sequence: 2, status: 'confirmed' }), 'CANCEL');
    expect(attachment.method).toBe('CANCEL');
    expect(calendarOf(attachment.content).getFirstPropertyValue('method')).toBe('CANCEL');

    const cancel = onlyEvent(attachment.content);
    expect(cancel.getFirstPropertyValue('uid')).toBe(request.getFirstPropertyValue('uid'));
    expect(cancel.getFirstPropertyValue('sequence')).toBe(2);
    expect(cancel.getFirstPropertyValue('status')).toBe('CANCELLED');
    expect(epochMs(cancel, 'dtstart')).toBe(start);
    expect(attendeesOf(cancel).map((attendee) => attendee.address)).toEqual([
      'mailto:ravi@students.example.com',
      'mailto:asha@mentors.example.com',
    ]);
  });

  it('PUBLISH (a download) has the organizer but no attendees, as RFC 5546 requires', () => {
    const attachment = sessionInvitation(booking(), 'PUBLISH');
    expect(attachment.method).toBe('PUBLISH');
    expect(calendarOf(attachment.content).getFirstPropertyValue('method')).toBe('PUBLISH');

    const event = onlyEvent(attachment.content);
    expect(event.getFirstPropertyValue('status')).toBe('CONFIRMED');
    expect(String(event.getFirstPropertyValue('organizer')).toLowerCase()).toBe(
      'mailto:sessions@mentors.example.com',
    );
    expect(event.getAllProperties('attendee')).toHaveLength(0);
    expect(epochMs(event, 'dtstart')).toBe(start);
  });

  it('PUBLISH of a cancelled booking says so', () => {
    const event = onlyEvent(sessionInvitation(booking({ status: 'cancelled' }), 'PUBLISH').content);
    expect(event.getFirstPropertyValue('status')).toBe('CANCELLED');
  });

  it.each([
    // Europe/London springs forward at 01:00 UTC on 29 March 2026: 00:30 GMT to 02:30 BST is one hour.
    [
      'across a spring-forward night',
      Date.UTC(2026, 2, 29, 0, 30),
      Date.UTC(2026, 2, 29, 1, 30),
      '20260329T003000Z',
      '20260329T013000Z',
    ],
    // America/New_York falls back at 06:00 UTC on 1 November 2026: 01:30 happens twice locally.
    [
      'at the repeated hour of a fall-back night',
      Date.UTC(2026, 10, 1, 6, 30),
      Date.UTC(2026, 10, 1, 7, 0),
      '20261101T063000Z',
      '20261101T070000Z',
    ],
  ])('keeps the exact instants of a session %s', (_, sessionStart, sessionEnd, rawStart, rawEnd) => {
    const content = sessionInvitation(booking({ start: sessionStart, end: sessionEnd }), 'REQUEST').content;
    const event = onlyEvent(content);
    expect(epochMs(event, 'dtstart')).toBe(sessionStart);
    expect(epochMs(event, 'dtend')).toBe(sessionEnd);
    expect(rawProperty(content, 'DTSTART')).toEqual([`DTSTART:${rawStart}`]);
    expect(rawProperty(content, 'DTEND')).toEqual([`DTEND:${rawEnd}`]);
    expect(content).not.toMatch(/TZID|VTIMEZONE/);
  });

  it('awkward names and text survive: commas, semicolons, quotes, line breaks, carets, non-ASCII', () => {
    const student = 'D\'Souza, "Maya"; Jr.\nSecond line ^ Zoë';
    const mentor = 'Ōkubo; Ren, PhD "sensei"';
    const platform = 'Mentor sessions, "scheduling"; team';
    const summary = 'Equity Research, Valuation; Q&A session with Ōkubo; Ren, PhD';
    const description =
      'Line one, with a comma; and a semicolon.\nLine two with "quotes" and a back\\slash.\r\nLine three.';
    const attachment = sessionInvitation(
      booking({
        summary,
        description,
        organizer: { name: platform, address: 'sessions@mentors.example.com' },
        attendees: [
          { name: student, address: 'maya@students.example.com', role: 'student' },
          { name: mentor, address: 'ren@mentors.example.com', role: 'mentor' },
        ],
      }),
      'REQUEST',
    );

    // Nothing in a name or text may open a line of its own: every logical line is a property.
    for (const line of unfoldedLines(attachment.content).filter(Boolean)) {
      expect(line).toMatch(/^[A-Z][A-Z0-9-]*[;:]/);
    }

    const event = onlyEvent(attachment.content);
    expect(event.getFirstPropertyValue('summary')).toBe(summary);
    expect(event.getFirstPropertyValue('description')).toBe(description.replace('\r\n', '\n'));
    expect(event.getFirstProperty('organizer')?.getParameter('cn')).toBe(platform);
    expect(attendeesOf(event).map((attendee) => attendee.cn)).toEqual([student, mentor]);
    expect(attendeesOf(event).map((attendee) => attendee.address)).toEqual([
      'mailto:maya@students.example.com',
      'mailto:ren@mentors.example.com',
    ]);
  });

  it('drops control characters that iCalendar forbids', () => {
    const content = sessionInvitation(
      booking({ summary: 'Equity\u0000 Research\u0007 session' }),
      'REQUEST',
    ).content;
    expect(content).not.toMatch(/[^\P{Cc}\r\n]/u);
    expect(onlyEvent(content).getFirstPropertyValue('summary')).toBe('Equity Research session');
  });

  it('refuses a UID that would need escaping or could break a line', () => {
    expect(() => sessionInvitation(booking({ uid: 'booking-42\r\nX-EVIL:1' }), 'REQUEST')).toThrow(
      RangeError,
    );
    expect(() => sessionInvitation(booking({ uid: 'booking,42@x' }), 'REQUEST')).toThrow(RangeError);
    expect(() => sessionInvitation(booking({ uid: '' }), 'REQUEST')).toThrow(RangeError);
  });

  it('refuses a time that is not a number of milliseconds', () => {
    expect(() => sessionInvitation(booking({ start: Number.NaN }), 'REQUEST')).toThrow(/start/);
  });

  it('uses CRLF line endings and folds lines at 75 octets without splitting a character', () => {
    const longName = 'अनन्या कृष्णमूर्ति-वेंकटरमण (Ananya Krishnamurthy-Venkataraman) 🎓📈';
    const summary = `Equity Research and Financial Modelling session with ${longName}, ${longName}`;
    const description = `${'Bring your valuation model and questions; ✓ '.repeat(12)}end`;
    const content = sessionInvitation(
      booking({
        summary,
        description,
        attendees: [
          { name: longName, address: 'ananya@students.example.com', role: 'student' },
          { name: 'Asha Rao', address: 'asha@mentors.example.com', role: 'mentor' },
        ],
      }),
      'REQUEST',
    ).content;

    expect(content.endsWith('END:VCALENDAR\r\n')).toBe(true);
    const physicalLines = content.slice(0, -2).split('\r\n');
    expect(physicalLines.some((line) => line.startsWith(' '))).toBe(true);
    for (const line of physicalLines) {
      expect(line).not.toMatch(/[\r\n]/);
      expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75);
      // A fold between the halves of a surrogate pair would leave a lone half on each line.
      expect(line).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    }

    const event = onlyEvent(content);
    expect(event.getFirstPropertyValue('summary')).toBe(summary);
    expect(event.getFirstPropertyValue('description')).toBe(description);
    expect(attendeesOf(event)[0]?.cn).toBe(longName);
  });
});

describe('session feeds', () => {
  const sessions = [
    booking({ uid: 'booking-41-1764000000000@mentors.example.com', start, end }),
    booking({
      uid: 'booking-42-1764321000000@mentors.example.com',
      start: start + 86_400_000,
      end: end + 86_400_000,
      status: 'tentative',
    }),
    booking({
      uid: 'booking-43-1764400000000@mentors.example.com',
      start: start + 2 * 86_400_000,
      end: end + 2 * 86_400_000,
      sequence: 2,
      status: 'cancelled',
    }),
  ];

  it('lists every session as its own VEVENT with distinct UIDs, times and statuses', () => {
    const content = sessionFeed('Mentor sessions: Ravi Kumar', sessions);
    const calendar = calendarOf(content);
    const events = calendar.getAllSubcomponents('vevent');
    expect(events).toHaveLength(3);
    expect(new Set(events.map((event) => event.getFirstPropertyValue('uid'))).size).toBe(3);
    expect(events.map((event) => event.getFirstPropertyValue('uid'))).toEqual(
      sessions.map((session) => session.uid),
    );
    expect(events.map((event) => epochMs(event, 'dtstart'))).toEqual(
      sessions.map((session) => session.start),
    );
    expect(events.map((event) => event.getFirstPropertyValue('status'))).toEqual([
      'CONFIRMED',
      'TENTATIVE',
      'CANCELLED',
    ]);
    expect(events.map((event) => event.getFirstPropertyValue('sequence'))).toEqual([0, 0, 2]);
  });

  it('is a named calendar with a refresh hint and no scheduling parts', () => {
    const content = sessionFeed('Mentor sessions: Ravi Kumar', sessions);
    const calendar = calendarOf(content);
    expect(calendar.getFirstPropertyValue('method')).toBeNull();
    expect(calendarNames(content)).toEqual(['Mentor sessions: Ravi Kumar', 'Mentor sessions: Ravi Kumar']);
    expect(rawProperty(content, 'REFRESH-INTERVAL')).toEqual(['REFRESH-INTERVAL;VALUE=DURATION:PT1H']);
    expect(rawProperty(content, 'X-PUBLISHED-TTL')).toEqual(['X-PUBLISHED-TTL:PT1H']);
    for (const event of calendar.getAllSubcomponents('vevent')) {
      expect(event.getAllProperties('attendee')).toHaveLength(0);
      expect(event.getAllProperties('organizer')).toHaveLength(0);
    }
    expect(content).not.toMatch(/mailto:/i);
  });

  it('escapes an awkward calendar name instead of breaking the file', () => {
    const name = 'Sessions, Ravi; Kumar\nsecond line \\ done';
    const content = sessionFeed(name, sessions);
    for (const line of unfoldedLines(content).filter(Boolean)) {
      expect(line).toMatch(/^[A-Z][A-Z0-9-]*[;:]/);
    }
    expect(calendarOf(content).getAllSubcomponents('vevent')).toHaveLength(3);
    expect(rawProperty(content, 'X-WR-CALNAME')).toEqual([
      'X-WR-CALNAME:Sessions\\, Ravi\\; Kumar\\nsecond line \\\\ done',
    ]);
    expect(calendarNames(content)).toEqual([name, name]);
  });

  it('with no sessions is still a valid VCALENDAR', () => {
    const content = sessionFeed('Mentor sessions: Asha Rao', []);
    expect(content.startsWith('BEGIN:VCALENDAR\r\n')).toBe(true);
    expect(content.endsWith('END:VCALENDAR\r\n')).toBe(true);
    const calendar = calendarOf(content);
    expect(calendar.getFirstPropertyValue('version')).toBe('2.0');
    expect(calendar.getFirstPropertyValue('prodid')).toBeTruthy();
    expect(calendar.getAllSubcomponents('vevent')).toHaveLength(0);
  });
});
