import type { bookingStatuses } from '@mentor-scheduling/contracts';
import { useQueries, useQuery } from '@tanstack/react-query';
import { ChevronLeft, ChevronRight } from 'lucide-react';
import { DateTime } from 'luxon';
import { useState } from 'react';
import { formatMoney } from '../../money.js';
import { browserZone } from '../../time.js';
import { useTRPC } from '../../trpc.js';

export { formatMoney };

const shortMonths = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * A calendar day in a zone: "Mon 30 Nov"; "30 Nov" without the weekday (chart axes); "5 Jan 2026"
 * with the year instead (dates that may lie in another year).
 */
export function formatDay(iso: string, zone: string, { withWeekday = true, withYear = false } = {}): string {
  const day = DateTime.fromISO(iso, { setZone: true }).setZone(zone).setLocale('en-GB');
  if (!day.isValid) return iso;
  const date = `${day.day} ${shortMonths[day.month - 1]}`;
  if (withYear) return `${date} ${day.year}`;
  return withWeekday ? `${day.toFormat('ccc')} ${date}` : date;
}

/** Minutes as hours and minutes: "1 h 30 min", "45 min", "0 min". */
export function formatMinutes(minutes: number): string {
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours === 0) return `${rest} min`;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

/**
 * For a `.table-wrap`: makes it the containing block of the visually hidden words in its buttons and
 * links (absolutely positioned), which would otherwise sit outside its scrolling box and widen the
 * whole page on a phone.
 */
export const tableWrapStyle = { position: 'relative' } as const;

/** A row's name cell: it wraps like the other cells and keeps the row's background, unlike column headers. */
export const rowHeaderStyle = { whiteSpace: 'normal', background: 'transparent' } as const;

export type BookingStatus = (typeof bookingStatuses)[number];

export const bookingStatusLabels: Record<BookingStatus, string> = {
  pending_payment: 'Awaiting payment',
  confirmed: 'Confirmed',
  completed: 'Completed',
  cancelled: 'Cancelled',
  expired: 'Expired',
};

const bookingStatusTones: Record<BookingStatus, string> = {
  pending_payment: 'badge-warning',
  confirmed: 'badge-success',
  completed: 'badge-info',
  cancelled: 'badge-danger',
  expired: '',
};

export function BookingStatusBadge({ status }: { status: BookingStatus }) {
  return <span className={`badge ${bookingStatusTones[status]}`.trim()}>{bookingStatusLabels[status]}</span>;
}

/**
 * The zone the business counts its days and weeks in (the server's `DEFAULT_TIMEZONE`). The only
 * answer that names it is the dashboard's, which an admin has usually just opened, so the cached one
 * serves; until it is known (or if it cannot be read) the browser's zone stands in. `null` while
 * the first read is under way, so a page does not show times in one zone and then another.
 */
export function usePlatformZone(): string | null {
  const trpc = useTRPC();
  const zone = useQuery(
    trpc.reports.dashboard.queryOptions(dashboardInput(undefined), {
      staleTime: Number.POSITIVE_INFINITY,
      select: (dashboard) => dashboard.timezone,
      retry: false,
    }),
  );
  if (zone.isPending) return null;
  return zone.data ?? browserZone();
}

/** The dashboard's input, the same on every page so they share one cached answer. */
export function dashboardInput(weekOf: string | undefined): { weeks: number; week_of?: string } {
  return weekOf ? { weeks: 8, week_of: weekOf } : { weeks: 8 };
}

/** The first instant of a calendar day (YYYY-MM-DD) in a zone, as the contract's ISO instant. */
export function startOfDay(date: string, zone: string): string | null {
  const day = DateTime.fromISO(date, { zone });
  return day.isValid ? day.startOf('day').toUTC().toISO() : null;
}

/** The first instant after a calendar day in a zone: an inclusive "to" date as an exclusive bound. */
export function endOfDay(date: string, zone: string): string | null {
  const day = DateTime.fromISO(date, { zone });
  return day.isValid ? day.startOf('day').plus({ days: 1 }).toUTC().toISO() : null;
}

export interface Pager {
  /** The cursor of the page shown; undefined on the first page. */
  cursor: string | undefined;
  /** 1 on the first page. */
  page: number;
  next: (cursor: string) => void;
  previous: () => void;
}

/**
 * Cursor paging for a list whose filters are `filterKey`: the cursors of the pages passed are kept,
 * so "Previous page" goes back without the server knowing; other filters start again at page one.
 */
export function usePager(filterKey: string): Pager {
  const [state, setState] = useState<{ key: string; cursors: string[] }>({ key: filterKey, cursors: [] });
  const cursors = state.key === filterKey ? state.cursors : [];
  return {
    cursor: cursors.at(-1),
    page: cursors.length + 1,
    next: (cursor) => setState({ key: filterKey, cursors: [...cursors, cursor] }),
    previous: () => setState({ key: filterKey, cursors: cursors.slice(0, -1) }),
  };
}

/** "Previous page", where the reader is, and "Next page" under a paged table. */
export function PageButtons({
  pager,
  nextCursor,
  label,
}: {
  pager: Pager;
  nextCursor: string | null | undefined;
  /** What is paged, for the navigation landmark: "Bookings pages". */
  label: string;
}) {
  if (pager.page === 1 && !nextCursor) return null;
  return (
    <nav className="actions" aria-label={label}>
      <button
        type="button"
        className="button button-secondary"
        disabled={pager.page === 1}
        onClick={pager.previous}
      >
        <ChevronLeft aria-hidden="true" />
        Previous page
      </button>
      <span className="muted">Page {pager.page}</span>
      <button
        type="button"
        className="button button-secondary"
        disabled={!nextCursor}
        onClick={() => {
          if (nextCursor) pager.next(nextCursor);
        }}
      >
        Next page
        <ChevronRight aria-hidden="true" />
      </button>
    </nav>
  );
}

/**
 * Students' names for the ids on a page of bookings or payments: one `students.get` each, which the
 * tRPC link sends together in one request, and which stay cached from page to page.
 */
export function useStudentNames(ids: readonly number[]): Map<number, string> {
  const trpc = useTRPC();
  const unique = [...new Set(ids)];
  const answers = useQueries({
    queries: unique.map((id) => trpc.students.get.queryOptions({ id }, { staleTime: 5 * 60_000 })),
  });
  const names = new Map<number, string>();
  answers.forEach((answer, index) => {
    const id = unique[index];
    if (id !== undefined && answer.data) names.set(id, answer.data.name);
  });
  return names;
}

/**
 * Every mentor's name (a page of up to 200, which covers a catalogue many times the demo's), for
 * tables and the mentor filter.
 */
export function useMentorDirectory() {
  const trpc = useTRPC();
  return useQuery(
    trpc.mentors.list.queryOptions(
      { limit: 200 },
      {
        staleTime: 5 * 60_000,
        select: (page) =>
          page.items
            .map((mentor) => ({ id: mentor.id, name: mentor.name, is_premium: mentor.is_premium }))
            .sort((a, b) => a.name.localeCompare(b.name)),
      },
    ),
  );
}
