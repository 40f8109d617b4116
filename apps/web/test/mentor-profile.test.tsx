import { screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { errorSentences } from '../src/errors.js';
import { account, type FakeCall, type FakeServer, fill, renderApp, unexpectedCall } from './harness.js';

const mentorEmail = 'rohan.mehta@mentors.example.com';

const mentorRecord = {
  id: 1,
  name: 'Rohan Mehta',
  headline: 'Equity research lead',
  areas_of_expertise: ['Equity Research', 'Corporate Finance'],
  is_premium: true,
  timezone: 'Asia/Kolkata',
  buffer_minutes: 15,
  max_sessions_per_day: 4,
  availability: [],
};

function profileServer(refuse: () => ReturnType<FakeServer> | undefined = () => undefined): FakeServer {
  let stored = mentorRecord;
  return (call: FakeCall) => {
    switch (call.path) {
      case 'auth.me':
        return { data: account('mentor', mentorEmail) };
      case 'mentors.get':
        return { data: stored };
      case 'mentors.update': {
        const refusal = refuse();
        if (refusal) return refusal;
        const { id: _id, ...changes } = call.input as Record<string, unknown>;
        stored = { ...stored, ...changes };
        return { data: stored };
      }
      default:
        return unexpectedCall(call);
    }
  };
}

function updates(calls: FakeCall[]) {
  return calls.filter((call) => call.path === 'mentors.update').map((call) => call.input);
}

async function openProfile(server: FakeServer) {
  const view = renderApp({ path: '/mentor/profile', token: 't', server });
  expect(await screen.findByRole('heading', { level: 1, name: 'Profile' })).toBeVisible();
  await screen.findByLabelText('Headline');
  return view;
}

describe('Mentor profile', () => {
  it('shows only what a mentor may change, and saves it', async () => {
    const { user, calls } = await openProfile(profileServer());
    expect(screen.getByLabelText('Headline')).toHaveValue('Equity research lead');
    expect(screen.getByLabelText('Buffer between sessions (minutes)')).toHaveValue(15);
    expect(screen.getByLabelText('Most sessions a day')).toHaveValue(4);
    expect(screen.getByLabelText('Time zone')).toHaveValue('Asia/Kolkata');
    // Tier and areas are the platform's to set: shown, not editable.
    expect(screen.queryByLabelText(/Premium/)).toBeNull();
    expect(screen.queryByLabelText(/Areas/)).toBeNull();
    expect(
      screen.getByText(/Set by an admin: areas Equity Research, Corporate Finance; premium mentor\./),
    ).toBeVisible();

    const headline = screen.getByLabelText('Headline');
    await user.clear(headline);
    await fill(user, headline, 'Sell-side analyst, ten years');
    const buffer = screen.getByLabelText('Buffer between sessions (minutes)');
    await user.clear(buffer);
    await fill(user, buffer, '30');
    await user.clear(screen.getByLabelText('Most sessions a day'));
    await user.selectOptions(screen.getByLabelText('Time zone'), 'Europe/London');
    await user.click(screen.getByRole('button', { name: 'Save profile' }));

    expect(await screen.findByRole('status')).toHaveTextContent('Profile saved');
    expect(updates(calls)).toEqual([
      {
        id: 1,
        name: 'Rohan Mehta',
        headline: 'Sell-side analyst, ten years',
        timezone: 'Europe/London',
        buffer_minutes: 30,
        max_sessions_per_day: null,
      },
    ]);
    expect(screen.getByLabelText('Most sessions a day')).toHaveValue(null);
  });

  it('says in plain words what is wrong before sending anything', async () => {
    const { user, calls } = await openProfile(profileServer());
    const buffer = screen.getByLabelText('Buffer between sessions (minutes)');
    await user.clear(buffer);
    await fill(user, buffer, '500');
    const limit = screen.getByLabelText('Most sessions a day');
    await user.clear(limit);
    await fill(user, limit, '0');
    await user.clear(screen.getByLabelText('Name'));
    await user.click(screen.getByRole('button', { name: 'Save profile' }));

    await waitFor(() => expect(buffer).toHaveAccessibleDescription(/Use a number of at most 120\./));
    expect(limit).toHaveAccessibleDescription(/Use a number of at least 1\./);
    expect(screen.getByLabelText('Name')).toHaveAccessibleDescription('Fill this in.');
    expect(updates(calls)).toEqual([]);
  });

  it('explains a refusal from the server', async () => {
    const { user } = await openProfile(profileServer(() => ({ problem: 'forbidden' })));
    await user.click(screen.getByRole('button', { name: 'Save profile' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(errorSentences.forbidden.message);
    expect(alert).toHaveTextContent(errorSentences.forbidden.next);
    expect(screen.queryByText('Profile saved')).toBeNull();
  });
});
