/**
 * Issue #14 end to end: the real app (REST and tRPC) tells people and systems about bookings through
 * its outbox, and the tests read what arrived at real peers on 127.0.0.1: an SMTP server (each
 * message parsed with mailparser, each invitation with ical.js) and a webhook receiver that verifies
 * every signature with standardwebhooks. Counts are exact: each message arrives once.
 */
import { WebhookEventSchema, type WebhookEventType, webhookEventTypes } from '@mentor-scheduling/contracts';
import ICAL from 'ical.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  anonymously,
  booking,
  callTrpc,
  demo,
  loginAs,
  NOW,
  startTestApp,
  type TestApp,
} from '../support/app.js';
import {
  type ReceivedEmail,
  type ReceivedWebhook,
  type SmtpSink,
  startSmtpSink,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../support/notification-peers.js';
import {
  type PaymentsTestApp,
  sessionOfCheckout,
  startPaymentsApp,
  type TestClock,
  testClock,
} from '../support/payments.js';

const BASE_URL = 'https://sessions.example.test';
const SENDER = 'Mentor sessions <sessions@example.test>';
const POLL_MS = 20;
const AARAV_EMAIL = 'aarav.sharma@example.com';
const ROHAN_EMAIL = 'rohan.mehta@mentors.example.com';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const { aarav } = demo.students;

function notificationEnv(sink: SmtpSink, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SMTP_URL: sink.url,
    MAIL_FROM: SENDER,
    PUBLIC_BASE_URL: BASE_URL,
    OUTBOX_POLL_MS: String(POLL_MS),
    OUTBOX_RETRY_BASE_MS: String(POLL_MS),
    ...extra,
  };
}

/** The one event of an invitation or .ics file, as a calendar program reads it. */
interface CalendarEvent {
  method: string | null;
  uid: string;
  sequence: number;
  /** ISO instants; null unless written in UTC */
  start: string | null;
  end: string | null;
  status: string | null;
  organizer: string | null;
  attendees: string[];
}

/** A CAL-ADDRESS with its scheme in lower case, as URI schemes compare (MAILTO: and mailto: alike). */
function mailtoOf(value: unknown): string {
  return String(value).replace(/^mailto:/i, 'mailto:');
}

function utcInstantOf(event: ICAL.Component, property: string): string | null {
  const time = event.getFirstPropertyValue(property);
  if (!(time instanceof ICAL.Time) || time.zone?.tzid !== 'UTC') return null;
  return time.toJSDate().toISOString();
}

function eventsOf(ics: string): CalendarEvent[] {
  const calendar = new ICAL.Component(ICAL.parse(ics));
  const method = calendar.getFirstPropertyValue('method');
  return calendar.getAllSubcomponents('vevent').map((event) => ({
    method: method === null ? null : String(method),
    uid: String(event.getFirstPropertyValue('uid')),
    sequence: Number(event.getFirstPropertyValue('sequence')),
    start: utcInstantOf(event, 'dtstart'),
    end: utcInstantOf(event, 'dtend'),
    status:
      event.getFirstPropertyValue('status') === null ? null : String(event.getFirstPropertyValue('status')),
    organizer:
      event.getFirstPropertyValue('organizer') === null
        ? null
        : mailtoOf(event.getFirstPropertyValue('organizer')),
    attendees: event
      .getAllProperties('attendee')
      .map((attendee) => mailtoOf(attendee.getFirstValue()))
      .sort(),
  }));
}

function invitationOf(email: ReceivedEmail): CalendarEvent {
  if (!email.invitation) throw new Error(`"${email.subject}" to ${email.to} carries no invitation`);
  const events = eventsOf(email.invitation.ics);
  expect(events).toHaveLength(1);
  const [event] = events as [CalendarEvent];
  // The MIME part's method and the calendar's own METHOD must agree, or clients act on either.
  expect(event.method).toBe(email.invitation.method);
  return event;
}

const uidPrefixOf = (bookingId: number) => `booking-${bookingId}-`;

/** The emails about one booking: its invitation names it. */
function isAbout(bookingId: number) {
  return (email: ReceivedEmail) => email.invitation?.ics.includes(`UID:${uidPrefixOf(bookingId)}`) === true;
}

const about = (sink: SmtpSink, bookingId: number) => sink.messages.filter(isAbout(bookingId));

function hookAbout(bookingId: number, type?: WebhookEventType) {
  return (hook: ReceivedWebhook) =>
    hook.body?.data?.booking_id === bookingId && (type === undefined || hook.type === type);
}

function byRecipient(emails: ReceivedEmail[]): Record<string, ReceivedEmail> {
  const recipients = emails.map((email) => email.to).sort();
  expect(recipients, 'one email to each party').toEqual([AARAV_EMAIL, ROHAN_EMAIL]);
  return Object.fromEntries(emails.map((email) => [email.to, email]));
}

const waitTurn = () => new Promise((resolve) => setTimeout(resolve, POLL_MS));

/**
 * Waits until the outbox has nothing left to do now: every event fanned out, no delivery pending
 * and due. Holding for several dispatcher rounds in a row, so a message that would be sent twice
 * has had its chance to be.
 */
async function settled(t: TestApp, now: () => number, rounds = 2): Promise<void> {
  const knex = t.app.db.knex;
  const deadline = performance.now() + 10_000;
  let quiet = 0;
  while (quiet < rounds) {
    const unfanned = await knex('outbox_events').whereNull('fanned_out_at').count({ count: '*' }).first();
    const due = await knex('outbox_deliveries')
      .where('status', 'pending')
      .where('available_at', '<=', new Date(now()))
      .count({ count: '*' })
      .first();
    const idle = Number(unfanned?.count) === 0 && Number(due?.count) === 0;
    quiet = idle ? quiet + 1 : 0;
    if (performance.now() > deadline) {
      throw new Error(
        `The outbox did not settle: ${unfanned?.count} events to fan out, ${due?.count} deliveries due`,
      );
    }
    await waitTurn();
  }
}

/**
 * Moves the test clock past each retry's backoff as soon as the dispatcher has scheduled one (a
 * delivery tried, still pending, due later), until `done`: each retry then follows at once.
 */
async function retryUntil(
  t: TestApp,
  clock: TestClock,
  done: () => boolean | Promise<boolean>,
  what: string,
): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (!(await done())) {
    if (performance.now() > deadline) throw new Error(`Waited in vain for ${what}`);
    const waiting = (await outboxOf(t, 'status=pending')).filter(
      (row) => row.attempts > 0 && row.next_attempt_at !== null && Date.parse(row.next_attempt_at) > clock(),
    );
    if (waiting.length > 0) clock.advance(MINUTE);
    await waitTurn();
  }
}

async function outboxOf(t: TestApp, query: string): Promise<any[]> {
  const response = await t.api.get(`/api/outbox?limit=100&${query}`);
  expect(response.status).toBe(200);
  return response.body;
}

async function subscribe(
  t: TestApp,
  receiver: WebhookReceiver,
  events: readonly WebhookEventType[] = webhookEventTypes,
): Promise<number> {
  const created = await t.api.post('/api/webhooks', { url: receiver.url, events });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  receiver.secret = created.body.secret;
  return created.body.id;
}

async function book(t: TestApp, overrides: Record<string, unknown> = {}): Promise<number> {
  const made = await t.api.post('/api/bookings', booking(overrides));
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  return made.body.booking_id;
}

function expectVerifiedEvents(hooks: ReceivedWebhook[]): void {
  for (const hook of hooks) {
    expect(hook.verified, `${hook.type} ${hook.id} verifies`).toBe(true);
    expect(WebhookEventSchema.safeParse(hook.body).error).toBeUndefined();
    expect(hook.id).toMatch(/^msg_/);
  }
}

/**
 * One app (payments off) for everything but payments: its tests run in order and share its peers.
 * Its clock stands at NOW until the tests of retries move it past each backoff, and the reminders'
 * test, last, moves it by days.
 */
describe('payments off: each party emailed once, each event signed once, calendars, retries, reminders', () => {
  let t: TestApp;
  let sink: SmtpSink;
  let receiver: WebhookReceiver;
  let endpointId: number;
  let bookingId: number;
  let uid: string;
  const clock = testClock();

  beforeAll(async () => {
    sink = await startSmtpSink();
    receiver = await startWebhookReceiver();
    t = await startTestApp(
      notificationEnv(sink, { OUTBOX_MAX_ATTEMPTS: '3', REMINDER_OFFSETS: '24h,1h' }),
      clock,
    );
    endpointId = await subscribe(t, receiver);
    // The student reads times on London's clock, the mentor on India's.
    const moved = await t.api.patch(`/api/students/${aarav}`, { timezone: 'Europe/London' });
    expect(moved.status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([sink?.close(), receiver?.close()]);
  });

  it('confirms to each party with a REQUEST invitation, and signs booking.created and booking.confirmed', async () => {
    bookingId = await book(t);
    const emails = await sink.waitFor(2, undefined, isAbout(bookingId));
    const hooks = await receiver.waitFor(2, undefined, hookAbout(bookingId));
    await settled(t, clock);

    expect(about(sink, bookingId)).toHaveLength(2);
    const { [AARAV_EMAIL]: student, [ROHAN_EMAIL]: mentor } = byRecipient(emails);
    expect(student?.from).toBe('sessions@example.test');
    expect(student?.raw).toMatch(/^From: "?Mentor sessions"? <sessions@example\.test>\r?$/m);
    expect(student?.subject).toBe('Confirmed: session with Rohan Mehta on Tue 1 Dec, 13:30');
    expect(student?.text).toContain('Tue 1 Dec 2026, 13:30–14:00 (Europe/London, GMT)');
    expect(student?.text).toContain(`Open your booking: ${BASE_URL}/bookings/${bookingId}`);
    expect(student?.html).toContain('Rohan Mehta');
    expect(mentor?.subject).toBe('Confirmed: session with Aarav Sharma on Tue 1 Dec, 19:00');
    expect(mentor?.text).toContain('Tue 1 Dec 2026, 19:00–19:30 (Asia/Kolkata, GMT+5:30)');
    expect(mentor?.text).toContain('Price:    2,000.00 INR');
    for (const email of emails) expect(email.messageId).toMatch(/^<[^<>@]+@sessions\.example\.test>$/);
    expect(student?.messageId).not.toBe(mentor?.messageId);

    const invitations = emails.map(invitationOf);
    uid = invitations[0]?.uid as string;
    expect(uid).toMatch(new RegExp(`^${uidPrefixOf(bookingId)}\\d+@sessions\\.example\\.test$`));
    // Each party is invited alone: neither learns the other's address from the invitation.
    for (const [index, invitation] of invitations.entries()) {
      const recipient = emails[index]?.to as string;
      expect(invitation).toEqual({
        method: 'REQUEST',
        uid,
        sequence: 0,
        start: '2026-12-01T13:30:00.000Z',
        end: '2026-12-01T14:00:00.000Z',
        status: 'CONFIRMED',
        organizer: 'mailto:sessions@example.test',
        attendees: [`mailto:${recipient}`],
      });
      expect(emails[index]?.raw).not.toContain(recipient === AARAV_EMAIL ? ROHAN_EMAIL : AARAV_EMAIL);
    }

    expect(receiver.received.filter(hookAbout(bookingId))).toHaveLength(2);
    expectVerifiedEvents(hooks);
    expect(hooks.map((hook) => hook.type).sort()).toEqual(['booking.confirmed', 'booking.created']);
    expect(new Set(hooks.map((hook) => hook.id)).size).toBe(2);
    for (const hook of hooks) {
      expect(hook.body).toEqual({
        type: hook.type,
        timestamp: new Date(NOW).toISOString(),
        data: {
          booking_id: bookingId,
          student_id: aarav,
          mentor_id: demo.rohan,
          area_of_expertise: null,
          start_time: '2026-12-01T13:30:00.000Z',
          end_time: '2026-12-01T14:00:00.000Z',
          duration: 30,
          cost: 2000,
          currency: 'INR',
          status: 'confirmed',
          previous_start_time: null,
          reason: null,
          refund: null,
        },
      });
    }
  });

  it('sends the move as a REQUEST with the same UID and SEQUENCE 1, and booking.rescheduled', async () => {
    const moved = await t.api.post(`/api/bookings/${bookingId}/reschedule`, {
      start_time: '2026-12-02T20:00:00',
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    const rescheduled = (email: ReceivedEmail) =>
      isAbout(bookingId)(email) && email.subject.startsWith('Rescheduled:');
    const emails = await sink.waitFor(2, undefined, rescheduled);
    const [hook] = await receiver.waitFor(1, undefined, hookAbout(bookingId, 'booking.rescheduled'));
    await settled(t, clock);

    const { [AARAV_EMAIL]: student, [ROHAN_EMAIL]: mentor } = byRecipient(emails);
    expect(student?.subject).toBe('Rescheduled: session with Rohan Mehta, now on Wed 2 Dec, 14:30');
    expect(student?.text).toContain('Wed 2 Dec 2026, 14:30–15:00 (Europe/London, GMT)');
    expect(student?.text).toContain('Before:   Tue 1 Dec 2026, 13:30–14:00 (Europe/London, GMT)');
    expect(mentor?.text).toContain('Wed 2 Dec 2026, 20:00–20:30 (Asia/Kolkata, GMT+5:30)');
    for (const email of emails) {
      expect(invitationOf(email)).toMatchObject({
        method: 'REQUEST',
        uid,
        sequence: 1,
        start: '2026-12-02T14:30:00.000Z',
        end: '2026-12-02T15:00:00.000Z',
        status: 'CONFIRMED',
      });
    }

    expectVerifiedEvents([hook as ReceivedWebhook]);
    expect(hook?.body.data).toMatchObject({
      start_time: '2026-12-02T14:30:00.000Z',
      end_time: '2026-12-02T15:00:00.000Z',
      previous_start_time: '2026-12-01T13:30:00.000Z',
      status: 'confirmed',
    });
    expect(about(sink, bookingId)).toHaveLength(4);
    expect(receiver.received.filter(hookAbout(bookingId))).toHaveLength(3);
  });

  it('sends the cancellation as a CANCEL with a higher SEQUENCE, and booking.cancelled; nothing twice', async () => {
    const cancelled = await t.api.post(`/api/bookings/${bookingId}/cancel`, { reason: 'Interview moved' });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    const cancellation = (email: ReceivedEmail) =>
      isAbout(bookingId)(email) && email.subject.startsWith('Cancelled:');
    const emails = await sink.waitFor(2, undefined, cancellation);
    const [hook] = await receiver.waitFor(1, undefined, hookAbout(bookingId, 'booking.cancelled'));

    const { [AARAV_EMAIL]: student } = byRecipient(emails);
    expect(student?.subject).toBe('Cancelled: session with Rohan Mehta on Wed 2 Dec, 14:30');
    expect(student?.text).toContain('Reason: Interview moved');
    for (const email of emails) {
      expect(email.invitation?.method).toBe('CANCEL');
      expect(invitationOf(email)).toMatchObject({
        method: 'CANCEL',
        uid,
        sequence: 2,
        start: '2026-12-02T14:30:00.000Z',
        status: 'CANCELLED',
      });
    }
    expectVerifiedEvents([hook as ReceivedWebhook]);
    expect(hook?.body.data).toMatchObject({ status: 'cancelled', reason: 'Interview moved', refund: null });

    // Several more dispatcher rounds with nothing due: whatever was to be sent twice would be by now.
    await settled(t, clock, 6);
    const all = about(sink, bookingId);
    expect(all.map((email) => `${email.to} ${email.subject.split(':')[0]}`).sort()).toEqual([
      `${AARAV_EMAIL} Cancelled`,
      `${AARAV_EMAIL} Confirmed`,
      `${AARAV_EMAIL} Rescheduled`,
      `${ROHAN_EMAIL} Cancelled`,
      `${ROHAN_EMAIL} Confirmed`,
      `${ROHAN_EMAIL} Rescheduled`,
    ]);
    expect(new Set(all.map((email) => email.messageId)).size).toBe(6);
    const hooks = receiver.received.filter(hookAbout(bookingId));
    expect(hooks.map((received) => received.type).sort()).toEqual([
      'booking.cancelled',
      'booking.confirmed',
      'booking.created',
      'booking.rescheduled',
    ]);
    expect(new Set(hooks.map((received) => received.id)).size).toBe(4);
    // Six emails and four webhooks went out; the reminders (never due on this clock) wait, to be
    // skipped when they fall due for a cancelled session.
    const outbox = await outboxOf(t, `booking_id=${bookingId}`);
    expect(outbox.filter((row) => row.status === 'sent')).toHaveLength(10);
    expect(outbox.filter((row) => row.status !== 'sent').map((row) => [row.message, row.status])).toEqual(
      Array(6).fill(['reminder', 'pending']),
    );
  });

  it('lets admins add, list and remove endpoints, shows each secret once, and keeps to the event filter', async () => {
    const cancelOnly = await startWebhookReceiver();
    const removed = await startWebhookReceiver();
    try {
      const created = await t.api.post('/api/webhooks', {
        url: cancelOnly.url,
        events: ['booking.cancelled'],
        description: 'CRM sync',
      });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        id: expect.any(Number),
        url: cancelOnly.url,
        events: ['booking.cancelled'],
        description: 'CRM sync',
        created_at: new Date(NOW).toISOString(),
        secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/=]{20,}$/),
      });
      cancelOnly.secret = created.body.secret;
      const cancelOnlyId: number = created.body.id;
      const removedId = await subscribe(t, removed);

      const listed = await t.api.get('/api/webhooks');
      expect(listed.status).toBe(200);
      expect(listed.body.map((endpoint: { id: number }) => endpoint.id)).toEqual([
        endpointId,
        cancelOnlyId,
        removedId,
      ]);
      for (const endpoint of listed.body) expect(endpoint).not.toHaveProperty('secret');
      expect(JSON.stringify(listed.body)).not.toContain('whsec_');

      const deleted = await t.api.request({ method: 'DELETE', url: `/api/webhooks/${removedId}` });
      expect([deleted.status, deleted.body.id, deleted.body.url]).toEqual([200, removedId, removed.url]);
      const again = await t.api.request({ method: 'DELETE', url: `/api/webhooks/${removedId}` });
      expect([again.status, again.body.code]).toEqual([404, 'not_found']);
      expect((await t.api.get('/api/webhooks')).body.map((endpoint: { id: number }) => endpoint.id)).toEqual([
        endpointId,
        cancelOnlyId,
      ]);

      const id = await book(t, { start_time: '2026-12-01T20:00:00' });
      await receiver.waitFor(2, undefined, hookAbout(id));
      expect((await t.api.post(`/api/bookings/${id}/cancel`, {})).status).toBe(200);
      await receiver.waitFor(1, undefined, hookAbout(id, 'booking.cancelled'));
      const [cancelledHook] = await cancelOnly.waitFor(1);
      await settled(t, clock);

      expect(cancelOnly.received).toHaveLength(1);
      expectVerifiedEvents(cancelOnly.received);
      expect(cancelledHook?.body).toMatchObject({ type: 'booking.cancelled', data: { booking_id: id } });
      expect(removed.received).toEqual([]);
      const webhookRows = await outboxOf(t, `booking_id=${id}&channel=webhook`);
      expect(webhookRows.map((row) => [row.webhook_endpoint_id, row.message, row.status]).sort()).toEqual(
        [
          [cancelOnlyId, 'booking.cancelled', 'sent'],
          [endpointId, 'booking.cancelled', 'sent'],
          [endpointId, 'booking.confirmed', 'sent'],
          [endpointId, 'booking.created', 'sent'],
        ].sort(),
      );

      const attempts = await t.api.get(`/api/webhooks/${cancelOnlyId}/attempts`);
      expect(attempts.status).toBe(200);
      expect(attempts.body).toEqual([
        {
          id: expect.any(Number),
          delivery_id: webhookRows.find((row) => row.webhook_endpoint_id === cancelOnlyId)?.id,
          event_type: 'booking.cancelled',
          booking_id: id,
          webhook_id: cancelledHook?.id,
          attempted_at: new Date(NOW).toISOString(),
          succeeded: true,
          response_status: 204,
          error: null,
          duration_ms: expect.any(Number),
        },
      ]);
      const mainAttempts = await t.api.get(`/api/webhooks/${endpointId}/attempts?limit=100`);
      expect(mainAttempts.body).toHaveLength(receiver.received.length);
      expect(mainAttempts.body.every((attempt: { succeeded: boolean }) => attempt.succeeded)).toBe(true);
      expect((await t.api.get(`/api/webhooks/${removedId}/attempts`)).body).toEqual([]);

      expect((await t.api.request({ method: 'DELETE', url: `/api/webhooks/${cancelOnlyId}` })).status).toBe(
        200,
      );
    } finally {
      await Promise.all([cancelOnly.close(), removed.close()]);
    }
  });

  it('refuses endpoints that are not http(s) URLs, and anyone but an admin', async () => {
    for (const url of ['ftp://partner.example.com/hooks', 'file:///etc/passwd', 'not a url']) {
      const refused = await t.api.post('/api/webhooks', { url, events: ['booking.confirmed'] });
      expect([refused.status, refused.body.code], url).toEqual([422, 'webhook_url_refused']);
    }
    const asAarav = await loginAs(t.api, AARAV_EMAIL);
    const byStudent = await t.api.post(
      '/api/webhooks',
      { url: 'https://partner.example.com/hooks', events: ['booking.confirmed'] },
      asAarav,
    );
    expect([byStudent.status, byStudent.body.code]).toEqual([403, 'forbidden']);
    for (const url of ['/api/webhooks', `/api/webhooks/${endpointId}/attempts`, '/api/outbox']) {
      const read = await t.api.get(url, asAarav);
      expect([read.status, read.body.code], url).toEqual([403, 'forbidden']);
    }
    const removal = await t.api.request({
      method: 'DELETE',
      url: `/api/webhooks/${endpointId}`,
      headers: asAarav,
    });
    expect(removal.status).toBe(403);
    expect((await t.api.get('/api/webhooks', anonymously)).status).toBe(401);
  });

  it('offers the same endpoint operations through tRPC', async () => {
    const partner = await startWebhookReceiver();
    try {
      const created = await callTrpc(t.app, 'mutation', 'webhooks.create', {
        url: partner.url,
        events: ['booking.rescheduled'],
      });
      expect(created.status).toBe(200);
      expect(created.data).toMatchObject({ url: partner.url, events: ['booking.rescheduled'] });
      expect(created.data.secret).toMatch(/^whsec_/);
      const listed = await callTrpc(t.app, 'query', 'webhooks.list', {});
      expect(listed.status).toBe(200);
      const mine = listed.data.find((endpoint: { id: number }) => endpoint.id === created.data.id);
      expect(mine).toEqual({
        id: created.data.id,
        url: partner.url,
        events: ['booking.rescheduled'],
        description: null,
        created_at: new Date(NOW).toISOString(),
      });
      const asAarav = await loginAs(t.api, AARAV_EMAIL);
      const byStudent = await callTrpc(t.app, 'query', 'webhooks.list', {}, asAarav);
      expect([byStudent.status, byStudent.code]).toEqual([403, 'forbidden']);
      const deleted = await callTrpc(t.app, 'mutation', 'webhooks.delete', { id: created.data.id });
      expect(deleted.status).toBe(200);
      expect(
        (await t.api.get('/api/webhooks')).body.map((endpoint: { id: number }) => endpoint.id),
      ).not.toContain(created.data.id);
    } finally {
      await partner.close();
    }
  });

  it('serves participants the .ics, and each person a private feed that rotates and drops cancelled sessions', async () => {
    const id = await book(t, { start_time: '2026-12-01T21:00:00' });
    await sink.waitFor(2, undefined, isAbout(id));
    const asAarav = await loginAs(t.api, AARAV_EMAIL);
    const asDiya = await loginAs(t.api, 'diya.patel@example.com');
    const asRohan = await loginAs(t.api, ROHAN_EMAIL);

    const file = await t.api.get(`/api/bookings/${id}/calendar.ics`, asAarav);
    expect(file.status).toBe(200);
    expect(file.headers['content-type']).toMatch(/^text\/calendar/);
    const [event] = eventsOf(file.body);
    const invited = invitationOf(about(sink, id)[0] as ReceivedEmail);
    expect(event).toMatchObject({
      method: 'PUBLISH',
      uid: invited.uid,
      sequence: 0,
      start: '2026-12-01T15:30:00.000Z',
      end: '2026-12-01T16:00:00.000Z',
      status: 'CONFIRMED',
    });
    expect((await t.api.get(`/api/bookings/${id}/calendar.ics`, asRohan)).status).toBe(200);
    const stranger = await t.api.get(`/api/bookings/${id}/calendar.ics`, asDiya);
    expect([stranger.status, stranger.body.code]).toEqual([403, 'forbidden']);

    const first = await t.api.post('/api/me/calendar-feed', undefined, asAarav);
    expect(first.status).toBe(201);
    expect(first.body.url).toMatch(
      /^https:\/\/sessions\.example\.test\/api\/calendar-feeds\/[\w-]{43}\.ics$/,
    );
    const firstPath = new URL(first.body.url).pathname;
    const feed = await t.api.get(firstPath, anonymously);
    expect(feed.status).toBe(200);
    expect(feed.headers['content-type']).toMatch(/^text\/calendar/);
    expect(eventsOf(feed.body).map((entry) => entry.uid)).toContain(invited.uid);
    // Earlier tests cancelled Aarav's other sessions in this app: only the live one is listed.
    expect(eventsOf(feed.body).map((entry) => entry.uid)).toEqual([invited.uid]);

    const second = await t.api.post('/api/me/calendar-feed', undefined, asAarav);
    expect(second.status).toBe(201);
    expect(second.body.url).not.toBe(first.body.url);
    const secondPath = new URL(second.body.url).pathname;
    const old = await t.api.get(firstPath, anonymously);
    expect(old.status).toBe(404);
    expect(eventsOf((await t.api.get(secondPath, anonymously)).body).map((entry) => entry.uid)).toEqual([
      invited.uid,
    ]);

    const mentorFeed = await t.api.post('/api/me/calendar-feed', undefined, asRohan);
    expect(mentorFeed.status).toBe(201);
    const mentorPath = new URL(mentorFeed.body.url).pathname;
    expect(eventsOf((await t.api.get(mentorPath, anonymously)).body).map((entry) => entry.uid)).toContain(
      invited.uid,
    );
    const byAdmin = await t.api.post('/api/me/calendar-feed');
    expect(byAdmin.status).toBe(403);

    expect((await t.api.post(`/api/bookings/${id}/cancel`, {}, asAarav)).status).toBe(200);
    const after = await t.api.get(secondPath, anonymously);
    expect(after.status).toBe(200);
    expect(eventsOf(after.body)).toEqual([]);
    expect(eventsOf((await t.api.get(mentorPath, anonymously)).body).map((entry) => entry.uid)).not.toContain(
      invited.uid,
    );
    const cancelledFile = await t.api.get(`/api/bookings/${id}/calendar.ics`, asAarav);
    expect(eventsOf(cancelledFile.body)[0]).toMatchObject({
      uid: invited.uid,
      status: 'CANCELLED',
      sequence: 1,
    });
  });

  it('delivers a webhook on the third try under the same webhook-id, and lists every attempt', async () => {
    const flaky = await startWebhookReceiver();
    try {
      const flakyId = await subscribe(t, flaky, ['booking.confirmed']);
      flaky.failNext(2);
      const id = await book(t);
      await retryUntil(t, clock, () => flaky.delivered().length > 0, 'the third try');
      await settled(t, clock);

      const [hook] = flaky.delivered();
      expect(flaky.received.map((request) => request.status)).toEqual([500, 500, 204]);
      expect(flaky.received.map((request) => request.id)).toEqual([hook?.id, hook?.id, hook?.id]);
      expectVerifiedEvents(flaky.received);
      expect(hook?.body).toMatchObject({ type: 'booking.confirmed', data: { booking_id: id } });
      const rows = await outboxOf(t, `booking_id=${id}&channel=webhook`);
      expect(rows.find((row) => row.webhook_endpoint_id === flakyId)).toMatchObject({
        status: 'sent',
        attempts: 3,
        last_error: null,
        next_attempt_at: null,
      });

      const attempts = await t.api.get(`/api/webhooks/${flakyId}/attempts`);
      expect(attempts.status).toBe(200);
      expect(
        attempts.body.map((attempt: any) => [attempt.webhook_id, attempt.succeeded, attempt.response_status]),
      ).toEqual([
        [hook?.id, true, 204],
        [hook?.id, false, 500],
        [hook?.id, false, 500],
      ]);
      expect(attempts.body[1].error).toMatch(/500/);
      const firstPage = await t.api.get(`/api/webhooks/${flakyId}/attempts?limit=2`);
      expect(firstPage.body.map((attempt: any) => attempt.id)).toEqual(
        attempts.body.slice(0, 2).map((attempt: any) => attempt.id),
      );
      const removal = await t.api.request({ method: 'DELETE', url: `/api/webhooks/${flakyId}` });
      expect(removal.status).toBe(200);
    } finally {
      await flaky.close();
    }
  });

  it('sends an email again after the SMTP server answered 451, and delivers each exactly once', async () => {
    // Earlier tests' emails all delivered first, so the refusals fall on this booking's.
    await settled(t, clock);
    sink.failNext(2);
    const id = await book(t, { start_time: '2026-12-01T19:30:00' });
    await retryUntil(t, clock, () => about(sink, id).length >= 2, 'both emails after two refusals');
    await settled(t, clock);

    expect(sink.refused()).toBe(2);
    expect(about(sink, id)).toHaveLength(2);
    byRecipient(about(sink, id));
    const rows = await outboxOf(t, `booking_id=${id}&channel=email&status=sent`);
    expect(rows.map((row) => row.message)).toEqual(['confirmed', 'confirmed']);
    // Two refusals, two deliveries: four tries in all, however the refusals fell.
    expect(rows.reduce((sum, row) => sum + row.attempts, 0)).toBe(4);
  });

  it('gives up at once on an email the SMTP server refuses for good (550), keeping it as a dead letter', async () => {
    await settled(t, clock);
    sink.failNext(1, 550);
    const id = await book(t, { start_time: '2026-12-01T21:30:00' });
    await retryUntil(t, clock, () => about(sink, id).length >= 1, 'the email that was not refused');
    await settled(t, clock);

    expect(sink.refused()).toBe(3);
    const confirmations = (await outboxOf(t, `booking_id=${id}&channel=email`)).filter(
      (row) => row.message === 'confirmed',
    );
    expect(confirmations.map((row) => row.status).sort()).toEqual(['failed', 'sent']);
    const dead = confirmations.find((row) => row.status === 'failed');
    // One try, not OUTBOX_MAX_ATTEMPTS: no later try could change a 550.
    expect(dead).toMatchObject({ attempts: 1 });
    expect(dead?.last_error).toMatch(/550|No such mailbox/);

    // Once the address is fixed, an admin sends it again.
    expect((await t.api.post(`/api/outbox/${dead?.id}/retry`, {})).status).toBe(200);
    await retryUntil(t, clock, () => about(sink, id).length >= 2, 'the retried email');
    await settled(t, clock);
    expect(about(sink, id)).toHaveLength(2);
  });

  it('keeps a delivery whose every try failed as a dead letter, which an admin retry delivers under the same webhook-id', async () => {
    const down = await startWebhookReceiver();
    try {
      const downId = await subscribe(t, down, ['booking.confirmed']);
      down.failNext(Number.POSITIVE_INFINITY);
      const id = await book(t, { start_time: '2026-12-01T22:00:00' });
      const deadLetters = () => outboxOf(t, `status=failed&booking_id=${id}`);
      await retryUntil(t, clock, async () => (await deadLetters()).length > 0, 'the dead letter');
      await settled(t, clock);

      const [failed] = await deadLetters();
      expect(failed).toMatchObject({
        event_type: 'booking.confirmed',
        channel: 'webhook',
        webhook_endpoint_id: downId,
        message: 'booking.confirmed',
        status: 'failed',
        attempts: 3,
        last_error: expect.stringMatching(/500/),
        next_attempt_at: null,
        sent_at: null,
      });
      expect(down.received.map((request) => request.status)).toEqual([500, 500, 500]);
      const listed = await t.api.get('/api/outbox?status=failed');
      expect(listed.body.map((row: { id: number }) => row.id)).toEqual([failed.id]);
      const viaTrpc = await callTrpc(t.app, 'query', 'outbox.list', { status: 'failed' });
      expect(viaTrpc.status).toBe(200);
      expect(JSON.stringify(viaTrpc.data)).toContain(`"id":${failed.id},`);

      down.failNext(0);
      const retried = await t.api.post(`/api/outbox/${failed.id}/retry`);
      expect(retried.status, JSON.stringify(retried.body)).toBe(200);
      expect(retried.body).toMatchObject({ id: failed.id, status: 'pending', attempts: 0 });
      await down.waitFor(1);
      await settled(t, clock);
      const [sent] = (await outboxOf(t, `booking_id=${id}&channel=webhook`)).filter(
        (row) => row.id === failed.id,
      );
      expect(sent).toMatchObject({ status: 'sent', attempts: 1, last_error: null });
      expect(down.received.map((request) => request.status)).toEqual([500, 500, 500, 204]);
      expect(new Set(down.received.map((request) => request.id)).size).toBe(1);
      // The body, and its signature, say when the booking changed, however late the delivery.
      expect(new Set(down.received.map((request) => JSON.stringify(request.body))).size).toBe(1);
      expectVerifiedEvents(down.received);
      expect(await outboxOf(t, 'status=failed')).toEqual([]);

      const again = await t.api.post(`/api/outbox/${failed.id}/retry`);
      expect([again.status, again.body.code]).toEqual([409, 'delivery_not_retryable']);
      const unknown = await t.api.post('/api/outbox/999999/retry');
      expect([unknown.status, unknown.body.code]).toEqual([404, 'not_found']);
      await settled(t, clock);
      expect(down.received).toHaveLength(4);
      const removal = await t.api.request({ method: 'DELETE', url: `/api/webhooks/${downId}` });
      expect(removal.status).toBe(200);
    } finally {
      await down.close();
    }
  });

  it('stops retrying to an endpoint once it is deleted', async () => {
    const gone = await startWebhookReceiver();
    try {
      const goneId = await subscribe(t, gone, ['booking.confirmed']);
      gone.failNext(Number.POSITIVE_INFINITY);
      const id = await book(t, { start_time: '2026-12-01T22:30:00' });
      await gone.waitForRequests(1);
      // Settled: the failure is recorded and the next try scheduled.
      await settled(t, clock);
      const toGone = async () =>
        (await outboxOf(t, `booking_id=${id}&channel=webhook`)).filter(
          (row) => row.webhook_endpoint_id === goneId,
        );
      expect(await toGone()).toMatchObject([
        { status: 'pending', attempts: 1, last_error: expect.stringMatching(/500/) },
      ]);

      const removal = await t.api.request({ method: 'DELETE', url: `/api/webhooks/${goneId}` });
      expect(removal.status).toBe(200);
      clock.advance(HOUR);
      await settled(t, clock);
      expect(await toGone()).toMatchObject([
        { status: 'skipped', attempts: 1, last_error: 'the endpoint was deleted', next_attempt_at: null },
      ]);
      expect(gone.received).toHaveLength(1);
      const attempts = await t.api.get(`/api/webhooks/${goneId}/attempts`);
      expect(attempts.body.map((attempt: any) => [attempt.succeeded, attempt.response_status])).toEqual([
        [false, 500],
      ]);
    } finally {
      await gone.close();
    }
  });

  it('reminds each party once per offset, follows a move, and never reminds of a cancelled session', async () => {
    const reminders = (bookingId: number) => (email: ReceivedEmail) =>
      isAbout(bookingId)(email) && email.subject.startsWith('Reminder:');
    /** The reminders of a booking, as admins see them: [event, recipient, status, due]. */
    const reminderRows = async (bookingId: number) =>
      (await outboxOf(t, `booking_id=${bookingId}&channel=email`))
        .filter((row) => row.message === 'reminder')
        .map((row) => [row.event_type, row.recipient, row.status, row.next_attempt_at])
        .sort();

    // Thursday 3 December, 19:00 in Asia/Kolkata: 13:30 UTC, and 13:30 on the student's clock.
    const start = Date.parse('2026-12-03T13:30:00Z');
    const id = await book(t, { start_time: '2026-12-03T19:00:00' });
    await sink.waitFor(2, undefined, isAbout(id));
    await settled(t, clock);
    expect(about(sink, id).map((email) => email.subject.split(':')[0])).toEqual(['Confirmed', 'Confirmed']);
    expect(await reminderRows(id)).toEqual([
      ['booking.confirmed', 'mentor', 'pending', new Date(start - 24 * HOUR).toISOString()],
      ['booking.confirmed', 'mentor', 'pending', new Date(start - HOUR).toISOString()],
      ['booking.confirmed', 'student', 'pending', new Date(start - 24 * HOUR).toISOString()],
      ['booking.confirmed', 'student', 'pending', new Date(start - HOUR).toISOString()],
    ]);

    // Past start − 24 h: the first reminder, once to each.
    clock.set(start - 24 * HOUR + MINUTE);
    const first = await sink.waitFor(2, undefined, reminders(id));
    await settled(t, clock);
    expect(about(sink, id).filter(reminders(id))).toHaveLength(2);
    const { [AARAV_EMAIL]: student, [ROHAN_EMAIL]: mentor } = byRecipient(first);
    expect(student?.subject).toBe('Reminder: session with Rohan Mehta starts in 24 hours');
    expect(student?.text).toContain('Thu 3 Dec 2026, 13:30–14:00 (Europe/London, GMT)');
    expect(mentor?.text).toContain('Thu 3 Dec 2026, 19:00–19:30 (Asia/Kolkata, GMT+5:30)');
    for (const email of first) {
      expect(invitationOf(email)).toMatchObject({ method: 'REQUEST', start: '2026-12-03T13:30:00.000Z' });
    }

    // Moved a day later (still before the change cut-off): its reminders follow the new time.
    const newStart = Date.parse('2026-12-04T13:30:00Z');
    const moved = await t.api.post(`/api/bookings/${id}/reschedule`, { start_time: '2026-12-04T19:00:00' });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    await sink.waitFor(
      2,
      undefined,
      (email) => isAbout(id)(email) && email.subject.startsWith('Rescheduled:'),
    );

    // The old one-hour reminders fall due for a time the session no longer has: skipped, not sent.
    clock.set(start - HOUR + MINUTE);
    await settled(t, clock);
    const skippedOld = await outboxOf(t, `booking_id=${id}&status=skipped`);
    expect(
      skippedOld.map((row) => [row.event_type, row.message, row.recipient, row.last_error]).sort(),
    ).toEqual([
      ['booking.confirmed', 'reminder', 'mentor', 'the session was moved'],
      ['booking.confirmed', 'reminder', 'student', 'the session was moved'],
    ]);
    expect(about(sink, id).filter(reminders(id))).toHaveLength(2);

    // The new time's 24-hour reminders.
    clock.set(newStart - 24 * HOUR + MINUTE);
    const all = await sink.waitFor(4, undefined, reminders(id));
    await settled(t, clock);
    const second = all.filter((email) => invitationOf(email).start === '2026-12-04T13:30:00.000Z');
    expect(second).toHaveLength(2);
    expect(byRecipient(second)[AARAV_EMAIL]?.text).toContain(
      'Fri 4 Dec 2026, 13:30–14:00 (Europe/London, GMT)',
    );

    // Cancelled: the one-hour reminders still to come are skipped when they fall due.
    expect((await t.api.post(`/api/bookings/${id}/cancel`, {})).status).toBe(200);
    await sink.waitFor(2, undefined, (email) => isAbout(id)(email) && email.subject.startsWith('Cancelled:'));
    clock.set(newStart - HOUR + MINUTE);
    await settled(t, clock);

    const skipped = await outboxOf(t, `booking_id=${id}&status=skipped`);
    expect(skipped.map((row) => [row.event_type, row.recipient, row.last_error]).sort()).toEqual([
      ['booking.confirmed', 'mentor', 'the session was moved'],
      ['booking.confirmed', 'student', 'the session was moved'],
      ['booking.rescheduled', 'mentor', 'the session is no longer confirmed'],
      ['booking.rescheduled', 'student', 'the session is no longer confirmed'],
    ]);
    expect(await outboxOf(t, `booking_id=${id}&status=pending`)).toEqual([]);
    expect(
      about(sink, id)
        .map((email) => `${email.to} ${email.subject.split(':')[0]}`)
        .sort(),
    ).toEqual([
      `${AARAV_EMAIL} Cancelled`,
      `${AARAV_EMAIL} Confirmed`,
      `${AARAV_EMAIL} Reminder`,
      `${AARAV_EMAIL} Reminder`,
      `${AARAV_EMAIL} Rescheduled`,
      `${ROHAN_EMAIL} Cancelled`,
      `${ROHAN_EMAIL} Confirmed`,
      `${ROHAN_EMAIL} Reminder`,
      `${ROHAN_EMAIL} Reminder`,
      `${ROHAN_EMAIL} Rescheduled`,
    ]);
  });
});

describe('with payments on', () => {
  let p: PaymentsTestApp;
  let sink: SmtpSink;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    sink = await startSmtpSink();
    receiver = await startWebhookReceiver();
    p = await startPaymentsApp(notificationEnv(sink));
    await subscribe(p.t, receiver);
  });
  afterAll(async () => {
    await p?.close();
    await Promise.all([sink?.close(), receiver?.close()]);
  });

  it('announces a hold by webhook only, confirms by email once paid, and tells of the refund on cancel', async () => {
    const held = await p.t.api.post('/api/bookings', booking({ start_time: '2026-12-02T19:00:00' }));
    expect(held.status, JSON.stringify(held.body)).toBe(201);
    expect(held.body.booking.status).toBe('pending_payment');
    const id: number = held.body.booking_id;
    const [created] = await receiver.waitFor(1, undefined, hookAbout(id, 'booking.created'));
    await settled(p.t, p.clock);
    expect(created?.body.data).toMatchObject({ status: 'pending_payment', cost: 2000 });
    expect(receiver.received.filter(hookAbout(id))).toHaveLength(1);
    expect(about(sink, id)).toEqual([]);
    expect(await outboxOf(p.t, `booking_id=${id}&channel=email`)).toEqual([]);

    const session = p.stand.pay(sessionOfCheckout(p.stand, held.body.payment.checkout_url).id);
    const paid = await p.deliver('checkout.session.completed', session);
    expect(paid.json()).toEqual({ received: true, outcome: 'applied' });
    const confirmations = await sink.waitFor(2, undefined, isAbout(id));
    const [confirmed] = await receiver.waitFor(1, undefined, hookAbout(id, 'booking.confirmed'));
    await settled(p.t, p.clock);
    const { [AARAV_EMAIL]: student } = byRecipient(confirmations);
    expect(student?.subject).toMatch(/^Confirmed: /);
    expect(student?.text).toContain('Price:    2,000.00 INR');
    for (const email of confirmations) {
      expect(invitationOf(email)).toMatchObject({ method: 'REQUEST', sequence: 0 });
    }
    expect(confirmed?.body.data).toMatchObject({ status: 'confirmed', cost: 2000 });

    const cancelled = await p.t.api.post(`/api/bookings/${id}/cancel`, { reason: 'Got the offer' });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(cancelled.body.payment.refund).toMatchObject({ status: 'succeeded', amount: 2000 });
    const cancellations = await sink.waitFor(
      2,
      undefined,
      (email) => isAbout(id)(email) && email.subject.startsWith('Cancelled:'),
    );
    const [refunded] = await receiver.waitFor(1, undefined, hookAbout(id, 'payment.refunded'));
    const [cancelledHook] = await receiver.waitFor(1, undefined, hookAbout(id, 'booking.cancelled'));
    await settled(p.t, p.clock, 5);

    const told = byRecipient(cancellations);
    expect(told[AARAV_EMAIL]?.text).toMatch(/refund(ed)? (of )?2,000\.00 INR/);
    expect(told[ROHAN_EMAIL]?.text).not.toMatch(/refund/i);
    for (const email of cancellations) expect(invitationOf(email)).toMatchObject({ method: 'CANCEL' });
    expect(cancelledHook?.body.data).toMatchObject({
      status: 'cancelled',
      refund: 2000,
      reason: 'Got the offer',
    });
    expect(refunded?.body.data).toMatchObject({ booking_id: id, refund: 2000 });

    expect(
      about(sink, id)
        .map((email) => `${email.to} ${email.subject.split(':')[0]}`)
        .sort(),
    ).toEqual([
      `${AARAV_EMAIL} Cancelled`,
      `${AARAV_EMAIL} Confirmed`,
      `${ROHAN_EMAIL} Cancelled`,
      `${ROHAN_EMAIL} Confirmed`,
    ]);
    const hooks = receiver.received.filter(hookAbout(id));
    expectVerifiedEvents(hooks);
    expect(hooks.map((hook) => hook.type).sort()).toEqual([
      'booking.cancelled',
      'booking.confirmed',
      'booking.created',
      'payment.refunded',
    ]);
  });

  it('tells nobody by email of a hold cancelled before payment; subscribers get booking.cancelled', async () => {
    const held = await p.t.api.post('/api/bookings', booking({ start_time: '2026-12-02T20:00:00' }));
    expect(held.status, JSON.stringify(held.body)).toBe(201);
    const id: number = held.body.booking_id;
    await receiver.waitFor(1, undefined, hookAbout(id, 'booking.created'));
    const cancelled = await p.t.api.post(`/api/bookings/${id}/cancel`, {});
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    const [hook] = await receiver.waitFor(1, undefined, hookAbout(id, 'booking.cancelled'));
    await settled(p.t, p.clock);

    expect(hook?.body.data).toMatchObject({ status: 'cancelled', refund: null });
    expect(receiver.received.filter(hookAbout(id)).map((received) => received.type)).toEqual([
      'booking.created',
      'booking.cancelled',
    ]);
    expect(sink.messages.filter((email) => email.text.includes(`#${id}\n`))).toEqual([]);
    expect(await outboxOf(p.t, `booking_id=${id}&channel=email`)).toEqual([]);
  });

  it('tells the student, without an invitation, when an unpaid hold lapses; subscribers get booking.expired', async () => {
    const held = await p.t.api.post('/api/bookings', booking({ start_time: '2026-12-02T20:30:00' }));
    expect(held.status, JSON.stringify(held.body)).toBe(201);
    const id: number = held.body.booking_id;
    // Past the 30-minute hold, another student's booking of the slot releases it.
    p.clock.advance(31 * MINUTE);
    const taken = await p.t.api.post(
      '/api/bookings',
      booking({ student_id: demo.students.diya, start_time: '2026-12-02T20:30:00' }),
    );
    expect(taken.status, JSON.stringify(taken.body)).toBe(201);
    const [hook] = await receiver.waitFor(1, undefined, hookAbout(id, 'booking.expired'));
    const lapsed = (email: ReceivedEmail) => email.text.includes(`#${id}\n`);
    const [email] = await sink.waitFor(1, undefined, lapsed);
    await settled(p.t, p.clock);

    expect(hook?.body.data).toMatchObject({ status: 'expired', booking_id: id });
    expect(receiver.received.filter(hookAbout(id, 'booking.expired'))).toHaveLength(1);
    expect(sink.messages.filter(lapsed)).toHaveLength(1);
    expect(email?.to).toBe(AARAV_EMAIL);
    expect(email?.subject).toBe('Slot released: session with Rohan Mehta on Wed 2 Dec, 20:30');
    expect(email?.text).toContain('was not paid for in time');
    expect(email?.invitation).toBeNull();
  });
});

describe('when the SMTP server refuses the credentials', () => {
  let t: TestApp;
  let sink: SmtpSink;
  const clock = testClock();

  beforeAll(async () => {
    sink = await startSmtpSink({ user: 'sessions', pass: 'the right one' });
    // The password was rotated at the mail provider and not yet here: every login is refused (535).
    const url = new URL(sink.url);
    url.password = 'the old one';
    t = await startTestApp({ ...notificationEnv(sink), SMTP_URL: url.toString() }, clock);
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
  });

  it('keeps every email to try again, instead of turning each into a dead letter on its first try', async () => {
    const id = await book(t);
    const confirmations = async () =>
      (await outboxOf(t, `booking_id=${id}&channel=email`)).filter((row) => row.message === 'confirmed');
    await retryUntil(
      t,
      clock,
      async () => {
        const rows = await confirmations();
        return rows.length === 2 && rows.every((row) => row.attempts >= 2 || row.status !== 'pending');
      },
      'a second try of both emails',
    );
    const rows = await confirmations();
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.status).toBe('pending');
      expect(row.attempts).toBeGreaterThanOrEqual(2);
      expect(row.last_error).toMatch(/535|auth/i);
    }
    expect(sink.messages).toEqual([]);
  });
});
