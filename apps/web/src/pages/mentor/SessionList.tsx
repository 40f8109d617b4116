import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { Link } from 'react-router';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { Field } from '../../components/Field.js';
import { formatRange } from '../../time.js';
import { useTRPC } from '../../trpc.js';
import { formatMoney, type MentorBooking, studentNameOf } from './own-mentor.js';

export const statusLabels: Record<MentorBooking['status'], string> = {
  confirmed: 'Confirmed',
  pending_payment: 'Waiting for payment',
  cancelled: 'Cancelled',
  completed: 'Completed',
  expired: 'Expired unpaid',
};

const statusBadges: Record<MentorBooking['status'], string> = {
  confirmed: 'badge badge-success',
  pending_payment: 'badge badge-warning',
  cancelled: 'badge badge-danger',
  completed: 'badge badge-info',
  expired: 'badge',
};

/** Mentors may cancel any session that has not started; the server refuses the rest with a reason. */
function canCancel(booking: MentorBooking): boolean {
  const active = booking.status === 'confirmed' || booking.status === 'pending_payment';
  return active && Date.parse(booking.start_time) > Date.now();
}

/** What cancelling does to the student's money, said before the mentor confirms. */
function moneyBeforeCancelling(booking: MentorBooking): string {
  const payment = booking.payment;
  if (payment?.status === 'paid') {
    return `The student gets their ${formatMoney(payment.amount, payment.currency)} back in full.`;
  }
  if (payment?.status === 'pending')
    return 'The student has not paid yet; their hold on the time is released.';
  return 'No payment was taken for it.';
}

/** What happened to the money, from the cancelled booking the server answered. */
function moneyAfterCancelling(cancelled: MentorBooking): string {
  const refund = cancelled.payment?.refund;
  if (refund) {
    const amount = formatMoney(refund.amount, cancelled.payment?.currency ?? cancelled.currency);
    if (refund.status === 'succeeded') return `${amount} was refunded to the student.`;
    if (refund.status === 'pending') return `${amount} is being refunded to the student.`;
    return `The refund of ${amount} did not go through; an admin will look at it.`;
  }
  return 'No payment was taken, so there is nothing to refund.';
}

/**
 * The week's sessions as a list: the same as the grid, readable by screen readers and on phones,
 * with the actions a mentor has on each.
 */
export function SessionList({ sessions, zone }: { sessions: readonly MentorBooking[]; zone: string }) {
  const [done, setDone] = useState<string | null>(null);
  return (
    <>
      <div role="status" aria-live="polite">
        {done && <p className="notice notice-success">{done}</p>}
      </div>
      <ul className="mentor-sessions">
        {sessions.map((booking) => (
          <SessionItem key={booking.id} booking={booking} zone={zone} onCancelled={setDone} />
        ))}
      </ul>
    </>
  );
}

function SessionItem({
  booking,
  zone,
  onCancelled,
}: {
  booking: MentorBooking;
  zone: string;
  onCancelled: (message: string) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const item = useRef<HTMLLIElement>(null);
  const [confirming, setConfirming] = useState(false);
  const [reason, setReason] = useState('');
  const name = studentNameOf(booking);
  const when = formatRange(booking.start_time, booking.end_time, zone);

  const cancel = useMutation(
    trpc.bookings.cancel.mutationOptions({
      onSuccess: async (cancelled) => {
        setConfirming(false);
        onCancelled(`The session with ${name} on ${when} is cancelled. ${moneyAfterCancelling(cancelled)}`);
        item.current?.focus();
        // The freed time is open again, so the open times change with the sessions.
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.bookings.list.queryKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.bookings.get.queryKey({ id: booking.id }) }),
          queryClient.invalidateQueries({ queryKey: trpc.mentors.slots.queryKey() }),
        ]);
      },
    }),
  );

  const headingId = `session-${booking.id}-title`;
  return (
    <li
      ref={item}
      id={`session-${booking.id}`}
      tabIndex={-1}
      aria-labelledby={headingId}
      className="card stack mentor-session"
    >
      <h3 id={headingId}>
        {name}, {when}
      </h3>
      <p>
        {booking.area_of_expertise ?? 'No area given'} · {booking.duration} minutes ·{' '}
        <span className={statusBadges[booking.status]}>{statusLabels[booking.status]}</span>
      </p>
      {booking.status === 'cancelled' && booking.cancellation_reason && (
        <p className="muted">Reason: {booking.cancellation_reason}</p>
      )}
      <p>
        <Link to={`/bookings/${booking.id}`}>Session details</Link>
      </p>
      {cancel.error && <ErrorNotice error={cancel.error} />}
      {canCancel(booking) && !confirming && (
        <div className="actions">
          <button
            type="button"
            className="button button-danger"
            onClick={() => {
              cancel.reset();
              setConfirming(true);
            }}
          >
            Cancel session
          </button>
        </div>
      )}
      {confirming && (
        <form
          className="stack"
          aria-label={`Cancel the session with ${name}`}
          onSubmit={(event) => {
            event.preventDefault();
            const why = reason.trim();
            cancel.mutate({ id: booking.id, ...(why ? { reason: why } : {}) });
          }}
        >
          <p>
            Cancel the session with {name} on {when}? {moneyBeforeCancelling(booking)}
          </p>
          <Field label="Reason (optional)" hint="Kept with the session's history.">
            {(control) => (
              <textarea
                {...control}
                maxLength={500}
                value={reason}
                onChange={(event) => setReason(event.target.value)}
              />
            )}
          </Field>
          <div className="actions">
            <button type="submit" className="button button-danger" disabled={cancel.isPending}>
              {cancel.isPending ? 'Cancelling…' : 'Yes, cancel the session'}
            </button>
            <button
              type="button"
              className="button button-secondary"
              onClick={() => {
                setConfirming(false);
                item.current?.focus();
              }}
            >
              Keep the session
            </button>
          </div>
        </form>
      )}
    </li>
  );
}
