import type { RouterOutputs } from '@mentor-scheduling/client';
import { configure, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { errorSentences } from '../src/errors.js';
import { account, type FakeServer, renderApp, unexpectedCall } from './harness.js';

// The first render loads the page's module (and recharts) on demand, which takes more than the
// default second on a busy machine; every wait still ends as soon as its element appears.
configure({ asyncUtilTimeout: 5000 });

/** The table row holding an element (role queries on rows name them by all their text, which is slow). */
function rowOf(element: HTMLElement): HTMLElement {
  return element.closest('tr') as HTMLElement;
}

type Dashboard = RouterOutputs['reports']['dashboard'];

/** The week of Monday 30 November 2026 in Asia/Kolkata, as the server reports it. */
function dashboardOf(weekStart: string, changes: Partial<Dashboard> = {}): Dashboard {
  const start = new Date(weekStart);
  const weekMs = 7 * 24 * 3600 * 1000;
  const weeks = Array.from({ length: 8 }, (_, index) => ({
    week_start: new Date(start.getTime() - (7 - index) * weekMs).toISOString(),
    revenue: index === 7 ? 34000 : index === 5 ? 6000 : 0,
    sessions: index === 7 ? 17 : index === 5 ? 3 : 0,
  }));
  return {
    timezone: 'Asia/Kolkata',
    week_start: start.toISOString(),
    week_end: new Date(start.getTime() + weekMs).toISOString(),
    currency: 'INR',
    sessions: { confirmed: 12, completed: 5, cancelled: 2, pending_payment: 1, expired: 0 },
    revenue_this_week: 34000,
    utilisation: [
      {
        mentor_id: 2,
        name: 'Rohan Mehta',
        is_premium: false,
        booked_minutes: 90,
        available_minutes: 600,
        utilisation: 0.15,
      },
      {
        mentor_id: 3,
        name: 'Priya Iyer',
        is_premium: true,
        booked_minutes: 0,
        available_minutes: 0,
        utilisation: 0,
      },
    ],
    revenue_by_week: weeks,
    bookings_by_area: [
      { area: 'Equity Research', sessions: 4 },
      { area: null, sessions: 1 },
    ],
    ...changes,
  };
}

const thisWeek = '2026-11-29T18:30:00.000Z';
const weekBefore = '2026-11-22T18:30:00.000Z';

function adminServer(answer: (input: { weeks?: number; week_of?: string }) => ReturnType<FakeServer>) {
  const server: FakeServer = (call) => {
    if (call.path === 'auth.me') return { data: account('admin', 'admin@example.com') };
    if (call.path === 'reports.dashboard') return answer(call.input as { weeks?: number; week_of?: string });
    return unexpectedCall(call);
  };
  return server;
}

describe('Admin dashboard', () => {
  it('shows the week’s sessions, revenue, utilisation per mentor and sessions by area', async () => {
    const { calls } = renderApp({
      path: '/admin',
      token: 'admin-token',
      server: adminServer(() => ({ data: dashboardOf(thisWeek) })),
    });

    const sessions = await screen.findByRole('figure', { name: 'Sessions this week' });
    // Confirmed and completed sessions count; the others are told apart underneath.
    expect(sessions).toHaveTextContent('17');
    expect(sessions).toHaveTextContent('12 to come, 5 completed, 1 awaiting payment, 2 cancelled');
    expect(screen.getByRole('figure', { name: 'Revenue this week' })).toHaveTextContent('₹34,000');
    expect(screen.getByRole('figure', { name: 'Mentor time booked' })).toHaveTextContent('15%');
    expect(screen.getByText(/Week of Mon 30 Nov to Sun 6 Dec \(Asia\/Kolkata\)/)).toBeVisible();

    // The chart's numbers, for people who cannot see the chart.
    expect(screen.getByRole('heading', { level: 2, name: 'Revenue by week' })).toBeVisible();
    const revenue = screen.getByRole('table', { name: 'Revenue by week (Asia/Kolkata)' });
    const revenueRows = within(revenue).getAllByRole('row');
    expect(revenueRows).toHaveLength(9);
    expect(revenueRows[8]).toHaveTextContent('Mon 30 Nov17₹34,000');
    expect(revenueRows[6]).toHaveTextContent('Mon 16 Nov3₹6,000');
    expect(
      screen.getByText(/₹40,000 over 8 weeks from 20 sessions; the best week began Mon 30 Nov/),
    ).toBeVisible();

    const utilisation = screen.getByRole('table', { name: 'Utilisation' });
    const rohan = rowOf(within(utilisation).getByText(/Rohan Mehta/, { selector: 'th' }));
    expect(
      within(rohan)
        .getAllByRole('cell')
        .map((cell) => cell.textContent),
    ).toEqual(['1 h 30 min', '10 h', '15%']);
    const priya = rowOf(within(utilisation).getByText(/Priya Iyer/, { selector: 'th' }));
    expect(priya).toHaveTextContent('Premium');
    expect(priya).toHaveTextContent('No hours set');

    expect(screen.getByRole('heading', { level: 2, name: 'Sessions by area' })).toBeVisible();
    const areas = screen.getAllByRole('listitem').map((item) => item.textContent);
    expect(areas).toContain('Equity Research4 sessions');
    expect(areas).toContain('A mentor chosen by name1 session');
    expect(screen.getByRole('link', { name: 'See this week’s bookings' })).toHaveAttribute(
      'href',
      '/admin/bookings?from=2026-11-30&to=2026-12-06',
    );
    expect(calls.filter((call) => call.path === 'reports.dashboard').map((call) => call.input)).toEqual([
      { weeks: 8 },
    ]);
  });

  it('goes to the week before and back, asking for a day of that week in the platform zone', async () => {
    const { user, calls } = renderApp({
      path: '/admin',
      token: 'admin-token',
      server: adminServer((input) => ({
        data:
          input.week_of === '2026-11-23'
            ? dashboardOf(weekBefore, { revenue_this_week: 6000 })
            : dashboardOf(thisWeek),
      })),
    });

    await user.click(await screen.findByRole('button', { name: 'Previous week' }));
    expect(await screen.findByText(/Week of Mon 23 Nov to Sun 29 Nov/)).toBeVisible();
    expect(screen.getByRole('figure', { name: 'Revenue this week' })).toHaveTextContent('₹6,000');

    await user.click(screen.getByRole('button', { name: 'Back to this week' }));
    expect(await screen.findByText(/Week of Mon 30 Nov to Sun 6 Dec/)).toBeVisible();
    expect(screen.queryByRole('button', { name: 'Back to this week' })).toBeNull();

    await user.click(screen.getByRole('button', { name: 'Next week' }));
    await waitFor(() =>
      expect(calls.filter((call) => call.path === 'reports.dashboard').map((call) => call.input)).toEqual([
        { weeks: 8 },
        { weeks: 8, week_of: '2026-11-23' },
        { weeks: 8, week_of: '2026-12-07' },
      ]),
    );
  });

  it('says when there are no mentors and no sessions yet', async () => {
    renderApp({
      path: '/admin',
      token: 'admin-token',
      server: adminServer(() => ({
        data: dashboardOf(thisWeek, {
          utilisation: [],
          bookings_by_area: [],
          revenue_by_week: dashboardOf(thisWeek).revenue_by_week.map((week) => ({
            ...week,
            revenue: 0,
            sessions: 0,
          })),
        }),
      })),
    });

    expect(await screen.findByText('No mentors yet')).toBeVisible();
    expect(screen.getByRole('link', { name: 'Add a mentor' })).toHaveAttribute('href', '/admin/mentors');
    expect(screen.getByText('No sessions this week')).toBeVisible();
    expect(screen.getByText('No revenue in these 8 weeks.')).toBeVisible();
    expect(screen.getByRole('figure', { name: 'Mentor time booked' })).toHaveTextContent('–');
  });

  it('explains a failure in words and tries again on request', async () => {
    let asked = 0;
    const { user } = renderApp({
      path: '/admin',
      token: 'admin-token',
      server: adminServer(() => {
        asked += 1;
        return asked === 1 ? { problem: 'internal_error' } : { data: dashboardOf(thisWeek) };
      }),
    });

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(errorSentences.internal_error.message);
    expect(alert).toHaveTextContent(errorSentences.internal_error.next);
    await user.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('figure', { name: 'Sessions this week' })).toHaveTextContent('17');
  });
});
