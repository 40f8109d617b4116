import { Navigate } from 'react-router';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { Loading } from '../components/Loading.js';
import { homePathFor } from '../components/RequireRole.js';
import { useSession } from '../session.js';

/** `/`: everyone starts where their role works; people not signed in start at sign-in. */
export function HomePage() {
  const { status, me, problem, retry } = useSession();
  if (status === 'anonymous') return <Navigate to="/login" replace />;
  if (me) return <Navigate to={homePathFor[me.role]} replace />;
  return problem ? (
    <ErrorNotice error={problem} onRetry={retry} />
  ) : (
    <Loading label="Checking your sign-in…" />
  );
}
