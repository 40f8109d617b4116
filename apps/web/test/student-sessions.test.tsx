import { screen, waitFor, within } from '@testing-library/react';
import { DateTime } from 'luxon';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { errorSentences } from '../src/errors.js';
import { formatInstant, formatRange } from '../src/time.js';
import { type FakeAnswer, type FakeCall, type FakeServer, renderApp, unexpectedCall } from './harness.js';
import { aarav, type Booking, booking, inWeek, mentorsById, studentAccount } from './student-fixtures.js';

const zone = 'Asia/Kolkata';
const thisMonday = DateTime.now().setZone(zone).startOf('week');

/** Next week's Tuesday 19:00 and Thursday 20:00, and last month's session, with Rohan and Zoya. */
const upcomingSession = booking(7, thisMonday.plus({ weeks: 1, days: 1 }).set({ hour: 19 }));
const laterSession = booking(8, thisMonday.plus({ weeks: 1, days: 3 }).set({ hour: 20 }), {
  mentor_id: 3,
  area_of_expertise: 'Consulting',
  cost: 3000,
  status: 'pending_payment',
  payment: {
    provider: 'stripe',
    status: 'pending',
    amount: 3000,
    currency: 'INR',
    checkout_url: 'https://checkout.stripe.com/c/pay/cs_test_later',
    expires_at: DateTime.now().plus({ minutes: 20 }).startOf('minute').toUTC().toISO(),
    paid_at: null,
    refund: null,
  },
});
const pastSession = booking(3, thisMonday.minus({ weeks: 4 }).set({ hour: 19 }), { status: 'completed' });

type ListInput = { upcoming?: boolean; cursor?: string; limit?: number };

function sessionsServer(
  lists: { upcoming: Booking[][]; past: Booking[][] },
  extra: (call: FakeCall) => FakeAnswer | Promise<FakeAnswer> | undefined = () => undefined,
): FakeServer {
  return (call) => {
    const answer = extra(call);
    if (answer) return answer;
    const input = call.input as Record<string, unknown>;
    switch (call.path) {
      case 'auth.me':
        return { data: studentAccount };
      case 'students.get':
        return { data: aarav };
      case 'mentors.get':
        return { data: mentorsById.get(input.id as number) };
      case 'bookings.list': {
        // Pages are named by their index: cursor "1" is the second page.
        const { upcoming, cursor } = input as ListInput;
        const pages = upcoming ? lists.upcoming : lists.past;
        const index = cursor ? Number(cursor) : 0;
        return {
          data: {
            items: pages[index] ?? [],
            nextCursor: index + 1 < pages.length ? String(index + 1) : null,
          },
        };
      }
      default:
        return unexpectedCall(call);
    }
  };
}

function listCalls(calls: FakeCall[]) {
  return calls.filter((call) => call.path === 'bookings.list').map((call) => call.input as ListInput);
}

async function sessionItem(time: string) {
  const upcoming = await screen.findByRole('region', { name: 'Upcoming' });
  return (await within(upcoming).findByText(time)).closest('li') as HTMLElement;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('My sessions', () => {
  it('lists upcoming and past sessions with time and zone, mentor, area, status and payment, a page at a time', async () => {
    const { user, calls } = renderApp({
      path: '/sessions',
      token: 'student-token',
      server: sessionsServer({ upcoming: [[upcomingSession], [laterSession]], past: [[pastSession]] }),
    });
    expect(await screen.findByRole('heading', { level: 1, name: 'My sessions' })).toBeVisible();

    const first = await sessionItem(formatRange(upcomingSession.start_time, upcomingSession.end_time, zone));
    expect(first).toHaveRole('listitem');
    await waitFor(() => expect(first).toHaveTextContent('Rohan Mehta'));
    expect(first).toHaveTextContent('Equity Research');
    expect(first).toHaveTextContent('Confirmed');
    expect(first).toHaveTextContent('₹2,000');
    expect(within(first).getByRole('button', { name: 'Cancel session' })).toBeVisible();
    expect(within(first).getByRole('button', { name: 'Reschedule' })).toBeVisible();
    expect(within(first).getByRole('link', { name: 'Add to calendar' })).toBeVisible();
    expect(within(first).getByRole('link', { name: 'Session details' })).toHaveAttribute(
      'href',
      '/bookings/7',
    );

    const past = screen.getByRole('region', { name: 'Past' });
    const pastItem = within(past).getByRole('listitem');
    expect(pastItem).toHaveTextContent(formatRange(pastSession.start_time, pastSession.end_time, zone));
    expect(pastItem).toHaveTextContent('Completed');
    expect(within(pastItem).queryByRole('button', { name: 'Cancel session' })).toBeNull();

    expect(listCalls(calls)).toEqual(
      expect.arrayContaining([
        { upcoming: true, limit: 10, direction: 'forward' },
        { upcoming: false, limit: 10, direction: 'forward' },
      ]),
    );
    expect(screen.queryByRole('button', { name: 'Show more past sessions' })).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Show more upcoming sessions' }));

    const second = await sessionItem(formatRange(laterSession.start_time, laterSession.end_time, zone));
    expect(listCalls(calls).at(-1)).toMatchObject({ upcoming: true, cursor: '1' });
    await waitFor(() => expect(second).toHaveTextContent('Zoya Khan'));
    expect(second).toHaveTextContent('Waiting for payment');
    expect(second).toHaveTextContent(
      `held until ${formatInstant(laterSession.payment?.expires_at ?? '', zone, { withZone: true })}`,
    );
    expect(within(second).getByRole('link', { name: 'Pay now' })).toHaveAttribute(
      'href',
      'https://checkout.stripe.com/c/pay/cs_test_later',
    );
    // A session waiting for payment cannot be moved, only cancelled.
    expect(within(second).queryByRole('button', { name: 'Reschedule' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Show more upcoming sessions' })).toBeNull();
  });

  it('invites a student without sessions to book one', async () => {
    renderApp({
      path: '/sessions',
      token: 'student-token',
      server: sessionsServer({ upcoming: [], past: [] }),
    });
    expect(await screen.findByText('No upcoming sessions yet')).toBeVisible();
    expect(screen.getByRole('link', { name: 'Book a session' })).toHaveAttribute('href', '/book');
    expect(screen.getByText('No past sessions yet')).toBeVisible();
  });

  it('cancels with a reason after asking, then tells what happens to the money', async () => {
    let cancelled = false;
    const refunded = booking(7, DateTime.fromISO(upcomingSession.start_time), {
      status: 'cancelled',
      cancellation_reason: 'Interview moved',
      payment: {
        provider: 'stripe',
        status: 'refunded',
        amount: 2000,
        currency: 'INR',
        checkout_url: null,
        expires_at: null,
        paid_at: '2026-01-05T10:00:00.000Z',
        refund: {
          status: 'pending',
          amount: 2000,
          requested_at: '2026-01-06T10:00:00.000Z',
          refunded_at: null,
        },
      },
    });
    const { user, calls } = renderApp({
      path: '/sessions',
      token: 'student-token',
      server: (call) => {
        if (call.path === 'bookings.cancel') {
          cancelled = true;
          return { data: refunded };
        }
        const lists = { upcoming: [[cancelled ? refunded : upcomingSession]], past: [] };
        return sessionsServer(lists)(call);
      },
    });
    const when = formatRange(upcomingSession.start_time, upcomingSession.end_time, zone);
    const item = await sessionItem(when);
    await user.click(within(item).getByRole('button', { name: 'Cancel session' }));

    const dialog = await screen.findByRole('dialog', { name: 'Cancel this session?' });
    expect(dialog).toHaveTextContent(when);
    await user.type(within(dialog).getByLabelText('Reason (optional)'), '  Interview moved ');
    await user.click(within(dialog).getByRole('button', { name: 'Cancel session' }));

    expect(
      await screen.findByText(`Session on ${when} cancelled. A refund of ₹2,000 is on its way to you.`),
    ).toBeVisible();
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(calls.find((call) => call.path === 'bookings.cancel')?.input).toEqual({
      id: 7,
      reason: 'Interview moved',
    });
    // The list is asked again and shows the session as cancelled, without the ways to change it.
    await waitFor(() => expect(within(item).getByText('Cancelled')).toBeVisible());
    expect(within(item).queryByRole('button', { name: 'Cancel session' })).toBeNull();
  });

  it('explains a refused cancellation inside the dialog', async () => {
    const { user } = renderApp({
      path: '/sessions',
      token: 'student-token',
      server: sessionsServer({ upcoming: [[upcomingSession]], past: [] }, (call) =>
        call.path === 'bookings.cancel' ? { problem: 'change_cutoff_passed' } : undefined,
      ),
    });
    const item = await sessionItem(formatRange(upcomingSession.start_time, upcomingSession.end_time, zone));
    await user.click(within(item).getByRole('button', { name: 'Cancel session' }));
    const dialog = await screen.findByRole('dialog', { name: 'Cancel this session?' });
    await user.click(within(dialog).getByRole('button', { name: 'Cancel session' }));

    const alert = await within(dialog).findByRole('alert');
    expect(alert).toHaveTextContent(errorSentences.change_cutoff_passed.message);
    expect(alert).toHaveTextContent(errorSentences.change_cutoff_passed.next);
    await user.click(within(dialog).getByRole('button', { name: 'Keep session' }));
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('moves a session to another open time of the same mentor and length', async () => {
    let newStart = '';
    const { user, calls } = renderApp({
      path: '/sessions',
      token: 'student-token',
      server: sessionsServer({ upcoming: [[upcomingSession]], past: [] }, (call) => {
        const input = call.input as {
          id: number;
          from: string;
          to: string;
          duration: number;
          start_time: string;
        };
        if (call.path === 'mentors.slots') {
          const start = inWeek(input.from, zone, 4, '21:30').toUTC();
          newStart = start.toISO() ?? '';
          return {
            data: {
              mentor_id: input.id,
              duration: input.duration,
              from: input.from,
              to: input.to,
              slots: [{ start_time: newStart, end_time: start.plus({ minutes: 30 }).toISO() }],
            },
          };
        }
        if (call.path === 'bookings.reschedule') {
          const start = DateTime.fromISO(input.start_time);
          return { data: booking(7, start) };
        }
        return undefined;
      }),
    });
    const item = await sessionItem(formatRange(upcomingSession.start_time, upcomingSession.end_time, zone));
    await user.click(within(item).getByRole('button', { name: 'Reschedule' }));

    const dialog = await screen.findByRole('dialog', { name: 'Reschedule session' });
    const slot = await within(dialog).findByRole('button', {
      name: /^Move to Fri .*, 21:30 \(Asia\/Kolkata\)$/,
    });
    // The session's own week (next week) comes first.
    expect(calls.find((call) => call.path === 'mentors.slots')?.input).toMatchObject({
      id: 2,
      duration: 30,
      from: thisMonday.plus({ weeks: 1 }).toUTC().toISO(),
    });
    await user.click(slot);
    await user.click(within(dialog).getByRole('button', { name: 'Move session' }));

    const end = DateTime.fromISO(newStart).plus({ minutes: 30 }).toUTC().toISO() ?? '';
    expect(await screen.findByText(`Session moved to ${formatRange(newStart, end, zone)}.`)).toBeVisible();
    expect(calls.find((call) => call.path === 'bookings.reschedule')?.input).toEqual({
      id: 7,
      start_time: newStart,
    });
  });

  it('downloads a session as session-<id>.ics for a calendar', async () => {
    const ics =
      'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:booking-7\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n';
    const files: { name: string; href: string }[] = [];
    const blobs: Blob[] = [];
    vi.spyOn(URL, 'createObjectURL').mockImplementation((blob) => {
      blobs.push(blob as Blob);
      return 'blob:session-7';
    });
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => {});
    // jsdom cannot download: the browser's part ends where the link is clicked.
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      files.push({ name: this.download, href: this.href });
    });
    const { user, calls } = renderApp({
      path: '/sessions',
      token: 'student-token',
      server: sessionsServer({ upcoming: [[upcomingSession]], past: [] }, (call) =>
        call.path === 'calendars.booking' ? { data: ics } : undefined,
      ),
    });
    const item = await sessionItem(formatRange(upcomingSession.start_time, upcomingSession.end_time, zone));
    await user.click(within(item).getByRole('link', { name: 'Add to calendar' }));

    await waitFor(() => expect(files).toEqual([{ name: 'session-7.ics', href: 'blob:session-7' }]));
    expect(calls.find((call) => call.path === 'calendars.booking')?.input).toEqual({ id: 7 });
    expect(blobs[0]?.type).toBe('text/calendar');
    const text = await new Promise<unknown>((resolve) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);
      reader.readAsText(blobs[0] as Blob);
    });
    expect(text).toBe(ics);
  });

  it('gives the calendar feed link to copy, and says asking again replaces it', async () => {
    const url =
      'https://sessions.example.com/api/calendar-feeds/kJ3p9_Xq2ZrT8vY1wLmN4cB6dF0gH5sAaBcDeFgHiJk.ics';
    const { user, calls } = renderApp({
      path: '/sessions',
      token: 'student-token',
      server: sessionsServer({ upcoming: [], past: [] }, (call) =>
        call.path === 'calendars.createFeed' ? { data: { url } } : undefined,
      ),
    });
    await user.click(await screen.findByRole('button', { name: 'Get my calendar feed link' }));

    const field = await screen.findByRole('textbox', { name: 'Calendar feed URL' });
    expect(field).toHaveValue(url);
    expect(field).toHaveAttribute('readonly');
    expect(field).toHaveAccessibleDescription(/Asking again replaces it/);
    await user.click(screen.getByRole('button', { name: 'Copy link' }));
    expect(await screen.findByText('Link copied.')).toBeVisible();
    // user-event stands in for the browser's clipboard.
    expect(await navigator.clipboard.readText()).toBe(url);
    expect(calls.filter((call) => call.path === 'calendars.createFeed')).toHaveLength(1);
  });
});
