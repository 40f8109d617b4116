import { screen, waitFor, within } from '@testing-library/react';
import axe from 'axe-core';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorSentences } from '../src/errors.js';
import { account, type FakeCall, type FakeServer, fill, renderApp, unexpectedCall } from './harness.js';

const mentorEmail = 'rohan.mehta@mentors.example.com';
const mentorZone = 'Asia/Kolkata';

const mentorRecord = {
  id: 1,
  name: 'Rohan Mehta',
  headline: 'Equity research lead',
  areas_of_expertise: ['Equity Research'],
  is_premium: false,
  timezone: mentorZone,
  buffer_minutes: 0,
  max_sessions_per_day: null,
  availability: [],
};

interface WeekInput {
  from: string;
  to: string;
}

/** A session on the Tuesday of the asked week, 19:00–19:30 in the mentor's zone. */
function sessionOfWeek(week: WeekInput, overrides: Record<string, unknown> = {}) {
  const tuesday = DateTime.fromISO(week.from, { zone: mentorZone }).plus({ days: 1 });
  const start = tuesday.set({ hour: 19, minute: 0 }).toUTC();
  return {
    id: 41,
    student_id: 7,
    mentor_id: 1,
    area_of_expertise: 'Equity Research',
    start_time: start.toISO(),
    end_time: start.plus({ minutes: 30 }).toISO(),
    duration: 30,
    cost: 2000,
    currency: 'INR',
    status: 'confirmed',
    cancellation_reason: null,
    payment: {
      provider: 'stripe',
      status: 'paid',
      amount: 2000,
      currency: 'INR',
      checkout_url: null,
      expires_at: null,
      paid_at: '2026-01-05T10:00:00.000Z',
      refund: null,
    },
    created_at: '2026-01-05T10:00:00.000Z',
    updated_at: '2026-01-05T10:00:00.000Z',
    ...overrides,
  };
}

/** Open 30-minute slots every quarter hour on the Wednesday of the asked week, 09:00–11:00. */
function slotsOfWeek(week: WeekInput) {
  const wednesday = DateTime.fromISO(week.from, { zone: mentorZone }).plus({ days: 2 }).set({ hour: 9 });
  const slots = [];
  for (let start = wednesday; start.plus({ minutes: 30 }) <= wednesday.set({ hour: 11 }); ) {
    slots.push({ start_time: start.toUTC().toISO(), end_time: start.plus({ minutes: 30 }).toUTC().toISO() });
    start = start.plus({ minutes: 15 });
  }
  return { mentor_id: 1, duration: 30, from: week.from, to: week.to, slots };
}

function mentorServer(
  extra: (call: FakeCall) => ReturnType<FakeServer> | undefined = () => undefined,
): FakeServer {
  return (call) => {
    const answer = extra(call);
    if (answer) return answer;
    switch (call.path) {
      case 'auth.me':
        return { data: account('mentor', mentorEmail) };
      case 'mentors.get':
        return { data: mentorRecord };
      case 'bookings.list':
        return { data: { items: [sessionOfWeek(call.input as WeekInput)], nextCursor: null } };
      case 'mentors.slots':
        return { data: slotsOfWeek(call.input as WeekInput) };
      default:
        return unexpectedCall(call);
    }
  };
}

/**
 * The week's session in the list, once the page has loaded: the first visit loads the calendar's
 * code (FullCalendar) lazily, which can take a few seconds on a busy machine.
 */
function findSession() {
  return screen.findByRole('listitem', { name: /Student #7/ }, { timeout: 10_000 });
}

function weeksAsked(calls: FakeCall[]): WeekInput[] {
  return calls.filter((call) => call.path === 'bookings.list').map((call) => call.input as WeekInput);
}

/**
 * jsdom lays nothing out, and FullCalendar places events only in a grid with a height: without
 * one, it draws no open times and hides the sessions. A height on every element is all it needs
 * to place them (at the top; where exactly is the browser's business, checked by the e2e suite).
 */
const realOffsetHeight = Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'offsetHeight');
beforeAll(() => {
  Object.defineProperty(HTMLElement.prototype, 'offsetHeight', { configurable: true, get: () => 24 });
});
afterAll(() => {
  if (realOffsetHeight) Object.defineProperty(HTMLElement.prototype, 'offsetHeight', realOffsetHeight);
});

describe('Mentor calendar', () => {
  it('shows the week of sessions and open times in the mentor’s zone, in the grid and as a list, accessibly', async () => {
    const { calls } = renderApp({ path: '/mentor/calendar', token: 't', server: mentorServer() });
    expect(await screen.findByRole('heading', { level: 1, name: 'My calendar' })).toBeVisible();

    const item = await findSession();
    const [week] = weeksAsked(calls);
    if (!week) throw new Error('bookings.list was not called');
    // The week runs Monday to Monday in the mentor's zone, and slots are asked for the same week.
    const monday = DateTime.fromISO(week.from, { zone: mentorZone });
    expect(monday.weekday).toBe(1);
    expect(monday.toFormat('HH:mm')).toBe('00:00');
    expect(DateTime.fromISO(week.to).diff(DateTime.fromISO(week.from), 'days').days).toBe(7);
    expect(calls.find((call) => call.path === 'mentors.slots')?.input).toEqual({
      id: 1,
      from: week.from,
      to: week.to,
      duration: 30,
    });

    const tuesday = monday.plus({ days: 1 });
    const day = `${tuesday.toFormat('ccc d', { locale: 'en-GB' })} ${tuesday.toFormat('LLL', { locale: 'en-GB' }).slice(0, 3)}`;
    expect(item).toHaveAccessibleName(`Student #7, ${day}, 19:00–19:30 (Asia/Kolkata)`);
    expect(within(item).getByText('Confirmed')).toBeVisible();
    expect(item).toHaveTextContent('Equity Research');

    // The grid's session is a link to that list item, named with the student and the time.
    const inGrid = await screen.findByRole('link', {
      name: `Student #7, ${day}, 19:00–19:30 (Asia/Kolkata), Equity Research, Confirmed`,
    });
    expect(inGrid).toHaveAttribute('href', '#session-41');

    // Overlapping slots are joined into one open stretch, drawn once and listed as text.
    expect(document.querySelectorAll('.fc-bg-event.open-time')).toHaveLength(1);
    expect(screen.getByText(/Wednesday .*: 09:00–11:00/)).toBeInTheDocument();

    // axe finds no serious or critical problem; contrast needs a layout jsdom does not have (the
    // e2e suite checks it in Chromium).
    const results = await axe.run(document.body, {
      resultTypes: ['violations'],
      rules: { 'color-contrast': { enabled: false } },
    });
    const serious = results.violations.filter(
      (violation) => violation.impact === 'serious' || violation.impact === 'critical',
    );
    expect(serious.map((violation) => `${violation.id}: ${violation.help}`)).toEqual([]);
  });

  it('shows the same week in another zone when the mentor switches it, asking for that zone’s week', async () => {
    const { calls, user } = renderApp({ path: '/mentor/calendar', token: 't', server: mentorServer() });
    await findSession();

    await user.selectOptions(screen.getByLabelText('Time zone'), 'America/New_York');

    const item = await screen.findByRole('listitem', { name: /\(America\/New_York\)/ });
    const newYorkWeek = weeksAsked(calls).at(-1);
    if (!newYorkWeek) throw new Error('bookings.list was not called');
    const monday = DateTime.fromISO(newYorkWeek.from, { zone: 'America/New_York' });
    expect([monday.weekday, monday.hour, monday.minute]).toEqual([1, 0, 0]);
    const session = sessionOfWeek(newYorkWeek);
    const start = DateTime.fromISO(session.start_time as string, { zone: 'America/New_York' });
    expect(item).toHaveAccessibleName(new RegExp(`, ${start.toFormat('HH:mm')}–`));
    expect(screen.getByText(/Your own zone is Asia\/Kolkata/)).toBeVisible();
  });

  it('moves by week and cancels a session, saying what happens to the student’s money', async () => {
    const cancelled: unknown[] = [];
    let lastWeek: WeekInput = { from: '', to: '' };
    const server = mentorServer((call) => {
      if (call.path === 'bookings.cancel') {
        cancelled.push(call.input);
        return {
          data: {
            ...sessionOfWeek(lastWeek),
            status: 'cancelled',
            cancellation_reason: 'Unwell',
            payment: {
              provider: 'stripe',
              status: 'refunded',
              amount: 2000,
              currency: 'INR',
              checkout_url: null,
              expires_at: null,
              paid_at: '2026-01-05T10:00:00.000Z',
              refund: {
                status: 'succeeded',
                amount: 2000,
                requested_at: '2026-01-05T11:00:00.000Z',
                refunded_at: '2026-01-05T11:00:01.000Z',
              },
            },
          },
        };
      }
      if (call.path === 'bookings.list') {
        lastWeek = call.input as WeekInput;
        const status = cancelled.length > 0 ? 'cancelled' : 'confirmed';
        return { data: { items: [sessionOfWeek(lastWeek, { status })], nextCursor: null } };
      }
      return undefined;
    });
    const { calls, user } = renderApp({ path: '/mentor/calendar', token: 't', server });
    await findSession();
    const thisWeek = weeksAsked(calls)[0];

    // Next week lies wholly in the future, so its session can still be cancelled.
    await user.click(screen.getByRole('button', { name: 'Next week' }));
    await waitFor(() => expect(weeksAsked(calls).at(-1)?.from).not.toBe(thisWeek?.from));
    const nextWeek = weeksAsked(calls).at(-1);
    expect(Date.parse(nextWeek?.from ?? '') - Date.parse(thisWeek?.from ?? '')).toBe(7 * 24 * 3600_000);

    await user.click(await screen.findByRole('button', { name: 'Cancel session' }));
    expect(screen.getByText(/The student gets their ₹2,000 back in full\./)).toBeVisible();
    await fill(user, screen.getByLabelText('Reason (optional)'), '  Unwell  ');
    await user.click(screen.getByRole('button', { name: 'Yes, cancel the session' }));

    expect(await screen.findByText(/is cancelled\. ₹2,000 was refunded to the student\./)).toBeVisible();
    expect(cancelled).toEqual([{ id: 41, reason: 'Unwell' }]);
    const item = screen.getByRole('listitem', { name: /Student #7/ });
    await waitFor(() => expect(within(item).getByText('Cancelled')).toBeVisible());
    expect(within(item).queryByRole('button', { name: 'Cancel session' })).toBeNull();
    expect(item).toHaveFocus();
  });

  it('explains in words why a cancellation was refused', async () => {
    const server = mentorServer((call) =>
      call.path === 'bookings.cancel' ? { problem: 'booking_started' } : undefined,
    );
    const { user } = renderApp({ path: '/mentor/calendar', token: 't', server });
    await findSession();
    await user.click(screen.getByRole('button', { name: 'Next week' }));
    await user.click(await screen.findByRole('button', { name: 'Cancel session' }));
    await user.click(screen.getByRole('button', { name: 'Yes, cancel the session' }));

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(errorSentences.booking_started.message);
    expect(alert).toHaveTextContent(errorSentences.booking_started.next);
  });

  it('says when the week has no sessions, and offers a retry when the sessions cannot be loaded', async () => {
    let failing = true;
    const server = mentorServer((call) => {
      if (call.path !== 'bookings.list') return undefined;
      return failing ? { problem: 'internal_error' } : { data: { items: [], nextCursor: null } };
    });
    const { user } = renderApp({ path: '/mentor/calendar', token: 't', server });

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(errorSentences.internal_error.message);
    failing = false;
    await user.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('No sessions this week')).toBeVisible();
  });

  it('tells a mentor account without a mentor profile what to do, without asking the server', async () => {
    const { calls } = renderApp({
      path: '/mentor/calendar',
      token: 't',
      server: (call) =>
        call.path === 'auth.me'
          ? { data: { ...account('mentor', mentorEmail), mentor_id: null } }
          : unexpectedCall(call),
    });
    expect(await screen.findByText(/not linked to a mentor profile/)).toBeVisible();
    expect(calls.map((call) => call.path)).toEqual(['auth.me']);
  });
});
