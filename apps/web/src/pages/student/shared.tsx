import type { RouterOutputs } from '@mentor-scheduling/client';
import { type QueryClient, skipToken, useQuery } from '@tanstack/react-query';
import { DateTime } from 'luxon';
import { type MouseEvent, useState } from 'react';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { useSession } from '../../session.js';
import { browserZone, formatInstant } from '../../time.js';
import { useTRPC, useTRPCClient } from '../../trpc.js';
import './student.css';

export type Booking = RouterOutputs['bookings']['get'];
export type BookingStatus = Booking['status'];
export type Payment = NonNullable<Booking['payment']>;
export type Refund = NonNullable<Payment['refund']>;

/** An open time to book or move to: `[start, end)`, as the server gave it. */
export interface OpenSlot {
  start: string;
  end: string;
}

import { saveTextFile } from '../../download.js';
import { formatMoney } from '../../money.js';

export { formatMoney };

/**
 * The zone a signed-in person reads times in: a student's or a mentor's own (their profile), else
 * the browser's. `ready` is false while the profile is still loading, so pages do not ask for a week
 * in one zone and then again in another.
 */
export function useOwnZone(): { zone: string; ready: boolean } {
  const trpc = useTRPC();
  const { me } = useSession();
  const studentId = me?.role === 'student' ? me.student_id : null;
  const mentorId = me?.role === 'mentor' ? me.mentor_id : null;
  const student = useQuery({
    ...trpc.students.get.queryOptions(studentId ? { id: studentId } : skipToken),
    staleTime: 5 * 60_000,
  });
  const mentor = useQuery({
    ...trpc.mentors.get.queryOptions(mentorId ? { id: mentorId } : skipToken),
    staleTime: 5 * 60_000,
  });
  const ready = (!studentId || !student.isPending) && (!mentorId || !mentor.isPending);
  return { zone: student.data?.timezone ?? mentor.data?.timezone ?? browserZone(), ready };
}

/** A mentor's name, fetched once and shared by every session that names the same mentor. */
export function useMentorName(mentorId: number): string | null {
  const trpc = useTRPC();
  const mentor = useQuery({ ...trpc.mentors.get.queryOptions({ id: mentorId }), staleTime: 10 * 60_000 });
  return mentor.data?.name ?? null;
}

export function MentorName({ id }: { id: number }) {
  const name = useMentorName(id);
  return <>{name ?? 'Loading the mentor’s name…'}</>;
}

const statusLabels: Record<BookingStatus, { label: string; badge: string }> = {
  pending_payment: { label: 'Waiting for payment', badge: 'badge badge-warning' },
  confirmed: { label: 'Confirmed', badge: 'badge badge-success' },
  cancelled: { label: 'Cancelled', badge: 'badge badge-danger' },
  completed: { label: 'Completed', badge: 'badge badge-info' },
  expired: { label: 'Expired: not paid in time', badge: 'badge' },
};

export function statusLabel(status: BookingStatus): string {
  return statusLabels[status].label;
}

export function StatusBadge({ status }: { status: BookingStatus }) {
  return <span className={statusLabels[status].badge}>{statusLabels[status].label}</span>;
}

/** What happened to the money of a cancelled paid session, in a sentence. */
export function refundSentence(refund: Refund, currency: string): string {
  const amount = formatMoney(refund.amount, currency);
  if (refund.status === 'succeeded') return `${amount} has been refunded to you.`;
  if (refund.status === 'pending') return `A refund of ${amount} is on its way to you.`;
  return `The refund of ${amount} did not go through yet; our team has been told and will sort it out.`;
}

/** How a session is paid for, in words; times in `zone`. */
export function paymentSummary(payment: Payment | null, zone: string): string {
  if (!payment) return 'No online payment';
  const amount = formatMoney(payment.amount, payment.currency);
  switch (payment.status) {
    case 'pending':
      return payment.expires_at
        ? `${amount} to pay; held until ${formatInstant(payment.expires_at, zone, { withZone: true })}`
        : `${amount} to pay`;
    case 'paid':
      return `${amount} paid`;
    case 'expired':
      return 'Not paid in time';
    case 'refunded':
      return payment.refund ? refundSentence(payment.refund, payment.currency) : `${amount} refunded`;
    case 'flagged':
      return 'Payment under review by our team';
  }
}

/** A session that can still be cancelled: it has not ended, nor been cancelled or expired. */
export function isActive(booking: Booking): boolean {
  return booking.status === 'confirmed' || booking.status === 'pending_payment';
}

/** After a booking changes, everything that showed it (lists, open times) is asked again. */
export async function refreshAfterBookingChange(
  queryClient: QueryClient,
  trpc: ReturnType<typeof useTRPC>,
): Promise<void> {
  await Promise.all([
    queryClient.invalidateQueries(trpc.bookings.pathFilter()),
    queryClient.invalidateQueries(trpc.slots.pathFilter()),
    queryClient.invalidateQueries(trpc.mentors.slots.queryFilter()),
  ]);
}

/**
 * A key that makes a retried booking request safe. `randomUUID` exists only on secure pages
 * (https, localhost); the app may be opened over plain http on a LAN address, where it does not.
 */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * "Add to calendar": the .ics file comes through the tRPC client (it carries the sign-in), so the
 * link's own address is only a fallback; the click downloads `session-<id>.ics`.
 */
export function AddToCalendarLink({ bookingId }: { bookingId: number }) {
  const client = useTRPCClient();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const filename = `session-${bookingId}.ics`;

  const download = async (event: MouseEvent<HTMLAnchorElement>) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const text = await client.calendars.booking.query({ id: bookingId });
      saveTextFile(text, filename, 'text/calendar');
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <a
        href={`/api/bookings/${bookingId}/calendar.ics`}
        download={filename}
        className="button button-secondary"
        aria-busy={busy || undefined}
        onClick={download}
      >
        Add to calendar
      </a>
      {error !== null && <ErrorNotice error={error} />}
    </>
  );
}

/** Monday (as yyyy-mm-dd) of the week holding `at` (default now), Monday to Sunday in `zone`. */
export function mondayOf(zone: string, at?: string): string {
  const moment = at ? DateTime.fromISO(at, { zone }) : DateTime.now().setZone(zone);
  return moment.startOf('week').toISODate() ?? '';
}

/** The instants a week starts and ends at in `zone`, as a query window `[from, to)`. */
export function weekWindow(monday: string, zone: string): { from: string; to: string } {
  const start = DateTime.fromISO(monday, { zone }).startOf('day');
  return { from: start.toUTC().toISO() ?? '', to: start.plus({ weeks: 1 }).toUTC().toISO() ?? '' };
}

export function shiftWeek(monday: string, weeks: number): string {
  return DateTime.fromISO(monday).plus({ weeks }).toISODate() ?? monday;
}

/** A day as headings show it: "Tue 1 Dec". */
export function dayLabel(day: DateTime): string {
  // en-US spells September "Sep" in every ICU; the order is set by the format string.
  return day.setLocale('en-US').toFormat('ccc d LLL');
}

/** "Mon 30 Nov – Sun 6 Dec". */
export function weekLabel(monday: string): string {
  const start = DateTime.fromISO(monday);
  return `${dayLabel(start)} – ${dayLabel(start.plus({ days: 6 }))}`;
}

/**
 * Previous / next week buttons around the week shown. Earlier weeks than `firstMonday` hold no
 * bookable time, so the way back stops there.
 */
export function WeekNav({
  monday,
  firstMonday,
  zone,
  onChange,
}: {
  monday: string;
  firstMonday: string;
  zone: string;
  onChange: (monday: string) => void;
}) {
  return (
    <div className="week-nav">
      <button
        type="button"
        className="button button-secondary"
        disabled={monday <= firstMonday}
        onClick={() => onChange(shiftWeek(monday, -1))}
      >
        Previous week
      </button>
      <p className="week-label" aria-live="polite">
        <strong>{weekLabel(monday)}</strong> <span className="muted">({zone})</span>
      </p>
      <button
        type="button"
        className="button button-secondary"
        onClick={() => onChange(shiftWeek(monday, 1))}
      >
        Next week
      </button>
    </div>
  );
}

/** Open times grouped by day in `zone`, each a button named "<verb> Tue 1 Dec, 19:00 (zone)". */
export function SlotList({
  slots,
  zone,
  verb,
  onChoose,
}: {
  slots: readonly OpenSlot[];
  zone: string;
  verb: string;
  onChoose: (slot: OpenSlot) => void;
}) {
  const days = new Map<string, { label: string; slots: OpenSlot[] }>();
  for (const slot of slots) {
    const start = DateTime.fromISO(slot.start, { setZone: true }).setZone(zone);
    const key = start.toISODate() ?? '';
    const day = days.get(key) ?? { label: dayLabel(start), slots: [] };
    day.slots.push(slot);
    days.set(key, day);
  }
  return (
    <div className="slot-days">
      {[...days.entries()].map(([key, day]) => (
        <div key={key} className="slot-day">
          <h3>{day.label}</h3>
          <ul className="slot-list">
            {day.slots.map((slot) => (
              <li key={slot.start}>
                <SlotButton slot={slot} zone={zone} verb={verb} onChoose={onChoose} />
              </li>
            ))}
          </ul>
        </div>
      ))}
    </div>
  );
}

export function SlotButton({
  slot,
  zone,
  verb,
  onChoose,
}: {
  slot: OpenSlot;
  zone: string;
  verb: string;
  onChoose: (slot: OpenSlot) => void;
}) {
  const when = formatInstant(slot.start, zone, { withZone: true });
  return (
    <button
      type="button"
      className="slot-button"
      aria-label={`${verb} ${when}`}
      onClick={() => onChoose(slot)}
    >
      {DateTime.fromISO(slot.start, { setZone: true }).setZone(zone).toFormat('HH:mm')}
    </button>
  );
}
