import type { RouterOutputs } from '@mentor-scheduling/client';
import { configure, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { errorSentences } from '../src/errors.js';
import { account, type FakeAnswer, type FakeCall, fill, renderApp, unexpectedCall } from './harness.js';

// The first render loads the page's module on demand, which can take more than the default second
// on a busy machine; every wait still ends as soon as its element appears.
configure({ asyncUtilTimeout: 5000 });

type AuditEntry = RouterOutputs['auditLog']['list']['items'][number];

const mentorMadePremium: AuditEntry = {
  id: 3,
  at: '2026-11-28T10:00:00.000Z',
  actor: { role: 'admin', label: 'account:1', account_id: 1 },
  request_id: '0b0c5f6e-3f4b-4d8e-9a51-6a1f4c2d7e90',
  operation: 'mentors.update',
  target_type: 'mentor',
  target_id: 2,
  before: { name: 'Rohan Mehta', is_premium: false, headline: null, areas: ['Consulting'] },
  after: { name: 'Rohan Mehta', is_premium: true, headline: 'Ex-analyst', areas: ['Consulting'] },
};

const endpointAdded: AuditEntry = {
  id: 2,
  at: '2026-11-27T09:00:00.000Z',
  actor: { role: 'admin', label: 'operator', account_id: null },
  request_id: null,
  operation: 'webhooks.create',
  target_type: 'webhook_endpoint',
  target_id: 5,
  before: null,
  after: { url: 'https://crm.example.com/in', events: ['booking.confirmed'] },
};

const studentErased: AuditEntry = {
  id: 1,
  at: '2026-11-26T18:45:00.000Z',
  actor: { role: 'student', label: 'account:7', account_id: 7 },
  request_id: null,
  operation: 'students.erase',
  target_type: 'student',
  target_id: 4,
  before: { erased_at: null },
  after: { erased_at: '2026-11-26T18:45:00.000Z' },
};

const everything = [mentorMadePremium, endpointAdded, studentErased];

/** The audit log of an admin's server: two entries a page, filtered as the server filters. */
function auditServer(answer?: (input: Record<string, unknown>) => FakeAnswer | null) {
  return (call: FakeCall): FakeAnswer => {
    const input = (call.input ?? {}) as Record<string, unknown>;
    if (call.path === 'auth.me') return { data: account('admin', 'admin@example.com') };
    if (call.path === 'reports.dashboard') return { data: { timezone: 'Asia/Kolkata' } };
    if (call.path !== 'auditLog.list') return unexpectedCall(call);
    const answered = answer?.(input);
    if (answered) return answered;
    const found = everything.filter(
      (entry) =>
        (input.operation === undefined || entry.operation === input.operation) &&
        (input.target_type === undefined || entry.target_type === input.target_type) &&
        (input.target_id === undefined || entry.target_id === input.target_id),
    );
    const start = input.cursor === 'after-2' ? 2 : 0;
    return {
      data: {
        items: found.slice(start, start + 2),
        nextCursor: start === 0 && found.length > 2 ? 'after-2' : null,
      },
    };
  };
}

/** What the page asked the log for; tRPC adds `direction: 'forward'` to each page, which says nothing here. */
function listInputs(calls: FakeCall[]) {
  return calls
    .filter((call) => call.path === 'auditLog.list')
    .map((call) => {
      const { direction: _direction, ...input } = call.input as Record<string, unknown>;
      return input;
    });
}

/** The table row holding an element (role queries on rows name them by all their text, which is slow). */
function rowOf(element: HTMLElement): HTMLElement {
  return element.closest('tr') as HTMLElement;
}

describe('Admin audit log', () => {
  it('lists changes newest first: when, who, what, and the fields that changed', async () => {
    const { user, calls } = renderApp({ path: '/admin/audit', token: 't', server: auditServer() });

    expect(await screen.findByRole('link', { name: 'Audit log' })).toHaveAttribute('aria-current', 'page');
    const table = await screen.findByRole('table', { name: /Changes, newest first/ });
    expect(table).toHaveTextContent('(times in Asia/Kolkata)');
    const premium = rowOf(within(table).getByText('mentors.update'));
    expect(
      within(premium)
        .getAllByRole('cell')
        .slice(0, 4)
        .map((cell) => cell.textContent),
    ).toEqual(['Sat 28 Nov, 15:30 (Asia/Kolkata)', 'Admin (account #1)', 'mentors.update', 'Mentor #2']);
    // Only what changed, each as before → after; unchanged fields (name, areas) are left out.
    expect(
      within(premium)
        .getAllByRole('listitem')
        .map((item) => item.textContent),
    ).toEqual(['is_premium: false → true', 'headline: none → "Ex-analyst"']);

    // The whole record is there on request, with the request id to find it in the logs.
    const fullRecord = within(premium).getByText(/^Full record/);
    const json = within(premium).getByText(/"headline": "Ex-analyst"/);
    expect(json).not.toBeVisible();
    await user.click(fullRecord);
    expect(json).toBeVisible();
    expect(premium).toHaveTextContent('0b0c5f6e-3f4b-4d8e-9a51-6a1f4c2d7e90');

    const added = rowOf(within(table).getByText('webhooks.create'));
    expect(added).toHaveTextContent('Operator token (ADMIN_TOKEN)');
    expect(added).toHaveTextContent('Webhook endpoint #5');
    expect(added).toHaveTextContent('Created');
    expect(listInputs(calls)).toEqual([{ limit: 25 }]);

    // The third entry is on the next page.
    expect(table).not.toHaveTextContent('students.erase');
    await user.click(screen.getByRole('button', { name: 'Load more changes' }));
    const erased = rowOf(await within(table).findByText('students.erase'));
    expect(erased).toHaveTextContent('Student (account #7)');
    expect(erased).toHaveTextContent('Student #4');
    // Instants in the table's zone, as every time in the app.
    expect(erased).toHaveTextContent('erased_at: none → Fri 27 Nov, 00:15');
    expect(within(table).getAllByRole('row')).toHaveLength(4);
    expect(listInputs(calls)).toEqual([{ limit: 25 }, { limit: 25, cursor: 'after-2' }]);
    expect(screen.queryByRole('button', { name: 'Load more changes' })).toBeNull();
  });

  it('sends the filters chosen, and clears them', async () => {
    const { user, calls, router } = renderApp({ path: '/admin/audit', token: 't', server: auditServer() });
    await screen.findByRole('table', { name: /Changes, newest first/ });

    await user.selectOptions(screen.getByLabelText('Target type'), 'Student');
    expect(await screen.findByRole('table', { name: /Matching changes/ })).toHaveTextContent(
      'students.erase',
    );
    expect(listInputs(calls).at(-1)).toEqual({ limit: 25, target_type: 'student' });

    // A target id that is not a number is explained, not sent.
    const targetId = screen.getByLabelText('Target id');
    await fill(user, targetId, 'four');
    await user.click(screen.getByRole('button', { name: 'Filter' }));
    expect(targetId).toHaveAccessibleDescription(/Enter a whole number, like 12, or leave it empty\./);
    expect(listInputs(calls)).toHaveLength(2);

    await user.clear(targetId);
    await fill(user, targetId, '4');
    await fill(user, screen.getByLabelText('Operation'), 'students.erase');
    await user.keyboard('{Enter}');
    await waitFor(() =>
      expect(listInputs(calls).at(-1)).toEqual({
        limit: 25,
        operation: 'students.erase',
        target_type: 'student',
        target_id: 4,
      }),
    );
    expect(new URLSearchParams(router.state.location.search).get('target_id')).toBe('4');
    expect(targetId).not.toHaveAttribute('aria-invalid');

    await user.clear(screen.getByLabelText('Operation'));
    await fill(user, screen.getByLabelText('Operation'), 'mentors.update');
    await user.keyboard('{Enter}');
    expect(await screen.findByText('No changes match these filters')).toBeVisible();

    await user.click(screen.getByRole('button', { name: 'Clear filters' }));
    // Every change again (from the cache: the unfiltered log was read moments ago).
    const all = await screen.findByRole('table', { name: /^Changes, newest first/ });
    expect(all).toHaveTextContent('mentors.update');
    expect(all).toHaveTextContent('webhooks.create');
    expect(screen.getByLabelText('Operation')).toHaveValue('');
    expect(router.state.location.search).toBe('');
  });

  it('explains a failure in words, with a way to try again', async () => {
    let failing = true;
    const { user } = renderApp({
      path: '/admin/audit',
      token: 't',
      server: auditServer(() => (failing ? { problem: 'internal_error' } : null)),
    });

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(errorSentences.internal_error.message);
    expect(alert).toHaveTextContent(errorSentences.internal_error.next);
    failing = false;
    await user.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('table', { name: /Changes, newest first/ })).toHaveTextContent(
      'mentors.update',
    );
  });
});
