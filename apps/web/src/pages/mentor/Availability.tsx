import { zodResolver } from '@hookform/resolvers/zod';
import type { RouterOutputs } from '@mentor-scheduling/client';
import {
  type AvailabilityInput,
  AvailabilityInputSchema,
  type Weekday,
  weekdays,
} from '@mentor-scheduling/contracts';
import { skipToken, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { DateTime } from 'luxon';
import { useEffect, useRef, useState } from 'react';
import {
  type Control,
  type FieldErrors,
  type FieldPath,
  type UseFormRegister,
  useFieldArray,
  useForm,
  useWatch,
} from 'react-hook-form';
import { Link } from 'react-router';
import type { z } from 'zod';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { Field } from '../../components/Field.js';
import { usePageTitle } from '../../components/Layout.js';
import { Loading } from '../../components/Loading.js';
import { describeError, formIssueMessage, problemOf } from '../../errors.js';
import { zoneLabel } from '../../time.js';
import { useTRPC } from '../../trpc.js';
import {
  fieldOfProblem,
  nextWindow,
  plainProblem,
  toFormValues,
  toRequest,
  windowsOfDay,
} from './availability-form.js';
import './mentor.css';
import { NotLinkedNotice, useOwnMentorId, weekdayNames } from './own-mentor.js';

type AvailabilityFormValues = z.input<typeof AvailabilityInputSchema>;
type SavedAvailability = RouterOutputs['mentors']['setAvailability'];

/** /mentor/availability: the weekly windows and date changes, in the mentor's own zone. */
export function MentorAvailabilityPage() {
  usePageTitle('Weekly availability');
  const trpc = useTRPC();
  const mentorId = useOwnMentorId();
  const availability = useQuery(
    trpc.mentors.availability.queryOptions(mentorId === null ? skipToken : { id: mentorId }),
  );

  return (
    <section className="stack">
      <h1>Weekly availability</h1>
      {mentorId === null ? (
        <NotLinkedNotice />
      ) : availability.isPending ? (
        <Loading label="Loading your availability…" />
      ) : availability.isError ? (
        <ErrorNotice error={availability.error} onRetry={() => availability.refetch()} />
      ) : (
        <AvailabilityEditor
          // A new mentor or a reload from the server starts the form afresh.
          key={availability.data.mentor_id}
          mentorId={mentorId}
          timezone={availability.data.timezone}
          saved={toFormValues(availability.data)}
        />
      )}
    </section>
  );
}

function AvailabilityEditor({
  mentorId,
  timezone,
  saved,
}: {
  mentorId: number;
  timezone: string;
  saved: AvailabilityInput;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [result, setResult] = useState<SavedAvailability | null>(null);
  const [unplacedProblem, setUnplacedProblem] = useState(false);
  const focusAfterRender = useRef<string | null>(null);

  const {
    control,
    register,
    handleSubmit,
    reset,
    setError,
    getValues,
    formState: { errors, isDirty },
  } = useForm<AvailabilityFormValues, unknown, AvailabilityInput>({
    resolver: zodResolver(AvailabilityInputSchema, { error: formIssueMessage }),
    defaultValues: saved,
  });
  const weekly = useFieldArray({ control, name: 'weekly' });
  const overrides = useFieldArray({ control, name: 'overrides' });
  const save = useMutation(trpc.mentors.setAvailability.mutationOptions());

  // After a window is removed its button is gone; focus goes to the next sensible control instead
  // of falling back to the page.
  useEffect(() => {
    const id = focusAfterRender.current;
    if (id === null) return;
    focusAfterRender.current = null;
    document.getElementById(id)?.focus();
  });

  const onSubmit = handleSubmit(async (values) => {
    setResult(null);
    setUnplacedProblem(false);
    let answer: SavedAvailability;
    try {
      answer = await save.mutateAsync({ id: mentorId, ...toRequest(values) });
    } catch (error) {
      let placed = 0;
      const fields = problemOf(error)?.errors ?? [];
      for (const field of fields) {
        const name = fieldOfProblem(field.path);
        if (name === null) continue;
        setError(
          name as FieldPath<AvailabilityFormValues>,
          { type: 'server', message: plainProblem(field.message) },
          { shouldFocus: placed === 0 },
        );
        placed += 1;
      }
      setUnplacedProblem(placed < fields.length || fields.length === 0);
      return;
    }
    const { bookings_outside_availability: _outside, ...stored } = answer;
    queryClient.setQueryData(trpc.mentors.availability.queryKey({ id: mentorId }), stored);
    reset(toFormValues(answer));
    setResult(answer);
    // Open times follow from availability, wherever they are shown.
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.mentors.slots.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.mentors.get.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.mentors.list.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.slots.search.queryKey() }),
    ]);
  });

  const addWeekly = (day: Weekday) => {
    const current = windowsOfDay(getValues('weekly'), day).map(({ window }) => window);
    weekly.append({ day, ...nextWindow(current) });
  };

  const removeWeekly = (index: number, day: Weekday) => {
    focusAfterRender.current = `add-window-${day}`;
    weekly.remove(index);
  };

  return (
    <form className="stack" noValidate onSubmit={onSubmit} aria-describedby="availability-zone">
      <p id="availability-zone">
        All times are in your time zone, <strong>{zoneLabel(timezone)}</strong>.{' '}
        <Link to="/mentor/profile">Change your zone on your profile.</Link> A window ending at midnight
        (00:00) runs to the end of the day.
      </p>

      {save.error && <SaveProblem error={save.error} placedOnFields={!unplacedProblem} />}

      <div className="weekday-groups">
        {weekdays.map((day) => {
          const windows = windowsOfDay(weekly.fields, day);
          return (
            <fieldset key={day}>
              <legend>{weekdayNames[day]}</legend>
              {windows.length === 0 ? (
                <p className="muted">Not available</p>
              ) : (
                <ul className="window-list">
                  {windows.map(({ window, index }) => (
                    <li key={window.id} className="window">
                      <TimeField
                        label="Start"
                        error={errors.weekly?.[index]?.start?.message}
                        register={register}
                        name={`weekly.${index}.start`}
                      />
                      <TimeField
                        label="End"
                        error={errors.weekly?.[index]?.end?.message}
                        register={register}
                        name={`weekly.${index}.end`}
                      />
                      <button
                        type="button"
                        className="button button-secondary"
                        onClick={() => removeWeekly(index, day)}
                      >
                        Remove window
                      </button>
                    </li>
                  ))}
                </ul>
              )}
              <button
                type="button"
                id={`add-window-${day}`}
                className="button button-secondary"
                onClick={() => addWeekly(day)}
              >
                Add window
              </button>
            </fieldset>
          );
        })}
      </div>

      <section className="stack date-changes" aria-labelledby="date-changes">
        <h2 id="date-changes">Date changes</h2>
        <p className="muted">
          On a date listed here, its hours replace that weekday's usual hours. A day off has none.
        </p>
        {overrides.fields.length === 0 ? (
          <p>No date changes.</p>
        ) : (
          <ul className="window-list">
            {overrides.fields.map((override, index) => (
              <li key={override.id}>
                <DateChange
                  control={control}
                  register={register}
                  errors={errors}
                  index={index}
                  onRemove={() => {
                    focusAfterRender.current = 'add-day-off';
                    overrides.remove(index);
                  }}
                />
              </li>
            ))}
          </ul>
        )}
        <div className="actions">
          <button
            type="button"
            id="add-day-off"
            className="button button-secondary"
            onClick={() => overrides.append({ date: '', windows: [] })}
          >
            Add a day off
          </button>
          <button
            type="button"
            className="button button-secondary"
            onClick={() => overrides.append({ date: '', windows: [{ start: '09:00', end: '17:00' }] })}
          >
            Add extra hours
          </button>
        </div>
      </section>

      <div className="actions">
        <button type="submit" className="button button-primary" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : 'Save availability'}
        </button>
        {isDirty && (
          <button
            type="button"
            className="button button-secondary"
            onClick={() => {
              save.reset();
              reset(saved);
            }}
          >
            Undo changes
          </button>
        )}
      </div>
      <div role="status" aria-live="polite">
        {result && !isDirty && <SavedNotice result={result} />}
      </div>
    </form>
  );
}

function TimeField({
  label,
  error,
  register,
  name,
}: {
  label: string;
  error: string | undefined;
  register: UseFormRegister<AvailabilityFormValues>;
  name: `weekly.${number}.${'start' | 'end'}` | `overrides.${number}.windows.${number}.${'start' | 'end'}`;
}) {
  return (
    <Field label={label} error={error}>
      {(control) => <input {...control} type="time" {...register(name)} />}
    </Field>
  );
}

/** One date with other hours, or none (a day off). */
function DateChange({
  control,
  register,
  errors,
  index,
  onRemove,
}: {
  control: Control<AvailabilityFormValues, unknown, AvailabilityInput>;
  register: UseFormRegister<AvailabilityFormValues>;
  errors: FieldErrors<AvailabilityFormValues>;
  index: number;
  onRemove: () => void;
}) {
  const windows = useFieldArray({ control, name: `overrides.${index}.windows` });
  const date = useWatch({ control, name: `overrides.${index}.date` });
  const currentWindows = useWatch({ control, name: `overrides.${index}.windows` });
  const focusAfterRender = useRef<string | null>(null);
  const addId = `add-date-window-${index}`;
  useEffect(() => {
    const id = focusAfterRender.current;
    if (id === null) return;
    focusAfterRender.current = null;
    document.getElementById(id)?.focus();
  });

  const day = date ? DateTime.fromISO(date) : null;
  const when = day?.isValid ? `, ${day.toFormat('cccc d LLLL yyyy', { locale: 'en-GB' })}` : '';
  const overrideErrors = errors.overrides?.[index];

  return (
    <fieldset>
      <legend>{windows.fields.length === 0 ? `Day off${when}` : `Changed hours${when}`}</legend>
      <Field label="Date" error={overrideErrors?.date?.message}>
        {(field) => <input {...field} type="date" {...register(`overrides.${index}.date`)} />}
      </Field>
      {windows.fields.length > 0 && (
        <ul className="window-list">
          {windows.fields.map((window, windowIndex) => (
            <li key={window.id} className="window">
              <TimeField
                label="Start"
                error={overrideErrors?.windows?.[windowIndex]?.start?.message}
                register={register}
                name={`overrides.${index}.windows.${windowIndex}.start`}
              />
              <TimeField
                label="End"
                error={overrideErrors?.windows?.[windowIndex]?.end?.message}
                register={register}
                name={`overrides.${index}.windows.${windowIndex}.end`}
              />
              <button
                type="button"
                className="button button-secondary"
                onClick={() => {
                  focusAfterRender.current = addId;
                  windows.remove(windowIndex);
                }}
              >
                Remove window
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="actions">
        <button
          type="button"
          id={addId}
          className="button button-secondary"
          onClick={() => windows.append(nextWindow(currentWindows ?? []))}
        >
          Add window
        </button>
        <button type="button" className="button button-secondary" onClick={onRemove}>
          Remove date change
        </button>
      </div>
    </fieldset>
  );
}

/** Why saving failed: on the fields when the server said which, else in words here. */
function SaveProblem({ error, placedOnFields }: { error: unknown; placedOnFields: boolean }) {
  const described = describeError(error);
  if (described.code === 'invalid_request' && placedOnFields) {
    return (
      <div className="notice notice-error" role="alert">
        <div className="notice-body">
          <p className="notice-message">Some of these times were not accepted, so nothing was saved.</p>
          <p>Fix the times marked below, then save again.</p>
        </div>
      </div>
    );
  }
  return <ErrorNotice error={error} />;
}

function SavedNotice({ result }: { result: SavedAvailability }) {
  const outside = result.bookings_outside_availability.length;
  return (
    <>
      <p className="notice notice-success">Availability saved. Students now see your new open times.</p>
      {outside > 0 && (
        <p className="notice notice-warning">
          {outside === 1
            ? '1 upcoming session is outside your new hours. It is kept;'
            : `${outside} upcoming sessions are outside your new hours. They are kept;`}{' '}
          <Link to="/mentor/calendar">cancel from your calendar</Link> any you cannot take.
        </p>
      )}
    </>
  );
}
