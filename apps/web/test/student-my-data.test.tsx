import type { RouterOutputs } from '@mentor-scheduling/client';
import { configure, screen, waitFor, within } from '@testing-library/react';
import { DateTime } from 'luxon';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { errorSentences } from '../src/errors.js';
import { tokenStorageKey } from '../src/session.js';
import { formatRange } from '../src/time.js';
import {
  captureDownloads,
  type FakeAnswer,
  type FakeCall,
  type FakeServer,
  fill,
  renderApp,
  unexpectedCall,
} from './harness.js';
import { aarav, booking, mentorsById, studentAccount } from './student-fixtures.js';

// The first render loads the page's module on demand, which can take more than the default second
// on a busy machine; every wait still ends as soon as its element appears.
configure({ asyncUtilTimeout: 5000 });

const zone = 'Asia/Kolkata';
const soon = DateTime.now().setZone(zone).plus({ days: 3 }).set({ hour: 19, minute: 0, second: 0 });
const upcoming = booking(7, soon);
// Already cancelled: nothing left for the erasure to cancel, so the dialog does not promise it.
const cancelledEarlier = booking(8, soon.plus({ days: 1 }), { status: 'cancelled' });

const exported: RouterOutputs['students']['export'] = {
  // 01:30 on the 29th in Kolkata, the student's zone: the file is named by their day.
  exported_at: '2026-11-28T20:00:00.000Z',
  student: { ...aarav, erased_at: null },
  account: { id: 2, email: aarav.email, role: 'student', created_at: '2026-01-05T10:00:00.000Z' },
  tokens: [
    { created_at: '2026-11-28T19:00:00.000Z', expires_at: '2026-12-28T19:00:00.000Z', revoked_at: null },
  ],
  calendar_feed: null,
  bookings: [{ ...upcoming, history: [] }],
  messages: [],
};

const erasure: RouterOutputs['students']['erase'] = {
  student_id: 1,
  erased_at: '2026-11-28T20:05:00.000Z',
  already_erased: false,
  cancelled_booking_ids: [7],
  kept_booking_count: 3,
  tokens_revoked: 1,
};

function myDataServer(extra: (call: FakeCall) => FakeAnswer | undefined = () => undefined): FakeServer {
  return (call) => {
    const answer = extra(call);
    if (answer) return answer;
    const input = (call.input ?? {}) as Record<string, unknown>;
    switch (call.path) {
      case 'auth.me':
        return { data: studentAccount };
      case 'students.get':
        return { data: aarav };
      case 'students.export':
        return { data: exported };
      case 'bookings.list':
        return { data: { items: [upcoming, cancelledEarlier], nextCursor: null } };
      case 'mentors.get':
        return { data: mentorsById.get(input.id as number) };
      case 'students.erase':
        return { data: erasure };
      // The erasure ended the token already, so the server refuses it, as it would.
      case 'auth.logout':
        return { problem: 'unauthenticated' };
      default:
        return unexpectedCall(call);
    }
  };
}

function pathsOf(calls: FakeCall[], path: string) {
  return calls.filter((call) => call.path === path);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('My data', () => {
  it('is in the student’s navigation and downloads everything held as my-data-<date>.json', async () => {
    const files = captureDownloads();
    const { user, calls } = renderApp({ path: '/my-data', token: 'student-token', server: myDataServer() });

    const link = await screen.findByRole('link', { name: 'My data' });
    expect(link).toHaveAttribute('href', '/my-data');
    expect(link).toHaveAttribute('aria-current', 'page');

    await user.click(await screen.findByRole('button', { name: 'Download my data' }));
    expect(await screen.findByText('Your data was saved as my-data-2026-11-29.json.')).toBeVisible();
    expect(pathsOf(calls, 'students.export').map((call) => call.input)).toEqual([{ id: 1 }]);
    expect(files.map((file) => [file.name, file.type])).toEqual([
      ['my-data-2026-11-29.json', 'application/json'],
    ]);
    expect(JSON.parse(await (files[0]?.text() ?? Promise.resolve('null')))).toEqual(exported);
  });

  it('asks for DELETE before erasing, then signs out and says what was erased', async () => {
    const { user, calls, router } = renderApp({
      path: '/my-data',
      token: 'student-token',
      server: myDataServer(),
    });

    await user.click(await screen.findByRole('button', { name: 'Delete my account' }));
    const dialog = await screen.findByRole('dialog', { name: 'Delete your account?' });
    expect(dialog).toHaveTextContent('This cannot be undone.');
    expect(dialog).toHaveTextContent('Your past sessions stay in the mentors’ and our records');
    expect(dialog).toHaveTextContent('You are signed out');
    const session = await within(dialog).findByText(
      new RegExp(formatRange(upcoming.start_time, upcoming.end_time, zone).replace(/[()]/g, '\\$&')),
    );
    expect(session).toHaveTextContent('Rohan Mehta');
    expect(dialog).toHaveTextContent('Your upcoming session is cancelled, and any payment is refunded');
    expect(dialog).not.toHaveTextContent(
      formatRange(cancelledEarlier.start_time, cancelledEarlier.end_time, zone),
    );

    // Nothing is erased until the word is typed, in capitals.
    const confirm = within(dialog).getByLabelText('Type DELETE to confirm');
    await user.click(within(dialog).getByRole('button', { name: 'Delete my account' }));
    expect(confirm).toHaveAccessibleDescription('Type DELETE in capital letters.');
    expect(confirm).toHaveFocus();
    await fill(user, confirm, 'delete');
    await user.keyboard('{Enter}');
    expect(confirm).toHaveAttribute('aria-invalid', 'true');
    expect(pathsOf(calls, 'students.erase')).toEqual([]);

    await user.clear(confirm);
    await fill(user, confirm, 'DELETE');
    await user.keyboard('{Enter}');

    await waitFor(() => expect(router.state.location.pathname).toBe('/login'));
    const farewell = await screen.findByRole('status');
    expect(farewell).toHaveTextContent('Your account and personal data were erased, and you are signed out.');
    expect(farewell).toHaveTextContent(
      `Cancelled, with any payment refunded: ${formatRange(upcoming.start_time, upcoming.end_time, zone)}.`,
    );
    expect(farewell).toHaveTextContent('Your past sessions stay in our records without your name.');
    expect(pathsOf(calls, 'students.erase').map((call) => call.input)).toEqual([{ id: 1 }]);
    expect(pathsOf(calls, 'auth.logout')).toHaveLength(1);
    expect(localStorage.getItem(tokenStorageKey)).toBeNull();
    expect(screen.queryByRole('button', { name: 'Sign out' })).toBeNull();
    expect(screen.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  });

  it('keeps the account when the student changes their mind', async () => {
    const { user, calls } = renderApp({ path: '/my-data', token: 'student-token', server: myDataServer() });

    await user.click(await screen.findByRole('button', { name: 'Delete my account' }));
    const dialog = await screen.findByRole('dialog', { name: 'Delete your account?' });
    await user.click(within(dialog).getByRole('button', { name: 'Keep my account' }));

    expect(screen.queryByRole('dialog')).toBeNull();
    expect(pathsOf(calls, 'students.erase')).toEqual([]);
    expect(localStorage.getItem(tokenStorageKey)).toBe('student-token');
  });

  it('explains a failed download or erasure in words, and stays signed in', async () => {
    const files = captureDownloads();
    const { user, calls } = renderApp({
      path: '/my-data',
      token: 'student-token',
      server: myDataServer((call) => {
        if (call.path === 'students.export') return { problem: 'internal_error' };
        if (call.path === 'students.erase') return { problem: 'storage_unavailable' };
        return undefined;
      }),
    });

    await user.click(await screen.findByRole('button', { name: 'Download my data' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(errorSentences.internal_error.message);
    expect(alert).toHaveTextContent(errorSentences.internal_error.next);
    expect(files).toEqual([]);

    await user.click(screen.getByRole('button', { name: 'Delete my account' }));
    const dialog = await screen.findByRole('dialog', { name: 'Delete your account?' });
    await fill(user, within(dialog).getByLabelText('Type DELETE to confirm'), 'DELETE');
    await user.click(within(dialog).getByRole('button', { name: 'Delete my account' }));
    const refused = await within(dialog).findByRole('alert');
    expect(refused).toHaveTextContent(errorSentences.storage_unavailable.message);
    expect(refused).toHaveTextContent(errorSentences.storage_unavailable.next);
    expect(pathsOf(calls, 'auth.logout')).toEqual([]);
    expect(localStorage.getItem(tokenStorageKey)).toBe('student-token');
    expect(screen.getByRole('button', { name: 'Sign out' })).toBeVisible();
  });
});
