import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { errorSentences } from '../src/errors.js';
import { tokenStorageKey } from '../src/session.js';
import { account, type FakeServer, fill, renderApp, unexpectedCall } from './harness.js';

const studentEmail = 'aarav.sharma@example.com';

/** The server's login: one right password, everything else refused as the real one refuses it. */
const loginServer: FakeServer = (call) => {
  if (call.path !== 'auth.login') return unexpectedCall(call);
  const { email, password } = call.input as { email: string; password: string };
  if (password !== 'demo-password') return { problem: 'invalid_credentials' };
  const role = email.startsWith('admin') ? 'admin' : 'student';
  return {
    data: {
      token: `token-of-${role}`,
      token_type: 'Bearer',
      expires_at: '2027-01-01T00:00:00.000Z',
      account: account(role, email),
    },
  };
};

describe('Sign in', () => {
  it('says what is missing and sends nothing when the form is empty', async () => {
    const { user, calls } = renderApp({ path: '/login', server: loginServer });
    await user.click(await screen.findByRole('button', { name: 'Sign in' }));

    const email = screen.getByLabelText('Email');
    const password = screen.getByLabelText('Password');
    await waitFor(() => expect(email).toHaveAttribute('aria-invalid', 'true'));
    expect(email).toHaveAccessibleDescription('Fill this in.');
    expect(password).toHaveAccessibleDescription('Fill this in.');
    expect(email).toHaveFocus();
    expect(calls).toEqual([]);
  });

  it('asks for an email address when the email is not one', async () => {
    const { user, calls } = renderApp({ path: '/login', server: loginServer });
    await fill(user, await screen.findByLabelText('Email'), 'aarav at example');
    await fill(user, screen.getByLabelText('Password'), 'demo-password');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByText('Enter an email address, like name@example.com.')).toBeVisible();
    expect(screen.getByLabelText('Password')).not.toHaveAttribute('aria-invalid');
    expect(calls).toEqual([]);
  });

  it('explains a wrong password in words and what to do next', async () => {
    const { user, calls } = renderApp({ path: '/login', server: loginServer });
    await fill(user, await screen.findByLabelText('Email'), studentEmail);
    await fill(user, screen.getByLabelText('Password'), 'not-the-password');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(errorSentences.invalid_credentials.message);
    expect(alert).toHaveTextContent(errorSentences.invalid_credentials.next);
    expect(calls).toEqual([
      { path: 'auth.login', input: { email: studentEmail, password: 'not-the-password' }, token: null },
    ]);
    expect(localStorage.getItem(tokenStorageKey)).toBeNull();
  });

  it('signs a student in and opens their start page with their links', async () => {
    const { user, router } = renderApp({ path: '/login', server: loginServer });
    await fill(user, await screen.findByLabelText('Email'), studentEmail);
    await fill(user, screen.getByLabelText('Password'), 'demo-password');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByRole('heading', { level: 1, name: 'Book a session' })).toBeVisible();
    expect(router.state.location.pathname).toBe('/book');
    expect(localStorage.getItem(tokenStorageKey)).toBe('token-of-student');
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(within(nav).getByRole('link', { name: 'My sessions' })).toHaveAttribute('href', '/sessions');
    expect(within(nav).queryByRole('link', { name: 'Dashboard' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Sign out' })).toBeVisible();
  });

  it('brings a person who was sent to sign in back to the page they asked for', async () => {
    const { user, router } = renderApp({ path: '/admin/bookings?status=confirmed', server: loginServer });
    await screen.findByRole('heading', { level: 1, name: 'Sign in' });
    expect(router.state.location.pathname).toBe('/login');

    await fill(user, screen.getByLabelText('Email'), 'admin@example.com');
    await fill(user, screen.getByLabelText('Password'), 'demo-password');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByRole('heading', { level: 1, name: 'Bookings' })).toBeVisible();
    expect(`${router.state.location.pathname}${router.state.location.search}`).toBe(
      '/admin/bookings?status=confirmed',
    );
  });
});
