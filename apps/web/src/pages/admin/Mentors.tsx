import { zodResolver } from '@hookform/resolvers/zod';
import type { RouterOutputs } from '@mentor-scheduling/client';
import { CreateAccountSchema, CreateMentorSchema } from '@mentor-scheduling/contracts';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Plus } from 'lucide-react';
import { type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { Controller, useForm } from 'react-hook-form';
import type { z } from 'zod';
import { CheckboxList } from '../../components/CheckboxList.js';
import { Empty } from '../../components/Empty.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { Field } from '../../components/Field.js';
import { usePageTitle } from '../../components/Layout.js';
import { Loading } from '../../components/Loading.js';
import { ZoneSelect } from '../../components/ZoneSelect.js';
import { formIssueMessage } from '../../errors.js';
import { useTRPC } from '../../trpc.js';
import { PageButtons, rowHeaderStyle, tableWrapStyle, usePager, usePlatformZone } from './shared.js';

type Mentor = RouterOutputs['mentors']['list']['items'][number];

/** What the admin is doing above the table. */
type Panel =
  | { kind: 'closed' }
  | { kind: 'create' }
  | { kind: 'created'; mentor: Mentor }
  | { kind: 'edit'; mentor: Mentor };

/** /admin/mentors: the mentors, a page at a time; add one (and their login), change one. */
export function AdminMentorsPage() {
  usePageTitle('Mentors');
  const trpc = useTRPC();
  const pager = usePager('mentors');
  const mentors = useQuery(
    trpc.mentors.list.queryOptions(pager.cursor ? { limit: 50, cursor: pager.cursor } : { limit: 50 }, {
      placeholderData: keepPreviousData,
    }),
  );
  const [panel, setPanel] = useState<Panel>({ kind: 'closed' });
  const [saved, setSaved] = useState<string | null>(null);

  const open = (next: Panel) => {
    setSaved(null);
    setPanel(next);
  };

  return (
    <section className="stack">
      <h1>Mentors</h1>
      <div className="actions">
        <button
          type="button"
          className="button button-primary"
          aria-expanded={panel.kind === 'create'}
          onClick={() => open({ kind: 'create' })}
        >
          <Plus aria-hidden="true" />
          Add mentor
        </button>
      </div>
      <p role="status" className={saved ? 'notice notice-success' : 'visually-hidden'}>
        {saved}
      </p>

      {panel.kind === 'create' && (
        <PanelCard title="Add a mentor">
          <MentorForm
            mentor={null}
            onSaved={(mentor) => open({ kind: 'created', mentor })}
            onCancel={() => setPanel({ kind: 'closed' })}
          />
        </PanelCard>
      )}
      {panel.kind === 'created' && (
        <PanelCard title={`${panel.mentor.name} is added`}>
          <p>
            Give {panel.mentor.name} a login so they can keep their availability and see their sessions. Tell
            them the email and password yourself; they can change the password after signing in.
          </p>
          <CreateLoginForm mentor={panel.mentor} />
          <div className="actions">
            <button
              type="button"
              className="button button-secondary"
              onClick={() => setPanel({ kind: 'closed' })}
            >
              Done
            </button>
          </div>
        </PanelCard>
      )}
      {panel.kind === 'edit' && (
        <PanelCard title={`Edit ${panel.mentor.name}`}>
          <MentorForm
            key={panel.mentor.id}
            mentor={panel.mentor}
            onSaved={(mentor) => {
              setPanel({ kind: 'closed' });
              setSaved(`Changes to ${mentor.name} saved.`);
            }}
            onCancel={() => setPanel({ kind: 'closed' })}
          />
          <LoginOnRequest mentor={panel.mentor} />
        </PanelCard>
      )}

      {mentors.isPending ? (
        <Loading label="Loading mentors…" />
      ) : mentors.isError ? (
        <ErrorNotice error={mentors.error} onRetry={() => mentors.refetch()} />
      ) : mentors.data.items.length === 0 ? (
        <Empty title="No mentors yet">
          <p>Add the first one with “Add mentor”.</p>
        </Empty>
      ) : (
        <>
          <div className="table-wrap" style={tableWrapStyle} aria-busy={mentors.isPlaceholderData}>
            <table>
              <caption>Mentors, page {pager.page}</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Areas</th>
                  <th scope="col">Tier</th>
                  <th scope="col">Time zone</th>
                  <th scope="col">Buffer</th>
                  <th scope="col">Daily limit</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {mentors.data.items.map((mentor) => (
                  <tr key={mentor.id}>
                    <th scope="row" style={rowHeaderStyle}>
                      {mentor.name}
                      {mentor.headline && (
                        <span
                          className="muted"
                          style={{ display: 'block', fontWeight: 400, fontSize: '0.9rem' }}
                        >
                          {mentor.headline}
                        </span>
                      )}
                    </th>
                    <td>{mentor.areas_of_expertise.join(', ')}</td>
                    <td>
                      {mentor.is_premium ? (
                        <span className="badge badge-info">Premium</span>
                      ) : (
                        <span className="badge">Standard</span>
                      )}
                    </td>
                    <td>{mentor.timezone}</td>
                    <td>{mentor.buffer_minutes} min</td>
                    <td>{mentor.max_sessions_per_day ?? 'No limit'}</td>
                    <td>
                      <button
                        type="button"
                        className="button button-secondary"
                        onClick={() => open({ kind: 'edit', mentor })}
                      >
                        Edit<span className="visually-hidden"> {mentor.name}</span>
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <PageButtons pager={pager} nextCursor={mentors.data.nextCursor} label="Pages of mentors" />
        </>
      )}
    </section>
  );
}

/** A card above the table whose heading takes focus as it opens, so keyboard and screen reader users land in it. */
function PanelCard({ title, children }: { title: string; children: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  const headingId = useId();
  useEffect(() => {
    heading.current?.focus();
  }, []);
  return (
    <section className="card stack" aria-labelledby={headingId}>
      <h2 id={headingId} ref={heading} tabIndex={-1}>
        {title}
      </h2>
      {children}
    </section>
  );
}

type MentorFormInput = z.input<typeof CreateMentorSchema>;
type MentorFormOutput = z.output<typeof CreateMentorSchema>;

const blankToNull = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? null : value);
const toNumber = (value: unknown) =>
  value === '' || value === null || value === undefined ? undefined : Number(value);
const toLimit = (value: unknown) =>
  value === '' || value === null || value === undefined ? null : Number(value);

/**
 * A new mentor, or the changes to one. Both are checked with the contract's `CreateMentorSchema`:
 * an edit sends every field of the form, so it must hold a whole mentor too.
 */
function MentorForm({
  mentor,
  onSaved,
  onCancel,
}: {
  mentor: Mentor | null;
  onSaved: (mentor: Mentor) => void;
  onCancel: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const platformZone = usePlatformZone();
  const areas = useQuery(trpc.areas.list.queryOptions(undefined, { staleTime: 5 * 60_000 }));
  const onSuccess = async (saved: Mentor) => {
    await queryClient.invalidateQueries(trpc.mentors.list.pathFilter());
    onSaved(saved);
  };
  const create = useMutation(trpc.mentors.create.mutationOptions({ onSuccess }));
  const update = useMutation(trpc.mentors.update.mutationOptions({ onSuccess }));
  const saving = create.isPending || update.isPending;
  const failure = create.error ?? update.error;
  const areasErrorId = useId();

  const {
    register,
    control,
    handleSubmit,
    formState: { errors },
  } = useForm<MentorFormInput, unknown, MentorFormOutput>({
    resolver: zodResolver(CreateMentorSchema, { error: formIssueMessage }),
    defaultValues: mentor
      ? {
          name: mentor.name,
          headline: mentor.headline ?? '',
          areas_of_expertise: mentor.areas_of_expertise,
          is_premium: mentor.is_premium,
          timezone: mentor.timezone,
          buffer_minutes: mentor.buffer_minutes,
          max_sessions_per_day: mentor.max_sessions_per_day,
        }
      : { name: '', headline: '', areas_of_expertise: [], is_premium: false, buffer_minutes: 0 },
  });

  if (!mentor && platformZone === null) return <Loading label="Loading the form…" />;
  const zone = mentor?.timezone ?? platformZone ?? undefined;

  const onSubmit = handleSubmit((values) => {
    const fields = {
      name: values.name,
      headline: values.headline ?? null,
      areas_of_expertise: values.areas_of_expertise,
      is_premium: values.is_premium,
      timezone: values.timezone ?? zone,
      buffer_minutes: values.buffer_minutes,
      max_sessions_per_day: values.max_sessions_per_day,
    };
    if (mentor) update.mutate({ id: mentor.id, ...fields });
    else create.mutate(fields);
  });

  const areaNames = [
    ...new Set([...(areas.data?.map((area) => area.name) ?? []), ...(mentor?.areas_of_expertise ?? [])]),
  ];

  return (
    <form className="form stack" noValidate onSubmit={onSubmit}>
      <Field label="Name" error={errors.name?.message}>
        {(c) => <input {...c} autoComplete="off" {...register('name')} />}
      </Field>
      <Field label="Headline" hint="One line students see next to the name" error={errors.headline?.message}>
        {(c) => <input {...c} autoComplete="off" {...register('headline', { setValueAs: blankToNull })} />}
      </Field>
      <fieldset
        aria-describedby={errors.areas_of_expertise ? areasErrorId : undefined}
        aria-invalid={errors.areas_of_expertise ? true : undefined}
      >
        <legend>Areas</legend>
        {areas.isPending ? (
          <Loading label="Loading areas…" />
        ) : areas.isError ? (
          <ErrorNotice error={areas.error} onRetry={() => areas.refetch()} />
        ) : (
          <Controller
            control={control}
            name="areas_of_expertise"
            render={({ field }) => (
              <CheckboxList
                className="grid"
                style={{ gap: 0 }}
                name={field.name}
                options={areaNames}
                chosen={field.value}
                onChange={field.onChange}
                onBlur={field.onBlur}
                label={(name) => name}
              />
            )}
          />
        )}
        {errors.areas_of_expertise && (
          <p className="field-error" id={areasErrorId}>
            Choose at least one area.
          </p>
        )}
      </fieldset>
      <div className="field">
        <label className="checkbox">
          <input type="checkbox" {...register('is_premium')} />
          Premium
        </label>
        <p className="field-hint">Sessions with a premium mentor cost more.</p>
      </div>
      <ZoneSelect {...register('timezone')} defaultValue={zone} error={errors.timezone?.message} />
      <Field
        label="Buffer between sessions (minutes)"
        hint="Free minutes kept after each session, 0 to 120"
        error={errors.buffer_minutes?.message}
      >
        {(c) => (
          <input
            {...c}
            type="number"
            inputMode="numeric"
            min={0}
            max={120}
            {...register('buffer_minutes', { setValueAs: toNumber })}
          />
        )}
      </Field>
      <Field
        label="Most sessions a day"
        hint="Leave empty for no limit"
        error={errors.max_sessions_per_day?.message}
      >
        {(c) => (
          <input
            {...c}
            type="number"
            inputMode="numeric"
            min={1}
            max={48}
            {...register('max_sessions_per_day', { setValueAs: toLimit })}
          />
        )}
      </Field>
      {failure && <ErrorNotice error={failure} />}
      <div className="actions">
        <button type="submit" className="button button-primary" disabled={saving}>
          {saving ? 'Saving…' : 'Save mentor'}
        </button>
        <button type="button" className="button button-secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** In the edit panel: a login for a mentor who has none yet, only when asked for. */
function LoginOnRequest({ mentor }: { mentor: Mentor }) {
  const [open, setOpen] = useState(false);
  if (!open) {
    return (
      <p>
        <button type="button" className="button button-link" onClick={() => setOpen(true)}>
          Create a login for {mentor.name}
        </button>
      </p>
    );
  }
  return <CreateLoginForm mentor={mentor} />;
}

type CreateAccountInput = z.input<typeof CreateAccountSchema>;
type CreateAccountOutput = z.output<typeof CreateAccountSchema>;

/** A mentor's sign-in (`auth.createAccount`, role mentor): the email and a first password. */
function CreateLoginForm({ mentor }: { mentor: Mentor }) {
  const trpc = useTRPC();
  const headingId = useId();
  const createAccount = useMutation(trpc.auth.createAccount.mutationOptions());
  const {
    register,
    handleSubmit,
    formState: { errors },
  } = useForm<CreateAccountInput, unknown, CreateAccountOutput>({
    resolver: zodResolver(CreateAccountSchema, { error: formIssueMessage }),
    defaultValues: { email: '', password: '', role: 'mentor', mentor_id: mentor.id },
  });

  if (createAccount.data) {
    return (
      <p className="notice notice-success" role="status">
        {mentor.name} can now sign in as {createAccount.data.email}.
      </p>
    );
  }

  const onSubmit = handleSubmit((values) => {
    createAccount.mutate({
      email: values.email,
      password: values.password,
      role: 'mentor',
      mentor_id: mentor.id,
    });
  });

  return (
    <form className="form stack" noValidate onSubmit={onSubmit} aria-labelledby={headingId}>
      <h3 id={headingId}>Login for {mentor.name}</h3>
      <Field label="Email" error={errors.email?.message}>
        {(c) => <input {...c} type="email" autoComplete="off" {...register('email')} />}
      </Field>
      <Field label="Password" hint="At least 10 characters" error={errors.password?.message}>
        {(c) => <input {...c} type="password" autoComplete="new-password" {...register('password')} />}
      </Field>
      {createAccount.error && <ErrorNotice error={createAccount.error} />}
      <div className="actions">
        <button type="submit" className="button button-primary" disabled={createAccount.isPending}>
          {createAccount.isPending ? 'Creating…' : 'Create login'}
        </button>
      </div>
    </form>
  );
}
