import type { RouterOutputs } from '@mentor-scheduling/client';
import { configure, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { account, type FakeAnswer, type FakeCall, renderApp, unexpectedCall } from './harness.js';

// The first render loads the page's module (and recharts) on demand, which takes more than the
// default second on a busy machine; every wait still ends as soon as its element appears.
configure({ asyncUtilTimeout: 5000 });

/** The table row holding an element (role queries on rows name them by all their text, which is slow). */
function rowOf(element: HTMLElement): HTMLElement {
  return element.closest('tr') as HTMLElement;
}

type PaymentList = RouterOutputs['payments']['list'];
type PaymentRecord = PaymentList['payments'][number];

function payment(id: number, changes: Partial<PaymentRecord> = {}): PaymentRecord {
  return {
    id,
    booking_id: 40 + id,
    student_id: 1,
    mentor_id: 2,
    provider: 'stripe',
    status: 'paid',
    amount: 2000,
    currency: 'INR',
    checkout_url: null,
    expires_at: '2026-11-28T10:30:00.000Z',
    paid_at: '2026-11-28T10:05:00.000Z',
    refund: null,
    checkout_session_id: `cs_test_${id}`,
    payment_intent_id: `pi_${id}`,
    paid_amount: 2000,
    paid_currency: 'INR',
    flag: null,
    created_at: '2026-11-28T10:00:00.000Z',
    updated_at: '2026-11-28T10:05:00.000Z',
    ...changes,
  };
}

const firstPage: PaymentList = {
  payments: [
    payment(3, {
      status: 'flagged',
      paid_amount: 1500,
      flag: 'Stripe reported ₹1,500 INR paid; the booking costs ₹2,000 INR',
    }),
    payment(2, {
      status: 'refunded',
      refund: {
        status: 'succeeded',
        amount: 2000,
        requested_at: '2026-11-29T10:00:00.000Z',
        refunded_at: '2026-11-29T10:00:01.000Z',
      },
    }),
  ],
  totals: [{ currency: 'INR', payments: 3, paid: 5500, refunded: 2000, net: 3500 }],
  next_cursor: 'older',
};

function paymentsServer(answer: (input: Record<string, unknown>) => FakeAnswer) {
  return (call: FakeCall): FakeAnswer => {
    const input = (call.input ?? {}) as Record<string, unknown>;
    switch (call.path) {
      case 'auth.me':
        return { data: account('admin', 'admin@example.com') };
      case 'reports.dashboard':
        return { data: { timezone: 'Asia/Kolkata' } };
      case 'students.get':
        return {
          data: {
            id: input.id,
            name: 'Aarav Sharma',
            email: 'aarav.sharma@example.com',
            timezone: 'Asia/Kolkata',
            area_of_interest: null,
            preferred_windows: [],
            created_at: '2026-01-05T10:00:00.000Z',
          },
        };
      case 'payments.list':
        return answer(input);
      default:
        return unexpectedCall(call);
    }
  };
}

describe('Admin payments', () => {
  it('shows totals per currency and highlights a flagged payment with its reason', async () => {
    const { user, calls } = renderApp({
      path: '/admin/payments',
      token: 't',
      server: paymentsServer((input) =>
        input.cursor === 'older'
          ? { data: { ...firstPage, payments: [payment(1)], next_cursor: null } }
          : { data: firstPage },
      ),
    });

    const totals = await screen.findByRole('heading', { level: 2, name: 'Totals' });
    const totalsSection = totals.closest('section') as HTMLElement;
    const terms = within(totalsSection)
      .getAllByRole('term')
      .map((term) => term.textContent);
    const values = within(totalsSection)
      .getAllByRole('definition')
      .map((value) => value.textContent);
    expect(Object.fromEntries(terms.map((term, index) => [term, values[index]]))).toEqual({
      Currency: 'INR',
      Received: '₹5,500',
      Returned: '₹2,000',
      Net: '₹3,500',
      Payments: '3',
    });

    const table = screen.getByRole('table', { name: /Payments, newest first, page 1/ });
    const flagged = rowOf(within(table).getByText(/Booking #43/));
    expect(flagged).toHaveTextContent('Flagged');
    expect(flagged).toHaveTextContent('Stripe reported ₹1,500 INR paid; the booking costs ₹2,000 INR');
    expect(flagged).toHaveTextContent('Reported: ₹1,500');
    expect(flagged).toHaveStyle({ background: 'var(--color-warning-soft)' });
    expect(flagged).toHaveTextContent('Sat 28 Nov, 15:30 (Asia/Kolkata)');
    await waitFor(() => expect(flagged).toHaveTextContent('Aarav Sharma'));

    const refunded = rowOf(within(table).getByText(/Booking #42/));
    expect(refunded).toHaveTextContent('₹2,000 returned');
    expect(refunded).not.toHaveStyle({ background: 'var(--color-warning-soft)' });

    await user.click(screen.getByRole('button', { name: 'Next page' }));
    expect(await screen.findByRole('table', { name: /page 2/ })).toHaveTextContent('Booking #41');
    expect(calls.filter((call) => call.path === 'payments.list').map((call) => call.input)).toEqual([
      { limit: 50 },
      { limit: 50, cursor: 'older' },
    ]);
  });

  it('filters by status and says when none match', async () => {
    const { user, calls } = renderApp({
      path: '/admin/payments',
      token: 't',
      server: paymentsServer((input) =>
        input.status === 'pending'
          ? { data: { payments: [], totals: [], next_cursor: null } }
          : { data: firstPage },
      ),
    });

    await screen.findByRole('table', { name: /Payments, newest first/ });
    await user.selectOptions(screen.getByLabelText('Status'), 'Awaiting payment');
    expect(await screen.findByText('No payments are awaiting payment')).toBeVisible();
    expect(screen.getByText('No money has moved in payments of this status.')).toBeVisible();
    expect(calls.filter((call) => call.path === 'payments.list').at(-1)?.input).toEqual({
      limit: 50,
      status: 'pending',
    });
  });
});
