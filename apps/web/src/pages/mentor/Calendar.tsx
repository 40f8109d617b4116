import type { DatesSetArg, EventClickArg, EventContentArg, EventInput } from '@fullcalendar/core';
import luxonPlugin from '@fullcalendar/luxon3';
import FullCalendar from '@fullcalendar/react';
import timeGridPlugin from '@fullcalendar/timegrid';
import { skipToken, useQuery } from '@tanstack/react-query';
import { ChevronLeft, ChevronRight } from 'lucide-react';
import { DateTime } from 'luxon';
import { type ReactNode, useCallback, useMemo, useRef, useState } from 'react';
import { Link } from 'react-router';
import { Empty } from '../../components/Empty.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { usePageTitle } from '../../components/Layout.js';
import { Loading } from '../../components/Loading.js';
import { ZoneSelect } from '../../components/ZoneSelect.js';
import { formatRange, formatTime } from '../../time.js';
import { useTRPC } from '../../trpc.js';
import { type MentorBooking, NotLinkedNotice, studentNameOf, useOwnMentor } from './own-mentor.js';
import { SessionList, statusLabels } from './SessionList.js';
import './mentor.css';
import { joinOpenSlots, type OpenStretch, openTimesByDay, type VisibleWeek, weekTitle } from './week.js';

/** /mentor/calendar: the mentor's week, sessions and open times, in their zone or another. */
export function MentorCalendarPage() {
  usePageTitle('My calendar');
  const { mentorId, mentor } = useOwnMentor();
  const [chosenZone, setChosenZone] = useState<string | null>(null);

  let body: ReactNode;
  if (mentorId === null) {
    body = <NotLinkedNotice />;
  } else if (mentor.isPending) {
    body = <Loading label="Loading your calendar…" />;
  } else if (mentor.isError) {
    body = <ErrorNotice error={mentor.error} onRetry={() => mentor.refetch()} />;
  } else {
    const zone = chosenZone ?? mentor.data.timezone;
    body = (
      <>
        <ZoneSelect
          value={zone}
          onZoneChange={setChosenZone}
          hint={
            zone === mentor.data.timezone
              ? 'Your own zone. Choose another to see your week as someone there would.'
              : `Your own zone is ${mentor.data.timezone}.`
          }
        />
        <MentorWeek mentorId={mentorId} zone={zone} />
      </>
    );
  }

  return (
    <section className="stack">
      <h1>My calendar</h1>
      {body}
    </section>
  );
}

const activeStatuses: ReadonlySet<MentorBooking['status']> = new Set([
  'confirmed',
  'pending_payment',
  'completed',
]);

/** The hours the grid shows: the working day, widened to whatever the week holds. */
function hoursShown(times: readonly { start: string; end: string }[], zone: string) {
  let first = 8;
  let last = 20;
  for (const time of times) {
    const start = DateTime.fromISO(time.start, { zone });
    const end = DateTime.fromISO(time.end, { zone });
    const sameDay = start.hasSame(end, 'day') || (end.hour === 0 && end.minute === 0);
    first = Math.min(first, sameDay ? start.hour : 0);
    const endHour = sameDay
      ? end.hour === 0 && end.minute === 0
        ? 24
        : Math.ceil(end.hour + end.minute / 60)
      : 24;
    last = Math.max(last, endHour);
  }
  const clock = (hour: number) => `${String(hour).padStart(2, '0')}:00:00`;
  return { slotMinTime: clock(first), slotMaxTime: clock(last) };
}

function MentorWeek({ mentorId, zone }: { mentorId: number; zone: string }) {
  const trpc = useTRPC();
  const calendar = useRef<FullCalendar>(null);
  const [week, setWeek] = useState<VisibleWeek | null>(null);

  const sessions = useQuery(
    trpc.bookings.list.queryOptions(week ? { from: week.from, to: week.to, limit: 200 } : skipToken),
  );
  const slots = useQuery(
    trpc.mentors.slots.queryOptions(
      week ? { id: mentorId, from: week.from, to: week.to, duration: 30 } : skipToken,
    ),
  );

  const weekSessions = useMemo(() => sessions.data?.items ?? [], [sessions.data]);
  const openStretches = useMemo(() => joinOpenSlots(slots.data?.slots ?? []), [slots.data]);

  const events = useMemo<EventInput[]>(
    () => [
      ...openStretches.map(
        (stretch): EventInput => ({
          start: stretch.start,
          end: stretch.end,
          display: 'background',
          classNames: ['open-time'],
          backgroundColor: '#86efac',
        }),
      ),
      ...weekSessions
        .filter((booking) => activeStatuses.has(booking.status))
        .map(
          (booking): EventInput => ({
            id: String(booking.id),
            title: studentNameOf(booking),
            start: booking.start_time,
            end: booking.end_time,
            url: `#session-${booking.id}`,
            backgroundColor: booking.status === 'pending_payment' ? '#92400e' : '#1d4ed8',
            borderColor: booking.status === 'pending_payment' ? '#92400e' : '#1d4ed8',
            textColor: '#ffffff',
            extendedProps: { booking },
          }),
        ),
    ],
    [openStretches, weekSessions],
  );

  const hours = useMemo(
    () =>
      hoursShown(
        [
          ...openStretches,
          ...weekSessions.map((booking) => ({ start: booking.start_time, end: booking.end_time })),
        ],
        zone,
      ),
    [openStretches, weekSessions, zone],
  );

  const onDatesSet = useCallback((range: DatesSetArg) => {
    const next = { from: range.start.toISOString(), to: range.end.toISOString() };
    setWeek((current) => (current?.from === next.from && current.to === next.to ? current : next));
  }, []);

  const renderEvent = useCallback(
    (arg: EventContentArg) => {
      const booking = arg.event.extendedProps.booking as MentorBooking | undefined;
      if (!booking) return null;
      const name = studentNameOf(booking);
      return (
        <>
          <span className="visually-hidden">
            {`${name}, ${formatRange(booking.start_time, booking.end_time, zone)}, ${booking.area_of_expertise ?? 'no area'}, ${statusLabels[booking.status]}`}
          </span>
          <span aria-hidden="true" className="mentor-event-text">
            <span className="mentor-event-time">{formatTime(booking.start_time, zone)}</span>{' '}
            <span className="mentor-event-name">{name}</span>
          </span>
        </>
      );
    },
    [zone],
  );

  const onEventClick = useCallback((click: EventClickArg) => {
    // The list item below holds the details and the actions; moving focus there keeps keyboard and
    // screen-reader users in step with what they chose.
    click.jsEvent.preventDefault();
    const item = document.getElementById(`session-${click.event.id}`);
    item?.focus();
    item?.scrollIntoView?.({ block: 'nearest' });
  }, []);

  return (
    <>
      <div className="actions">
        <button
          type="button"
          className="button button-secondary"
          onClick={() => calendar.current?.getApi().prev()}
        >
          <ChevronLeft aria-hidden="true" />
          Previous week
        </button>
        <button
          type="button"
          className="button button-secondary"
          onClick={() => calendar.current?.getApi().today()}
        >
          This week
        </button>
        <button
          type="button"
          className="button button-secondary"
          onClick={() => calendar.current?.getApi().next()}
        >
          Next week
          <ChevronRight aria-hidden="true" />
        </button>
      </div>
      <h2 aria-live="polite">{week ? `Week of ${weekTitle(week, zone)}` : 'This week'}</h2>
      <p className="muted">
        Times in {zone}. Sessions are blue (brown while waiting for payment); open times students can book are
        shaded green. <Link to="/mentor/availability">Change your hours</Link>
      </p>
      {sessions.isError && <ErrorNotice error={sessions.error} onRetry={() => sessions.refetch()} />}
      {slots.isError && (
        <ErrorNotice error={slots.error} onRetry={() => slots.refetch()} retryLabel="Load open times again" />
      )}
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: on phones the grid scrolls sideways, so keyboard users must be able to focus it even when it holds no session links */}
      <section className="mentor-calendar" aria-label="Week grid" tabIndex={0}>
        <FullCalendar
          ref={calendar}
          plugins={[timeGridPlugin, luxonPlugin]}
          initialView="timeGridWeek"
          timeZone={zone}
          locale="en-GB"
          firstDay={1}
          headerToolbar={false}
          allDaySlot={false}
          nowIndicator
          height="auto"
          slotDuration="00:30:00"
          slotMinTime={hours.slotMinTime}
          slotMaxTime={hours.slotMaxTime}
          slotLabelFormat={{ hour: '2-digit', minute: '2-digit', hour12: false }}
          eventTimeFormat={{ hour: '2-digit', minute: '2-digit', hour12: false }}
          dayHeaderFormat={{ weekday: 'short', day: 'numeric' }}
          events={events}
          eventContent={renderEvent}
          eventClick={onEventClick}
          datesSet={onDatesSet}
        />
      </section>
      <section className="stack" aria-labelledby="week-sessions">
        <h2 id="week-sessions">Sessions this week</h2>
        {sessions.isPending ? (
          <Loading label="Loading your sessions…" />
        ) : sessions.isError ? null : weekSessions.length === 0 ? (
          <Empty title="No sessions this week">
            Students book your open times; <Link to="/mentor/availability">add hours</Link> to get more.
          </Empty>
        ) : (
          <>
            <SessionList sessions={weekSessions} zone={zone} />
            {sessions.data?.nextCursor && (
              <p className="muted">Only the first 200 sessions of this week are shown.</p>
            )}
          </>
        )}
      </section>
      <OpenTimes stretches={openStretches} zone={zone} pending={slots.isPending} />
    </>
  );
}

/** The open times as text, for people who cannot see the shading of the grid. */
function OpenTimes({
  stretches,
  zone,
  pending,
}: {
  stretches: readonly OpenStretch[];
  zone: string;
  pending: boolean;
}) {
  if (pending) return null;
  const days = openTimesByDay(stretches, zone);
  return (
    <details className="card">
      <summary>Open times this week ({zone})</summary>
      {days.length === 0 ? (
        <p>No open times left this week.</p>
      ) : (
        <ul>
          {days.map((day) => (
            <li key={day.day}>
              {day.day}: {day.times.join(', ')}
            </li>
          ))}
        </ul>
      )}
    </details>
  );
}
