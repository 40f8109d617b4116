import { zodResolver } from '@hookform/resolvers/zod';
import { LoginSchema } from '@mentor-scheduling/contracts';
import { useMutation } from '@tanstack/react-query';
import { useForm } from 'react-hook-form';
import { Link, Navigate, useLocation } from 'react-router';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { Field } from '../components/Field.js';
import { usePageTitle } from '../components/Layout.js';
import { returnPathOf } from '../components/RequireRole.js';
import { formIssueMessage } from '../errors.js';
import { useSession } from '../session.js';
import { useTRPC } from '../trpc.js';

export function LoginPage() {
  usePageTitle('Sign in');
  const trpc = useTRPC();
  const { status, signIn, notice } = useSession();
  const location = useLocation();
  const login = useMutation(trpc.auth.login.mutationOptions());
  const {
    register,
    handleSubmit,
    formState: { errors },
  } = useForm({
    resolver: zodResolver(LoginSchema, { error: formIssueMessage }),
    defaultValues: { email: '', password: '' },
  });

  // Signing in (here or in another tab) leads on to where the person was going, else their start page.
  if (status === 'signed-in') return <Navigate to={returnPathOf(location.state) ?? '/'} replace />;

  const onSubmit = handleSubmit(async (values) => {
    const answer = await login.mutateAsync(values).catch(() => null);
    if (answer) signIn(answer.token, answer.account);
  });

  return (
    <section className="auth-page stack">
      <h1>Sign in</h1>
      {notice && (
        <div className="notice notice-success" role="status">
          <div className="notice-body">
            <p className="notice-message">{notice}</p>
          </div>
        </div>
      )}
      {login.error && <ErrorNotice error={login.error} />}
      <form className="form stack" noValidate onSubmit={onSubmit}>
        <Field label="Email" error={errors.email?.message}>
          {(control) => <input {...control} type="email" autoComplete="email" {...register('email')} />}
        </Field>
        <Field label="Password" error={errors.password?.message}>
          {(control) => (
            <input {...control} type="password" autoComplete="current-password" {...register('password')} />
          )}
        </Field>
        <button type="submit" className="button button-primary" disabled={login.isPending}>
          {login.isPending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p>
        New here? <Link to="/register">Create a student account</Link>
      </p>
    </section>
  );
}
