import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Search } from 'lucide-react';
import { type FormEvent, useId, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { Empty } from '../../components/Empty.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { usePageTitle } from '../../components/Layout.js';
import { Loading } from '../../components/Loading.js';
import { useTRPC } from '../../trpc.js';
import {
  formatDay,
  PageButtons,
  rowHeaderStyle,
  tableWrapStyle,
  usePager,
  usePlatformZone,
} from './shared.js';

/** /admin/students: every student, or those whose name or email holds the search, a page at a time. */
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
                    <span className="visually-hidden">Sessions</span>
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
                      <Link to={`/admin/bookings?student_id=${student.id}`}>
                        Sessions<span className="visually-hidden"> of {student.name}</span>
                      </Link>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <PageButtons pager={pager} nextCursor={students.data.nextCursor} label="Pages of students" />
        </>
      )}
    </section>
  );
}
