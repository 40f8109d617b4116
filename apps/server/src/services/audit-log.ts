/**
 * The audit log: every change an admin or the operator token makes, and every erasure, recorded with
 * who, when, through which operation and request, and the record before and after. It wraps the
 * operations' handlers, so REST and tRPC record alike and no use case has to remember to.
 */
import type {
  AuditEntry,
  auditTargetTypes,
  Operation,
  OperationInput,
  Operations,
  Page,
} from '@mentor-scheduling/contracts';
import type { Knex } from 'knex';
import { instantFromDb } from '../db/connection.js';
import { toIsoUtc } from '../domain/time.js';
import type { ServiceContext } from './context.js';
import { decodeCursor, encodeCursor, instantOf } from './inputs.js';

type AuditTargetType = (typeof auditTargetTypes)[number];
type RecordState = Record<string, unknown> | null;
type Db = Knex | Knex.Transaction;

/** What an audited operation changes, and how to read that record as it stands. */
interface AuditedOperation {
  targetType: AuditTargetType;
  /** Where the id of the record changed is: the input's `id`, or the answer's (a record it makes) */
  idFrom: 'input' | 'answer';
  /** The record as it stands, without secrets; null when there is none */
  snapshot(db: Db, id: number): Promise<RecordState>;
  /** Whose personal data the entry may hold, so an erasure can redact it */
  studentIdOf?(before: RecordState, after: RecordState, id: number | null): number | null;
}

/** Stored instants read back the same on every database: ISO 8601 in UTC. */
function plainRow(row: Record<string, unknown>, omit: readonly string[] = []): Record<string, unknown> {
  const plain: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) {
    if (omit.includes(column)) continue;
    plain[column] =
      value !== null && (value instanceof Date || (column.endsWith('_at') && typeof value !== 'boolean'))
        ? toIsoUtc(instantFromDb(value))
        : value;
  }
  return plain;
}

async function accountState(db: Db, id: number): Promise<RecordState> {
  const row = await db('accounts').where('id', id).first();
  if (!row) return null;
  const [{ live } = { live: 0 }] = await db('auth_tokens')
    .where('account_id', id)
    .whereNull('revoked_at')
    .count({ live: '*' });
  return { ...plainRow(row, ['password_hash', 'email_normalized']), live_tokens: Number(live) };
}

async function mentorState(db: Db, id: number): Promise<RecordState> {
  const row = await db('mentors').where('id', id).first();
  if (!row) return null;
  const areas = await db('mentor_areas')
    .join('areas', 'areas.id', 'mentor_areas.area_id')
    .where('mentor_areas.mentor_id', id)
    .orderBy('areas.name')
    .pluck('areas.name');
  return { ...plainRow(row), is_premium: Boolean(row.is_premium), areas };
}

async function availabilityState(db: Db, id: number): Promise<RecordState> {
  const weekly = await db('availability_windows')
    .where('mentor_id', id)
    .orderBy(['weekday', 'start_minute'])
    .select('weekday', 'start_minute', 'end_minute');
  const overrides = await db('availability_overrides').where('mentor_id', id).orderBy(['date', 'id']);
  return { weekly, overrides: overrides.map((row) => plainRow(row, ['id', 'mentor_id'])) };
}

async function studentState(db: Db, id: number): Promise<RecordState> {
  const row = await db('students').where('id', id).first();
  if (!row) return null;
  const preferred = await db('student_preferred_windows')
    .where('student_id', id)
    .orderBy(['weekday', 'start_minute'])
    .select('weekday', 'start_minute', 'end_minute');
  return { ...plainRow(row, ['email_normalized']), preferred_windows: preferred };
}

async function bookingState(db: Db, id: number): Promise<RecordState> {
  const row = await db('bookings').where('id', id).first();
  if (!row) return null;
  const payment = await db('payments')
    .where('booking_id', id)
    .first('status', 'amount_minor', 'currency', 'refund_status', 'refund_amount_minor');
  return { ...plainRow(row), payment: payment ?? null };
}

async function webhookEndpointState(db: Db, id: number): Promise<RecordState> {
  const row = await db('webhook_endpoints').where('id', id).first();
  return row ? plainRow(row, ['secret']) : null;
}

async function deliveryState(db: Db, id: number): Promise<RecordState> {
  const row = await db('outbox_deliveries')
    .where('id', id)
    .first('id', 'event_id', 'channel', 'recipient', 'kind', 'status', 'attempts', 'available_at', 'sent_at');
  return row ? plainRow(row) : null;
}

const studentOfRecord = (before: RecordState, after: RecordState) =>
  ((after ?? before)?.student_id as number | undefined) ?? null;

/**
 * The operations audited by wrapping their handler. A session booked on a student's behalf
 * (`bookings.create`) is audited by the booking's own write, in its transaction (bookings.ts).
 */
const audited: Record<string, AuditedOperation> = {
  'auth.createAccount': {
    targetType: 'account',
    idFrom: 'answer',
    snapshot: accountState,
    studentIdOf: studentOfRecord,
  },
  'auth.revokeTokens': {
    targetType: 'account',
    idFrom: 'input',
    snapshot: accountState,
    studentIdOf: studentOfRecord,
  },
  'mentors.create': { targetType: 'mentor', idFrom: 'answer', snapshot: mentorState },
  'mentors.update': { targetType: 'mentor', idFrom: 'input', snapshot: mentorState },
  'mentors.setAvailability': { targetType: 'mentor', idFrom: 'input', snapshot: availabilityState },
  'students.create': {
    targetType: 'student',
    idFrom: 'answer',
    snapshot: studentState,
    studentIdOf: (_before, _after, id) => id,
  },
  'students.update': {
    targetType: 'student',
    idFrom: 'input',
    snapshot: studentState,
    studentIdOf: (_before, _after, id) => id,
  },
  'bookings.cancel': {
    targetType: 'booking',
    idFrom: 'input',
    snapshot: bookingState,
    studentIdOf: studentOfRecord,
  },
  'bookings.reschedule': {
    targetType: 'booking',
    idFrom: 'input',
    snapshot: bookingState,
    studentIdOf: studentOfRecord,
  },
  'webhooks.create': { targetType: 'webhook_endpoint', idFrom: 'answer', snapshot: webhookEndpointState },
  'webhooks.delete': { targetType: 'webhook_endpoint', idFrom: 'input', snapshot: webhookEndpointState },
  'outbox.retry': { targetType: 'outbox_delivery', idFrom: 'input', snapshot: deliveryState },
};

export function isAudited(operationId: string): boolean {
  return operationId in audited;
}

export interface AuditRecord {
  operation: string;
  targetType: AuditTargetType;
  targetId: number | null;
  studentId: number | null;
  before: RecordState;
  after: RecordState;
}

/** An entry as stored, for a writer that inserts it in the transaction of the change itself. */
export interface AuditRow {
  at: Date;
  actor_role: string;
  actor_label: string;
  actor_account_id: number | null;
  request_id: string | null;
  operation: string;
  target_type: AuditTargetType;
  target_id: number | null;
  student_id: number | null;
  before: string | null;
  after: string | null;
}

/** One entry stamped with the caller and the request of `ctx`, made at `at` (default now). */
export function auditRowOf(ctx: ServiceContext, entry: AuditRecord, at = ctx.now()): AuditRow {
  return {
    at: new Date(at),
    actor_role: ctx.actor.role,
    actor_label: ctx.actor.label,
    actor_account_id: ctx.actor.accountId ?? null,
    request_id: ctx.requestId ?? null,
    operation: entry.operation,
    target_type: entry.targetType,
    target_id: entry.targetId,
    student_id: entry.studentId,
    before: entry.before === null ? null : JSON.stringify(entry.before),
    after: entry.after === null ? null : JSON.stringify(entry.after),
  };
}

export async function recordAudit(ctx: ServiceContext, db: Db, entry: AuditRecord): Promise<void> {
  await db('audit_log').insert(auditRowOf(ctx, entry));
}

type AnyHandler = (ctx: ServiceContext, input: never) => unknown;

/**
 * The handler of `operation`, recording each successful call by an admin in the audit log. A
 * refused call, or one that left the record as it was, records nothing. The entry is
 * written once the change is committed; if writing it fails, the change stands and the failure
 * is logged as an error with everything the entry would have held.
 */
export function withAuditTrail<Handler extends AnyHandler>(operation: Operation, handler: Handler): Handler {
  const audit = audited[operation.id];
  if (!audit) return handler;
  const recorded = async (ctx: ServiceContext, input: Record<string, unknown>) => {
    if (ctx.actor.role !== 'admin') return handler(ctx, input as never);
    const knownId = audit.idFrom === 'input' ? (input.id as number) : null;
    const before = knownId === null ? null : await readState(ctx, audit, knownId);
    const result = await handler(ctx, input as never);
    const targetId = knownId ?? (result as { id: number }).id;
    const after = await readState(ctx, audit, targetId);
    // A call that left the record as it was (a move to the same slot) changed nothing.
    if (before !== null && JSON.stringify(before) === JSON.stringify(after)) return result;
    const entry: AuditRecord = {
      operation: operation.id,
      targetType: audit.targetType,
      targetId,
      studentId: audit.studentIdOf?.(before, after, targetId) ?? null,
      before,
      after,
    };
    try {
      await recordAudit(ctx, ctx.db.knex, entry);
    } catch (error) {
      // Ids only: the record's fields may be personal data, which logs never hold.
      const { operation: op, targetType, targetId } = entry;
      ctx.log.error(
        { err: error, audit: { operation: op, targetType, targetId }, actor: ctx.actor.label },
        'audit entry not written',
      );
    }
    return result;
  };
  return recorded as unknown as Handler;
}

async function readState(ctx: ServiceContext, audit: AuditedOperation, id: number): Promise<RecordState> {
  // An id past what the column holds names nothing; the handler answers it (404).
  return Number.isSafeInteger(id) ? audit.snapshot(ctx.db.knex, id) : null;
}

/** The fields of a student's records that say who they are; an erasure replaces them in the log. */
const personalFields = [
  'name',
  'email',
  'timezone',
  'area_of_interest_id',
  'preferred_windows',
  'cancellation_reason',
] as const;

/** Keeps who changed what and when about a student, without the personal data they asked to erase. */
export async function redactAuditEntriesOf(trx: Knex.Transaction, studentId: number): Promise<number> {
  const rows = await trx('audit_log').where('student_id', studentId).select('id', 'before', 'after');
  const redact = (text: string | null) => {
    if (text === null) return null;
    const state = JSON.parse(text) as Record<string, unknown>;
    for (const field of personalFields) if (field in state) state[field] = '[erased]';
    return JSON.stringify(state);
  };
  for (const row of rows) {
    await trx('audit_log')
      .where('id', row.id)
      .update({ before: redact(row.before), after: redact(row.after) });
  }
  return rows.length;
}

function entryOf(row: Record<string, unknown>): AuditEntry {
  return {
    id: row.id as number,
    at: toIsoUtc(instantFromDb(row.at)),
    actor: {
      role: row.actor_role as AuditEntry['actor']['role'],
      label: row.actor_label as string,
      account_id: (row.actor_account_id as number | null) ?? null,
    },
    request_id: (row.request_id as string | null) ?? null,
    operation: row.operation as string,
    target_type: row.target_type as AuditTargetType,
    target_id: (row.target_id as number | null) ?? null,
    before: row.before === null ? null : JSON.parse(row.before as string),
    after: row.after === null ? null : JSON.parse(row.after as string),
  };
}

/** Newest first, filtered, paged by id. */
export async function listAuditLog(
  ctx: ServiceContext,
  input: OperationInput<Operations['auditLog']['list']>,
): Promise<Page<AuditEntry>> {
  const query = ctx.db
    .knex('audit_log')
    .orderBy('id', 'desc')
    .limit(input.limit + 1);
  if (input.operation !== undefined) query.where('operation', input.operation);
  if (input.target_type !== undefined) query.where('target_type', input.target_type);
  if (input.target_id !== undefined) query.where('target_id', input.target_id);
  if (input.actor_account_id !== undefined) query.where('actor_account_id', input.actor_account_id);
  if (input.from !== undefined) query.where('at', '>=', new Date(instantOf(ctx, input.from, 'from')));
  if (input.to !== undefined) query.where('at', '<', new Date(instantOf(ctx, input.to, 'to')));
  if (input.cursor !== undefined) {
    const [beforeId] = decodeCursor(input.cursor, ['id']) as [number];
    query.where('id', '<', beforeId);
  }
  const rows = await query;
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    items: page.map(entryOf),
    nextCursor: rows.length > input.limit && last ? encodeCursor([last.id]) : null,
  };
}
