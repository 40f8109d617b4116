import { skipToken, useQuery } from '@tanstack/react-query';
import { type ReactNode, useEffect, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { usePageTitle } from '../../components/Layout.js';
import { Loading } from '../../components/Loading.js';
import { useSession } from '../../session.js';
import { formatInstant, formatRange } from '../../time.js';
import { useTRPC } from '../../trpc.js';
import { CancelSessionDialog, cancelledSentence } from './CancelSessionDialog.js';
import {
  AddToCalendarLink,
  type Booking,
  formatMoney,
  isActive,
  MentorName,
  paymentSummary,
  refundSentence,
  StatusBadge,
  useOwnZone,
} from './shared.js';

/** How often, and how long, to ask whether the payment provider has confirmed a payment. */
export const paymentPolling = { everyMs: 2_000, forMs: 60_000 };

/**
 * /bookings/:id: one session for anyone taking part (and admins). Stripe Checkout returns here with
 * `?payment=done` or `?payment=cancelled`; only the provider's signed message confirms a payment, so
 * after "done" the page asks again every 2 s, for a minute at most, until the session is confirmed.
 */
export function BookingPage() {
  usePageTitle('Session details');
  const trpc = useTRPC();
  const params = useParams();
  const [search] = useSearchParams();
  const returned = search.get('payment');
  const id = Number(params.id);
  const validId = Number.isInteger(id) && id > 0;
  const { zone, ready } = useOwnZone();
  const { me } = useSession();

  const [gaveUp, setGaveUp] = useState(false);
  useEffect(() => {
    if (returned !== 'done') return;
    const timer = setTimeout(() => setGaveUp(true), paymentPolling.forMs);
    return () => clearTimeout(timer);
  }, [returned]);

  const booking = useQuery({
    ...trpc.bookings.get.queryOptions(validId ? { id } : skipToken),
    refetchInterval: (query) =>
      returned === 'done' && !gaveUp && query.state.data?.status === 'pending_payment'
        ? paymentPolling.everyMs
        : false,
  });

  const [cancelling, setCancelling] = useState(false);
  const [outcome, setOutcome] = useState<string | null>(null);

  let body: ReactNode;
  if (!validId) {
    body = (
      <div className="notice notice-error" role="alert">
        <div className="notice-body">
          <p className="notice-message">This address does not name a session.</p>
          <p>
            <Link to="/">Go to your start page</Link>
          </p>
        </div>
      </div>
    );
  } else if (booking.isPending || !ready) {
    body = <Loading label="Loading the session…" />;
  } else if (booking.isError) {
    body = <ErrorNotice error={booking.error} onRetry={() => void booking.refetch()} />;
  } else {
    const session = booking.data;
    body = (
      <>
        <PaymentReturn returned={returned} booking={session} zone={zone} gaveUp={gaveUp} />
        <SessionDetails booking={session} zone={zone} />
        <div className="actions">
          {session.status === 'pending_payment' &&
            session.payment?.checkout_url &&
            me?.role === 'student' && (
              <a className="button button-primary" href={session.payment.checkout_url}>
                Pay now
              </a>
            )}
          {isActive(session) && (
            <button type="button" className="button button-secondary" onClick={() => setCancelling(true)}>
              Cancel session
            </button>
          )}
          {session.status !== 'cancelled' && session.status !== 'expired' && (
            <AddToCalendarLink bookingId={session.id} />
          )}
          {me?.role === 'student' && <Link to="/sessions">See my sessions</Link>}
        </div>
        {cancelling && (
          <CancelSessionDialog
            booking={session}
            zone={zone}
            onClose={() => setCancelling(false)}
            onCancelled={(cancelled) => {
              setCancelling(false);
              setOutcome(cancelledSentence(cancelled, zone));
            }}
          />
        )}
      </>
    );
  }

  return (
    <section className="stack booking-page">
      <h1>Session details</h1>
      <div role="status" aria-live="polite">
        {outcome && (
          <div className="notice notice-success">
            <div className="notice-body">
              <p className="notice-message">{outcome}</p>
            </div>
          </div>
        )}
      </div>
      {body}
    </section>
  );
}

function SessionDetails({ booking, zone }: { booking: Booking; zone: string }) {
  return (
    <div className="card">
      <dl className="details">
        <dt>When</dt>
        <dd>{formatRange(booking.start_time, booking.end_time, zone)}</dd>
        <dt>Mentor</dt>
        <dd>
          <MentorName id={booking.mentor_id} />
        </dd>
        <dt>Area</dt>
        <dd>{booking.area_of_expertise ?? 'Not recorded'}</dd>
        <dt>Length</dt>
        <dd>{booking.duration} minutes</dd>
        <dt>Status</dt>
        <dd>
          <StatusBadge status={booking.status} />
        </dd>
        <dt>Cost</dt>
        <dd>{formatMoney(booking.cost, booking.currency)}</dd>
        <dt>Payment</dt>
        <dd>{paymentSummary(booking.payment, zone)}</dd>
        {booking.cancellation_reason && (
          <>
            <dt>Reason</dt>
            <dd>{booking.cancellation_reason}</dd>
          </>
        )}
      </dl>
    </div>
  );
}

/** What came of the trip to the payment page, as far as the server knows yet. */
function PaymentReturn({
  returned,
  booking,
  zone,
  gaveUp,
}: {
  returned: string | null;
  booking: Booking;
  zone: string;
  gaveUp: boolean;
}) {
  const heldUntil = booking.payment?.expires_at
    ? formatInstant(booking.payment.expires_at, zone, { withZone: true })
    : null;

  if (returned === 'cancelled') {
    const stillHeld = booking.status === 'pending_payment';
    return (
      <Notice kind="warning" title="Payment cancelled">
        {stillHeld
          ? `Nothing was charged. The time is still held for you${heldUntil ? ` until ${heldUntil}` : ''}; pay before then to keep it.`
          : 'Nothing was charged.'}
      </Notice>
    );
  }
  if (returned !== 'done') return null;

  switch (booking.status) {
    case 'confirmed':
    case 'completed':
      return (
        <Notice kind="success" title="Payment received">
          Your session is confirmed.
        </Notice>
      );
    case 'pending_payment':
      return gaveUp ? (
        <Notice kind="warning" title="Your payment is not confirmed yet">
          The payment provider has not told us about it yet. Reload this page in a few minutes; the time is
          held for you{heldUntil ? ` until ${heldUntil}` : ''}.
        </Notice>
      ) : (
        <Notice kind="info" title="We are confirming your payment">
          This usually takes a few seconds; this page updates by itself.
        </Notice>
      );
    case 'expired':
      return (
        <Notice kind="warning" title="The hold ended before your payment arrived">
          If a payment still arrives, the session is booked when its time is free; otherwise the money is
          refunded in full.
        </Notice>
      );
    case 'cancelled':
      return (
        <Notice kind="warning" title="This session is cancelled">
          {booking.payment?.refund
            ? refundSentence(booking.payment.refund, booking.payment.currency)
            : 'Book a new session if you still need one.'}
        </Notice>
      );
  }
}

function Notice({
  kind,
  title,
  children,
}: {
  kind: 'success' | 'warning' | 'info';
  title: string;
  children: ReactNode;
}) {
  return (
    <div className={`notice notice-${kind}`} role="status">
      <div className="notice-body">
        <p className="notice-message">{title}</p>
        <p>{children}</p>
      </div>
    </div>
  );
}
