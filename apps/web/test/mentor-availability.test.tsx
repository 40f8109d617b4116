import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { errorSentences } from '../src/errors.js';
import { account, type FakeCall, type FakeServer, renderApp, unexpectedCall } from './harness.js';

const mentorEmail = 'rohan.mehta@mentors.example.com';

const storedAvailability = {
  mentor_id: 1,
  timezone: 'Asia/Kolkata',
  weekly: [
    { day: 'mon', start: '09:00', end: '12:00' },
    { day: 'mon', start: '14:00', end: '17:00' },
    { day: 'fri', start: '20:00', end: '24:00' },
  ],
  overrides: [{ date: '2026-12-25', windows: [] }],
};

/** The server's availability: what was last saved, or a refusal chosen by the test. */
function availabilityServer(
  refuse: (input: Record<string, unknown>) => ReturnType<FakeServer> | undefined = () => undefined,
  outside: number[] = [],
): FakeServer {
  let stored: Record<string, unknown> = storedAvailability;
  return (call: FakeCall) => {
    switch (call.path) {
      case 'auth.me':
        return { data: account('mentor', mentorEmail) };
      case 'mentors.availability':
        return { data: stored };
      case 'mentors.setAvailability': {
        const input = call.input as Record<string, unknown>;
        const refusal = refuse(input);
        if (refusal) return refusal;
        const { id: _id, ...rules } = input;
        stored = { mentor_id: 1, timezone: 'Asia/Kolkata', ...rules };
        return { data: { ...stored, bookings_outside_availability: outside } };
      }
      default:
        return unexpectedCall(call);
    }
  };
}

function saves(calls: FakeCall[]) {
  return calls.filter((call) => call.path === 'mentors.setAvailability').map((call) => call.input);
}

async function openEditor(server: FakeServer) {
  const view = renderApp({ path: '/mentor/availability', token: 't', server });
  expect(await screen.findByRole('heading', { level: 1, name: 'Weekly availability' })).toBeVisible();
  await screen.findByRole('group', { name: 'Monday' });
  return view;
}

/** Sets a time input the way a browser's time picker does: one change to a whole value. */
function setTime(input: HTMLElement, value: string) {
  fireEvent.change(input, { target: { value } });
}

describe('Mentor availability', () => {
  it('shows each weekday’s windows in the mentor’s zone, and saves a new Saturday window', async () => {
    const { user, calls, queryClient } = await openEditor(availabilityServer());
    // A query of open times cached earlier, e.g. by the calendar page.
    const slotsKey = [['mentors', 'slots'], { input: { id: 1, duration: 30 }, type: 'query' }];
    queryClient.setQueryData(slotsKey, { slots: [] });

    expect(screen.getByText(/All times are in your time zone,/)).toHaveTextContent(
      'Asia/Kolkata (UTC+05:30)',
    );
    const monday = screen.getByRole('group', { name: 'Monday' });
    expect(
      within(monday)
        .getAllByLabelText('Start')
        .map((input) => (input as HTMLInputElement).value),
    ).toEqual(['09:00', '14:00']);
    expect(
      within(monday)
        .getAllByLabelText('End')
        .map((input) => (input as HTMLInputElement).value),
    ).toEqual(['12:00', '17:00']);
    // A window ending at midnight reads 00:00, which a time input can hold.
    expect(within(screen.getByRole('group', { name: 'Friday' })).getByLabelText('End')).toHaveValue('00:00');
    expect(within(screen.getByRole('group', { name: 'Sunday' })).getByText('Not available')).toBeVisible();
    expect(screen.getByRole('group', { name: 'Day off, Friday 25 December 2026' })).toBeVisible();

    const saturday = screen.getByRole('group', { name: 'Saturday' });
    await user.click(within(saturday).getByRole('button', { name: 'Add window' }));
    expect(within(saturday).getByLabelText('Start')).toHaveFocus();
    setTime(within(saturday).getByLabelText('Start'), '10:00');
    setTime(within(saturday).getByLabelText('End'), '13:30');
    await user.click(screen.getByRole('button', { name: 'Save availability' }));

    expect(await screen.findByRole('status')).toHaveTextContent('Availability saved');
    expect(saves(calls)).toEqual([
      {
        id: 1,
        weekly: [
          { day: 'mon', start: '09:00', end: '12:00' },
          { day: 'mon', start: '14:00', end: '17:00' },
          { day: 'fri', start: '20:00', end: '24:00' },
          { day: 'sat', start: '10:00', end: '13:30' },
        ],
        overrides: [{ date: '2026-12-25', windows: [] }],
      },
    ]);
    expect(queryClient.getQueryState(slotsKey)?.isInvalidated).toBe(true);
  });

  it('removes a window, moving focus to the day’s "Add window"', async () => {
    const { user, calls } = await openEditor(availabilityServer());
    const friday = screen.getByRole('group', { name: 'Friday' });
    await user.click(within(friday).getByRole('button', { name: 'Remove window' }));

    expect(within(friday).getByText('Not available')).toBeVisible();
    expect(within(friday).getByRole('button', { name: 'Add window' })).toHaveFocus();
    await user.click(screen.getByRole('button', { name: 'Save availability' }));
    await screen.findByText(/Availability saved/);
    expect(saves(calls)).toEqual([
      {
        id: 1,
        weekly: [
          { day: 'mon', start: '09:00', end: '12:00' },
          { day: 'mon', start: '14:00', end: '17:00' },
        ],
        overrides: [{ date: '2026-12-25', windows: [] }],
      },
    ]);
  });

  it('adds a date with other hours, and does not send a date change without its date', async () => {
    const { user, calls } = await openEditor(availabilityServer());
    await user.click(screen.getByRole('button', { name: 'Add extra hours' }));
    await user.click(screen.getByRole('button', { name: 'Save availability' }));

    const group = screen.getByRole('group', { name: 'Changed hours' });
    const date = within(group).getByLabelText('Date');
    await waitFor(() => expect(date).toHaveAccessibleDescription('Fill this in.'));
    expect(date).toHaveFocus();
    expect(saves(calls)).toEqual([]);

    fireEvent.change(date, { target: { value: '2026-12-31' } });
    expect(screen.getByRole('group', { name: 'Changed hours, Thursday 31 December 2026' })).toBeVisible();
    await user.click(screen.getByRole('button', { name: 'Save availability' }));
    await screen.findByText(/Availability saved/);
    expect(saves(calls)).toEqual([
      expect.objectContaining({
        overrides: [
          { date: '2026-12-25', windows: [] },
          { date: '2026-12-31', windows: [{ start: '09:00', end: '17:00' }] },
        ],
      }),
    ]);
  });

  it('shows the problems the server found on the windows they concern, in plain words', async () => {
    const server = availabilityServer(() => ({
      problem: 'invalid_request',
      errors: [
        { path: '/weekly/0/end', message: 'must be later than start' },
        { path: '/weekly/1', message: 'overlaps /weekly/0' },
      ],
    }));
    const { user } = await openEditor(server);
    const monday = screen.getByRole('group', { name: 'Monday' });
    setTime(within(monday).getAllByLabelText('End')[0] as HTMLElement, '08:00');
    await user.click(screen.getByRole('button', { name: 'Save availability' }));

    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Fix the times marked below, then save again.',
    );
    const [firstEnd] = within(monday).getAllByLabelText('End');
    const [, secondStart] = within(monday).getAllByLabelText('Start');
    expect(firstEnd).toHaveAccessibleDescription('End must be later than start.');
    expect(firstEnd).toHaveFocus();
    expect(secondStart).toHaveAccessibleDescription('This window overlaps another one on the same day.');
    expect(screen.queryByText(/Availability saved/)).toBeNull();
  });

  it('says a refusal without fields in words, and warns about sessions the new hours leave out', async () => {
    let refuse = true;
    const server = availabilityServer(
      () => (refuse ? { problem: 'storage_unavailable' } : undefined),
      [5, 6],
    );
    const { user } = await openEditor(server);
    await user.click(screen.getByRole('button', { name: 'Save availability' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(errorSentences.storage_unavailable.message);
    expect(alert).toHaveTextContent(errorSentences.storage_unavailable.next);

    refuse = false;
    await user.click(screen.getByRole('button', { name: 'Save availability' }));
    const status = await screen.findByRole('status');
    await waitFor(() => expect(status).toHaveTextContent('Availability saved'));
    expect(status).toHaveTextContent('2 upcoming sessions are outside your new hours. They are kept;');
    expect(within(status).getByRole('link', { name: 'cancel from your calendar' })).toHaveAttribute(
      'href',
      '/mentor/calendar',
    );
    expect(screen.queryByRole('alert')).toBeNull();
  });
});
