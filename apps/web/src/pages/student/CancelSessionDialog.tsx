import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Dialog } from '../../components/Dialog.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { Field } from '../../components/Field.js';
import { formatRange } from '../../time.js';
import { useTRPC } from '../../trpc.js';
import {
  type Booking,
  formatMoney,
  MentorName,
  refreshAfterBookingChange,
  refundSentence,
} from './shared.js';

/** The sentence shown once a session is cancelled, with what happens to the money. */
export function cancelledSentence(booking: Booking, zone: string): string {
  const when = formatRange(booking.start_time, booking.end_time, zone);
  const refund = booking.payment?.refund;
  return refund
    ? `Session on ${when} cancelled. ${refundSentence(refund, booking.payment?.currency ?? booking.currency)}`
    : `Session on ${when} cancelled.`;
}

/** "Cancel session": asks once more (with an optional reason), then cancels and hands back the answer. */
export function CancelSessionDialog({
  booking,
  zone,
  onClose,
  onCancelled,
}: {
  booking: Booking;
  zone: string;
  onClose: () => void;
  onCancelled: (cancelled: Booking) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [reason, setReason] = useState('');
  const cancel = useMutation(
    trpc.bookings.cancel.mutationOptions({
      onSuccess: async (cancelled) => {
        onCancelled(cancelled);
        await refreshAfterBookingChange(queryClient, trpc);
      },
    }),
  );
  const trimmed = reason.trim();

  return (
    <Dialog title="Cancel this session?" onClose={() => !cancel.isPending && onClose()}>
      <p>
        {formatRange(booking.start_time, booking.end_time, zone)}: {booking.area_of_expertise ?? 'Session'}{' '}
        with <MentorName id={booking.mentor_id} />.
      </p>
      {booking.payment?.status === 'paid' && (
        <p>You get the full {formatMoney(booking.payment.amount, booking.payment.currency)} back.</p>
      )}
      {booking.status === 'pending_payment' && <p>The time held for you is released.</p>}
      <Field label="Reason (optional)" hint="It is kept with the session.">
        {(control) => (
          <textarea
            {...control}
            maxLength={500}
            value={reason}
            onChange={(event) => setReason(event.target.value)}
          />
        )}
      </Field>
      {cancel.error && <ErrorNotice error={cancel.error} />}
      <div className="actions">
        <button
          type="button"
          className="button button-danger"
          disabled={cancel.isPending}
          onClick={() => cancel.mutate({ id: booking.id, ...(trimmed ? { reason: trimmed } : {}) })}
        >
          {cancel.isPending ? 'Cancelling…' : 'Cancel session'}
        </button>
        <button
          type="button"
          className="button button-secondary"
          disabled={cancel.isPending}
          onClick={onClose}
        >
          Keep session
        </button>
      </div>
    </Dialog>
  );
}
