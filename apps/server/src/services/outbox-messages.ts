import type { BookingEventData, WebhookEvent } from '@mentor-scheduling/contracts';
import type { Knex } from 'knex';
import { instantFromDb } from '../db/connection.js';
import { minorToMajor } from '../domain/pricing.js';
import { toIsoUtc } from '../domain/time.js';
import { type SessionCalendarEntry, sessionInvitation } from './calendar-invitations.js';
import { type SessionEmailKind, sessionEmailTemplates } from './email-messages.js';
import type { EmailAddress, OutgoingEmail } from './notification-ports.js';
import type { BookingEventPayload, BookingEventType } from './outbox.js';
import type { LeasedDelivery, OutboxDeps } from './outbox-dispatcher.js';

/**
 * What each delivery says: the email of one party (with its calendar invitation) or the signed
 * webhook body, made at send time from the event's payload (the booking as the change left it) and
 * the parties' names, zones and addresses as they are now.
 */

export type SendResult = { result: 'sent'; status: number | null } | { result: 'skipped'; reason: string };

export interface OutboxMessages {
  /** Sends one leased delivery; throws when the send failed (to be retried) */
  send(delivery: LeasedDelivery): Promise<SendResult>;
}

export interface SessionParties {
  student: { name: string; email: string | null; timezone: string };
  mentor: { name: string; email: string | null; timezone: string };
  area: string | null;
}

/** Names, zones and email addresses of a booking's parties, and its area's name. */
export async function sessionPartiesOf(
  db: Knex,
  booking: { student_id: number; mentor_id: number; area_id: number | null },
): Promise<SessionParties> {
  const [student, mentor, area] = await Promise.all([
    db('students').select('name', 'email', 'timezone', 'erased_at').where('id', booking.student_id).first(),
    db('mentors')
      .leftJoin('accounts', 'accounts.mentor_id', 'mentors.id')
      .select('mentors.name', 'mentors.timezone', 'accounts.email')
      .where('mentors.id', booking.mentor_id)
      .first(),
    booking.area_id === null ? undefined : db('areas').select('name').where('id', booking.area_id).first(),
  ]);
  return {
    student: {
      name: student?.name ?? 'A student',
      // An erased student is written to no more: their address is a placeholder that reaches no one.
      email: student && student.erased_at === null ? student.email : null,
      timezone: student?.timezone ?? 'UTC',
    },
    mentor: {
      name: mentor?.name ?? 'A mentor',
      email: mentor?.email ?? null,
      timezone: mentor?.timezone ?? 'UTC',
    },
    area: area?.name ?? null,
  };
}

/** The domain of Message-IDs and calendar UIDs: where the service is reached, else the sender's. */
export function messageHostOf(deps: Pick<OutboxDeps, 'publicBaseUrl' | 'config'>): string {
  if (deps.publicBaseUrl) return new URL(deps.publicBaseUrl).hostname;
  return deps.config.email.mode === 'off'
    ? 'localhost'
    : (deps.config.email.from.address.split('@')[1] ?? 'localhost');
}

/** The booking's one calendar identity: the same UID in every invitation and feed. */
export function calendarUidOf(bookingId: number, createdAt: number, host: string): string {
  return `booking-${bookingId}-${createdAt}@${host}`;
}

export function sessionPageOf(publicBaseUrl: string | undefined, bookingId: number): string | null {
  return publicBaseUrl ? `${publicBaseUrl}/bookings/${bookingId}` : null;
}

/** A session as a calendar event, as one of its parties sees it named. */
export function calendarEntryOf(options: {
  booking: Pick<BookingEventPayload, 'booking_id' | 'created_at' | 'start' | 'end' | 'sequence'>;
  parties: SessionParties;
  viewer: 'student' | 'mentor';
  cancelled: boolean;
  stamp: number;
  host: string;
  organizer: EmailAddress;
  publicBaseUrl: string | undefined;
}): SessionCalendarEntry {
  const { booking, parties, viewer } = options;
  const other = viewer === 'student' ? parties.mentor : parties.student;
  const topic = parties.area ? `${parties.area} session` : 'Mentor session';
  const page = sessionPageOf(options.publicBaseUrl, booking.booking_id);
  // The one invited is the viewer: each party's address stays private to the other (the API never
  // shows a mentor's email to students, nor a student's to mentors).
  const attendees: SessionCalendarEntry['attendees'] = [];
  const self = parties[viewer];
  if (self.email) attendees.push({ name: self.name, address: self.email, role: viewer });
  return {
    uid: calendarUidOf(booking.booking_id, booking.created_at, options.host),
    sequence: booking.sequence,
    start: booking.start,
    end: booking.end,
    stamp: options.stamp,
    summary: `${topic} with ${other.name}`,
    description: `${topic} between ${parties.student.name} (student) and ${parties.mentor.name} (mentor), booking ${booking.booking_id}.${page ? ` Details: ${page}` : ''}`,
    status: options.cancelled ? 'cancelled' : 'confirmed',
    organizer: options.organizer,
    attendees,
    url: page ?? undefined,
  };
}

/** The webhook `data` of an event: the booking as the change left it. */
export function bookingEventDataOf(payload: BookingEventPayload, area: string | null): BookingEventData {
  return {
    booking_id: payload.booking_id,
    student_id: payload.student_id,
    mentor_id: payload.mentor_id,
    area_of_expertise: area,
    start_time: toIsoUtc(payload.start),
    end_time: toIsoUtc(payload.end),
    duration: payload.duration_minutes as BookingEventData['duration'],
    cost: minorToMajor(payload.price_minor),
    currency: payload.currency,
    status: payload.status as BookingEventData['status'],
    previous_start_time: payload.previous ? toIsoUtc(payload.previous.start) : null,
    reason: payload.reason,
    refund: payload.refund_minor === null ? null : minorToMajor(payload.refund_minor),
  };
}

interface LoadedEvent {
  type: BookingEventType;
  payload: BookingEventPayload;
  occurredAt: number;
}

async function eventOf(db: Knex, eventId: number): Promise<LoadedEvent> {
  const row = await db('outbox_events').select('type', 'payload', 'occurred_at').where('id', eventId).first();
  if (!row) throw new Error(`Outbox event ${eventId} is gone`);
  return { type: row.type, payload: JSON.parse(row.payload), occurredAt: instantFromDb(row.occurred_at) };
}

export function outboxMessages(deps: OutboxDeps): OutboxMessages {
  const render = deps.mailer ? sessionEmailTemplates() : null;
  const host = messageHostOf(deps);
  const from = deps.config.email.mode === 'off' ? null : deps.config.email.from;
  const db = deps.db.knex;

  /** A reminder is sent only for a session still confirmed at the time it was planned for. */
  async function reminderStillDue(payload: BookingEventPayload): Promise<string | null> {
    const booking = await db('bookings').select('status', 'start_at').where('id', payload.booking_id).first();
    if (booking?.status !== 'confirmed') return 'the session is no longer confirmed';
    if (instantFromDb(booking.start_at) !== payload.start) return 'the session was moved';
    // Moved away and back again: the reminders of the latest move are the ones that count.
    const [changes] = await db('booking_changes')
      .where('booking_id', payload.booking_id)
      .count({ count: '*' });
    if (Number(changes?.count ?? 0) > payload.sequence) return 'the session was moved since';
    if (payload.start <= deps.now()) return 'the session has started';
    return null;
  }

  async function refundOf(payload: BookingEventPayload) {
    if (payload.refund_minor === null) return null;
    const payment = await db('payments')
      .select('refund_status')
      .where('booking_id', payload.booking_id)
      .first();
    const status = payment?.refund_status ?? 'pending';
    return { amountMinor: payload.refund_minor, status } as const;
  }

  async function sendEmail(delivery: LeasedDelivery, event: LoadedEvent): Promise<SendResult> {
    if (!deps.mailer || !render || !from) return { result: 'skipped', reason: 'email is off' };
    const { payload } = event;
    if (delivery.kind === 'reminder') {
      const stale = await reminderStillDue(payload);
      if (stale) return { result: 'skipped', reason: stale };
    }
    const role = delivery.recipient ?? 'student';
    const parties = await sessionPartiesOf(db, payload);
    const recipient = parties[role];
    if (!recipient.email) return { result: 'skipped', reason: `the ${role} has no email address` };
    const otherRole = role === 'student' ? 'mentor' : 'student';
    const kind = delivery.kind as SessionEmailKind;
    const rendered = render({
      kind,
      bookingId: payload.booking_id,
      recipient: { name: recipient.name, role, timeZone: recipient.timezone },
      otherParty: { name: parties[otherRole].name, role: otherRole },
      area: parties.area,
      start: payload.start,
      end: payload.end,
      durationMinutes: payload.duration_minutes,
      priceMinor: payload.price_minor,
      currency: payload.currency,
      previous: payload.previous ?? undefined,
      reason: payload.reason,
      refund: await refundOf(payload),
      reminderLeadMinutes: delivery.reminder_minutes ?? undefined,
      manageUrl: sessionPageOf(deps.publicBaseUrl, payload.booking_id),
    });
    const email: OutgoingEmail = {
      messageId: delivery.message_id,
      from,
      to: { name: recipient.name, address: recipient.email },
      ...rendered,
    };
    // The expiry of an unpaid hold was never in anyone's calendar.
    if (kind !== 'expired') {
      const cancelled = kind === 'cancelled';
      email.invitation = sessionInvitation(
        calendarEntryOf({
          booking: payload,
          parties,
          viewer: role,
          cancelled,
          stamp: event.occurredAt,
          host,
          organizer: from,
          publicBaseUrl: deps.publicBaseUrl,
        }),
        cancelled ? 'CANCEL' : 'REQUEST',
      );
    }
    await deps.mailer.send(email);
    return { result: 'sent', status: null };
  }

  async function sendWebhook(delivery: LeasedDelivery, event: LoadedEvent): Promise<SendResult> {
    const endpoint = await db('webhook_endpoints')
      .select('url', 'secret', 'deleted_at')
      .where('id', delivery.webhook_endpoint_id)
      .first();
    if (!endpoint || endpoint.deleted_at !== null)
      return { result: 'skipped', reason: 'the endpoint was deleted' };
    const area =
      event.payload.area_id === null
        ? null
        : ((await db('areas').select('name').where('id', event.payload.area_id).first())?.name ?? null);
    const body: WebhookEvent = {
      type: event.type,
      timestamp: toIsoUtc(event.occurredAt),
      data: bookingEventDataOf(event.payload, area),
    };
    const response = await deps.webhooks.deliver({
      url: endpoint.url,
      secret: endpoint.secret,
      messageId: delivery.message_id,
      // Freshness of the signature is judged by the receiver's clock: the real one, whatever the rules read.
      timestamp: Date.now(),
      body: JSON.stringify(body),
    });
    return { result: 'sent', status: response.status };
  }

  return {
    async send(delivery) {
      const event = await eventOf(db, delivery.event_id);
      return delivery.channel === 'email' ? sendEmail(delivery, event) : sendWebhook(delivery, event);
    },
  };
}
