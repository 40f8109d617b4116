import type { RouterOutputs } from '@mentor-scheduling/client';
import { paymentStatuses } from '@mentor-scheduling/contracts';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { TriangleAlert } from 'lucide-react';
import { useId } from 'react';
import { Link, useSearchParams } from 'react-router';
import { Empty } from '../../components/Empty.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { Field } from '../../components/Field.js';
import { usePageTitle } from '../../components/Layout.js';
import { Loading } from '../../components/Loading.js';
import { formatInstant } from '../../time.js';
import { useTRPC } from '../../trpc.js';
import {
  formatMoney,
  PageButtons,
  tableWrapStyle,
  usePager,
  usePlatformZone,
  useStudentNames,
} from './shared.js';

type PaymentList = RouterOutputs['payments']['list'];
type PaymentRecord = PaymentList['payments'][number];
type PaymentStatus = (typeof paymentStatuses)[number];

const paymentStatusLabels: Record<PaymentStatus, string> = {
  pending: 'Awaiting payment',
  paid: 'Paid',
  expired: 'Expired unpaid',
  refunded: 'Refunded',
  flagged: 'Flagged',
};

const paymentStatusTones: Record<PaymentStatus, string> = {
  pending: 'badge badge-warning',
  paid: 'badge badge-success',
  expired: 'badge',
  refunded: 'badge badge-info',
  flagged: 'badge badge-danger',
};

const refundStatusLabels = {
  pending: 'being returned',
  succeeded: 'returned',
  failed: 'refund failed',
} as const;

/** Why a payment needs an admin, in words; null when it does not. */
function attentionOf(payment: PaymentRecord): string | null {
  if (payment.status === 'flagged') return payment.flag ?? 'The payment reported does not match the booking.';
  if (payment.refund?.status === 'failed') return payment.flag ?? 'The provider refused the refund.';
  return payment.flag;
}

/** /admin/payments: payments newest first, totals per currency, and the ones that need a look. */
export function AdminPaymentsPage() {
  usePageTitle('Payments');
  const trpc = useTRPC();
  const [params, setParams] = useSearchParams();
  const wanted = params.get('status') ?? '';
  const status = (paymentStatuses as readonly string[]).includes(wanted) ? (wanted as PaymentStatus) : null;
  const pager = usePager(status ?? '');
  const zone = usePlatformZone();
  const input: { limit: number; status?: PaymentStatus; cursor?: string } = { limit: 50 };
  if (status) input.status = status;
  if (pager.cursor) input.cursor = pager.cursor;
  const payments = useQuery(trpc.payments.list.queryOptions(input, { placeholderData: keepPreviousData }));
  const names = useStudentNames(payments.data?.payments.map((payment) => payment.student_id) ?? []);
  const totalsId = useId();

  const setStatus = (value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set('status', value);
    else next.delete('status');
    setParams(next, { replace: true });
  };

  return (
    <section className="stack">
      <h1>Payments</h1>
      <search aria-label="Filter payments" style={{ maxWidth: '20rem' }}>
        <Field label="Status">
          {(control) => (
            <select {...control} value={status ?? ''} onChange={(event) => setStatus(event.target.value)}>
              <option value="">Any status</option>
              {paymentStatuses.map((one) => (
                <option key={one} value={one}>
                  {paymentStatusLabels[one]}
                </option>
              ))}
            </select>
          )}
        </Field>
      </search>

      {payments.isPending || !zone ? (
        <Loading label="Loading payments…" />
      ) : payments.isError ? (
        <ErrorNotice error={payments.error} onRetry={() => payments.refetch()} />
      ) : (
        <>
          <section className="stack" aria-labelledby={totalsId}>
            <h2 id={totalsId}>Totals{status ? `: ${paymentStatusLabels[status].toLowerCase()}` : ''}</h2>
            {payments.data.totals.length === 0 ? (
              <p className="muted">No money has moved{status ? ' in payments of this status' : ' yet'}.</p>
            ) : (
              <div className="grid">
                {payments.data.totals.map((total) => (
                  <dl key={total.currency} className="card" style={{ margin: 0 }}>
                    <Total label="Currency" value={total.currency} />
                    <Total label="Received" value={formatMoney(total.paid, total.currency)} />
                    <Total label="Returned" value={formatMoney(total.refunded, total.currency)} />
                    <Total label="Net" value={formatMoney(total.net, total.currency)} strong />
                    <Total label="Payments" value={String(total.payments)} />
                  </dl>
                ))}
              </div>
            )}
          </section>
          {payments.data.payments.length === 0 ? (
            <Empty
              title={
                status ? `No payments are ${paymentStatusLabels[status].toLowerCase()}` : 'No payments yet'
              }
            >
              <p>Payments appear here once online payment is on and students pay for sessions.</p>
            </Empty>
          ) : (
            <>
              <div className="table-wrap" style={tableWrapStyle} aria-busy={payments.isPlaceholderData}>
                <table>
                  <caption>
                    Payments, newest first, page {pager.page} <span className="muted">(times in {zone})</span>
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">Created</th>
                      <th scope="col">Booking</th>
                      <th scope="col">Student</th>
                      <th scope="col" className="number">
                        Amount
                      </th>
                      <th scope="col">Status</th>
                      <th scope="col">Paid</th>
                      <th scope="col">Refund</th>
                      <th scope="col">Needs a look</th>
                    </tr>
                  </thead>
                  <tbody>
                    {payments.data.payments.map((payment) => {
                      const attention = attentionOf(payment);
                      return (
                        <tr
                          key={payment.id}
                          style={attention ? { background: 'var(--color-warning-soft)' } : undefined}
                        >
                          <td>{formatInstant(payment.created_at, zone, { withZone: true })}</td>
                          <td>
                            <Link to={`/bookings/${payment.booking_id}`}>Booking #{payment.booking_id}</Link>
                          </td>
                          <td>{names.get(payment.student_id) ?? `Student #${payment.student_id}`}</td>
                          <td className="number">{formatMoney(payment.amount, payment.currency)}</td>
                          <td>
                            <span className={paymentStatusTones[payment.status]}>
                              {paymentStatusLabels[payment.status]}
                            </span>
                          </td>
                          <td>
                            {payment.paid_at ? (
                              formatInstant(payment.paid_at, zone, { withZone: true })
                            ) : (
                              <span className="muted">Not paid</span>
                            )}
                            {payment.paid_amount !== null &&
                              (payment.paid_amount !== payment.amount ||
                                (payment.paid_currency !== null &&
                                  payment.paid_currency !== payment.currency)) && (
                                <span style={{ display: 'block' }}>
                                  Reported:{' '}
                                  {formatMoney(
                                    payment.paid_amount,
                                    payment.paid_currency ?? payment.currency,
                                  )}
                                </span>
                              )}
                          </td>
                          <td>
                            {payment.refund ? (
                              `${formatMoney(payment.refund.amount, payment.currency)} ${refundStatusLabels[payment.refund.status]}`
                            ) : (
                              <span className="muted">None</span>
                            )}
                          </td>
                          <td>
                            {attention ? (
                              <span style={{ display: 'inline-flex', gap: '0.35rem', fontWeight: 600 }}>
                                <TriangleAlert
                                  aria-hidden="true"
                                  style={{ flex: 'none', color: 'var(--color-warning)' }}
                                />
                                {attention}
                              </span>
                            ) : (
                              <span className="muted">No</span>
                            )}
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
              <PageButtons pager={pager} nextCursor={payments.data.next_cursor} label="Pages of payments" />
            </>
          )}
        </>
      )}
    </section>
  );
}

function Total({ label, value, strong = false }: { label: string; value: string; strong?: boolean }) {
  return (
    <div style={{ display: 'flex', justifyContent: 'space-between', gap: '1rem' }}>
      <dt>{label}</dt>
      <dd style={{ margin: 0, fontWeight: strong ? 700 : 400, fontVariantNumeric: 'tabular-nums' }}>
        {value}
      </dd>
    </div>
  );
}
