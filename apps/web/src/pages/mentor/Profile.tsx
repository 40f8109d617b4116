import { zodResolver } from '@hookform/resolvers/zod';
import { UpdateMentorSchema } from '@mentor-scheduling/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import type { z } from 'zod';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { Field } from '../../components/Field.js';
import { usePageTitle } from '../../components/Layout.js';
import { Loading } from '../../components/Loading.js';
import { ZoneSelect } from '../../components/ZoneSelect.js';
import { formIssueMessage } from '../../errors.js';
import { useTRPC } from '../../trpc.js';
import { type MentorRecord, NotLinkedNotice, useOwnMentor } from './own-mentor.js';

/**
 * What a mentor may change about themselves: the server refuses `is_premium` and
 * `areas_of_expertise` from mentors (the platform prices by them), so those are only shown.
 */
const OwnProfileSchema = UpdateMentorSchema.pick({
  name: true,
  headline: true,
  timezone: true,
  buffer_minutes: true,
  max_sessions_per_day: true,
}).required({ name: true, timezone: true, buffer_minutes: true, max_sessions_per_day: true });

type ProfileFormValues = z.input<typeof OwnProfileSchema>;
type ProfileValues = z.output<typeof OwnProfileSchema>;

/** Plain words for the number limits too, which the shared messages leave to zod. */
function profileIssueMessage(
  issue: Parameters<typeof formIssueMessage>[0] & { expected?: unknown },
): string | undefined {
  const plain = formIssueMessage(issue);
  if (plain) return plain;
  if (issue.code === 'too_small' && issue.origin === 'number') {
    return `Use a number of at least ${String(issue.minimum)}.`;
  }
  if (issue.code === 'too_big' && issue.origin === 'number') {
    return `Use a number of at most ${String(issue.maximum)}.`;
  }
  if (issue.code === 'invalid_type' && issue.expected === 'int') return 'Use a whole number.';
  return undefined;
}

/** An empty number field means "not given"; type="number" hands over text. */
function numberOrUndefined(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const number = Number(value);
  return Number.isNaN(number) ? undefined : number;
}

function valuesOf(mentor: MentorRecord): ProfileFormValues {
  return {
    name: mentor.name,
    headline: mentor.headline ?? '',
    timezone: mentor.timezone,
    buffer_minutes: mentor.buffer_minutes,
    max_sessions_per_day: mentor.max_sessions_per_day,
  };
}

/** /mentor/profile: the mentor's headline, zone, buffer and daily limit. */
export function MentorProfilePage() {
  usePageTitle('Profile');
  const { mentorId, mentor } = useOwnMentor();
  return (
    <section className="stack">
      <h1>Profile</h1>
      {mentorId === null ? (
        <NotLinkedNotice />
      ) : mentor.isPending ? (
        <Loading label="Loading your profile…" />
      ) : mentor.isError ? (
        <ErrorNotice error={mentor.error} onRetry={() => mentor.refetch()} />
      ) : (
        <ProfileForm key={mentor.data.id} mentor={mentor.data} />
      )}
    </section>
  );
}

function ProfileForm({ mentor }: { mentor: MentorRecord }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [saved, setSaved] = useState(false);
  const update = useMutation(trpc.mentors.update.mutationOptions());
  const {
    register,
    handleSubmit,
    reset,
    formState: { errors, isDirty },
  } = useForm<ProfileFormValues, unknown, ProfileValues>({
    resolver: zodResolver(OwnProfileSchema, { error: profileIssueMessage }),
    defaultValues: valuesOf(mentor),
  });

  const onSubmit = handleSubmit(async (values) => {
    setSaved(false);
    const answer = await update
      .mutateAsync({
        id: mentor.id,
        ...values,
        headline: values.headline ? values.headline : null,
      })
      .catch(() => null);
    if (!answer) return;
    queryClient.setQueryData(trpc.mentors.get.queryKey({ id: mentor.id }), answer);
    reset(valuesOf(answer));
    setSaved(true);
    // The zone, buffer and limit all change which times are open; the name shows in listings.
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.mentors.list.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.mentors.availability.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.mentors.slots.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.slots.search.queryKey() }),
    ]);
  });

  return (
    <>
      {update.error && <ErrorNotice error={update.error} />}
      <form className="form stack" noValidate onSubmit={onSubmit}>
        <Field label="Name" error={errors.name?.message}>
          {(control) => <input {...control} type="text" autoComplete="name" {...register('name')} />}
        </Field>
        <Field
          label="Headline"
          hint="One line students see next to your name, e.g. your role and experience."
          error={errors.headline?.message}
        >
          {(control) => <input {...control} type="text" maxLength={280} {...register('headline')} />}
        </Field>
        <Field
          label="Buffer between sessions (minutes)"
          hint="Free minutes kept after each session before another can start (0 to 120)."
          error={errors.buffer_minutes?.message}
        >
          {(control) => (
            <input
              {...control}
              type="number"
              inputMode="numeric"
              min={0}
              max={120}
              step={5}
              {...register('buffer_minutes', { setValueAs: numberOrUndefined })}
            />
          )}
        </Field>
        <Field
          label="Most sessions a day"
          hint="Leave empty for no limit."
          error={errors.max_sessions_per_day?.message}
        >
          {(control) => (
            <input
              {...control}
              type="number"
              inputMode="numeric"
              min={1}
              max={48}
              {...register('max_sessions_per_day', {
                setValueAs: (value: unknown) => numberOrUndefined(value) ?? null,
              })}
            />
          )}
        </Field>
        <ZoneSelect
          hint="Your weekly hours are read in this zone: 09:00 stays 09:00 wherever you choose."
          error={errors.timezone?.message}
          defaultValue={mentor.timezone}
          {...register('timezone')}
        />
        <p className="muted">
          Set by an admin: areas {mentor.areas_of_expertise.join(', ') || 'none yet'};{' '}
          {mentor.is_premium ? 'premium mentor' : 'standard mentor'}.
        </p>
        <div className="actions">
          <button type="submit" className="button button-primary" disabled={update.isPending}>
            {update.isPending ? 'Saving…' : 'Save profile'}
          </button>
        </div>
        <div role="status" aria-live="polite">
          {saved && !isDirty && <p className="notice notice-success">Profile saved</p>}
        </div>
      </form>
    </>
  );
}
