import type { RouterInputs } from '@mentor-scheduling/client';
import { bookingStatuses } from '@mentor-scheduling/contracts';
import { keepPreviousData, skipToken, useQuery } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { Empty } from '../../components/Empty.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { Field } from '../../components/Field.js';
import { usePageTitle } from '../../components/Layout.js';
import { Loading } from '../../components/Loading.js';
import { ZoneSelect } from '../../components/ZoneSelect.js';
import { formatRange } from '../../time.js';
import { useTRPC } from '../../trpc.js';
import {
  type BookingStatus,
  BookingStatusBadge,
  bookingStatusLabels,
  endOfDay,
  formatMoney,
  PageButtons,
  startOfDay,
  tableWrapStyle,
  useMentorDirectory,
  usePager,
  usePlatformZone,
  useStudentNames,
} from './shared.js';

type ListInput = NonNullable<RouterInputs['bookings']['list']>;

/** The filters, as they stand in the address: a filtered list can be bookmarked and shared. */
interface BookingFilters {
  status: BookingStatus | '';
  mentorId: number | null;
  studentId: number | null;
  from: string;
  to: string;
}

const filterNames = ['status', 'mentor_id', 'student_id', 'from', 'to'] as const;
const datePattern = /^\d{4}-\d{2}-\d{2}$/;

function positiveId(text: string | null): number | null {
  const id = Number(text);
  return Number.isInteger(id) && id > 0 ? id : null;
}

function readFilters(params: URLSearchParams): BookingFilters {
  const status = params.get('status') ?? '';
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  return {
    status: (bookingStatuses as readonly string[]).includes(status) ? (status as BookingStatus) : '',
    mentorId: positiveId(params.get('mentor_id')),
    studentId: positiveId(params.get('student_id')),
    from: datePattern.test(from) ? from : '',
    to: datePattern.test(to) ? to : '',
  };
}

function listInput(filters: BookingFilters, zone: string, cursor: string | undefined): ListInput {
  const input: ListInput = { limit: 50 };
  if (filters.status) input.status = filters.status;
  if (filters.mentorId) input.mentor_id = filters.mentorId;
  if (filters.studentId) input.student_id = filters.studentId;
  const from = filters.from ? startOfDay(filters.from, zone) : null;
  const to = filters.to ? endOfDay(filters.to, zone) : null;
  if (from) input.from = from;
  if (to) input.to = to;
  if (cursor) input.cursor = cursor;
  return input;
}

/** /admin/bookings: every booking, filtered by status, mentor, student and dates, a page at a time. */
export function AdminBookingsPage() {
  usePageTitle('Bookings');
  const trpc = useTRPC();
  const [params, setParams] = useSearchParams();
  const filters = readFilters(params);
  const filterKey = filterNames.map((name) => params.get(name) ?? '').join('|');
  const platformZone = usePlatformZone();
  const [chosenZone, setChosenZone] = useState<string | null>(null);
  const zone = chosenZone ?? platformZone;
  const pager = usePager(`${filterKey}|${zone ?? ''}`);
  const bookings = useQuery(
    trpc.bookings.list.queryOptions(zone ? listInput(filters, zone, pager.cursor) : skipToken, {
      placeholderData: keepPreviousData,
    }),
  );
  const mentors = useMentorDirectory();
  const studentNames = useStudentNames(bookings.data?.items.map((booking) => booking.student_id) ?? []);
  const mentorNames = new Map(mentors.data?.map((mentor) => [mentor.id, mentor.name]));
  const filtered = filterNames.some((name) => params.has(name));

  const setFilter = (name: (typeof filterNames)[number], value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  };
  const clearFilters = () => {
    const next = new URLSearchParams(params);
    for (const name of filterNames) next.delete(name);
    setParams(next, { replace: true });
  };
  const datesReversed = filters.from !== '' && filters.to !== '' && filters.to < filters.from;

  return (
    <section className="stack">
      <h1>Bookings</h1>
      <search aria-label="Filter bookings" className="card">
        <div className="grid">
          <Field label="Status">
            {(control) => (
              <select
                {...control}
                value={filters.status}
                onChange={(event) => setFilter('status', event.target.value)}
              >
                <option value="">Any status</option>
                {bookingStatuses.map((status) => (
                  <option key={status} value={status}>
                    {bookingStatusLabels[status]}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field
            label="Mentor"
            hint={mentors.isError ? 'The list of mentors could not be loaded.' : undefined}
          >
            {(control) => (
              <select
                {...control}
                value={filters.mentorId ?? ''}
                onChange={(event) => setFilter('mentor_id', event.target.value)}
              >
                <option value="">{mentors.isPending ? 'Loading mentors…' : 'Any mentor'}</option>
                {mentors.data?.map((mentor) => (
                  <option key={mentor.id} value={mentor.id}>
                    {mentor.name}
                  </option>
                ))}
                {filters.mentorId && !mentorNames.has(filters.mentorId) && (
                  <option value={filters.mentorId}>Mentor #{filters.mentorId}</option>
                )}
              </select>
            )}
          </Field>
          <Field label="From">
            {(control) => (
              <input
                {...control}
                type="date"
                value={filters.from}
                onChange={(event) => setFilter('from', event.target.value)}
              />
            )}
          </Field>
          <Field label="To" error={datesReversed ? 'This day is before the “From” day.' : undefined}>
            {(control) => (
              <input
                {...control}
                type="date"
                value={filters.to}
                min={filters.from || undefined}
                onChange={(event) => setFilter('to', event.target.value)}
              />
            )}
          </Field>
          <StudentFilter
            studentId={filters.studentId}
            onChange={(id) => setFilter('student_id', id ? String(id) : '')}
          />
          {zone && <ZoneSelect value={zone} onZoneChange={setChosenZone} />}
        </div>
        <div className="row" style={{ marginTop: 'var(--space-3)' }}>
          {zone && (
            <p className="muted" style={{ margin: 0, flex: '1 1 16rem' }}>
              Times are shown in {zone}; “From” and “To” are whole days there.
            </p>
          )}
          {filtered && (
            <button type="button" className="button button-secondary" onClick={clearFilters}>
              Clear filters
            </button>
          )}
        </div>
      </search>

      {!zone || bookings.isPending ? (
        <Loading label="Loading bookings…" />
      ) : bookings.isError ? (
        <ErrorNotice error={bookings.error} onRetry={() => bookings.refetch()} />
      ) : bookings.data.items.length === 0 ? (
        <Empty title={filtered ? 'No bookings match these filters' : 'No bookings yet'}>
          {filtered ? (
            <button type="button" className="button button-secondary" onClick={clearFilters}>
              Clear filters
            </button>
          ) : (
            <p>Sessions students book appear here.</p>
          )}
        </Empty>
      ) : (
        <>
          <div className="table-wrap" style={tableWrapStyle} aria-busy={bookings.isPlaceholderData}>
            <table>
              <caption>
                Bookings, page {pager.page} <span className="muted">(times in {zone})</span>
              </caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Student</th>
                  <th scope="col">Mentor</th>
                  <th scope="col">Area</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="number">
                    Cost
                  </th>
                </tr>
              </thead>
              <tbody>
                {bookings.data.items.map((booking) => (
                  <tr key={booking.id}>
                    <td>
                      <Link to={`/bookings/${booking.id}`}>
                        {formatRange(booking.start_time, booking.end_time, zone)}
                      </Link>
                    </td>
                    <td>{studentNames.get(booking.student_id) ?? `Student #${booking.student_id}`}</td>
                    <td>{mentorNames.get(booking.mentor_id) ?? `Mentor #${booking.mentor_id}`}</td>
                    <td>
                      {booking.area_of_expertise ?? <span className="muted">Mentor chosen by name</span>}
                    </td>
                    <td>
                      <BookingStatusBadge status={booking.status} />
                      {booking.cancellation_reason && (
                        <span className="muted" style={{ display: 'block', fontSize: '0.9rem' }}>
                          {booking.cancellation_reason}
                        </span>
                      )}
                    </td>
                    <td className="number">{formatMoney(booking.cost, booking.currency)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <PageButtons pager={pager} nextCursor={bookings.data.nextCursor} label="Pages of bookings" />
        </>
      )}
    </section>
  );
}

/**
 * A student to filter by: typing part of a name or email narrows the choice (the server searches,
 * so it works with any number of students); the chosen one stays in the list while others are shown.
 */
function StudentFilter({
  studentId,
  onChange,
}: {
  studentId: number | null;
  onChange: (studentId: number | null) => void;
}) {
  const trpc = useTRPC();
  const [text, setText] = useState('');
  const [query, setQuery] = useState('');
  const searchId = useId();
  // Search once typing pauses, not on every key.
  useEffect(() => {
    const timer = setTimeout(() => setQuery(text.trim()), 250);
    return () => clearTimeout(timer);
  }, [text]);
  const students = useQuery(
    trpc.students.list.queryOptions(query ? { q: query, limit: 50 } : { limit: 50 }, {
      placeholderData: keepPreviousData,
      staleTime: 60_000,
    }),
  );
  const chosen = useQuery(
    trpc.students.get.queryOptions(studentId ? { id: studentId } : skipToken, { staleTime: 5 * 60_000 }),
  );
  const options = students.data?.items ?? [];
  const chosenMissing = studentId !== null && !options.some((student) => student.id === studentId);

  return (
    <>
      <div className="field">
        <label htmlFor={searchId}>Find by name or email</label>
        <input
          id={searchId}
          type="search"
          value={text}
          autoComplete="off"
          onChange={(event) => setText(event.target.value)}
        />
      </div>
      <Field
        label="Student"
        hint={
          students.isError
            ? 'Students could not be loaded.'
            : query && options.length === 0 && !students.isPending
              ? `No student matches “${query}”.`
              : undefined
        }
      >
        {(control) => (
          <select
            {...control}
            value={studentId ?? ''}
            onChange={(event) => onChange(positiveId(event.target.value))}
          >
            <option value="">{students.isPending ? 'Loading students…' : 'Any student'}</option>
            {chosenMissing && (
              <option value={studentId}>{chosen.data ? chosen.data.name : `Student #${studentId}`}</option>
            )}
            {options.map((student) => (
              <option key={student.id} value={student.id}>
                {student.name} ({student.email})
              </option>
            ))}
          </select>
        )}
      </Field>
    </>
  );
}
