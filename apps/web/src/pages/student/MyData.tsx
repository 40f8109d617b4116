import type { RouterOutputs } from '@mentor-scheduling/client';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Download, Trash2 } from 'lucide-react';
import { type FormEvent, useId, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { Dialog } from '../../components/Dialog.js';
import { Empty } from '../../components/Empty.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { Field } from '../../components/Field.js';
import { usePageTitle } from '../../components/Layout.js';
import { Loading } from '../../components/Loading.js';
import { fileDate, saveJsonFile } from '../../download.js';
import { useSession } from '../../session.js';
import { formatRange } from '../../time.js';
import { useTRPC, useTRPCClient } from '../../trpc.js';
import { type Booking, isActive, MentorName, useOwnZone } from './shared.js';

type Erasure = RouterOutputs['students']['erase'];

/** What the student types to say they mean it: a word, not a click that can slip. */
const confirmWord = 'DELETE';

/** /my-data: the student downloads everything held about them, or deletes their account. */
export function MyDataPage() {
  usePageTitle('My data');
  const { me } = useSession();
  const { zone, ready } = useOwnZone();
  const studentId = me?.student_id ?? null;

  return (
    <section className="stack">
      <h1>My data</h1>
      {studentId === null ? (
        <Empty title="This account has no student profile">
          <p>Only a student’s own data can be downloaded or deleted here.</p>
        </Empty>
      ) : ready ? (
        <>
          <DownloadMyData studentId={studentId} zone={zone} />
          <DeleteMyAccount studentId={studentId} zone={zone} />
        </>
      ) : (
        <Loading label="Loading your profile…" />
      )}
    </section>
  );
}

function DownloadMyData({ studentId, zone }: { studentId: number; zone: string }) {
  const client = useTRPCClient();
  const headingId = useId();
  const [saved, setSaved] = useState<string | null>(null);
  // Read on each click, never from the cache: the file holds what is kept at that moment.
  const download = useMutation({
    mutationFn: () => client.students.export.query({ id: studentId }),
    onMutate: () => setSaved(null),
    onSuccess: (data) => {
      const filename = `my-data-${fileDate(data.exported_at, zone)}.json`;
      saveJsonFile(data, filename);
      setSaved(filename);
    },
  });

  return (
    <section className="card stack" aria-labelledby={headingId}>
      <h2 id={headingId}>Download my data</h2>
      <p>
        A copy of everything we hold about you, as one JSON file: your profile, your account (when your
        sign-ins were made and end, never the sign-ins themselves), your calendar feed, every session with its
        payment and changes, and the emails we sent you about them.
      </p>
      <div className="actions">
        <button
          type="button"
          className="button button-secondary"
          disabled={download.isPending}
          onClick={() => download.mutate()}
        >
          <Download aria-hidden="true" />
          {download.isPending ? 'Preparing your file…' : 'Download my data'}
        </button>
      </div>
      <p role="status" style={{ margin: 0 }}>
        {saved && `Your data was saved as ${saved}.`}
      </p>
      {download.error && <ErrorNotice error={download.error} />}
    </section>
  );
}

function DeleteMyAccount({ studentId, zone }: { studentId: number; zone: string }) {
  const headingId = useId();
  const [open, setOpen] = useState(false);
  return (
    <section className="card stack" aria-labelledby={headingId}>
      <h2 id={headingId}>Delete my account</h2>
      <p>
        Erases your name, email and preferences and signs you out. Your upcoming sessions are cancelled (paid
        ones refunded); past sessions stay in the mentors’ records without your name. This cannot be undone,
        so download your data first if you want a copy.
      </p>
      <div className="actions">
        <button type="button" className="button button-danger" onClick={() => setOpen(true)}>
          <Trash2 aria-hidden="true" />
          Delete my account
        </button>
      </div>
      {open && <DeleteAccountDialog studentId={studentId} zone={zone} onClose={() => setOpen(false)} />}
    </section>
  );
}

/** The sentence the sign-in page shows once the account is gone: what was cancelled, what is kept. */
export function erasedSentence(erasure: Erasure, upcoming: readonly Booking[], zone: string): string {
  const cancelled = erasure.cancelled_booking_ids.map((id) => {
    const known = upcoming.find((booking) => booking.id === id);
    return known ? formatRange(known.start_time, known.end_time, zone) : `session #${id}`;
  });
  const parts = ['Your account and personal data were erased, and you are signed out.'];
  parts.push(
    cancelled.length === 0
      ? 'No upcoming sessions needed cancelling.'
      : `Cancelled, with any payment refunded: ${cancelled.join('; ')}.`,
  );
  parts.push('Your past sessions stay in our records without your name.');
  return parts.join(' ');
}

function DeleteAccountDialog({
  studentId,
  zone,
  onClose,
}: {
  studentId: number;
  zone: string;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const navigate = useNavigate();
  const { signOut } = useSession();
  const [typed, setTyped] = useState('');
  const [refused, setRefused] = useState(false);
  const field = useRef<HTMLInputElement>(null);
  const upcoming = useQuery(trpc.bookings.list.queryOptions({ upcoming: true, limit: 50 }));
  const active = (upcoming.data?.items ?? []).filter(isActive);
  const erase = useMutation(
    trpc.students.erase.mutationOptions({
      // The erasure already ended every sign-in on the server; signing out here forgets the dead
      // token and everything cached for it, as "Sign out" does, and leaves the sign-in page (where
      // the home page sends a signed-out person) the sentence of what was done. Kept inside the
      // mutation so the button stays busy until the person has left.
      onSuccess: async (erasure) => {
        await signOut(erasedSentence(erasure, active, zone));
        navigate('/', { replace: true });
      },
    }),
  );

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (typed.trim() !== confirmWord) {
      setRefused(true);
      field.current?.focus();
      return;
    }
    erase.mutate({ id: studentId });
  };

  return (
    <Dialog title="Delete your account?" onClose={() => !erase.isPending && onClose()}>
      <p>
        <strong>This cannot be undone.</strong> When you delete your account:
      </p>
      <ul>
        <li>
          {upcoming.isPending ? (
            'Your upcoming sessions are cancelled, and any payment for them is refunded.'
          ) : active.length === 0 ? (
            'You have no upcoming sessions, so none are cancelled.'
          ) : (
            <>
              {active.length === 1
                ? 'Your upcoming session is cancelled'
                : `Your ${active.length} upcoming sessions are cancelled`}
              , and any payment is refunded:
              <ul>
                {active.map((booking) => (
                  <li key={booking.id}>
                    {formatRange(booking.start_time, booking.end_time, zone)} with{' '}
                    <MentorName id={booking.mentor_id} />
                  </li>
                ))}
              </ul>
            </>
          )}
        </li>
        <li>Your past sessions stay in the mentors’ and our records, without your name or email.</li>
        <li>
          Your name, email, area of interest and preferred times are erased, and your calendar feed link stops
          working.
        </li>
        <li>You are signed out, and cannot sign in to this account again.</li>
      </ul>
      <form className="stack" noValidate onSubmit={submit}>
        <Field
          label={`Type ${confirmWord} to confirm`}
          error={
            refused && typed.trim() !== confirmWord ? `Type ${confirmWord} in capital letters.` : undefined
          }
        >
          {(control) => (
            <input
              {...control}
              ref={field}
              autoComplete="off"
              autoCapitalize="characters"
              spellCheck={false}
              value={typed}
              onChange={(event) => setTyped(event.target.value)}
            />
          )}
        </Field>
        {erase.error && <ErrorNotice error={erase.error} />}
        <div className="actions">
          <button type="submit" className="button button-danger" disabled={erase.isPending}>
            {erase.isPending ? 'Deleting…' : 'Delete my account'}
          </button>
          <button
            type="button"
            className="button button-secondary"
            disabled={erase.isPending}
            onClick={onClose}
          >
            Keep my account
          </button>
        </div>
      </form>
    </Dialog>
  );
}
