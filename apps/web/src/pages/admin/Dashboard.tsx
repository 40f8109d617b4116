import type { RouterOutputs } from '@mentor-scheduling/client';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { ChevronLeft, ChevronRight } from 'lucide-react';
import { DateTime } from 'luxon';
import { type ReactNode, useId, useState } from 'react';
import { Link } from 'react-router';
import { Bar, BarChart, CartesianGrid, Tooltip, XAxis, YAxis } from 'recharts';
import { Empty } from '../../components/Empty.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { usePageTitle } from '../../components/Layout.js';
import { Loading } from '../../components/Loading.js';
import { useTRPC } from '../../trpc.js';
import {
  dashboardInput,
  formatDay,
  formatMinutes,
  formatMoney,
  rowHeaderStyle,
  tableWrapStyle,
} from './shared.js';

type Dashboard = RouterOutputs['reports']['dashboard'];

/** /admin: the business of one week: sessions, revenue, each mentor's utilisation, areas. */
export function AdminDashboardPage() {
  usePageTitle('Dashboard');
  const trpc = useTRPC();
  // A day of the week to show, in the platform zone; undefined: this week.
  const [weekOf, setWeekOf] = useState<string | undefined>(undefined);
  const dashboard = useQuery(
    trpc.reports.dashboard.queryOptions(dashboardInput(weekOf), { placeholderData: keepPreviousData }),
  );

  return (
    <section className="stack">
      <h1>Dashboard</h1>
      {dashboard.isPending ? (
        <Loading label="Loading the dashboard…" />
      ) : dashboard.isError ? (
        <ErrorNotice error={dashboard.error} onRetry={() => dashboard.refetch()} />
      ) : (
        <DashboardWeek
          dashboard={dashboard.data}
          updating={dashboard.isPlaceholderData}
          isThisWeek={weekOf === undefined}
          onWeek={setWeekOf}
        />
      )}
    </section>
  );
}

function DashboardWeek({
  dashboard,
  updating,
  isThisWeek,
  onWeek,
}: {
  dashboard: Dashboard;
  updating: boolean;
  isThisWeek: boolean;
  onWeek: (weekOf: string | undefined) => void;
}) {
  const zone = dashboard.timezone;
  const weekStart = DateTime.fromISO(dashboard.week_start, { zone });
  // week_end is the next Monday at midnight; the last day of the week is the day before it.
  const lastDay = DateTime.fromISO(dashboard.week_end, { zone }).minus({ days: 1 });
  const { sessions } = dashboard;
  const held = sessions.confirmed + sessions.completed;
  const booked = dashboard.utilisation.reduce((sum, mentor) => sum + mentor.booked_minutes, 0);
  const available = dashboard.utilisation.reduce((sum, mentor) => sum + mentor.available_minutes, 0);
  const bookingsLink = `/admin/bookings?${new URLSearchParams({
    from: weekStart.toISODate() ?? '',
    to: lastDay.toISODate() ?? '',
  })}`;

  return (
    <>
      <p aria-live="polite" aria-busy={updating} style={{ fontWeight: 600 }}>
        Week of {formatDay(dashboard.week_start, zone)} to {formatDay(lastDay.toISO() ?? '', zone)} ({zone})
        {isThisWeek && <span className="muted"> · this week</span>}
      </p>
      <div className="actions">
        <button
          type="button"
          className="button button-secondary"
          onClick={() => onWeek(weekStart.minus({ weeks: 1 }).toISODate() ?? undefined)}
        >
          <ChevronLeft aria-hidden="true" />
          Previous week
        </button>
        <button
          type="button"
          className="button button-secondary"
          onClick={() => onWeek(weekStart.plus({ weeks: 1 }).toISODate() ?? undefined)}
        >
          Next week
          <ChevronRight aria-hidden="true" />
        </button>
        {!isThisWeek && (
          <button type="button" className="button button-link" onClick={() => onWeek(undefined)}>
            Back to this week
          </button>
        )}
      </div>

      <div className="grid">
        <Figure
          label="Sessions this week"
          value={String(held)}
          detail={sessionBreakdown(dashboard.sessions)}
        />
        <Figure
          label="Revenue this week"
          value={formatMoney(dashboard.revenue_this_week, dashboard.currency)}
          detail="Confirmed and completed sessions"
        />
        <Figure
          label="Mentor time booked"
          value={available > 0 ? percent(booked / available) : '–'}
          detail={`${formatMinutes(booked)} of ${formatMinutes(available)} available`}
        />
      </div>
      <p>
        <Link to={bookingsLink}>See this week’s bookings</Link>
      </p>

      <RevenueByWeek dashboard={dashboard} />
      <Utilisation dashboard={dashboard} />
      <SessionsByArea dashboard={dashboard} />
    </>
  );
}

function sessionBreakdown(sessions: Dashboard['sessions']): string {
  const parts = [
    `${sessions.confirmed} to come`,
    `${sessions.completed} completed`,
    sessions.pending_payment > 0 ? `${sessions.pending_payment} awaiting payment` : null,
    sessions.cancelled > 0 ? `${sessions.cancelled} cancelled` : null,
    sessions.expired > 0 ? `${sessions.expired} expired unpaid` : null,
  ];
  return parts.filter((part) => part !== null).join(', ');
}

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

/** One key number; its caption names it, so it can be found by that name. */
function Figure({ label, value, detail }: { label: string; value: string; detail: ReactNode }) {
  const id = useId();
  return (
    <figure className="card" aria-labelledby={id} style={{ margin: 0 }}>
      <figcaption id={id} style={{ fontWeight: 600 }}>
        {label}
      </figcaption>
      <p style={{ fontSize: '2rem', fontWeight: 700, margin: 0, lineHeight: 1.2 }}>{value}</p>
      <p className="muted" style={{ margin: 0 }}>
        {detail}
      </p>
    </figure>
  );
}

function RevenueByWeek({ dashboard }: { dashboard: Dashboard }) {
  const headingId = useId();
  const zone = dashboard.timezone;
  const { currency } = dashboard;
  const weeks = dashboard.revenue_by_week.map((week) => ({
    label: formatDay(week.week_start, zone, { withWeekday: false }),
    revenue: week.revenue,
    sessions: week.sessions,
    week_start: week.week_start,
  }));
  const total = weeks.reduce((sum, week) => sum + week.revenue, 0);
  const sessions = weeks.reduce((sum, week) => sum + week.sessions, 0);
  const best = weeks.reduce<(typeof weeks)[number] | null>(
    (top, week) => (top === null || week.revenue > top.revenue ? week : top),
    null,
  );
  const compact = new Intl.NumberFormat('en-IN', {
    style: 'currency',
    currency,
    notation: 'compact',
    minimumFractionDigits: 0,
    maximumFractionDigits: 1,
  });

  return (
    <section className="stack" aria-labelledby={headingId}>
      <h2 id={headingId}>Revenue by week</h2>
      <figure className="card" style={{ margin: 0 }}>
        {/* The chart is for the eye; the table below carries the same numbers for everyone else. */}
        <div aria-hidden="true">
          <BarChart
            responsive
            accessibilityLayer={false}
            data={weeks}
            style={{ width: '100%', height: 260 }}
            margin={{ top: 8, right: 8, bottom: 0, left: 0 }}
          >
            <CartesianGrid vertical={false} stroke="#e5e7eb" />
            <XAxis dataKey="label" tick={{ fill: '#4b5563', fontSize: 12 }} />
            <YAxis
              width={56}
              tick={{ fill: '#4b5563', fontSize: 12 }}
              tickFormatter={(value: number) => compact.format(value)}
            />
            <Tooltip
              formatter={(value) => [formatMoney(Number(value), currency), 'Revenue']}
              labelFormatter={(label) => `Week of ${String(label)}`}
            />
            <Bar dataKey="revenue" fill="#1d4ed8" radius={[4, 4, 0, 0]} />
          </BarChart>
        </div>
        <figcaption className="muted">
          {total === 0
            ? `No revenue in these ${weeks.length} weeks.`
            : `${formatMoney(total, currency)} over ${weeks.length} weeks from ${sessions} ${
                sessions === 1 ? 'session' : 'sessions'
              }; the best week began ${best ? formatDay(best.week_start, zone) : ''} with ${formatMoney(
                best?.revenue ?? 0,
                currency,
              )}.`}
        </figcaption>
        <table className="visually-hidden">
          <caption>Revenue by week ({zone})</caption>
          <thead>
            <tr>
              <th scope="col">Week beginning</th>
              <th scope="col" className="number">
                Sessions
              </th>
              <th scope="col" className="number">
                Revenue
              </th>
            </tr>
          </thead>
          <tbody>
            {weeks.map((week) => (
              <tr key={week.week_start}>
                <th scope="row">{formatDay(week.week_start, zone)}</th>
                <td className="number">{week.sessions}</td>
                <td className="number">{formatMoney(week.revenue, currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </figure>
    </section>
  );
}

function Utilisation({ dashboard }: { dashboard: Dashboard }) {
  const headingId = useId();
  return (
    // Not a landmark itself: the table's scroll box below is the region named "Utilisation".
    <section className="stack">
      <h2 id={headingId}>Utilisation</h2>
      {dashboard.utilisation.length === 0 ? (
        <Empty title="No mentors yet">
          <Link to="/admin/mentors">Add a mentor</Link>
        </Empty>
      ) : (
        // Nothing in this table takes focus, so on a phone its box must, to be scrolled by keyboard.
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by Tab (WCAG 2.1.1)
        <section className="table-wrap" style={tableWrapStyle} aria-labelledby={headingId} tabIndex={0}>
          <table aria-labelledby={headingId}>
            <thead>
              <tr>
                <th scope="col">Mentor</th>
                <th scope="col" className="number">
                  Booked
                </th>
                <th scope="col" className="number">
                  Available
                </th>
                <th scope="col">Utilisation</th>
              </tr>
            </thead>
            <tbody>
              {dashboard.utilisation.map((mentor) => (
                <tr key={mentor.mentor_id}>
                  <th scope="row" style={rowHeaderStyle}>
                    {mentor.name}
                    {mentor.is_premium && (
                      <>
                        {' '}
                        <span className="badge badge-info">Premium</span>
                      </>
                    )}
                  </th>
                  <td className="number">{formatMinutes(mentor.booked_minutes)}</td>
                  <td className="number">{formatMinutes(mentor.available_minutes)}</td>
                  <td>
                    <UtilisationBar share={mentor.utilisation} available={mentor.available_minutes} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </section>
  );
}

function UtilisationBar({ share, available }: { share: number; available: number }) {
  if (available === 0) return <span className="muted">No hours set</span>;
  const width = `${Math.min(100, Math.round(share * 100))}%`;
  return (
    <span style={{ display: 'flex', alignItems: 'center', gap: '0.5rem', minWidth: '8rem' }}>
      <span style={{ minWidth: '3ch', textAlign: 'right', fontVariantNumeric: 'tabular-nums' }}>
        {percent(share)}
      </span>
      <span
        aria-hidden="true"
        style={{
          flex: 1,
          height: '0.6rem',
          background: '#e5e7eb',
          borderRadius: '999px',
          overflow: 'hidden',
        }}
      >
        <span style={{ display: 'block', width, height: '100%', background: '#1d4ed8' }} />
      </span>
    </span>
  );
}

function SessionsByArea({ dashboard }: { dashboard: Dashboard }) {
  const headingId = useId();
  const most = Math.max(1, ...dashboard.bookings_by_area.map((area) => area.sessions));
  return (
    <section className="stack" aria-labelledby={headingId}>
      <h2 id={headingId}>Sessions by area</h2>
      {dashboard.bookings_by_area.length === 0 ? (
        <Empty title="No sessions this week" />
      ) : (
        <ul className="card" style={{ listStyle: 'none', margin: 0 }}>
          {dashboard.bookings_by_area.map((area) => (
            <li key={area.area ?? ''} style={{ padding: '0.25rem 0' }}>
              <span style={{ display: 'flex', justifyContent: 'space-between', gap: '1rem' }}>
                <span>{area.area ?? 'A mentor chosen by name'}</span>
                <span style={{ fontVariantNumeric: 'tabular-nums' }}>
                  {area.sessions} {area.sessions === 1 ? 'session' : 'sessions'}
                </span>
              </span>
              <span
                aria-hidden="true"
                style={{
                  display: 'block',
                  height: '0.4rem',
                  width: `${Math.round((area.sessions / most) * 100)}%`,
                  background: '#93c5fd',
                  borderRadius: '999px',
                }}
              />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
