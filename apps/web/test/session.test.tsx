import { screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { errorSentences } from '../src/errors.js';
import { tokenStorageKey } from '../src/session.js';
import { account, type FakeServer, renderApp, unexpectedCall } from './harness.js';

describe('The session', () => {
  it('sends the stored token and opens the start page of the role', async () => {
    const server: FakeServer = (call) =>
      call.path === 'auth.me' && call.token === 'mentor-token'
        ? { data: account('mentor', 'rohan.mehta@mentors.example.com') }
        : unexpectedCall(call);
    const { router } = renderApp({ path: '/', token: 'mentor-token', server });

    expect(await screen.findByRole('heading', { level: 1, name: 'My calendar' })).toBeVisible();
    expect(router.state.location.pathname).toBe('/mentor/calendar');
    expect(screen.getByRole('link', { name: 'Availability' })).toHaveAttribute(
      'href',
      '/mentor/availability',
    );
  });

  it('signs out when the server no longer accepts the token', async () => {
    const server: FakeServer = (call) =>
      call.path === 'auth.me' ? { problem: 'unauthenticated' } : unexpectedCall(call);
    const { router, calls } = renderApp({ path: '/sessions', token: 'expired-token', server });

    expect(await screen.findByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
    expect(router.state.location.pathname).toBe('/login');
    expect(localStorage.getItem(tokenStorageKey)).toBeNull();
    // Refused calls are not retried: one question, one answer.
    expect(calls.map((call) => call.path)).toEqual(['auth.me']);
  });

  it('tells a person of another role whose page this is', async () => {
    const server: FakeServer = (call) =>
      call.path === 'auth.me'
        ? { data: account('student', 'aarav.sharma@example.com') }
        : unexpectedCall(call);
    renderApp({ path: '/admin', token: 'student-token', server });

    expect(
      await screen.findByRole('heading', { level: 1, name: 'This page is not for your account' }),
    ).toBeVisible();
    expect(screen.getByText(/This page is for admins/)).toHaveTextContent('a student');
    expect(screen.getByRole('link', { name: 'Go to your start page' })).toHaveAttribute('href', '/book');
  });

  it('revokes the token on sign out, forgets it, and goes to sign in', async () => {
    const server: FakeServer = (call) => {
      if (call.path === 'auth.me') return { data: account('admin', 'admin@example.com') };
      if (call.path === 'auth.logout') return { data: { revoked: true } };
      return unexpectedCall(call);
    };
    const { user, router, calls } = renderApp({ path: '/admin', token: 'admin-token', server });
    await user.click(await screen.findByRole('button', { name: 'Sign out' }));

    await waitFor(() => expect(router.state.location.pathname).toBe('/login'));
    expect(calls.find((call) => call.path === 'auth.logout')).toEqual({
      path: 'auth.logout',
      input: undefined,
      token: 'admin-token',
    });
    expect(localStorage.getItem(tokenStorageKey)).toBeNull();
    expect(screen.queryByRole('button', { name: 'Sign out' })).toBeNull();
    expect(screen.getByRole('link', { name: 'Register' })).toBeVisible();
  });

  it('shows a problem reading the account as a sentence with a way to try again', async () => {
    let attempts = 0;
    const server: FakeServer = (call) => {
      if (call.path !== 'auth.me') return unexpectedCall(call);
      attempts += 1;
      return attempts === 1 ? { problem: 'internal_error' } : { data: account('admin', 'admin@example.com') };
    };
    const { user } = renderApp({ path: '/admin', token: 'admin-token', server });

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(errorSentences.internal_error.message);
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
  });
});
