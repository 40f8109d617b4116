import { createHash, randomBytes } from 'node:crypto';
import type { OperationInput, Operations } from '@mentor-scheduling/contracts';
import type { Knex } from 'knex';
import { instantFromDb } from '../db/connection.js';
import { statusAt } from '../domain/booking-status.js';
import { DAY_MS } from '../domain/time.js';
import { requireParticipant, unknownRecord } from './access.js';
import type { SessionCalendarEntry } from './calendar-invitations.js';
import { sessionFeed, sessionInvitation } from './calendar-invitations.js';
import type { ServiceContext } from './context.js';
import { AppError } from './errors.js';
import { calendarEntryOf, messageHostOf, type SessionParties, sessionPartiesOf } from './outbox-messages.js';

/**
 * Sessions in people's calendars: one booking as a file to add, and a private feed per student or
 * mentor that calendar apps poll. Each event has the UID and SEQUENCE of the booking's invitation
 * emails, so a calendar that got both keeps one event.
 */

/** Feeds show sessions from this long ago on: enough for "when did we meet", small enough to poll. */
const FEED_PAST_DAYS = 30;

interface CalendarBookingRow {
  id: number;
  student_id: number;
  mentor_id: number;
  area_id: number | null;
  start_at: unknown;
  end_at: unknown;
  status: string;
  hold_expires_at: unknown;
  created_at: unknown;
  updated_at: unknown;
  changes: number | string;
}

function calendarBookings(db: Knex) {
  return db('bookings').select(
    'bookings.id',
    'bookings.student_id',
    'bookings.mentor_id',
    'bookings.area_id',
    'bookings.start_at',
    'bookings.end_at',
    'bookings.status',
    'bookings.hold_expires_at',
    'bookings.created_at',
    'bookings.updated_at',
    db('booking_changes').count('*').whereRaw('booking_changes.booking_id = bookings.id').as('changes'),
  );
}

function organizerOf(ctx: ServiceContext) {
  const email = ctx.config.notifications.email;
  return email.mode === 'off' ? { name: 'Mentor sessions', address: 'sessions@localhost' } : email.from;
}

async function entryOf(
  ctx: ServiceContext,
  row: CalendarBookingRow,
  viewer: 'student' | 'mentor',
  parties?: SessionParties,
): Promise<SessionCalendarEntry> {
  const start = instantFromDb(row.start_at);
  const end = instantFromDb(row.end_at);
  const holdExpiresAt = row.hold_expires_at === null ? null : instantFromDb(row.hold_expires_at);
  const status = statusAt(row.status as never, end, ctx.now(), holdExpiresAt);
  const entry = calendarEntryOf({
    booking: {
      booking_id: row.id,
      created_at: instantFromDb(row.created_at),
      start,
      end,
      sequence: Number(row.changes),
    },
    parties: parties ?? (await sessionPartiesOf(ctx.db.knex, row)),
    viewer,
    cancelled: status === 'cancelled' || status === 'expired',
    stamp: instantFromDb(row.updated_at),
    host: messageHostOf({ publicBaseUrl: ctx.config.publicBaseUrl, config: ctx.config.notifications }),
    organizer: organizerOf(ctx),
    publicBaseUrl: ctx.config.publicBaseUrl,
  });
  return status === 'pending_payment' ? { ...entry, status: 'tentative' } : entry;
}

export async function bookingCalendar(
  ctx: ServiceContext,
  input: OperationInput<Operations['calendars']['booking']>,
): Promise<string> {
  const row: CalendarBookingRow | undefined = await calendarBookings(ctx.db.knex)
    .where('bookings.id', input.id)
    .first();
  if (!row) throw unknownRecord(ctx, 'Booking', input.id);
  requireParticipant(ctx, row);
  const viewer = ctx.actor.role === 'mentor' ? 'mentor' : 'student';
  return sessionInvitation(await entryOf(ctx, row, viewer), 'PUBLISH').content;
}

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

/** A new private feed URL for the caller; the previous one stops working in the same statement. */
export async function createCalendarFeed(ctx: ServiceContext): Promise<{ url: string }> {
  const accountId = ctx.actor.accountId;
  if (accountId === undefined)
    throw new AppError('forbidden', 'Calendar feeds belong to student and mentor accounts');
  const token = randomBytes(32).toString('base64url');
  await ctx.db
    .knex('calendar_feeds')
    .insert({ account_id: accountId, token_hash: hashOf(token), created_at: new Date(ctx.now()) })
    .onConflict('account_id')
    .merge(['token_hash', 'created_at']);
  ctx.log.info({ event: 'calendar_feed_created', accountId }, 'calendar feed URL issued');
  const base = ctx.config.publicBaseUrl ?? ctx.origin;
  return { url: `${base}/api/calendar-feeds/${token}.ics` };
}

export async function calendarFeed(
  ctx: ServiceContext,
  input: OperationInput<Operations['calendars']['feed']>,
): Promise<string> {
  const token = input.token.replace(/\.ics$/, '');
  const owner = await ctx.db
    .knex('calendar_feeds')
    .join('accounts', 'accounts.id', 'calendar_feeds.account_id')
    .select('accounts.role', 'accounts.student_id', 'accounts.mentor_id', 'accounts.email')
    .where('calendar_feeds.token_hash', hashOf(token))
    .first();
  if (!owner || (owner.role !== 'student' && owner.role !== 'mentor'))
    throw new AppError(
      'not_found',
      'No calendar feed at this address (it may have been replaced by a newer one)',
    );
  const viewer: 'student' | 'mentor' = owner.role;
  const rows: CalendarBookingRow[] = await calendarBookings(ctx.db.knex)
    .where(viewer === 'student' ? 'bookings.student_id' : 'bookings.mentor_id', owner[`${viewer}_id`])
    .whereIn('bookings.status', ['confirmed', 'pending_payment'])
    .where('bookings.end_at', '>', new Date(ctx.now() - FEED_PAST_DAYS * DAY_MS))
    .orderBy('bookings.start_at')
    .limit(1000);
  const entries: SessionCalendarEntry[] = [];
  // A feed repeats the same few parties: each set of names and addresses is read once.
  const parties = new Map<string, Promise<SessionParties>>();
  const partiesOf = (row: CalendarBookingRow) => {
    const key = `${row.student_id}:${row.mentor_id}:${row.area_id}`;
    let found = parties.get(key);
    if (!found) {
      found = sessionPartiesOf(ctx.db.knex, row);
      parties.set(key, found);
    }
    return found;
  };
  for (const row of rows) {
    const entry = await entryOf(ctx, row, viewer, await partiesOf(row));
    if (entry.status !== 'cancelled') entries.push(entry);
  }
  return sessionFeed('Mentor sessions', entries);
}
