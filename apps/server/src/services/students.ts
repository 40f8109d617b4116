import type { OperationInput, Operations, Page, Student } from '@mentor-scheduling/contracts';
import type { Knex } from 'knex';
import { instantFromDb } from '../db/connection.js';
import { StudentModel } from '../db/models.js';
import { findAvailabilityProblems, type WeeklyWindow } from '../domain/availability.js';
import { toIsoUtc } from '../domain/time.js';
import { requireStudentSelf } from './access.js';
import { areasByName } from './catalogue.js';
import type { ServiceContext } from './context.js';
import { AppError, notFound } from './errors.js';
import { decodeCursor, encodeCursor } from './inputs.js';
import { isoWeekdayOf, minutesOfClock, weeklyWindowsFromRows } from './schedules.js';

export async function presentStudent(db: Knex | Knex.Transaction, row: StudentModel): Promise<Student> {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    timezone: row.timezone,
    area_of_interest: row.area_of_interest?.name ?? null,
    preferred_windows: await preferredWindowsOf(db, row.id),
    created_at: toIsoUtc(instantFromDb(row.created_at)),
  };
}

export async function studentById(db: Knex | Knex.Transaction, id: number): Promise<StudentModel> {
  const row = await StudentModel.query(db).findById(id).withGraphFetched('area_of_interest');
  if (!row) throw notFound('Student', id);
  return row;
}

/**
 * The name of a student who may be booked for, refusing an unknown or erased one (404), without
 * loading the rest of the student.
 */
export async function studentNameOf(db: Knex | Knex.Transaction, id: number): Promise<string> {
  const row = await db('students').select('name').where('id', id).whereNull('erased_at').first();
  if (!row) throw notFound('Student', id);
  return row.name;
}

/** The student's preferred weekly windows, in the student's zone. */
export async function preferredWindowsOf(
  db: Knex | Knex.Transaction,
  studentId: number,
): Promise<WeeklyWindow[]> {
  const rows = await db('student_preferred_windows')
    .select('weekday', 'start_minute', 'end_minute')
    .where('student_id', studentId);
  return weeklyWindowsFromRows(rows);
}

function refuseInvalidWindows(timezone: string, windows: WeeklyWindow[]): void {
  const problems = findAvailabilityProblems({ timezone, weekly: windows, overrides: [] });
  if (problems.length > 0) {
    throw new AppError('invalid_request', problems.map((problem) => problem.message).join('; '), {
      errors: problems.map((problem) => ({
        path: problem.path.replace(/^\/weekly/, '/preferred_windows'),
        message: problem.message,
      })),
    });
  }
}

async function replacePreferredWindows(
  db: Knex | Knex.Transaction,
  studentId: number,
  windows: WeeklyWindow[],
) {
  await db('student_preferred_windows').where('student_id', studentId).delete();
  if (windows.length === 0) return;
  await db('student_preferred_windows').insert(
    windows.map((window) => ({
      student_id: studentId,
      weekday: isoWeekdayOf(window.day),
      start_minute: minutesOfClock(window.start),
      end_minute: minutesOfClock(window.end),
    })),
  );
}

/**
 * One email, one person: an email a student or any account (a mentor's, an admin's) already uses is
 * taken, except by the student named (whose own record and account it is).
 */
export async function refuseTakenEmail(
  db: Knex | Knex.Transaction,
  email: string,
  exceptStudentId?: number,
): Promise<void> {
  const normalized = email.trim().toLowerCase();
  const student = StudentModel.query(db).where('email_normalized', normalized).first();
  const account = db('accounts').where('email_normalized', normalized).first('id');
  if (exceptStudentId !== undefined) {
    student.whereNot('id', exceptStudentId);
    account.where((others) => others.whereNull('student_id').orWhereNot('student_id', exceptStudentId));
  }
  if ((await student) || (await account))
    throw new AppError('email_taken', 'That email is already registered');
}

async function areaIdOf(
  ctx: ServiceContext,
  name: string | null | undefined,
): Promise<number | null | undefined> {
  if (name === undefined || name === null) return name;
  const [area] = await areasByName(ctx, [name]);
  return area?.id ?? null;
}

/** Unique-email races between two requests end as 409, like the check before them. */
export function isUniqueViolation(error: unknown): boolean {
  const text =
    String((error as { code?: string; message?: string })?.code ?? '') +
    String((error as Error)?.message ?? '');
  return /23505|SQLITE_CONSTRAINT_UNIQUE|UNIQUE constraint failed/.test(text);
}

type NewStudent = OperationInput<Operations['students']['create']>;

/**
 * Adds a student, and with `withinTransaction` whatever else must exist with them (their account),
 * all or nothing.
 */
export async function createStudent(
  ctx: ServiceContext,
  input: NewStudent,
  withinTransaction: (trx: Knex.Transaction, studentId: number) => Promise<void> = async () => {},
): Promise<Student> {
  const timezone = input.timezone ?? ctx.config.defaultTimezone;
  refuseInvalidWindows(timezone, input.preferred_windows ?? []);
  const areaId = await areaIdOf(ctx, input.area_of_interest);
  await refuseTakenEmail(ctx.db.knex, input.email);
  const now = new Date(ctx.now());
  try {
    const studentId = await ctx.db.knex.transaction(async (trx) => {
      const inserted = await StudentModel.query(trx).insert({
        name: input.name,
        email: input.email,
        email_normalized: input.email.toLowerCase(),
        timezone,
        area_of_interest_id: areaId ?? null,
        created_at: now,
        updated_at: now,
      });
      await replacePreferredWindows(trx, inserted.id, input.preferred_windows ?? []);
      await withinTransaction(trx, inserted.id);
      return inserted.id;
    });
    return presentStudent(ctx.db.knex, await studentById(ctx.db.knex, studentId));
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('email_taken', 'That email is already registered');
    throw error;
  }
}

export async function getStudent(
  ctx: ServiceContext,
  input: OperationInput<Operations['students']['get']>,
): Promise<Student> {
  requireStudentSelf(ctx, input.id);
  return presentStudent(ctx.db.knex, await studentById(ctx.db.knex, input.id));
}

export async function updateStudent(
  ctx: ServiceContext,
  input: OperationInput<Operations['students']['update']>,
): Promise<Student> {
  requireStudentSelf(ctx, input.id);
  const existing = await studentById(ctx.db.knex, input.id);
  if (existing.erased_at !== null) throw erased(input.id);
  if (input.preferred_windows)
    refuseInvalidWindows(input.timezone ?? existing.timezone, input.preferred_windows);
  const areaId = await areaIdOf(ctx, input.area_of_interest);
  if (input.email !== undefined) await refuseTakenEmail(ctx.db.knex, input.email, input.id);
  const changes: Record<string, unknown> = { updated_at: new Date(ctx.now()) };
  if (input.name !== undefined) changes.name = input.name;
  if (input.timezone !== undefined) changes.timezone = input.timezone;
  if (input.email !== undefined)
    Object.assign(changes, { email: input.email, email_normalized: input.email.toLowerCase() });
  if (areaId !== undefined) changes.area_of_interest_id = areaId;
  try {
    await ctx.db.knex.transaction(async (trx) => {
      // An erasure that committed meanwhile wins: nothing it removed comes back.
      const updated = await trx('students').where('id', input.id).whereNull('erased_at').update(changes);
      if (updated === 0) throw erased(input.id);
      if (input.preferred_windows) await replacePreferredWindows(trx, input.id, input.preferred_windows);
    });
  } catch (error) {
    if (isUniqueViolation(error))
      throw new AppError('email_taken', 'A student with that email already exists');
    throw error;
  }
  return presentStudent(ctx.db.knex, await studentById(ctx.db.knex, input.id));
}

function erased(id: number): AppError {
  return new AppError(
    'not_found',
    `Student ${id} was erased at their request: their data can no longer be changed`,
  );
}

/** Students in the order they joined (by id), optionally those whose name or email contains `q`. */
export async function listStudents(
  ctx: ServiceContext,
  input: OperationInput<Operations['students']['list']>,
): Promise<Page<Student>> {
  const query = StudentModel.query(ctx.db.knex)
    .withGraphFetched('area_of_interest')
    .orderBy('id')
    .limit(input.limit + 1);
  if (input.q !== undefined) {
    // LIKE's wildcards in the search text are searched for as themselves.
    const pattern = `%${input.q.toLowerCase().replace(/[\\%_]/g, (match) => `\\${match}`)}%`;
    query.where((match) =>
      match
        .whereRaw("lower(name) like ? escape '\\'", [pattern])
        .orWhereRaw("email_normalized like ? escape '\\'", [pattern]),
    );
  }
  if (input.cursor !== undefined) {
    const [afterId] = decodeCursor(input.cursor, ['id']) as [number];
    query.where('id', '>', afterId);
  }
  const rows = await query;
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  const items: Student[] = [];
  for (const row of page) items.push(await presentStudent(ctx.db.knex, row));
  return { items, nextCursor: rows.length > input.limit && last ? encodeCursor([last.id]) : null };
}
