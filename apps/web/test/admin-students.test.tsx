import type { RouterOutputs } from '@mentor-scheduling/client';
import { configure, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { errorSentences } from '../src/errors.js';
import { account, type FakeAnswer, type FakeCall, fill, renderApp, unexpectedCall } from './harness.js';

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

function studentsServer(answer?: (input: Record<string, unknown>) => FakeAnswer) {
  return (call: FakeCall): FakeAnswer => {
    const input = (call.input ?? {}) as Record<string, unknown>;
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
      'Sessions of Aarav Sharma',
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
});
