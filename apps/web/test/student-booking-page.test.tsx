import { act, screen, within } from '@testing-library/react';
import { DateTime } from 'luxon';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { errorSentences } from '../src/errors.js';
import { paymentPolling } from '../src/pages/student/BookingPage.js';
import { formatInstant, formatRange } from '../src/time.js';
import { type FakeAnswer, type FakeServer, renderApp, unexpectedCall } from './harness.js';
import { aarav, type Booking, booking, mentorsById, studentAccount } from './student-fixtures.js';

const zone = 'Asia/Kolkata';
const start = DateTime.now().setZone(zone).startOf('week').plus({ weeks: 1, days: 1 }).set({ hour: 19 });
const expiresAt = DateTime.now().plus({ minutes: 25 }).startOf('minute').toUTC().toISO() ?? '';
const checkoutUrl = 'https://checkout.stripe.com/c/pay/cs_test_held';

const held = booking(12, start, {
  status: 'pending_payment',
  payment: {
    provider: 'stripe',
    status: 'pending',
    amount: 2000,
    currency: 'INR',
    checkout_url: checkoutUrl,
    expires_at: expiresAt,
    paid_at: null,
    refund: null,
  },
});
const paid = booking(12, start, {
  payment: {
    provider: 'stripe',
    status: 'paid',
    amount: 2000,
    currency: 'INR',
    checkout_url: null,
    expires_at: null,
    paid_at: DateTime.now().toUTC().toISO() ?? '',
    refund: null,
  },
});

/** The server answers `bookings.get` from `answers` in turn, the last one for good. */
function bookingServer(answers: (Booking | FakeAnswer)[]): { server: FakeServer; reads: () => number } {
  let reads = 0;
  const server: FakeServer = (call) => {
    switch (call.path) {
      case 'auth.me':
        return { data: studentAccount };
      case 'students.get':
        return { data: aarav };
      case 'mentors.get':
        return { data: mentorsById.get((call.input as { id: number }).id) };
      case 'bookings.get': {
        const answer = answers[Math.min(reads, answers.length - 1)];
        reads += 1;
        return answer && 'id' in answer ? { data: answer } : (answer ?? unexpectedCall(call));
      }
      default:
        return unexpectedCall(call);
    }
  };
  return { server, reads: () => reads };
}

/** Moves the page's clock on, and lets the requests it starts finish. */
async function waitOnClock(ms: number) {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Session details', () => {
  it('shows the session with its zone, mentor, status, cost and payment', async () => {
    const { server } = bookingServer([paid]);
    renderApp({ path: '/bookings/12', token: 'student-token', server });

    expect(await screen.findByRole('heading', { level: 1, name: 'Session details' })).toBeVisible();
    expect(await screen.findByText(formatRange(paid.start_time, paid.end_time, zone))).toBeVisible();
    expect(await screen.findByText('Rohan Mehta')).toBeVisible();
    expect(screen.getByText('Equity Research')).toBeVisible();
    expect(screen.getByText('Confirmed')).toBeVisible();
    expect(screen.getByText('₹2,000 paid')).toBeVisible();
    expect(screen.getByRole('button', { name: 'Cancel session' })).toBeVisible();
    expect(screen.getByRole('link', { name: 'Add to calendar' })).toBeVisible();
    // Without a trip to the payment page there is nothing to say about one.
    expect(screen.queryByText(/Payment (received|cancelled)/)).toBeNull();
  });

  it('back from paying, says it is confirming, asks again every 2 s, then says the payment was received', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const { server, reads } = bookingServer([held, held, paid]);
    renderApp({ path: '/bookings/12?payment=done', token: 'student-token', server });

    expect(await screen.findByText('We are confirming your payment')).toBeVisible();
    expect(reads()).toBe(1);

    await waitOnClock(paymentPolling.everyMs);
    expect(reads()).toBe(2);
    expect(screen.getByText('We are confirming your payment')).toBeVisible();

    await waitOnClock(paymentPolling.everyMs);
    expect(await screen.findByText('Payment received')).toBeVisible();
    expect(screen.getByText('Confirmed')).toBeVisible();

    // Confirmed: nothing more to wait for.
    await waitOnClock(paymentPolling.everyMs * 3);
    expect(reads()).toBe(3);
  });

  it('stops asking after a minute and says the payment is not confirmed yet', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const { server, reads } = bookingServer([held]);
    renderApp({ path: '/bookings/12?payment=done', token: 'student-token', server });
    expect(await screen.findByText('We are confirming your payment')).toBeVisible();

    for (let waited = 0; waited < paymentPolling.forMs; waited += paymentPolling.everyMs) {
      await waitOnClock(paymentPolling.everyMs);
    }
    expect(await screen.findByText('Your payment is not confirmed yet')).toBeVisible();
    expect(
      screen.getByText(
        new RegExp(
          `held for you until ${formatInstant(expiresAt, zone, { withZone: true }).replace(/[()]/g, '\\$&')}`,
        ),
      ),
    ).toBeVisible();
    const readsAtOneMinute = reads();
    expect(readsAtOneMinute).toBeGreaterThanOrEqual(paymentPolling.forMs / paymentPolling.everyMs - 1);
    expect(readsAtOneMinute).toBeLessThanOrEqual(paymentPolling.forMs / paymentPolling.everyMs + 1);

    await waitOnClock(paymentPolling.everyMs * 5);
    expect(reads()).toBe(readsAtOneMinute);
  });

  it('back from a cancelled payment, says so and offers to pay while the time is still held', async () => {
    const { server } = bookingServer([held]);
    renderApp({ path: '/bookings/12?payment=cancelled', token: 'student-token', server });

    const notice = (await screen.findByText('Payment cancelled')).closest('.notice') as HTMLElement;
    expect(notice).toHaveTextContent(
      `held for you until ${formatInstant(expiresAt, zone, { withZone: true })}`,
    );
    expect(screen.getByRole('link', { name: 'Pay now' })).toHaveAttribute('href', checkoutUrl);
    expect(screen.getByText('Waiting for payment')).toBeVisible();
  });

  it('explains a session that cannot be found', async () => {
    const { server } = bookingServer([{ problem: 'not_found' }]);
    renderApp({ path: '/bookings/99', token: 'student-token', server });
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(errorSentences.not_found.message);
    expect(within(alert).getByRole('button', { name: 'Try again' })).toBeVisible();
  });
});
