import type { RouterOutputs } from '@mentor-scheduling/client';
import { skipToken, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { Link } from 'react-router';
import { Dialog } from '../../components/Dialog.js';
import { Empty } from '../../components/Empty.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { Field } from '../../components/Field.js';
import { usePageTitle } from '../../components/Layout.js';
import { Loading } from '../../components/Loading.js';
import { ZoneSelect } from '../../components/ZoneSelect.js';
import { errorCodeOf, problemOf } from '../../errors.js';
import { useSession } from '../../session.js';
import { formatInstant, formatRange } from '../../time.js';
import { useTRPC } from '../../trpc.js';
import {
  formatMoney,
  mondayOf,
  newIdempotencyKey,
  type OpenSlot,
  refreshAfterBookingChange,
  SlotList,
  shiftWeek,
  useMentorName,
  useOwnZone,
  WeekNav,
  weekWindow,
} from './shared.js';
import { useWideScreen, WeekGrid } from './WeekGrid.js';

type Duration = 30 | 45 | 60;
type MentorChoice = 'assign' | 'choose';
type ListedMentor = RouterOutputs['mentors']['list']['items'][number];
type BookingCreated = RouterOutputs['bookings']['create'];

const durations: readonly Duration[] = [30, 45, 60];

/** What the student asked for, besides the time: all the confirmation dialog needs to book. */
interface BookingRequest {
  area: string;
  duration: Duration;
  /** A chosen mentor; null lets the service assign one. */
  mentor: ListedMentor | null;
  /** The price shown; sent so a price changed meanwhile is refused rather than charged. */
  cost: number | null;
  currency: string;
}

/** /book: pick an area, a length and a mentor (or none), then an open time of the week, and book. */
export function BookPage() {
  usePageTitle('Book a session');
  const trpc = useTRPC();
  const { me } = useSession();
  const studentId = me?.student_id ?? null;
  const wide = useWideScreen();
  const fieldIds = useId();

  const areas = useQuery({ ...trpc.areas.list.queryOptions(), staleTime: 10 * 60_000 });
  const pricing = useQuery({ ...trpc.pricing.get.queryOptions(), staleTime: 10 * 60_000 });
  const student = useQuery({
    ...trpc.students.get.queryOptions(studentId ? { id: studentId } : skipToken),
    staleTime: 5 * 60_000,
  });
  const own = useOwnZone();

  const [pickedArea, setPickedArea] = useState<string | null>(null);
  const [duration, setDuration] = useState<Duration>(30);
  const [mentorChoice, setMentorChoice] = useState<MentorChoice>('assign');
  const [mentorId, setMentorId] = useState<number | null>(null);
  const [pickedZone, setPickedZone] = useState<string | null>(null);
  const [pickedMonday, setPickedMonday] = useState<string | null>(null);
  const [skippedEmptyWeek, setSkippedEmptyWeek] = useState(false);
  const [chosenSlot, setChosenSlot] = useState<OpenSlot | null>(null);
  const [booked, setBooked] = useState<{ answer: BookingCreated; zone: string } | null>(null);
  const bookedNotice = useRef<HTMLDivElement>(null);

  // The slot that opened the dialog is gone once booked: the outcome is where the reader goes next.
  useEffect(() => {
    if (booked) bookedNotice.current?.focus();
  }, [booked]);

  // The student's own area of interest is where most start; any other is one choice away.
  const interest = student.data?.area_of_interest ?? null;
  const area =
    pickedArea ?? (interest && areas.data?.some((entry) => entry.name === interest) ? interest : '');
  const zone = pickedZone ?? own.zone;
  const zoneKnown = pickedZone !== null || own.ready;
  const firstMonday = mondayOf(zone);
  const monday = pickedMonday && pickedMonday > firstMonday ? pickedMonday : firstMonday;
  const week = weekWindow(monday, zone);

  const mentors = useQuery(
    trpc.mentors.list.queryOptions(
      mentorChoice === 'choose' && area ? { area_of_expertise: area, limit: 200 } : skipToken,
    ),
  );
  const mentor = mentors.data?.items.find((entry) => entry.id === mentorId) ?? null;

  const assignedSlots = useQuery(
    trpc.slots.search.queryOptions(
      mentorChoice === 'assign' && area && zoneKnown
        ? {
            area_of_expertise: area,
            duration,
            from: week.from,
            to: week.to,
            timezone: zone,
            ...(studentId ? { student_id: studentId } : {}),
          }
        : skipToken,
    ),
  );
  const mentorSlots = useQuery(
    trpc.mentors.slots.queryOptions(
      mentorChoice === 'choose' && mentor && zoneKnown
        ? { id: mentor.id, duration, from: week.from, to: week.to }
        : skipToken,
    ),
  );
  const slotsQuery = mentorChoice === 'assign' ? assignedSlots : mentorSlots;
  const slots: OpenSlot[] = (slotsQuery.data?.slots ?? []).map((slot) => ({
    start: slot.start_time,
    end: slot.end_time,
  }));

  // Late in the week (a weekend, a Friday night) nothing may be left to book: rather than an empty
  // first screen, the next week is shown, once, and the page says so.
  const currentWeekEmpty = pickedMonday === null && slotsQuery.isSuccess && slots.length === 0;
  useEffect(() => {
    if (!currentWeekEmpty) return;
    setPickedMonday(shiftWeek(firstMonday, 1));
    setSkippedEmptyWeek(true);
  }, [currentWeekEmpty, firstMonday]);

  const priceOf = (length: Duration, premium: boolean): number | null => {
    const row = pricing.data?.prices.find((price) => price.duration === length);
    if (!row) return null;
    return premium ? row.premium : row.standard;
  };
  const currency = pricing.data?.currency ?? 'INR';
  const premium = mentorChoice === 'choose' && mentor?.is_premium === true;
  const cost = priceOf(duration, premium);

  const request: BookingRequest = {
    area,
    duration,
    mentor: mentorChoice === 'choose' ? mentor : null,
    cost,
    currency,
  };

  let openTimes: ReactNode;
  if (!area) {
    openTimes = <p className="muted">Choose an area to see its open times.</p>;
  } else if (mentorChoice === 'choose' && mentors.isPending) {
    openTimes = <Loading label="Loading the mentors of this area…" />;
  } else if (mentorChoice === 'choose' && mentors.isError) {
    openTimes = <ErrorNotice error={mentors.error} onRetry={() => void mentors.refetch()} />;
  } else if (mentorChoice === 'choose' && mentors.data?.items.length === 0) {
    openTimes = (
      <Empty title="No mentor offers this area yet">
        <p>Choose another area, or come back later.</p>
      </Empty>
    );
  } else if (mentorChoice === 'choose' && !mentor) {
    openTimes = <p className="muted">Choose a mentor to see their open times.</p>;
  } else if (!zoneKnown) {
    openTimes = <Loading label="Loading your time zone…" />;
  } else if (slotsQuery.isPending) {
    openTimes = <Loading label="Loading open times…" />;
  } else if (slotsQuery.isError) {
    openTimes = <ErrorNotice error={slotsQuery.error} onRetry={() => void slotsQuery.refetch()} />;
  } else if (slots.length === 0) {
    openTimes = (
      <Empty title="No open times this week">
        <p>Try the next week, another length, or another mentor.</p>
      </Empty>
    );
  } else if (wide) {
    openTimes = <WeekGrid slots={slots} zone={zone} monday={monday} verb="Book" onChoose={setChosenSlot} />;
  } else {
    openTimes = <SlotList slots={slots} zone={zone} verb="Book" onChoose={setChosenSlot} />;
  }

  return (
    <section className="stack book-page">
      <h1>Book a session</h1>

      <div role="status" aria-live="polite" ref={bookedNotice} tabIndex={-1} className="status-region">
        {booked && <BookedNotice answer={booked.answer} zone={booked.zone} />}
      </div>

      {areas.isError && <ErrorNotice error={areas.error} onRetry={() => void areas.refetch()} />}
      {pricing.isError && <ErrorNotice error={pricing.error} onRetry={() => void pricing.refetch()} />}

      <form className="card booking-choices" noValidate onSubmit={(event) => event.preventDefault()}>
        <Field label="Area">
          {(control) => (
            <select
              {...control}
              value={area}
              disabled={areas.isPending}
              onChange={(event) => {
                setPickedArea(event.target.value);
                setMentorId(null);
              }}
            >
              <option value="">{areas.isPending ? 'Loading areas…' : 'Choose an area…'}</option>
              {areas.data?.map((entry) => (
                <option key={entry.id} value={entry.name}>
                  {entry.name}
                </option>
              ))}
            </select>
          )}
        </Field>

        <div role="radiogroup" className="choice-group" aria-labelledby={`${fieldIds}-length`}>
          <p className="label" id={`${fieldIds}-length`}>
            Length
          </p>
          <div className="choices">
            {durations.map((length) => {
              const price = priceOf(length, premium);
              return (
                <div key={length} className="choice">
                  <input
                    type="radio"
                    id={`${fieldIds}-length-${length}`}
                    name={`${fieldIds}-length`}
                    value={length}
                    checked={duration === length}
                    aria-describedby={price !== null ? `${fieldIds}-price-${length}` : undefined}
                    onChange={() => setDuration(length)}
                  />
                  <label htmlFor={`${fieldIds}-length-${length}`}>{length} minutes</label>
                  {price !== null && (
                    <span className="muted" id={`${fieldIds}-price-${length}`}>
                      {formatMoney(price, currency)}
                    </span>
                  )}
                </div>
              );
            })}
          </div>
        </div>

        <div role="radiogroup" className="choice-group" aria-labelledby={`${fieldIds}-mentor`}>
          <p className="label" id={`${fieldIds}-mentor`}>
            Mentor
          </p>
          <div className="choices">
            <div className="choice">
              <input
                type="radio"
                id={`${fieldIds}-assign`}
                name={`${fieldIds}-mentor`}
                value="assign"
                checked={mentorChoice === 'assign'}
                aria-describedby={`${fieldIds}-assign-hint`}
                onChange={() => setMentorChoice('assign')}
              />
              <label htmlFor={`${fieldIds}-assign`}>Assign me a mentor</label>
              <span className="muted" id={`${fieldIds}-assign-hint`}>
                Any free mentor of the area, at the standard price
              </span>
            </div>
            <div className="choice">
              <input
                type="radio"
                id={`${fieldIds}-choose`}
                name={`${fieldIds}-mentor`}
                value="choose"
                checked={mentorChoice === 'choose'}
                aria-describedby={`${fieldIds}-choose-hint`}
                onChange={() => setMentorChoice('choose')}
              />
              <label htmlFor={`${fieldIds}-choose`}>Choose a mentor</label>
              <span className="muted" id={`${fieldIds}-choose-hint`}>
                Premium mentors cost more
              </span>
            </div>
          </div>
        </div>

        {mentorChoice === 'choose' && area && (
          <Field label="Mentor">
            {(control) => (
              <select
                {...control}
                value={mentorId ?? ''}
                disabled={!mentors.data}
                onChange={(event) => setMentorId(event.target.value ? Number(event.target.value) : null)}
              >
                <option value="">{mentors.isPending ? 'Loading mentors…' : 'Choose a mentor…'}</option>
                {mentors.data?.items.map((entry) => {
                  const premiumPrice = priceOf(duration, true);
                  return (
                    <option key={entry.id} value={entry.id}>
                      {entry.is_premium
                        ? `${entry.name} (premium${premiumPrice !== null ? `, ${formatMoney(premiumPrice, currency)}` : ''})`
                        : entry.name}
                    </option>
                  );
                })}
              </select>
            )}
          </Field>
        )}

        <ZoneSelect value={zone} onZoneChange={setPickedZone} />
      </form>

      <section className="stack" aria-labelledby={`${fieldIds}-open-times`}>
        <h2 id={`${fieldIds}-open-times`}>Open times</h2>
        <WeekNav
          monday={monday}
          firstMonday={firstMonday}
          zone={zone}
          onChange={(picked) => {
            setPickedMonday(picked);
            setSkippedEmptyWeek(false);
          }}
        />
        {skippedEmptyWeek && monday > firstMonday && (
          <p className="muted">No open times are left this week, so the next week is shown.</p>
        )}
        {openTimes}
      </section>

      {chosenSlot && (
        <ConfirmBookingDialog
          firstSlot={chosenSlot}
          request={request}
          zone={zone}
          onClose={() => setChosenSlot(null)}
          onBooked={(answer) => {
            setBooked({ answer, zone });
            setChosenSlot(null);
          }}
        />
      )}
    </section>
  );
}

/**
 * The last step: the details once more, then one booking. The idempotency key is made when the
 * dialog opens, so a double click, or "Confirm booking" again after a lost answer, books once.
 */
function ConfirmBookingDialog({
  firstSlot,
  request,
  zone,
  onClose,
  onBooked,
}: {
  firstSlot: OpenSlot;
  request: BookingRequest;
  zone: string;
  onClose: () => void;
  onBooked: (answer: BookingCreated) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [attempt, setAttempt] = useState(() => ({ slot: firstSlot, key: newIdempotencyKey() }));
  const book = useMutation(
    trpc.bookings.create.mutationOptions({
      onSuccess: async (answer) => {
        onBooked(answer);
        await refreshAfterBookingChange(queryClient, trpc);
      },
      onError: async (error) => {
        // The week behind the dialog still shows the time someone else just took.
        if (errorCodeOf(error) === 'slot_taken') await refreshAfterBookingChange(queryClient, trpc);
      },
    }),
  );

  const confirm = () => {
    if (book.isPending) return;
    book.mutate({
      area_of_expertise: request.area,
      duration: request.duration,
      start_time: attempt.slot.start,
      idempotency_key: attempt.key,
      ...(request.mentor ? { mentor_id: request.mentor.id } : {}),
      ...(request.cost !== null ? { cost: request.cost } : {}),
    });
  };

  const nearby =
    errorCodeOf(book.error) === 'slot_taken'
      ? [
          ...new Map(
            (problemOf(book.error)?.next_slots ?? []).map((hint) => [hint.start_time, hint]),
          ).values(),
        ]
      : [];

  return (
    <Dialog title="Confirm booking" onClose={() => !book.isPending && onClose()}>
      <dl className="details">
        <dt>When</dt>
        <dd>{formatRange(attempt.slot.start, attempt.slot.end, zone)}</dd>
        <dt>Area</dt>
        <dd>{request.area}</dd>
        <dt>Length</dt>
        <dd>{request.duration} minutes</dd>
        <dt>Mentor</dt>
        <dd>
          {request.mentor
            ? `${request.mentor.name}${request.mentor.is_premium ? ' (premium)' : ''}`
            : 'A free mentor of this area, assigned when you book'}
        </dd>
        {request.cost !== null && (
          <>
            <dt>Cost</dt>
            <dd>{formatMoney(request.cost, request.currency)}</dd>
          </>
        )}
      </dl>

      {book.error && <ErrorNotice error={book.error} />}
      {nearby.length > 0 && (
        <div className="stack">
          <p>Free times nearby:</p>
          <ul className="slot-list">
            {nearby.map((hint) => (
              <li key={hint.start_time}>
                <button
                  type="button"
                  className="slot-button"
                  aria-label={`Choose ${formatInstant(hint.start_time, zone, { withZone: true })}`}
                  onClick={() => {
                    // Another time is another booking: it gets its own key.
                    setAttempt({
                      slot: { start: hint.start_time, end: hint.end_time },
                      key: newIdempotencyKey(),
                    });
                    book.reset();
                  }}
                >
                  {formatInstant(hint.start_time, zone)}
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}

      <div className="actions">
        <button type="button" className="button button-primary" disabled={book.isPending} onClick={confirm}>
          {book.isPending ? 'Booking…' : 'Confirm booking'}
        </button>
        <button type="button" className="button button-secondary" disabled={book.isPending} onClick={onClose}>
          Back
        </button>
      </div>
    </Dialog>
  );
}

/** What was booked: confirmed, or held until paid with the way to pay. */
function BookedNotice({ answer, zone }: { answer: BookingCreated; zone: string }) {
  const { booking, payment } = answer;
  const mentorName = useMentorName(booking.mentor_id);
  const when = formatRange(booking.start_time, booking.end_time, zone);
  const withWhom = `${booking.area_of_expertise ?? 'Session'} with ${mentorName ?? 'your mentor'}`;

  if (booking.status === 'pending_payment' && payment) {
    return (
      <div className="notice notice-warning">
        <div className="notice-body">
          <p className="notice-message">
            {payment.expires_at
              ? `Held until ${formatInstant(payment.expires_at, zone, { withZone: true })}`
              : 'Held until you pay'}
          </p>
          <p>
            {when}: {withWhom}, {formatMoney(payment.amount, payment.currency)}. Pay before then to confirm
            the session; after that the time is freed for others.
          </p>
          <p className="actions">
            {payment.checkout_url && (
              <a className="button button-primary" href={payment.checkout_url}>
                Pay now
              </a>
            )}
            <Link to="/sessions">See my sessions</Link>
          </p>
        </div>
      </div>
    );
  }
  return (
    <div className="notice notice-success">
      <div className="notice-body">
        <p className="notice-message">Booked: {when}</p>
        <p>
          {withWhom}, {formatMoney(booking.cost, booking.currency)}.
        </p>
        <p className="actions">
          <Link to="/sessions">See my sessions</Link>
          <Link to={`/bookings/${booking.id}`}>Session details</Link>
        </p>
      </div>
    </div>
  );
}
