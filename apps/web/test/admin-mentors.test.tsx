import type { RouterOutputs } from '@mentor-scheduling/client';
import { configure, screen, waitFor, within } from '@testing-library/react';
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

type Mentor = RouterOutputs['mentors']['list']['items'][number];

function mentor(id: number, name: string, changes: Partial<Mentor> = {}): Mentor {
  return {
    id,
    name,
    headline: null,
    areas_of_expertise: ['Equity Research'],
    is_premium: false,
    timezone: 'Asia/Kolkata',
    buffer_minutes: 0,
    max_sessions_per_day: null,
    availability: [],
    ...changes,
  };
}

const areas = ['Consulting', 'Equity Research', 'Product Management'].map((name, index) => ({
  id: index + 1,
  name,
  slug: name.toLowerCase().replace(' ', '-'),
  mentor_count: 1,
}));

/** An admin's server over a list of mentors that creates and changes them as the real one would. */
function mentorsServer(
  list: Mentor[],
  extra: (call: FakeCall) => FakeAnswer | null = () => null,
): (call: FakeCall) => FakeAnswer {
  return (call) => {
    const answered = extra(call);
    if (answered) return answered;
    const input = (call.input ?? {}) as Record<string, unknown>;
    switch (call.path) {
      case 'auth.me':
        return { data: account('admin', 'admin@example.com') };
      case 'reports.dashboard':
        return { data: { timezone: 'Asia/Kolkata' } };
      case 'areas.list':
        return { data: areas };
      case 'mentors.list':
        return input.cursor === 'next'
          ? { data: { items: list.slice(2), nextCursor: null } }
          : { data: { items: list.slice(0, 2), nextCursor: list.length > 2 ? 'next' : null } };
      case 'mentors.create': {
        const created = mentor(list.length + 10, String(input.name), input as Partial<Mentor>);
        list.push(created);
        return { data: created };
      }
      case 'mentors.update': {
        const index = list.findIndex((one) => one.id === input.id);
        const current = list[index];
        if (!current) return { problem: 'not_found' };
        const changed = { ...current, ...(input as Partial<Mentor>) };
        list[index] = changed;
        return { data: changed };
      }
      default:
        return unexpectedCall(call);
    }
  };
}

function inputsOf(calls: FakeCall[], path: string) {
  return calls.filter((call) => call.path === path).map((call) => call.input);
}

describe('Admin mentors', () => {
  it('lists mentors with their areas, tier and zone, a page at a time', async () => {
    const list = [
      mentor(2, 'Rohan Mehta', {
        headline: 'Equity research lead',
        buffer_minutes: 15,
        max_sessions_per_day: 4,
      }),
      mentor(3, 'Priya Iyer', { is_premium: true, areas_of_expertise: ['Consulting', 'Strategy'] }),
      mentor(4, 'Kabir Singh', { timezone: 'Europe/London' }),
    ];
    const { user, calls } = renderApp({ path: '/admin/mentors', token: 't', server: mentorsServer(list) });

    const table = await screen.findByRole('table', { name: 'Mentors, page 1' });
    const rohan = rowOf(within(table).getByText(/Rohan Mehta/, { selector: 'th' }));
    expect(
      within(rohan)
        .getAllByRole('cell')
        .map((cell) => cell.textContent),
    ).toEqual(['Equity Research', 'Standard', 'Asia/Kolkata', '15 min', '4', 'Edit Rohan Mehta']);
    expect(rohan).toHaveTextContent('Equity research lead');
    const priya = rowOf(within(table).getByText(/Priya Iyer/, { selector: 'th' }));
    expect(priya).toHaveTextContent('Consulting, Strategy');
    expect(priya).toHaveTextContent('Premium');
    expect(priya).toHaveTextContent('No limit');

    await user.click(screen.getByRole('button', { name: 'Next page' }));
    expect(await screen.findByRole('table', { name: 'Mentors, page 2' })).toHaveTextContent('Europe/London');
    expect(inputsOf(calls, 'mentors.list')).toEqual([{ limit: 50 }, { limit: 50, cursor: 'next' }]);
  });

  it('adds a mentor checked against the contract, then creates their login', async () => {
    const list = [mentor(2, 'Rohan Mehta')];
    const { user, calls } = renderApp({
      path: '/admin/mentors',
      token: 't',
      server: mentorsServer(list, (call) =>
        call.path === 'auth.createAccount'
          ? {
              data: {
                ...account('mentor', (call.input as { email: string }).email),
                mentor_id: 12,
              },
            }
          : null,
      ),
    });

    await user.click(await screen.findByRole('button', { name: 'Add mentor' }));
    expect(await screen.findByRole('heading', { level: 2, name: 'Add a mentor' })).toHaveFocus();
    await screen.findByLabelText('Consulting');

    // Nothing is sent until the form holds a mentor the contract accepts.
    await user.click(screen.getByRole('button', { name: 'Save mentor' }));
    await waitFor(() => expect(screen.getByLabelText('Name')).toHaveAccessibleDescription('Fill this in.'));
    expect(screen.getByRole('group', { name: 'Areas' })).toHaveAccessibleDescription(
      'Choose at least one area.',
    );
    expect(inputsOf(calls, 'mentors.create')).toEqual([]);

    await fill(user, screen.getByLabelText('Name'), 'Zoya Khan');
    await fill(user, screen.getByLabelText('Headline'), 'Strategy director');
    await user.click(screen.getByLabelText('Consulting'));
    await user.click(screen.getByLabelText('Product Management'));
    await user.click(screen.getByLabelText('Premium'));
    await user.clear(screen.getByLabelText('Most sessions a day'));
    await fill(user, screen.getByLabelText('Most sessions a day'), '4');
    await user.click(screen.getByRole('button', { name: 'Save mentor' }));

    expect(await screen.findByRole('heading', { level: 2, name: 'Zoya Khan is added' })).toBeVisible();
    expect(inputsOf(calls, 'mentors.create')).toEqual([
      {
        name: 'Zoya Khan',
        headline: 'Strategy director',
        areas_of_expertise: ['Consulting', 'Product Management'],
        is_premium: true,
        timezone: 'Asia/Kolkata',
        buffer_minutes: 0,
        max_sessions_per_day: 4,
      },
    ]);
    // The new mentor is in the table once it is read again.
    expect(rowOf(await screen.findByText(/Zoya Khan/, { selector: 'th' }))).toHaveTextContent('Premium');

    await fill(user, screen.getByLabelText('Email'), 'zoya.khan@mentors.example.com');
    await fill(user, screen.getByLabelText('Password'), 'a long first password');
    await user.click(screen.getByRole('button', { name: 'Create login' }));
    expect(
      await screen.findByText('Zoya Khan can now sign in as zoya.khan@mentors.example.com.'),
    ).toBeVisible();
    expect(inputsOf(calls, 'auth.createAccount')).toEqual([
      {
        email: 'zoya.khan@mentors.example.com',
        password: 'a long first password',
        role: 'mentor',
        mentor_id: list[1]?.id,
      },
    ]);
  });

  it('edits a mentor: premium, zone, buffer and daily limit', async () => {
    const list = [mentor(2, 'Rohan Mehta', { max_sessions_per_day: 4 }), mentor(3, 'Priya Iyer')];
    const { user, calls } = renderApp({ path: '/admin/mentors', token: 't', server: mentorsServer(list) });

    await user.click(await screen.findByRole('button', { name: 'Edit Rohan Mehta' }));
    expect(await screen.findByRole('heading', { level: 2, name: 'Edit Rohan Mehta' })).toHaveFocus();
    expect(screen.getByLabelText('Name')).toHaveValue('Rohan Mehta');
    expect(await screen.findByLabelText('Equity Research')).toBeChecked();
    expect(screen.getByLabelText('Most sessions a day')).toHaveValue(4);

    await user.click(screen.getByLabelText('Premium'));
    await user.selectOptions(screen.getByLabelText('Time zone'), 'Europe/London');
    await user.clear(screen.getByLabelText('Buffer between sessions (minutes)'));
    await fill(user, screen.getByLabelText('Buffer between sessions (minutes)'), '15');
    await user.clear(screen.getByLabelText('Most sessions a day'));
    await user.click(screen.getByRole('button', { name: 'Save mentor' }));

    expect(await screen.findByText('Changes to Rohan Mehta saved.')).toBeVisible();
    expect(inputsOf(calls, 'mentors.update')).toEqual([
      {
        id: 2,
        name: 'Rohan Mehta',
        headline: null,
        areas_of_expertise: ['Equity Research'],
        is_premium: true,
        timezone: 'Europe/London',
        buffer_minutes: 15,
        max_sessions_per_day: null,
      },
    ]);
    const row = rowOf(await screen.findByText(/Rohan Mehta/, { selector: 'th' }));
    await waitFor(() => expect(row).toHaveTextContent('Premium'));
    expect(row).toHaveTextContent('Europe/London');
    expect(row).toHaveTextContent('No limit');
  });

  it('explains refusals in words: an unknown area, an email already taken', async () => {
    const list = [mentor(2, 'Rohan Mehta')];
    const { user } = renderApp({
      path: '/admin/mentors',
      token: 't',
      server: mentorsServer(list, (call) => {
        if (call.path === 'mentors.update') return { problem: 'unknown_area' };
        if (call.path === 'auth.createAccount') return { problem: 'email_taken' };
        return null;
      }),
    });

    await user.click(await screen.findByRole('button', { name: 'Edit Rohan Mehta' }));
    await screen.findByLabelText('Equity Research');
    await user.click(screen.getByRole('button', { name: 'Save mentor' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(errorSentences.unknown_area.message);

    await user.click(screen.getByRole('button', { name: 'Create a login for Rohan Mehta' }));
    await fill(user, screen.getByLabelText('Email'), 'rohan.mehta@mentors.example.com');
    await fill(user, screen.getByLabelText('Password'), 'a long first password');
    await user.click(screen.getByRole('button', { name: 'Create login' }));
    await waitFor(() =>
      expect(screen.getAllByRole('alert').map((alert) => alert.textContent)).toContainEqual(
        expect.stringContaining(errorSentences.email_taken.next),
      ),
    );
  });
});
