import type { RouterOutputs } from '@mentor-scheduling/client';
import { configure, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { errorSentences } from '../src/errors.js';
import { account, type FakeAnswer, type FakeCall, fill, renderApp, unexpectedCall } from './harness.js';

// The first render loads the page's module (and recharts) on demand, which takes more than the
// default second on a busy machine; every wait still ends as soon as its element appears.
configure({ asyncUtilTimeout: 5000 });

type Booking = RouterOutputs['bookings']['list']['items'][number];
type Student = RouterOutputs['students']['get'];
type Mentor = RouterOutputs['mentors']['list']['items'][number];

function booking(id: number, changes: Partial<Booking> = {}): Booking {
  return {
    id,
    student_id: 1,
    mentor_id: 2,
    student_name: 'Aarav Sharma',
    mentor_name: 'Rohan Mehta',
    area_of_expertise: 'Equity Research',
    start_time: '2026-12-01T13:30:00.000Z',
    end_time: '2026-12-01T14:00:00.000Z',
    duration: 30,
    cost: 2000,
    currency: 'INR',
    status: 'confirmed',
    cancellation_reason: null,
    payment: null,
    created_at: '2026-11-20T09:15:00.000Z',
    updated_at: '2026-11-20T09:15:00.000Z',
    ...changes,
  };
}

function student(id: number, name: string, email: string): Student {
  return {
    id,
    name,
    email,
    timezone: 'Asia/Kolkata',
    area_of_interest: null,
    preferred_windows: [],
    created_at: '2026-01-05T10:00:00.000Z',
  };
}

function mentor(id: number, name: string): Mentor {
  return {
    id,
    name,
    headline: null,
    areas_of_expertise: ['Equity Research'],
    is_premium: false,
    timezone: 'Asia/Kolkata',
    buffer_minutes: 0,
    max_sessions_per_day: null,
    availability: [],
  };
}

const students = [
  student(1, 'Aarav Sharma', 'aarav.sharma@example.com'),
  student(4, 'Meera Nair', 'meera.nair@example.com'),
];
const mentors = [mentor(2, 'Rohan Mehta'), mentor(3, 'Priya Iyer')];

/** An admin's server: the dashboard says the platform zone; bookings answer from `answerBookings`. */
function bookingsServer(answerBookings: (input: Record<string, unknown>) => FakeAnswer) {
  return (call: FakeCall): FakeAnswer => {
    const input = (call.input ?? {}) as Record<string, unknown>;
    switch (call.path) {
      case 'auth.me':
        return { data: account('admin', 'admin@example.com') };
      case 'reports.dashboard':
        // Only its zone is read here; the rest is not looked at.
        return { data: { timezone: 'Asia/Kolkata' } };
      case 'mentors.list':
        return { data: { items: mentors, nextCursor: null } };
      case 'students.list': {
        const q = typeof input.q === 'string' ? input.q.toLowerCase() : '';
        const items = students.filter((one) => `${one.name} ${one.email}`.toLowerCase().includes(q));
        return { data: { items, nextCursor: null } };
      }
      case 'students.get': {
        const found = students.find((one) => one.id === input.id);
        return found ? { data: found } : { problem: 'not_found' };
      }
      case 'bookings.list':
        return answerBookings(input);
      default:
        return unexpectedCall(call);
    }
  };
}

function bookingInputs(calls: FakeCall[]) {
  return calls.filter((call) => call.path === 'bookings.list').map((call) => call.input);
}

describe('Admin bookings', () => {
  it('lists bookings with their time and zone, names, area, status and cost, a page at a time', async () => {
    const { user, calls } = renderApp({
      path: '/admin/bookings',
      token: 'admin-token',
      server: bookingsServer((input) =>
        input.cursor === 'page-2'
          ? { data: { items: [booking(3, { student_id: 4, mentor_id: 3, cost: 3000 })], nextCursor: null } }
          : {
              data: {
                items: [
                  booking(1),
                  booking(2, {
                    area_of_expertise: null,
                    status: 'cancelled',
                    cancellation_reason: 'Interview moved',
                  }),
                ],
                nextCursor: 'page-2',
              },
            },
      ),
    });

    const table = await screen.findByRole('table', { name: /Bookings, page 1/ });
    expect(
      within(table)
        .getAllByRole('columnheader')
        .map((header) => header.textContent),
    ).toEqual(['When', 'Student', 'Mentor', 'Area', 'Status', 'Cost']);
    const rows = within(table).getAllByRole('row').slice(1);
    await waitFor(() => expect(rows[0]).toHaveTextContent('Aarav Sharma'));
    await waitFor(() => expect(rows[0]).toHaveTextContent('Rohan Mehta'));
    expect(
      within(rows[0] as HTMLElement).getByRole('link', { name: 'Tue 1 Dec, 19:00–19:30 (Asia/Kolkata)' }),
    ).toHaveAttribute('href', '/bookings/1');
    expect(rows[0]).toHaveTextContent('Equity Research');
    expect(rows[0]).toHaveTextContent('Confirmed');
    expect(rows[0]).toHaveTextContent('₹2,000');
    expect(rows[1]).toHaveTextContent('Mentor chosen by name');
    expect(rows[1]).toHaveTextContent('CancelledInterview moved');

    await user.click(screen.getByRole('button', { name: 'Next page' }));
    const second = await screen.findByRole('table', { name: /Bookings, page 2/ });
    await waitFor(() => expect(second).toHaveTextContent('Meera Nair'));
    expect(second).toHaveTextContent('Priya Iyer');
    expect(second).toHaveTextContent('₹3,000');
    expect(screen.getByRole('button', { name: 'Next page' })).toBeDisabled();

    await user.click(screen.getByRole('button', { name: 'Previous page' }));
    expect(await screen.findByRole('table', { name: /Bookings, page 1/ })).toHaveTextContent('Aarav Sharma');
    expect(bookingInputs(calls)).toEqual([{ limit: 50 }, { limit: 50, cursor: 'page-2' }]);
  });

  it('filters by status, mentor, student and days read in the platform zone', async () => {
    const { user, calls, router } = renderApp({
      path: '/admin/bookings?status=confirmed',
      token: 'admin-token',
      server: bookingsServer(() => ({ data: { items: [booking(1)], nextCursor: null } })),
    });

    expect(await screen.findByLabelText('Status')).toHaveValue('confirmed');
    await screen.findByRole('option', { name: 'Priya Iyer' });
    await user.selectOptions(screen.getByLabelText('Mentor'), 'Priya Iyer');

    await fill(user, screen.getByLabelText('Find by name or email'), 'meera');
    await waitFor(() =>
      expect(
        within(screen.getByLabelText('Student')).queryByRole('option', { name: /Aarav Sharma/ }),
      ).toBeNull(),
    );
    await user.selectOptions(screen.getByLabelText('Student'), 'Meera Nair (meera.nair@example.com)');

    fireEvent.change(screen.getByLabelText('From'), { target: { value: '2026-12-01' } });
    fireEvent.change(screen.getByLabelText('To'), { target: { value: '2026-12-07' } });

    await waitFor(() =>
      expect(bookingInputs(calls).at(-1)).toEqual({
        limit: 50,
        status: 'confirmed',
        mentor_id: 3,
        student_id: 4,
        // Midnight at the start of 1 December to the end of 7 December in Asia/Kolkata.
        from: '2026-11-30T18:30:00.000Z',
        to: '2026-12-07T18:30:00.000Z',
      }),
    );
    expect(new URLSearchParams(router.state.location.search).get('student_id')).toBe('4');
    expect(
      calls.some((call) => call.path === 'students.list' && (call.input as { q?: string }).q === 'meera'),
    ).toBe(true);

    // Another zone reads the same days from its own midnight.
    await user.selectOptions(screen.getByLabelText('Time zone'), 'UTC');
    await waitFor(() =>
      expect(bookingInputs(calls).at(-1)).toMatchObject({
        from: '2026-12-01T00:00:00.000Z',
        to: '2026-12-08T00:00:00.000Z',
      }),
    );
    expect(await screen.findByRole('link', { name: 'Tue 1 Dec, 13:30–14:00 (UTC)' })).toBeVisible();
  });

  it('says when nothing matches and clears the filters', async () => {
    const { user, calls } = renderApp({
      path: '/admin/bookings?status=expired',
      token: 'admin-token',
      server: bookingsServer((input) => ({
        data: { items: input.status === 'expired' ? [] : [booking(1)], nextCursor: null },
      })),
    });

    expect(await screen.findByText('No bookings match these filters')).toBeVisible();
    const clear = screen.getAllByRole('button', { name: 'Clear filters' });
    await user.click(clear[clear.length - 1] as HTMLElement);
    expect(await screen.findByRole('table', { name: /Bookings, page 1/ })).toBeVisible();
    expect(screen.getByLabelText('Status')).toHaveValue('');
    expect(bookingInputs(calls).at(-1)).toEqual({ limit: 50 });
  });

  it('explains a failure to load in words', async () => {
    renderApp({
      path: '/admin/bookings',
      token: 'admin-token',
      server: bookingsServer(() => ({ problem: 'forbidden' })),
    });

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(errorSentences.forbidden.message);
    expect(alert).toHaveTextContent(errorSentences.forbidden.next);
  });
});
