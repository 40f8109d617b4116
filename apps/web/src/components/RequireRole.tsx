import { Link, Navigate, Outlet, useLocation } from 'react-router';
import { type Role, useSession } from '../session.js';
import { ErrorNotice } from './ErrorNotice.js';
import { Loading } from './Loading.js';

/** Where each role starts. */
export const homePathFor: Record<Role, string> = {
  student: '/book',
  mentor: '/mentor/calendar',
  admin: '/admin',
};

const roleNames: Record<Role, string> = { student: 'students', mentor: 'mentors', admin: 'admins' };
const aRole: Record<Role, string> = { student: 'a student', mentor: 'a mentor', admin: 'an admin' };

/** Where the sign-in page sends the person back to, as `location.state` of the redirect. */
export interface ReturnState {
  from: string;
}

/** The page to return to after signing in, if a redirect left one (only paths of this app). */
export function returnPathOf(state: unknown): string | null {
  if (typeof state !== 'object' || state === null) return null;
  const from = (state as Partial<ReturnState>).from;
  return typeof from === 'string' && from.startsWith('/') && !from.startsWith('//') ? from : null;
}

/**
 * A layout route that shows its pages only to the given roles: anonymous people go to sign in (and
 * come back here after), people of another role are told whose page this is.
 */
export function RequireRole({ roles }: { roles: readonly Role[] }) {
  const { status, me, problem, retry } = useSession();
  const location = useLocation();

  if (status === 'anonymous') {
    const state: ReturnState = { from: `${location.pathname}${location.search}${location.hash}` };
    return <Navigate to="/login" replace state={state} />;
  }
  if (!me) {
    return problem ? (
      <ErrorNotice error={problem} onRetry={retry} />
    ) : (
      <Loading label="Checking your sign-in…" />
    );
  }
  if (!roles.includes(me.role)) {
    return (
      <section className="stack">
        <h1>This page is not for your account</h1>
        <p>
          This page is for {roles.map((role) => roleNames[role]).join(' and ')}. You are signed in as{' '}
          {me.email}, {aRole[me.role]}.
        </p>
        <p>
          <Link to={homePathFor[me.role]}>Go to your start page</Link>
        </p>
      </section>
    );
  }
  return <Outlet />;
}
