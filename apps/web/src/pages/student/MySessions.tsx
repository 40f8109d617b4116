import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState } from 'react';
import { Link } from 'react-router';
import { Dialog } from '../../components/Dialog.js';
import { Empty } from '../../components/Empty.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { Field } from '../../components/Field.js';
import { usePageTitle } from '../../components/Layout.js';
import { Loading } from '../../components/Loading.js';
import { errorCodeOf, problemOf } from '../../errors.js';
import { formatInstant, formatRange } from '../../time.js';
import { useTRPC } from '../../trpc.js';
import { CancelSessionDialog, cancelledSentence } from './CancelSessionDialog.js';
import {
  AddToCalendarLink,
  type Booking,
  formatMoney,
  isActive,
  MentorName,
  mondayOf,
  type OpenSlot,
  paymentSummary,
  refreshAfterBookingChange,
  SlotList,
  StatusBadge,
  useOwnZone,
  WeekNav,
  weekWindow,
} from './shared.js';

/** Sessions shown at first, and added by each "Show more". */
const pageSize = 10;

/** /sessions: the student's upcoming and past sessions; cancel, move, add to a calendar, subscribe. */
export function MySessionsPage() {
  usePageTitle('My sessions');
  const { zone, ready } = useOwnZone();
  const [cancelling, setCancelling] = useState<Booking | null>(null);
  const [moving, setMoving] = useState<Booking | null>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  const outcomeRegion = useRef<HTMLDivElement>(null);

  // The list item that opened the dialog may have moved or changed: the outcome is read next.
  useEffect(() => {
    if (outcome) outcomeRegion.current?.focus();
  }, [outcome]);

  return (
    <section className="stack sessions-page">
      <h1>My sessions</h1>
      <div role="status" aria-live="polite" ref={outcomeRegion} tabIndex={-1} className="status-region">
        {outcome && (
          <div className="notice notice-success">
            <div className="notice-body">
              <p className="notice-message">{outcome}</p>
            </div>
          </div>
        )}
      </div>

      {ready ? (
        <>
          <SessionGroup
            title="Upcoming"
            upcoming
            zone={zone}
            onCancel={setCancelling}
            onReschedule={setMoving}
          />
          <SessionGroup
            title="Past"
            upcoming={false}
            zone={zone}
            onCancel={setCancelling}
            onReschedule={setMoving}
          />
        </>
      ) : (
        <Loading label="Loading your sessions…" />
      )}

      <CalendarFeed />

      {cancelling && (
        <CancelSessionDialog
          booking={cancelling}
          zone={zone}
          onClose={() => setCancelling(null)}
          onCancelled={(cancelled) => {
            setCancelling(null);
            setOutcome(cancelledSentence(cancelled, zone));
          }}
        />
      )}
      {moving && (
        <RescheduleDialog
          booking={moving}
          zone={zone}
          onClose={() => setMoving(null)}
          onMoved={(moved) => {
            setMoving(null);
            setOutcome(`Session moved to ${formatRange(moved.start_time, moved.end_time, zone)}.`);
          }}
        />
      )}
    </section>
  );
}

function SessionGroup({
  title,
  upcoming,
  zone,
  onCancel,
  onReschedule,
}: {
  title: string;
  upcoming: boolean;
  zone: string;
  onCancel: (booking: Booking) => void;
  onReschedule: (booking: Booking) => void;
}) {
  const trpc = useTRPC();
  const headingId = useId();
  const sessions = useInfiniteQuery(
    trpc.bookings.list.infiniteQueryOptions(
      { upcoming, limit: pageSize },
      { getNextPageParam: (page) => page.nextCursor },
    ),
  );
  const items = sessions.data?.pages.flatMap((page) => page.items) ?? [];
  const which = upcoming ? 'upcoming' : 'past';

  return (
    <section className="stack" aria-labelledby={headingId}>
      <h2 id={headingId}>{title}</h2>
      {sessions.isPending && <Loading label={`Loading your ${which} sessions…`} />}
      {sessions.isError && <ErrorNotice error={sessions.error} onRetry={() => void sessions.refetch()} />}
      {sessions.isSuccess && items.length === 0 && (
        <Empty title={`No ${which} sessions yet`}>{upcoming && <Link to="/book">Book a session</Link>}</Empty>
      )}
      {items.length > 0 && (
        <ul className="session-list">
          {items.map((booking) => (
            <SessionItem
              key={booking.id}
              booking={booking}
              zone={zone}
              onCancel={onCancel}
              onReschedule={onReschedule}
            />
          ))}
        </ul>
      )}
      {sessions.hasNextPage && (
        <button
          type="button"
          className="button button-secondary"
          disabled={sessions.isFetchingNextPage}
          onClick={() => void sessions.fetchNextPage()}
        >
          {sessions.isFetchingNextPage ? 'Loading more…' : `Show more ${which} sessions`}
        </button>
      )}
    </section>
  );
}

function SessionItem({
  booking,
  zone,
  onCancel,
  onReschedule,
}: {
  booking: Booking;
  zone: string;
  onCancel: (booking: Booking) => void;
  onReschedule: (booking: Booking) => void;
}) {
  const checkoutUrl = booking.status === 'pending_payment' ? booking.payment?.checkout_url : null;
  return (
    <li className="card session">
      <div className="session-head">
        <p className="session-when">{formatRange(booking.start_time, booking.end_time, zone)}</p>
        <StatusBadge status={booking.status} />
      </div>
      <dl className="details">
        <dt>Mentor</dt>
        <dd>
          <MentorName id={booking.mentor_id} />
        </dd>
        <dt>Area</dt>
        <dd>{booking.area_of_expertise ?? 'Not recorded'}</dd>
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
      <div className="actions">
        {checkoutUrl && (
          <a className="button button-primary" href={checkoutUrl}>
            Pay now
          </a>
        )}
        {booking.status === 'confirmed' && (
          <button type="button" className="button button-secondary" onClick={() => onReschedule(booking)}>
            Reschedule
          </button>
        )}
        {isActive(booking) && (
          <button type="button" className="button button-secondary" onClick={() => onCancel(booking)}>
            Cancel session
          </button>
        )}
        {booking.status !== 'cancelled' && booking.status !== 'expired' && (
          <AddToCalendarLink bookingId={booking.id} />
        )}
        <Link to={`/bookings/${booking.id}`}>Session details</Link>
      </div>
    </li>
  );
}

/**
 * "Reschedule": the same mentor's open times for the same length, a week at a time, then one move.
 * The price paid is kept, so nothing is charged or refunded.
 */
function RescheduleDialog({
  booking,
  zone,
  onClose,
  onMoved,
}: {
  booking: Booking;
  zone: string;
  onClose: () => void;
  onMoved: (moved: Booking) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const firstMonday = mondayOf(zone);
  // Moves are mostly to a nearby day: start at the session's own week (unless that is already past).
  const [monday, setMonday] = useState(() => {
    const sessionWeek = mondayOf(zone, booking.start_time);
    // Dates as yyyy-mm-dd compare as text.
    return sessionWeek.localeCompare(firstMonday) > 0 ? sessionWeek : firstMonday;
  });
  const [target, setTarget] = useState<OpenSlot | null>(null);
  const week = weekWindow(monday, zone);
  const slots = useQuery(
    trpc.mentors.slots.queryOptions({
      id: booking.mentor_id,
      duration: booking.duration,
      from: week.from,
      to: week.to,
    }),
  );
  const move = useMutation(
    trpc.bookings.reschedule.mutationOptions({
      onSuccess: async (moved) => {
        onMoved(moved);
        await refreshAfterBookingChange(queryClient, trpc);
      },
      onError: async (error) => {
        if (errorCodeOf(error) === 'slot_taken') await refreshAfterBookingChange(queryClient, trpc);
      },
    }),
  );
  const open: OpenSlot[] = (slots.data?.slots ?? []).map((slot) => ({
    start: slot.start_time,
    end: slot.end_time,
  }));
  const nearby =
    errorCodeOf(move.error) === 'slot_taken'
      ? (problemOf(move.error)?.next_slots ?? []).filter((hint) => hint.mentor_id === booking.mentor_id)
      : [];

  return (
    <Dialog title="Reschedule session" onClose={() => !move.isPending && onClose()}>
      <p>
        Now: {formatRange(booking.start_time, booking.end_time, zone)} with{' '}
        <MentorName id={booking.mentor_id} />.
      </p>
      {target ? (
        <>
          <p className="notice-message">Move to {formatRange(target.start, target.end, zone)}?</p>
          {move.error && <ErrorNotice error={move.error} />}
          {nearby.length > 0 && (
            <ul className="slot-list">
              {nearby.map((hint) => (
                <li key={hint.start_time}>
                  <button
                    type="button"
                    className="slot-button"
                    aria-label={`Choose ${formatInstant(hint.start_time, zone, { withZone: true })}`}
                    onClick={() => {
                      setTarget({ start: hint.start_time, end: hint.end_time });
                      move.reset();
                    }}
                  >
                    {formatInstant(hint.start_time, zone)}
                  </button>
                </li>
              ))}
            </ul>
          )}
          <div className="actions">
            <button
              type="button"
              className="button button-primary"
              disabled={move.isPending}
              onClick={() => move.mutate({ id: booking.id, start_time: target.start })}
            >
              {move.isPending ? 'Moving…' : 'Move session'}
            </button>
            <button
              type="button"
              className="button button-secondary"
              disabled={move.isPending}
              onClick={() => {
                setTarget(null);
                move.reset();
              }}
            >
              Back
            </button>
          </div>
        </>
      ) : (
        <>
          <WeekNav monday={monday} firstMonday={firstMonday} zone={zone} onChange={setMonday} />
          {slots.isPending && <Loading label="Loading open times…" />}
          {slots.isError && <ErrorNotice error={slots.error} onRetry={() => void slots.refetch()} />}
          {slots.isSuccess && open.length === 0 && (
            <Empty title="No open times this week">
              <p>Try the next week.</p>
            </Empty>
          )}
          {open.length > 0 && <SlotList slots={open} zone={zone} verb="Move to" onChoose={setTarget} />}
          <div className="actions">
            <button type="button" className="button button-secondary" onClick={onClose}>
              Keep the current time
            </button>
          </div>
        </>
      )}
    </Dialog>
  );
}

/** A private subscription link for calendar apps; asking again replaces the old link. */
function CalendarFeed() {
  const trpc = useTRPC();
  const headingId = useId();
  const feed = useMutation(trpc.calendars.createFeed.mutationOptions());
  const [copied, setCopied] = useState<'copied' | 'select' | null>(null);
  const urlField = useRef<HTMLInputElement>(null);

  const copy = async (url: string) => {
    try {
      await navigator.clipboard.writeText(url);
      setCopied('copied');
    } catch {
      // No clipboard access (plain http, or refused): select the text so a long press or Ctrl+C copies it.
      urlField.current?.select();
      setCopied('select');
    }
  };

  return (
    <section className="card stack" aria-labelledby={headingId}>
      <h2 id={headingId}>Calendar feed</h2>
      <p>
        Subscribe to your sessions in Google, Apple or Outlook calendar with a private link. Each time you
        ask, you get a new link and the previous one stops working.
      </p>
      <div className="actions">
        <button
          type="button"
          className="button button-secondary"
          disabled={feed.isPending}
          onClick={() => {
            setCopied(null);
            feed.mutate();
          }}
        >
          Get my calendar feed link
        </button>
      </div>
      {feed.error && <ErrorNotice error={feed.error} />}
      {feed.data && (
        <>
          <Field
            label="Calendar feed URL"
            hint="Keep it private: anyone with this link sees your sessions. Asking again replaces it."
          >
            {(control) => (
              <input
                {...control}
                ref={urlField}
                type="url"
                readOnly
                value={feed.data.url}
                onFocus={(event) => event.target.select()}
              />
            )}
          </Field>
          <div className="actions">
            <button
              type="button"
              className="button button-secondary"
              onClick={() => void copy(feed.data.url)}
            >
              Copy link
            </button>
            <span role="status" aria-live="polite">
              {copied === 'copied' && 'Link copied.'}
              {copied === 'select' && 'Copying is not allowed here; the link is selected, copy it yourself.'}
            </span>
          </div>
        </>
      )}
    </section>
  );
}
