import { screen, within } from '@testing-library/react';
import axe from 'axe-core';
import { describe, expect, it } from 'vitest';
import { errorSentences } from '../src/errors.js';
import { tokenStorageKey } from '../src/session.js';
import { account, type FakeServer, fill, renderApp, unexpectedCall } from './harness.js';

const areas = [
  { id: 1, name: 'Consulting', slug: 'consulting', mentor_count: 2 },
  { id: 2, name: 'Equity Research', slug: 'equity-research', mentor_count: 1 },
];

function registrationServer(taken: string[]): FakeServer {
  return (call) => {
    if (call.path === 'areas.list') return { data: areas };
    if (call.path !== 'auth.register') return unexpectedCall(call);
    const input = call.input as { email: string };
    if (taken.includes(input.email)) return { problem: 'email_taken' };
    return {
      data: {
        token: 'new-student-token',
        token_type: 'Bearer',
        expires_at: '2027-01-01T00:00:00.000Z',
        account: account('student', input.email),
      },
    };
  };
}

describe('Register', () => {
  it('creates a student with their area and zone, and signs them in', async () => {
    const { user, calls, router } = renderApp({ path: '/register', server: registrationServer([]) });
    await fill(user, await screen.findByLabelText('Name'), 'Ira Bhat');
    await fill(user, screen.getByLabelText('Email'), 'ira.bhat@example.com');
    await fill(user, screen.getByLabelText('Password'), 'chai at the ghat, 6 am');
    const area = screen.getByLabelText('Area you are preparing for (optional)');
    await within(area).findByRole('option', { name: 'Equity Research' });
    await user.selectOptions(area, 'Equity Research');
    await user.selectOptions(screen.getByLabelText('Your time zone'), 'Europe/London');
    await user.click(screen.getByRole('button', { name: 'Create account' }));

    expect(await screen.findByRole('heading', { level: 1, name: 'Book a session' })).toBeVisible();
    expect(router.state.location.pathname).toBe('/book');
    expect(localStorage.getItem(tokenStorageKey)).toBe('new-student-token');
    expect(calls.find((call) => call.path === 'auth.register')?.input).toEqual({
      name: 'Ira Bhat',
      email: 'ira.bhat@example.com',
      password: 'chai at the ghat, 6 am',
      area_of_interest: 'Equity Research',
      timezone: 'Europe/London',
    });
  });

  it('checks the password by the contract’s rules before sending', async () => {
    const { user, calls } = renderApp({ path: '/register', server: registrationServer([]) });
    await fill(user, await screen.findByLabelText('Name'), 'Ira Bhat');
    await fill(user, screen.getByLabelText('Email'), 'ira.bhat@example.com');
    await fill(user, screen.getByLabelText('Password'), 'password123');
    await user.click(screen.getByRole('button', { name: 'Create account' }));

    expect(await screen.findByText(/among the most common ones/)).toBeVisible();
    expect(screen.getByLabelText('Password')).toHaveAttribute('aria-invalid', 'true');
    expect(calls.map((call) => call.path)).not.toContain('auth.register');
  });

  it('says when the email already has an account, and what to do', async () => {
    const { user } = renderApp({
      path: '/register',
      server: registrationServer(['aarav.sharma@example.com']),
    });
    await fill(user, await screen.findByLabelText('Name'), 'Aarav Sharma');
    await fill(user, screen.getByLabelText('Email'), 'aarav.sharma@example.com');
    await fill(user, screen.getByLabelText('Password'), 'chai at the ghat, 6 am');
    await user.click(screen.getByRole('button', { name: 'Create account' }));

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(errorSentences.email_taken.message);
    expect(alert).toHaveTextContent('Sign in instead, or use another email.');
    expect(localStorage.getItem(tokenStorageKey)).toBeNull();
  });

  it('has no accessibility violations axe can find without a browser', async () => {
    const { container } = renderApp({ path: '/register', server: registrationServer([]) });
    await screen.findByRole('option', { name: 'Consulting' });
    // Colour contrast needs real layout; the end-to-end suite checks it in Chromium.
    const results = await axe.run(container, { rules: { 'color-contrast': { enabled: false } } });
    expect(results.violations.map((violation) => `${violation.id}: ${violation.help}`)).toEqual([]);
  });
});
