import type { RouterOutputs } from '@mentor-scheduling/client';
import { allOperations, auditTargetTypes, IdParamSchema } from '@mentor-scheduling/contracts';
import { useInfiniteQuery } from '@tanstack/react-query';
import { Filter } from 'lucide-react';
import { type FormEvent, type ReactNode, useId, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { Empty } from '../../components/Empty.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { Field } from '../../components/Field.js';
import { usePageTitle } from '../../components/Layout.js';
import { Loading } from '../../components/Loading.js';
import { formatInstant } from '../../time.js';
import { useTRPC } from '../../trpc.js';
import { tableWrapStyle, usePlatformZone } from './shared.js';

type AuditEntry = RouterOutputs['auditLog']['list']['items'][number];
type TargetType = (typeof auditTargetTypes)[number];
type RecordState = AuditEntry['before'];

/** Entries fetched at first, and added by each "Load more". */
const pageSize = 25;

const targetTypeLabels: Record<TargetType, string> = {
  account: 'Account',
  mentor: 'Mentor',
  student: 'Student',
  booking: 'Session',
  webhook_endpoint: 'Webhook endpoint',
  outbox_delivery: 'Notification message',
};

const roleLabels: Record<AuditEntry['actor']['role'], string> = {
  admin: 'Admin',
  mentor: 'Mentor',
  student: 'Student',
};

// Only changes are recorded: the operations that change something are the ones worth suggesting.
const changingOperations = allOperations()
  .filter((operation) => operation.trpc === 'mutation')
  .map((operation) => operation.id)
  .sort();

/** The filters in the address, so a filtered log can be reloaded or sent to a colleague. */
interface Filters {
  operation: string;
  targetType: TargetType | '';
  targetId: string;
}

function filtersOf(params: URLSearchParams): Filters {
  const type = params.get('target_type') ?? '';
  return {
    operation: (params.get('operation') ?? '').trim(),
    targetType: (auditTargetTypes as readonly string[]).includes(type) ? (type as TargetType) : '',
    targetId: IdParamSchema.safeParse(Number(params.get('target_id'))).success
      ? (params.get('target_id') ?? '')
      : '',
  };
}

/** /admin/audit: who changed what and when, newest first, filtered, a page more at a time. */
export function AdminAuditLogPage() {
  usePageTitle('Audit log');
  const zone = usePlatformZone();
  return (
    <section className="stack">
      <h1>Audit log</h1>
      <p className="muted">
        Every change made by an admin or the operator token, and every erasure of a student’s data, with the
        record before and after.
      </p>
      {zone ? <AuditEntries zone={zone} /> : <Loading label="Loading the audit log…" />}
    </section>
  );
}

function AuditEntries({ zone }: { zone: string }) {
  const trpc = useTRPC();
  const [params, setParams] = useSearchParams();
  const applied = filtersOf(params);
  const input: { limit: number; operation?: string; target_type?: TargetType; target_id?: number } = {
    limit: pageSize,
  };
  if (applied.operation) input.operation = applied.operation;
  if (applied.targetType) input.target_type = applied.targetType;
  if (applied.targetId) input.target_id = Number(applied.targetId);
  const entries = useInfiniteQuery(
    trpc.auditLog.list.infiniteQueryOptions(input, { getNextPageParam: (page) => page.nextCursor }),
  );
  const items = entries.data?.pages.flatMap((page) => page.items) ?? [];
  const filtered = Boolean(applied.operation || applied.targetType || applied.targetId);

  const apply = (next: Filters) => {
    const query = new URLSearchParams(params);
    const set = (name: string, value: string) => {
      if (value) query.set(name, value);
      else query.delete(name);
    };
    set('operation', next.operation.trim());
    set('target_type', next.targetType);
    set('target_id', next.targetId.trim());
    setParams(query, { replace: true });
  };

  return (
    <>
      <FilterForm applied={applied} onApply={apply} />
      {entries.isPending ? (
        <Loading label="Loading the audit log…" />
      ) : entries.isError && items.length === 0 ? (
        <ErrorNotice error={entries.error} onRetry={() => void entries.refetch()} />
      ) : items.length === 0 ? (
        <Empty title={filtered ? 'No changes match these filters' : 'No changes recorded yet'}>
          <p>
            {filtered
              ? 'Check the operation’s spelling (like mentors.update), or clear the filters.'
              : 'Changes made by admins appear here as they happen.'}
          </p>
        </Empty>
      ) : (
        <>
          <div className="table-wrap" style={tableWrapStyle}>
            <table>
              <caption>
                {filtered ? 'Matching changes' : 'Changes'}, newest first{' '}
                <span className="muted">(times in {zone})</span>
              </caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">Operation</th>
                  <th scope="col">Target</th>
                  <th scope="col">Change</th>
                </tr>
              </thead>
              <tbody>
                {items.map((entry) => (
                  <EntryRow key={entry.id} entry={entry} zone={zone} />
                ))}
              </tbody>
            </table>
          </div>
          {entries.isFetchNextPageError && (
            <ErrorNotice error={entries.error} onRetry={() => void entries.fetchNextPage()} />
          )}
          {entries.hasNextPage && !entries.isFetchNextPageError && (
            <div className="actions">
              <button
                type="button"
                className="button button-secondary"
                disabled={entries.isFetchingNextPage}
                onClick={() => void entries.fetchNextPage()}
              >
                {entries.isFetchingNextPage ? 'Loading more…' : 'Load more changes'}
              </button>
            </div>
          )}
        </>
      )}
    </>
  );
}

/** The filters as typed: applied on "Filter" (or Enter), and at once when the target type changes. */
function FilterForm({ applied, onApply }: { applied: Filters; onApply: (filters: Filters) => void }) {
  const [draft, setDraft] = useState<Filters>(applied);
  const [badId, setBadId] = useState(false);
  const operationsListId = useId();

  const submit = (next: Filters) => {
    const id = next.targetId.trim();
    if (id && !IdParamSchema.safeParse(Number(id)).success) {
      setBadId(true);
      return;
    }
    setBadId(false);
    onApply(next);
  };

  return (
    <search aria-label="Filter the audit log">
      <form
        className="stack"
        noValidate
        onSubmit={(event: FormEvent) => {
          event.preventDefault();
          submit(draft);
        }}
      >
        <div className="grid">
          <Field label="Operation" hint="Its id, like mentors.update">
            {(control) => (
              <input
                {...control}
                list={operationsListId}
                maxLength={60}
                autoComplete="off"
                spellCheck={false}
                value={draft.operation}
                onChange={(event) => setDraft({ ...draft, operation: event.target.value })}
              />
            )}
          </Field>
          <datalist id={operationsListId}>
            {changingOperations.map((id) => (
              <option key={id} value={id} />
            ))}
          </datalist>
          <Field label="Target type" hint="The kind of record changed">
            {(control) => (
              <select
                {...control}
                value={draft.targetType}
                onChange={(event) => {
                  const next = { ...draft, targetType: event.target.value as Filters['targetType'] };
                  setDraft(next);
                  submit(next);
                }}
              >
                <option value="">Any type</option>
                {auditTargetTypes.map((type) => (
                  <option key={type} value={type}>
                    {targetTypeLabels[type]}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field
            label="Target id"
            hint="The record’s number, like 12"
            error={badId ? 'Enter a whole number, like 12, or leave it empty.' : undefined}
          >
            {(control) => (
              <input
                {...control}
                inputMode="numeric"
                autoComplete="off"
                value={draft.targetId}
                onChange={(event) => setDraft({ ...draft, targetId: event.target.value })}
              />
            )}
          </Field>
        </div>
        <div className="actions">
          <button type="submit" className="button button-primary">
            <Filter aria-hidden="true" />
            Filter
          </button>
          {(applied.operation || applied.targetType || applied.targetId) && (
            <button
              type="button"
              className="button button-secondary"
              onClick={() => {
                const none: Filters = { operation: '', targetType: '', targetId: '' };
                setDraft(none);
                setBadId(false);
                onApply(none);
              }}
            >
              Clear filters
            </button>
          )}
        </div>
      </form>
    </search>
  );
}

/** "Admin (account #1)", or the operator token by name. */
function actorText(actor: AuditEntry['actor']): string {
  if (actor.label === 'operator') return 'Operator token (ADMIN_TOKEN)';
  const role = roleLabels[actor.role];
  return actor.account_id !== null ? `${role} (account #${actor.account_id})` : `${role} (${actor.label})`;
}

function EntryRow({ entry, zone }: { entry: AuditEntry; zone: string }) {
  const target = `${targetTypeLabels[entry.target_type]}${entry.target_id !== null ? ` #${entry.target_id}` : ''}`;
  return (
    <tr>
      <td>{formatInstant(entry.at, zone, { withZone: true })}</td>
      <td>{actorText(entry.actor)}</td>
      <td>
        <code>{entry.operation}</code>
      </td>
      <td style={{ whiteSpace: 'nowrap' }}>
        {entry.target_type === 'booking' && entry.target_id !== null ? (
          <Link to={`/bookings/${entry.target_id}`}>{target}</Link>
        ) : (
          target
        )}
      </td>
      <td style={{ minWidth: '16rem' }}>
        <ChangeSummary entry={entry} zone={zone} />
      </td>
    </tr>
  );
}

const instantPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A value on one line, cut short (the full record is one click away): an instant in the zone the
 * table names, a missing value as "none", anything else as JSON, so "" and "none" stay apart.
 */
function compact(value: unknown, zone: string): string {
  if (value === undefined || value === null) return 'none';
  if (typeof value === 'string' && instantPattern.test(value)) return formatInstant(value, zone);
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

/** The fields whose values differ between two states of a record, in the order the record has them. */
export function changedFields(before: RecordState, after: RecordState): FieldChange[] {
  const was = before ?? {};
  const now = after ?? {};
  const fields = [...new Set([...Object.keys(was), ...Object.keys(now)])];
  return fields
    .filter((field) => JSON.stringify(was[field]) !== JSON.stringify(now[field]))
    .map((field) => ({ field, before: was[field], after: now[field] }));
}

function ChangeSummary({ entry, zone }: { entry: AuditEntry; zone: string }) {
  const { before, after } = entry;
  const changes = changedFields(before, after);
  let summary: ReactNode;
  if (before === null && after !== null) summary = <p style={{ margin: 0 }}>Created</p>;
  else if (before !== null && after === null) summary = <p style={{ margin: 0 }}>Removed</p>;
  else if (changes.length === 0) summary = <p style={{ margin: 0 }}>No field changed</p>;
  else
    summary = (
      <ul style={{ margin: 0, paddingLeft: '1.1rem' }}>
        {changes.map((change) => (
          <li key={change.field} style={{ overflowWrap: 'anywhere' }}>
            <code>{change.field}</code>: {compact(change.before, zone)} → {compact(change.after, zone)}
          </li>
        ))}
      </ul>
    );
  const pre = { margin: 0, whiteSpace: 'pre-wrap', overflowWrap: 'anywhere', fontSize: '0.85rem' } as const;
  return (
    <>
      {summary}
      <details>
        <summary>
          Full record<span className="visually-hidden"> of change #{entry.id}</span>
        </summary>
        <dl className="stack" style={{ margin: 0 }}>
          <dt>Before</dt>
          <dd style={{ margin: 0 }}>
            <pre style={pre}>{before === null ? 'Did not exist' : JSON.stringify(before, null, 2)}</pre>
          </dd>
          <dt>After</dt>
          <dd style={{ margin: 0 }}>
            <pre style={pre}>{after === null ? 'No longer exists' : JSON.stringify(after, null, 2)}</pre>
          </dd>
          {entry.request_id && (
            <>
              <dt>Request id</dt>
              <dd style={{ margin: 0 }}>
                <code>{entry.request_id}</code>
              </dd>
            </>
          )}
        </dl>
      </details>
    </>
  );
}
