import type { RouterOutputs } from '@mentor-scheduling/client';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Download, Search, Trash2 } from 'lucide-react';
import { type FormEvent, Fragment, useEffect, useId, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { Dialog } from '../../components/Dialog.js';
import { Empty } from '../../components/Empty.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { usePageTitle } from '../../components/Layout.js';
import { Loading } from '../../components/Loading.js';
import { fileDate, saveJsonFile } from '../../download.js';
import { browserZone, formatInstant } from '../../time.js';
import { useTRPC, useTRPCClient } from '../../trpc.js';
import {
  formatDay,
  PageButtons,
  rowHeaderStyle,
  tableWrapStyle,
  usePager,
  usePlatformZone,
} from './shared.js';

type Student = RouterOutputs['students']['list']['items'][number];
type Erasure = RouterOutputs['students']['erase'];

/** What the last action on a student did, shown above the table. */
type Outcome =
  | { kind: 'exported'; name: string; filename: string }
  | { kind: 'erased'; name: string; erasure: Erasure };

/**
 * /admin/students: every student, or those whose name or email holds the search, a page at a time;
 * each one's data downloaded (a right of access request) or erased (a right to erasure request).
 */
export function AdminStudentsPage() {
  usePageTitle('Students');
  const trpc = useTRPC();
  const [params, setParams] = useSearchParams();
  const q = (params.get('q') ?? '').trim();
  const [text, setText] = useState(q);
  const searchId = useId();
  const zone = usePlatformZone();
  const pager = usePager(q);
  const input: { limit: number; q?: string; cursor?: string } = { limit: 50 };
  if (q) input.q = q;
  if (pager.cursor) input.cursor = pager.cursor;
  const students = useQuery(trpc.students.list.queryOptions(input, { placeholderData: keepPreviousData }));
  const client = useTRPCClient();
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [erasing, setErasing] = useState<Student | null>(null);
  const outcomeRegion = useRef<HTMLDivElement>(null);
  // Read on each click, never from the cache: the file holds what is kept at that moment.
  const exportData = useMutation({
    mutationFn: (student: Student) => client.students.export.query({ id: student.id }),
    onMutate: () => setOutcome(null),
    onSuccess: (data, student) => {
      const filename = `student-${student.id}-data-${fileDate(data.exported_at, zone ?? browserZone())}.json`;
      saveJsonFile(data, filename);
      setOutcome({ kind: 'exported', name: student.name, filename });
    },
  });

  // The row that was acted on may have changed (an erased student is renamed): the outcome is read next.
  useEffect(() => {
    if (outcome) outcomeRegion.current?.focus();
  }, [outcome]);

  const search = (event: FormEvent) => {
    event.preventDefault();
    const next = new URLSearchParams(params);
    const wanted = text.trim();
    if (wanted) next.set('q', wanted);
    else next.delete('q');
    setParams(next, { replace: true });
  };

  return (
    <section className="stack">
      <h1>Students</h1>
      <search aria-label="Students">
        <form className="row" onSubmit={search}>
          <div className="field" style={{ flex: '1 1 16rem' }}>
            <label htmlFor={searchId}>Search</label>
            <input
              id={searchId}
              type="search"
              value={text}
              placeholder="Part of a name or email"
              autoComplete="off"
              onChange={(event) => setText(event.target.value)}
            />
          </div>
          <button type="submit" className="button button-primary" style={{ alignSelf: 'flex-end' }}>
            <Search aria-hidden="true" />
            Search
          </button>
        </form>
      </search>

      <div role="status" aria-live="polite" ref={outcomeRegion} tabIndex={-1} className="status-region">
        {outcome && (
          <div className="notice notice-success">
            <div className="notice-body">
              <OutcomeMessage outcome={outcome} zone={zone ?? browserZone()} />
            </div>
          </div>
        )}
      </div>
      {exportData.error && <ErrorNotice error={exportData.error} />}

      {students.isPending ? (
        <Loading label="Loading students…" />
      ) : students.isError ? (
        <ErrorNotice error={students.error} onRetry={() => students.refetch()} />
      ) : students.data.items.length === 0 ? (
        <Empty title={q ? `No student’s name or email contains “${q}”` : 'No students yet'}>
          {q ? (
            <p>Check the spelling, or search for part of it.</p>
          ) : (
            <p>Students appear here once they register.</p>
          )}
        </Empty>
      ) : (
        <>
          <div className="table-wrap" style={tableWrapStyle} aria-busy={students.isPlaceholderData}>
            <table>
              <caption>
                {q ? `Students matching “${q}”` : 'Students'}, page {pager.page}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Email</th>
                  <th scope="col">Time zone</th>
                  <th scope="col">Area of interest</th>
                  <th scope="col">Joined</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {students.data.items.map((student) => (
                  <tr key={student.id}>
                    <th scope="row" style={rowHeaderStyle}>
                      {student.name}
                    </th>
                    <td style={{ overflowWrap: 'anywhere' }}>{student.email}</td>
                    <td>{student.timezone}</td>
                    <td>{student.area_of_interest ?? <span className="muted">Not given</span>}</td>
                    <td>{zone ? formatDay(student.created_at, zone, { withYear: true }) : ''}</td>
                    <td>
                      <div className="actions" style={{ flexWrap: 'nowrap' }}>
                        <Link to={`/admin/bookings?student_id=${student.id}`}>
                          Sessions<span className="visually-hidden"> of {student.name}</span>
                        </Link>
                        <button
                          type="button"
                          className="button button-secondary"
                          style={{ whiteSpace: 'nowrap' }}
                          disabled={exportData.isPending && exportData.variables?.id === student.id}
                          onClick={() => exportData.mutate(student)}
                        >
                          <Download aria-hidden="true" />
                          Export data<span className="visually-hidden"> of {student.name}</span>
                        </button>
                        {/* Only opens the dialog: the red button is the dialog's, where it is decided. */}
                        <button
                          type="button"
                          className="button button-secondary"
                          style={{ whiteSpace: 'nowrap' }}
                          onClick={() => {
                            setOutcome(null);
                            setErasing(student);
                          }}
                        >
                          <Trash2 aria-hidden="true" />
                          Erase<span className="visually-hidden"> {student.name}</span>
                        </button>
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <PageButtons pager={pager} nextCursor={students.data.nextCursor} label="Pages of students" />
        </>
      )}

      {erasing && (
        <EraseStudentDialog
          student={erasing}
          onClose={() => setErasing(null)}
          onErased={(erasure) => {
            setErasing(null);
            setOutcome({ kind: 'erased', name: erasing.name, erasure });
          }}
        />
      )}
    </section>
  );
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

function OutcomeMessage({ outcome, zone }: { outcome: Outcome; zone: string }) {
  if (outcome.kind === 'exported') {
    return (
      <p className="notice-message">
        {outcome.name}’s data was saved as {outcome.filename}.
      </p>
    );
  }
  const { erasure, name } = outcome;
  const cancelled = erasure.cancelled_booking_ids;
  const sessionLinks = cancelled.map((id, index) => (
    <Fragment key={id}>
      {index > 0 && ', '}
      <Link to={`/bookings/${id}`}>#{id}</Link>
    </Fragment>
  ));
  if (erasure.already_erased) {
    return (
      <>
        <p className="notice-message">
          {name} was already erased on {formatInstant(erasure.erased_at, zone, { withZone: true })}.
        </p>
        <p>
          {cancelled.length === 0 ? (
            'Nothing more needed changing.'
          ) : (
            <>This request cancelled the sessions an earlier attempt left: {sessionLinks}.</>
          )}
        </p>
      </>
    );
  }
  return (
    <>
      <p className="notice-message">
        {name}’s personal data was erased: they are now “Erased student {erasure.student_id}”.
      </p>
      <ul>
        <li>
          {cancelled.length === 0 ? (
            'No upcoming sessions needed cancelling.'
          ) : (
            <>Cancelled sessions (refunded where paid): {sessionLinks}.</>
          )}
        </li>
        <li>{plural(erasure.tokens_revoked, 'sign-in token', 'sign-in tokens')} stopped working.</li>
        <li>
          {plural(erasure.kept_booking_count, 'session is', 'sessions are')} kept for the accounts, without
          their name.
        </li>
      </ul>
    </>
  );
}

/** "Erase": says what erasing does, then erases and hands back what it did. */
function EraseStudentDialog({
  student,
  onClose,
  onErased,
}: {
  student: Student;
  onClose: () => void;
  onErased: (erasure: Erasure) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const erase = useMutation(
    trpc.students.erase.mutationOptions({
      onSuccess: async (erasure) => {
        onErased(erasure);
        // The student's name and email are replaced, and their sessions changed.
        await Promise.all([
          queryClient.invalidateQueries(trpc.students.pathFilter()),
          queryClient.invalidateQueries(trpc.bookings.pathFilter()),
        ]);
      },
    }),
  );

  return (
    <Dialog title={`Erase ${student.name}’s personal data?`} onClose={() => !erase.isPending && onClose()}>
      <p>
        {student.name} ({student.email}) becomes “Erased student {student.id}”:
      </p>
      <ul>
        <li>Their name, email, area of interest and preferred times are replaced.</li>
        <li>Their login and every sign-in stop working, and their calendar feed ends.</li>
        <li>Their upcoming sessions are cancelled; paid ones are refunded, and the mentors are told.</li>
        <li>Past sessions stay, without their name, for the mentors’ and the platform’s accounts.</li>
      </ul>
      <p>
        <strong>This cannot be undone.</strong> Export their data first if they asked for a copy. The erasure
        is recorded in the audit log.
      </p>
      {erase.error && <ErrorNotice error={erase.error} />}
      <div className="actions">
        <button
          type="button"
          className="button button-danger"
          disabled={erase.isPending}
          onClick={() => erase.mutate({ id: student.id })}
        >
          {erase.isPending ? 'Erasing…' : 'Erase personal data'}
        </button>
        <button
          type="button"
          className="button button-secondary"
          disabled={erase.isPending}
          onClick={onClose}
        >
          Keep student
        </button>
      </div>
    </Dialog>
  );
}
