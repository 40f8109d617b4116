import { screen, waitFor, within } from '@testing-library/react';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { errorSentences } from '../src/errors.js';
import { formatInstant, formatRange } from '../src/time.js';
import { type FakeAnswer, type FakeCall, type FakeServer, renderApp, unexpectedCall } from './harness.js';
import {
  aarav,
  areas,
  booking,
  inWeek,
  later,
  mentorsById,
  pricing,
  rohan,
  studentAccount,
  zoya,
} from './student-fixtures.js';

interface WeekInput {
  from: string;
  to: string;
  timezone?: string;
}

/** Tuesday 19:00 and 19:30 and Wednesday 20:00 of the asked week, in the zone asked for. */
function openTimesOf(input: WeekInput) {
  const zone = input.timezone ?? 'UTC';
  const starts = [
    inWeek(input.from, zone, 1, '19:00'),
    inWeek(input.from, zone, 1, '19:30'),
    inWeek(input.from, zone, 2, '20:00'),
  ];
  return starts.map((start) => ({
    start_time: start.toISO() ?? '',
    end_time: start.plus({ minutes: 30 }).toISO() ?? '',
    mentors_available: 2,
  }));
}

function bookName(startIso: string, zone: string): string {
  return `Book ${formatInstant(startIso, zone, { withZone: true })}`;
}

/** The server of a student booking: catalogue, open times, and `create` as the test decides. */
function bookingServer(create: (call: FakeCall) => FakeAnswer | Promise<FakeAnswer>): FakeServer {
  return (call) => {
    const input = call.input as Record<string, unknown>;
    switch (call.path) {
      case 'auth.me':
        return { data: studentAccount };
      case 'students.get':
        return { data: aarav };
      case 'areas.list':
        return { data: areas };
      case 'pricing.get':
        return { data: pricing };
      case 'mentors.get':
        return { data: mentorsById.get(input.id as number) };
      case 'mentors.list':
        return { data: { items: [rohan, zoya], nextCursor: null } };
      case 'slots.search': {
        const week = input as unknown as WeekInput & { area_of_expertise: string; duration: number };
        return {
          data: {
            area_of_expertise: week.area_of_expertise,
            duration: week.duration,
            timezone: week.timezone ?? 'UTC',
            from: week.from,
            to: week.to,
            slots: openTimesOf(week),
          },
        };
      }
      case 'mentors.slots': {
        const week = input as unknown as WeekInput & { id: number; duration: number };
        const start = inWeek(week.from, 'Asia/Kolkata', 3, '21:00').toUTC();
        return {
          data: {
            mentor_id: week.id,
            duration: week.duration,
            from: week.from,
            to: week.to,
            slots: [{ start_time: start.toISO(), end_time: start.plus({ minutes: week.duration }).toISO() }],
          },
        };
      }
      case 'bookings.create':
        return create(call);
      default:
        return unexpectedCall(call);
    }
  };
}

/** What `bookings.create` answers with payments off: the booking, confirmed. */
function confirmedAnswer(call: FakeCall): FakeAnswer {
  const input = call.input as {
    start_time: string;
    duration: 30 | 45 | 60;
    mentor_id?: number;
    cost?: number;
  };
  const created = booking(501, DateTime.fromISO(input.start_time, { setZone: true }), {
    mentor_id: input.mentor_id ?? rohan.id,
    duration: input.duration,
    cost: input.cost ?? 2000,
  });
  return { data: { message: 'Booking confirmed', booking_id: 501, booking: created, payment: null } };
}

function searchesOf(calls: FakeCall[]) {
  return calls
    .filter((call) => call.path === 'slots.search')
    .map((call) => call.input as WeekInput & Record<string, unknown>);
}

describe('Book a session', () => {
  it('shows the week of the student’s area in their zone, and a double click on "Confirm booking" books once', async () => {
    const answer = later<FakeAnswer>();
    const { user, calls } = renderApp({
      path: '/book',
      token: 'student-token',
      server: bookingServer((call) => answer.promise.then(() => confirmedAnswer(call))),
    });

    expect(await screen.findByRole('heading', { level: 1, name: 'Book a session' })).toBeVisible();
    // The student's own area of interest and zone are where the page starts.
    await waitFor(() => expect(screen.getByLabelText('Area')).toHaveValue('Equity Research'));
    expect(screen.getByLabelText('Time zone')).toHaveValue('Asia/Kolkata');
    expect(screen.getByRole('radio', { name: '30 minutes' })).toBeChecked();
    expect(screen.getByRole('radio', { name: '30 minutes' })).toHaveAccessibleDescription('₹2,000');
    expect(screen.getByRole('radio', { name: 'Assign me a mentor' })).toBeChecked();

    await waitFor(() => expect(searchesOf(calls)).toHaveLength(1));
    const firstSlot = openTimesOf({
      ...(searchesOf(calls)[0] ?? { from: '', to: '' }),
      timezone: 'Asia/Kolkata',
    })[0];
    if (!firstSlot) throw new Error('no open time');
    const slotButton = await screen.findByRole('button', {
      name: bookName(firstSlot.start_time, 'Asia/Kolkata'),
    });

    // One search: the area, the length, this week from Monday 00:00 to the next in the student's zone, and
    // the student, so times they are already booked are left out.
    const [search] = searchesOf(calls);
    expect(search).toMatchObject({
      area_of_expertise: 'Equity Research',
      duration: 30,
      timezone: 'Asia/Kolkata',
      student_id: 1,
    });
    const from = DateTime.fromISO(search?.from ?? '').setZone('Asia/Kolkata');
    expect(from.toFormat('ccc HH:mm')).toBe('Mon 00:00');
    expect(from.toISODate()).toBe(DateTime.now().setZone('Asia/Kolkata').startOf('week').toISODate());
    expect(DateTime.fromISO(search?.to ?? '').diff(DateTime.fromISO(search?.from ?? ''), 'days').days).toBe(
      7,
    );
    expect(screen.getByRole('button', { name: 'Previous week' })).toBeDisabled();

    await user.click(slotButton);
    const dialog = await screen.findByRole('dialog', { name: 'Confirm booking' });
    expect(dialog).toHaveTextContent(formatRange(firstSlot.start_time, firstSlot.end_time, 'Asia/Kolkata'));
    expect(dialog).toHaveTextContent('Equity Research');
    expect(dialog).toHaveTextContent('₹2,000');

    await user.dblClick(within(dialog).getByRole('button', { name: 'Confirm booking' }));
    expect(within(dialog).getByRole('button', { name: 'Booking…' })).toBeDisabled();
    answer.settle({ data: null });

    const status = await screen.findByText(/^Booked:/);
    expect(status).toHaveTextContent(formatRange(firstSlot.start_time, firstSlot.end_time, 'Asia/Kolkata'));
    await waitFor(() =>
      expect(screen.getByRole('status')).toHaveTextContent('Equity Research with Rohan Mehta, ₹2,000'),
    );
    expect(screen.getByRole('link', { name: 'See my sessions' })).toHaveAttribute('href', '/sessions');
    expect(screen.queryByRole('dialog')).toBeNull();

    const creates = calls.filter((call) => call.path === 'bookings.create');
    expect(creates).toHaveLength(1);
    expect(creates[0]?.input).toEqual({
      area_of_expertise: 'Equity Research',
      duration: 30,
      start_time: firstSlot.start_time,
      cost: 2000,
      idempotency_key: expect.stringMatching(/^[\x21-\x7e]{16,}$/),
    });
    // The week is asked again, so the time just booked is no longer offered.
    await waitFor(() => expect(searchesOf(calls).length).toBeGreaterThan(1));
  });

  it('asks for the zone, length and week the student switches to', async () => {
    const { user, calls } = renderApp({
      path: '/book',
      token: 'student-token',
      server: bookingServer(unexpectedCall),
    });
    await waitFor(() => expect(searchesOf(calls)).toHaveLength(1));

    await user.selectOptions(screen.getByLabelText('Time zone'), 'Europe/London');
    await waitFor(() => expect(searchesOf(calls).at(-1)?.timezone).toBe('Europe/London'));
    const london = searchesOf(calls).at(-1);
    expect(
      DateTime.fromISO(london?.from ?? '')
        .setZone('Europe/London')
        .toFormat('ccc HH:mm'),
    ).toBe('Mon 00:00');
    const londonSlot = openTimesOf({ from: london?.from ?? '', to: '', timezone: 'Europe/London' })[0];
    expect(
      await screen.findByRole('button', { name: bookName(londonSlot?.start_time ?? '', 'Europe/London') }),
    ).toBeVisible();

    await user.click(screen.getByRole('radio', { name: '45 minutes' }));
    await waitFor(() => expect(searchesOf(calls).at(-1)?.duration).toBe(45));

    await user.click(screen.getByRole('button', { name: 'Next week' }));
    await waitFor(() => expect(searchesOf(calls).at(-1)?.from).not.toBe(london?.from));
    const next = searchesOf(calls).at(-1);
    expect(DateTime.fromISO(next?.from ?? '').diff(DateTime.fromISO(london?.from ?? ''), 'days').days).toBe(
      7,
    );
    expect(next).toMatchObject({ duration: 45, timezone: 'Europe/London' });
    expect(screen.getByRole('button', { name: 'Previous week' })).toBeEnabled();
  });

  it('lists the area’s mentors with the premium price and books the chosen one at that price', async () => {
    const { user, calls } = renderApp({
      path: '/book',
      token: 'student-token',
      server: bookingServer(confirmedAnswer),
    });
    await waitFor(() => expect(screen.getByLabelText('Area')).toHaveValue('Equity Research'));
    await user.click(screen.getByRole('radio', { name: 'Choose a mentor' }));

    const mentorSelect = await screen.findByRole('combobox', { name: 'Mentor' });
    await waitFor(() =>
      expect(
        within(mentorSelect)
          .getAllByRole('option')
          .map((option) => option.textContent),
      ).toEqual(['Choose a mentor…', 'Rohan Mehta', 'Zoya Khan (premium, ₹3,000)']),
    );
    expect(calls.find((call) => call.path === 'mentors.list')?.input).toMatchObject({
      area_of_expertise: 'Equity Research',
    });

    await user.selectOptions(mentorSelect, 'Zoya Khan (premium, ₹3,000)');
    // The lengths now show what this mentor costs.
    expect(screen.getByRole('radio', { name: '60 minutes' })).toHaveAccessibleDescription('₹6,000');
    const slotButton = await screen.findByRole('button', { name: /^Book Thu .*, 21:00 \(Asia\/Kolkata\)$/ });
    const slotsCall = calls.find((call) => call.path === 'mentors.slots');
    expect(slotsCall?.input).toMatchObject({ id: zoya.id, duration: 30 });

    await user.click(slotButton);
    const dialog = await screen.findByRole('dialog', { name: 'Confirm booking' });
    expect(dialog).toHaveTextContent('Zoya Khan (premium)');
    expect(dialog).toHaveTextContent('₹3,000');
    await user.click(within(dialog).getByRole('button', { name: 'Confirm booking' }));

    expect(await screen.findByText(/^Booked:/)).toBeVisible();
    expect(calls.find((call) => call.path === 'bookings.create')?.input).toMatchObject({
      mentor_id: zoya.id,
      area_of_expertise: 'Equity Research',
      cost: 3000,
    });
  });

  it('says a taken time was taken, offers the next free ones, and books one under a new key', async () => {
    let attempts = 0;
    const { user, calls } = renderApp({
      path: '/book',
      token: 'student-token',
      server: bookingServer((call) => {
        attempts += 1;
        if (attempts > 1) return confirmedAnswer(call);
        const start = DateTime.fromISO((call.input as { start_time: string }).start_time)
          .plus({ hours: 1 })
          .toUTC();
        return {
          problem: 'slot_taken',
          next_slots: [
            {
              start_time: start.toISO() ?? '',
              end_time: start.plus({ minutes: 30 }).toISO() ?? '',
              mentor_id: 2,
            },
            {
              start_time: start.toISO() ?? '',
              end_time: start.plus({ minutes: 30 }).toISO() ?? '',
              mentor_id: 3,
            },
          ],
        };
      }),
    });
    await user.click((await screen.findAllByRole('button', { name: /^Book / }))[0] as HTMLElement);
    const dialog = await screen.findByRole('dialog', { name: 'Confirm booking' });
    const searchesBefore = searchesOf(calls).length;
    await user.click(within(dialog).getByRole('button', { name: 'Confirm booking' }));

    expect(await within(dialog).findByRole('alert')).toHaveTextContent(errorSentences.slot_taken.message);
    // One button per free time, even when two mentors are free then.
    const hints = within(dialog).getAllByRole('button', { name: /^Choose / });
    expect(hints).toHaveLength(1);
    await waitFor(() => expect(searchesOf(calls).length).toBeGreaterThan(searchesBefore));

    await user.click(hints[0] as HTMLElement);
    expect(within(dialog).queryByRole('alert')).toBeNull();
    await user.click(within(dialog).getByRole('button', { name: 'Confirm booking' }));
    expect(await screen.findByText(/^Booked:/)).toBeVisible();

    const [first, second] = calls
      .filter((call) => call.path === 'bookings.create')
      .map((call) => call.input as { start_time: string; idempotency_key: string });
    expect(
      DateTime.fromISO(second?.start_time ?? '').diff(DateTime.fromISO(first?.start_time ?? ''), 'hours')
        .hours,
    ).toBe(1);
    expect(second?.idempotency_key).not.toBe(first?.idempotency_key);
  });

  it('sends the same key again when the student retries after a failure', async () => {
    let attempts = 0;
    const { user, calls } = renderApp({
      path: '/book',
      token: 'student-token',
      server: bookingServer((call) => {
        attempts += 1;
        return attempts === 1 ? { problem: 'service_busy' } : confirmedAnswer(call);
      }),
    });
    await user.click((await screen.findAllByRole('button', { name: /^Book / }))[0] as HTMLElement);
    const dialog = await screen.findByRole('dialog', { name: 'Confirm booking' });
    await user.click(within(dialog).getByRole('button', { name: 'Confirm booking' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(errorSentences.service_busy.message);

    await user.click(within(dialog).getByRole('button', { name: 'Confirm booking' }));
    expect(await screen.findByText(/^Booked:/)).toBeVisible();
    const keys = calls
      .filter((call) => call.path === 'bookings.create')
      .map((call) => (call.input as { idempotency_key: string }).idempotency_key);
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
  });

  it('with payments on, shows until when the time is held and a link to pay', async () => {
    const checkoutUrl = 'https://checkout.stripe.com/c/pay/cs_test_a1b2c3';
    let expiresAt = '';
    const { user } = renderApp({
      path: '/book',
      token: 'student-token',
      server: bookingServer((call) => {
        const start = DateTime.fromISO((call.input as { start_time: string }).start_time, { setZone: true });
        expiresAt = DateTime.now().plus({ minutes: 30 }).startOf('minute').toUTC().toISO() ?? '';
        const payment = {
          provider: 'stripe' as const,
          status: 'pending' as const,
          amount: 2000,
          currency: 'INR',
          checkout_url: checkoutUrl,
          expires_at: expiresAt,
          paid_at: null,
          refund: null,
        };
        return {
          data: {
            message: 'Booking held until paid',
            booking_id: 502,
            booking: booking(502, start, { status: 'pending_payment', payment }),
            payment,
          },
        };
      }),
    });
    await user.click((await screen.findAllByRole('button', { name: /^Book / }))[0] as HTMLElement);
    const dialog = await screen.findByRole('dialog', { name: 'Confirm booking' });
    await user.click(within(dialog).getByRole('button', { name: 'Confirm booking' }));

    expect(
      await screen.findByText(`Held until ${formatInstant(expiresAt, 'Asia/Kolkata', { withZone: true })}`),
    ).toBeVisible();
    expect(screen.getByRole('link', { name: 'Pay now' })).toHaveAttribute('href', checkoutUrl);
    expect(screen.getByRole('link', { name: 'See my sessions' })).toBeVisible();
  });

  it('says so when a week has no open times, and explains a refused search', async () => {
    const { user, calls } = renderApp({
      path: '/book',
      token: 'student-token',
      server: (call) => {
        if (call.path === 'slots.search') {
          const input = call.input as { area_of_expertise: string };
          return input.area_of_expertise === 'Consulting'
            ? { problem: 'unknown_area' }
            : {
                data: { area_of_expertise: 'x', duration: 30, timezone: 'UTC', from: '', to: '', slots: [] },
              };
        }
        return bookingServer(unexpectedCall)(call);
      },
    });
    // Nothing left this week: the next week is shown once, and the page says why.
    expect(
      await screen.findByText('No open times are left this week, so the next week is shown.'),
    ).toBeVisible();
    expect(await screen.findByText('No open times this week')).toBeVisible();
    const [thisWeek, nextWeek, ...more] = searchesOf(calls);
    expect(more).toEqual([]);
    expect(
      DateTime.fromISO(nextWeek?.from ?? '').diff(DateTime.fromISO(thisWeek?.from ?? ''), 'days').days,
    ).toBe(7);
    expect(screen.getByRole('button', { name: 'Previous week' })).toBeEnabled();

    await user.selectOptions(screen.getByLabelText('Area'), 'Consulting');
    expect(await screen.findByRole('alert')).toHaveTextContent(errorSentences.unknown_area.message);
  });
});
