import type { RouterOutputs } from '@mentor-scheduling/client';
import { configure, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { errorSentences } from '../src/errors.js';
import {
  account,
  captureDownloads,
  type FakeAnswer,
  type FakeCall,
  fill,
  renderApp,
  unexpectedCall,
} from './harness.js';

// The first render loads the page's module (and recharts) on demand, which takes more than the
// default second on a busy machine; every wait still ends as soon as its element appears.
configure({ asyncUtilTimeout: 5000 });

/** The table row holding an element (role queries on rows name them by all their text, which is slow). */
function rowOf(element: HTMLElement): HTMLElement {
  return element.closest('tr') as HTMLElement;
}

type Student = RouterOutputs['students']['get'];

function student(id: number, name: string, changes: Partial<Student> = {}): Student {
  return {
    id,
    name,
    email: `${name.toLowerCase().replace(' ', '.')}@example.com`,
    timezone: 'Asia/Kolkata',
    area_of_interest: 'Equity Research',
    preferred_windows: [],
    created_at: '2026-01-05T10:00:00.000Z',
    ...changes,
  };
}

const everyone = [
  student(1, 'Aarav Sharma'),
  student(2, 'Ishita Sharma', { timezone: 'Europe/London', area_of_interest: null }),
  student(3, 'Meera Nair'),
];

function studentsServer(
  answer?: (input: Record<string, unknown>) => FakeAnswer,
  extra: (call: FakeCall) => FakeAnswer | null = () => null,
) {
  return (call: FakeCall): FakeAnswer => {
    const input = (call.input ?? {}) as Record<string, unknown>;
    const answered = extra(call);
    if (answered) return answered;
    if (call.path === 'auth.me') return { data: account('admin', 'admin@example.com') };
    if (call.path === 'reports.dashboard') return { data: { timezone: 'Asia/Kolkata' } };
    if (call.path !== 'students.list') return unexpectedCall(call);
    if (answer) return answer(input);
    const q = typeof input.q === 'string' ? input.q.toLowerCase() : '';
    const found = everyone.filter((one) => `${one.name} ${one.email}`.toLowerCase().includes(q));
    // Two a page, so paging shows with three students.
    const start = input.cursor === 'next' ? 2 : 0;
    return {
      data: {
        items: found.slice(start, start + 2),
        nextCursor: start === 0 && found.length > 2 ? 'next' : null,
      },
    };
  };
}

type Erasure = RouterOutputs['students']['erase'];

function erasure(changes: Partial<Erasure> = {}): Erasure {
  return {
    student_id: 1,
    erased_at: '2026-11-28T10:00:00.000Z',
    already_erased: false,
    cancelled_booking_ids: [7, 9],
    kept_booking_count: 4,
    tokens_revoked: 2,
    ...changes,
  };
}

function inputsOf(calls: FakeCall[], path: string) {
  return calls.filter((call) => call.path === path).map((call) => call.input);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Admin students', () => {
  it('lists students with email, zone and area of interest, a page at a time', async () => {
    const { user } = renderApp({ path: '/admin/students', token: 't', server: studentsServer() });

    const table = await screen.findByRole('table', { name: 'Students, page 1' });
    const aarav = rowOf(within(table).getByText(/Aarav Sharma/, { selector: 'th' }));
    expect(
      within(aarav)
        .getAllByRole('cell')
        .map((cell) => cell.textContent),
    ).toEqual([
      'aarav.sharma@example.com',
      'Asia/Kolkata',
      'Equity Research',
      '5 Jan 2026',
      'Sessions of Aarav SharmaExport data of Aarav SharmaErase Aarav Sharma',
    ]);
    expect(within(aarav).getByRole('link', { name: 'Sessions of Aarav Sharma' })).toHaveAttribute(
      'href',
      '/admin/bookings?student_id=1',
    );
    expect(rowOf(within(table).getByText(/Ishita Sharma/, { selector: 'th' }))).toHaveTextContent(
      'Not given',
    );

    await user.click(screen.getByRole('button', { name: 'Next page' }));
    expect(await screen.findByRole('table', { name: 'Students, page 2' })).toHaveTextContent('Meera Nair');
  });

  it('searches by part of a name or email', async () => {
    const { user, calls, router } = renderApp({
      path: '/admin/students',
      token: 't',
      server: studentsServer(),
    });

    await fill(user, await screen.findByLabelText('Search'), 'sharma');
    await user.click(screen.getByRole('button', { name: 'Search' }));
    const table = await screen.findByRole('table', { name: 'Students matching “sharma”, page 1' });
    expect(within(table).getAllByRole('row')).toHaveLength(3);
    expect(table).not.toHaveTextContent('Meera Nair');
    expect(router.state.location.search).toBe('?q=sharma');
    expect(calls.filter((call) => call.path === 'students.list').map((call) => call.input)).toEqual([
      { limit: 50 },
      { limit: 50, q: 'sharma' },
    ]);

    await user.clear(screen.getByLabelText('Search'));
    await fill(user, screen.getByLabelText('Search'), 'nobody');
    await user.keyboard('{Enter}');
    expect(await screen.findByText('No student’s name or email contains “nobody”')).toBeVisible();
  });

  it('explains a failure in words', async () => {
    renderApp({
      path: '/admin/students',
      token: 't',
      server: studentsServer(() => ({ problem: 'internal_error' })),
    });
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(errorSentences.internal_error.message);
    expect(within(alert).getByRole('button', { name: 'Try again' })).toBeVisible();
  });

  it('downloads a student’s data as a JSON file', async () => {
    const files = captureDownloads();
    const exported = {
      exported_at: '2026-11-28T20:00:00.000Z',
      student: { ...everyone[0], erased_at: null },
      account: null,
      tokens: [],
      calendar_feed: null,
      bookings: [],
      messages: [],
    };
    const { user, calls } = renderApp({
      path: '/admin/students',
      token: 't',
      server: studentsServer(undefined, (call) =>
        call.path === 'students.export' ? { data: exported } : null,
      ),
    });

    await user.click(await screen.findByRole('button', { name: 'Export data of Aarav Sharma' }));
    // Named by the day in the platform's zone (Kolkata): past midnight there.
    expect(
      await screen.findByText('Aarav Sharma’s data was saved as student-1-data-2026-11-29.json.'),
    ).toBeVisible();
    expect(inputsOf(calls, 'students.export')).toEqual([{ id: 1 }]);
    expect(files.map((file) => file.name)).toEqual(['student-1-data-2026-11-29.json']);
    expect(files[0]?.type).toBe('application/json');
    expect(JSON.parse(await (files[0]?.text() ?? Promise.resolve('null')))).toEqual(exported);
  });

  it('erases a student after a confirmation and says what it did', async () => {
    const erasures: unknown[] = [];
    const { user, calls } = renderApp({
      path: '/admin/students',
      token: 't',
      server: studentsServer(undefined, (call) => {
        if (call.path !== 'students.erase') return null;
        erasures.push(call.input);
        return { data: erasure() };
      }),
    });

    await user.click(await screen.findByRole('button', { name: 'Erase Aarav Sharma' }));
    let dialog = await screen.findByRole('dialog', { name: 'Erase Aarav Sharma’s personal data?' });
    expect(dialog).toHaveTextContent('becomes “Erased student 1”');
    expect(dialog).toHaveTextContent('upcoming sessions are cancelled; paid ones are refunded');
    expect(dialog).toHaveTextContent('This cannot be undone.');
    await user.click(within(dialog).getByRole('button', { name: 'Keep student' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(erasures).toEqual([]);

    await user.click(screen.getByRole('button', { name: 'Erase Aarav Sharma' }));
    dialog = await screen.findByRole('dialog', { name: 'Erase Aarav Sharma’s personal data?' });
    await user.click(within(dialog).getByRole('button', { name: 'Erase personal data' }));

    const outcome = await screen.findByText(/Aarav Sharma’s personal data was erased/);
    const notice = outcome.closest('.notice') as HTMLElement;
    expect(notice).toHaveTextContent('they are now “Erased student 1”');
    expect(notice).toHaveTextContent('Cancelled sessions (refunded where paid): #7, #9.');
    expect(within(notice).getByRole('link', { name: '#9' })).toHaveAttribute('href', '/bookings/9');
    expect(notice).toHaveTextContent('2 sign-in tokens stopped working.');
    expect(notice).toHaveTextContent('4 sessions are kept for the accounts, without their name.');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(erasures).toEqual([{ id: 1 }]);
    // The list is read again: the erased student's name has changed.
    await waitFor(() => expect(inputsOf(calls, 'students.list').length).toBeGreaterThan(1));
  });

  it('says when a student was already erased, and explains a refusal', async () => {
    let answer: FakeAnswer = {
      data: erasure({ already_erased: true, cancelled_booking_ids: [], tokens_revoked: 0 }),
    };
    const { user } = renderApp({
      path: '/admin/students',
      token: 't',
      server: studentsServer(undefined, (call) => (call.path === 'students.erase' ? answer : null)),
    });

    await user.click(await screen.findByRole('button', { name: 'Erase Aarav Sharma' }));
    await user.click(await screen.findByRole('button', { name: 'Erase personal data' }));
    expect(
      await screen.findByText('Aarav Sharma was already erased on Sat 28 Nov, 15:30 (Asia/Kolkata).'),
    ).toBeVisible();
    expect(screen.getByText('Nothing more needed changing.')).toBeVisible();

    answer = { problem: 'storage_unavailable' };
    await user.click(screen.getByRole('button', { name: 'Erase Ishita Sharma' }));
    const dialog = await screen.findByRole('dialog', { name: 'Erase Ishita Sharma’s personal data?' });
    await user.click(within(dialog).getByRole('button', { name: 'Erase personal data' }));
    const alert = await within(dialog).findByRole('alert');
    expect(alert).toHaveTextContent(errorSentences.storage_unavailable.message);
    expect(alert).toHaveTextContent(errorSentences.storage_unavailable.next);
  });
});
