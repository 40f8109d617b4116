import { zodResolver } from '@hookform/resolvers/zod';
import { passwordRules, RegisterSchema } from '@mentor-scheduling/contracts';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useForm } from 'react-hook-form';
import { Link, Navigate } from 'react-router';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { Field } from '../components/Field.js';
import { usePageTitle } from '../components/Layout.js';
import { ZoneSelect } from '../components/ZoneSelect.js';
import { formIssueMessage } from '../errors.js';
import { useSession } from '../session.js';
import { browserZone } from '../time.js';
import { useTRPC } from '../trpc.js';

/** A student creates their own account and is signed in at once. */
export function RegisterPage() {
  usePageTitle('Create an account');
  const trpc = useTRPC();
  const { status, signIn } = useSession();
  const areas = useQuery(trpc.areas.list.queryOptions());
  const registration = useMutation(trpc.auth.register.mutationOptions());
  const {
    register,
    handleSubmit,
    formState: { errors },
  } = useForm({
    resolver: zodResolver(RegisterSchema, { error: formIssueMessage }),
    defaultValues: { name: '', email: '', password: '', area_of_interest: null, timezone: browserZone() },
  });

  if (status === 'signed-in') return <Navigate to="/" replace />;

  const onSubmit = handleSubmit(async (values) => {
    const answer = await registration.mutateAsync(values).catch(() => null);
    if (answer) signIn(answer.token, answer.account);
  });

  return (
    <section className="auth-page stack">
      <h1>Create a student account</h1>
      {registration.error && <ErrorNotice error={registration.error} />}
      <form className="form stack" noValidate onSubmit={onSubmit}>
        <Field label="Name" error={errors.name?.message}>
          {(control) => <input {...control} type="text" autoComplete="name" {...register('name')} />}
        </Field>
        <Field label="Email" error={errors.email?.message}>
          {(control) => <input {...control} type="email" autoComplete="email" {...register('email')} />}
        </Field>
        <Field label="Password" hint={`${passwordRules}.`} error={errors.password?.message}>
          {(control) => (
            <input {...control} type="password" autoComplete="new-password" {...register('password')} />
          )}
        </Field>
        <Field
          label="Area you are preparing for (optional)"
          hint={
            areas.isError ? 'The list of areas could not be loaded; you can choose one later.' : undefined
          }
          error={errors.area_of_interest?.message}
        >
          {(control) => (
            <select
              {...control}
              {...register('area_of_interest', { setValueAs: (value) => (value ? value : null) })}
            >
              <option value="">No preference</option>
              {areas.data?.map((area) => (
                <option key={area.id} value={area.name}>
                  {area.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <ZoneSelect
          label="Your time zone"
          hint="Session times are shown in this zone."
          error={errors.timezone?.message}
          {...register('timezone')}
        />
        <button type="submit" className="button button-primary" disabled={registration.isPending}>
          {registration.isPending ? 'Creating your account…' : 'Create account'}
        </button>
      </form>
      <p>
        Already have an account? <Link to="/login">Sign in</Link>
      </p>
    </section>
  );
}
