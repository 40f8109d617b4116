import type { Operation } from '@mentor-scheduling/contracts';
import type { Actor, ServiceContext } from './context.js';
import { AppError, invalidInput, notFound } from './errors.js';

/**
 * The one place that decides whether a caller may call an operation at all, from the operation
 * table's `access`. Both the REST and the tRPC adapter call it before the service runs.
 */
export function authorize(operation: Operation, actor: Actor): void {
  if (operation.access === 'public') return;
  if (actor.role === 'anonymous') throw unauthenticated();
  if (!operation.access.includes(actor.role)) {
    // Summaries are titles ("One student"), not verbs: a sentence built from them read as nonsense.
    throw new AppError(
      'forbidden',
      `Only ${rolesInWords(operation.access)} may call ${operation.id} (${operation.method} ${operation.path}); this token is ${possessive(actor.role)}`,
    );
  }
}

function rolesInWords(roles: readonly string[]): string {
  const plural = roles.map((role) => `${role}s`);
  return plural.length > 1 ? `${plural.slice(0, -1).join(', ')} and ${plural.at(-1)}` : (plural[0] ?? '');
}

function possessive(role: string): string {
  return `${/^[aeiou]/.test(role) ? 'an' : 'a'} ${role}’s`;
}

function unauthenticated(): AppError {
  return new AppError('unauthenticated', 'Log in first: send Authorization: Bearer <token>', {
    headers: { 'www-authenticate': 'Bearer' },
  });
}

/**
 * Someone's own data asked for by a caller who did not say who they are: 401, so they log in, as on
 * an operation that needs a token (403 would tell a logged-in caller it is not theirs).
 */
function notYoursOrUnauthenticated(ctx: ServiceContext): AppError {
  return ctx.actor.role === 'anonymous' ? unauthenticated() : notYours();
}

function notYours(): AppError {
  return new AppError('forbidden', 'That belongs to someone else');
}

/**
 * The one rule for records that belong to people (bookings, students, mentors' settings): only
 * admins learn whether an id exists. Anyone else gets the same 403 for an id that is not theirs
 * and for an id that names nothing, so ids cannot be probed for what exists.
 */
export function unknownRecord(ctx: ServiceContext, what: string, id: number): AppError {
  return ctx.actor.role === 'admin' ? notFound(what, id) : notYours();
}

/** The student a student-scoped request is about: the caller for students, the one named for admins. */
export function studentIdFor(ctx: ServiceContext, requested: number | undefined): number {
  const { actor } = ctx;
  if (actor.role === 'student') {
    if (requested !== undefined && requested !== actor.studentId) throw notYours();
    return actor.studentId as number;
  }
  if (requested === undefined) throw invalidInput('/student_id', 'student_id is required');
  return requested;
}

export function requireStudentSelf(ctx: ServiceContext, studentId: number): void {
  if (ctx.actor.role === 'admin') return;
  if (ctx.actor.role !== 'student' || ctx.actor.studentId !== studentId) throw notYoursOrUnauthenticated(ctx);
}

export function requireMentorSelf(ctx: ServiceContext, mentorId: number): void {
  if (ctx.actor.role === 'admin') return;
  if (ctx.actor.role !== 'mentor' || ctx.actor.mentorId !== mentorId) throw notYoursOrUnauthenticated(ctx);
}

/** Students and mentors see and change only sessions they take part in; admins every session. */
export function requireParticipant(
  ctx: ServiceContext,
  booking: { student_id: number; mentor_id: number },
): void {
  const { actor } = ctx;
  if (actor.role === 'admin') return;
  if (actor.role === 'student' && actor.studentId === booking.student_id) return;
  if (actor.role === 'mentor' && actor.mentorId === booking.mentor_id) return;
  throw notYours();
}

/** Filters a listing to the caller's own sessions, refusing a filter that names someone else. */
export function ownBookingsFilter(
  ctx: ServiceContext,
  filter: { student_id?: number | undefined; mentor_id?: number | undefined },
): { student_id?: number | undefined; mentor_id?: number | undefined } {
  const { actor } = ctx;
  if (actor.role === 'student') {
    if (filter.student_id !== undefined && filter.student_id !== actor.studentId) throw notYours();
    return { ...filter, student_id: actor.studentId };
  }
  if (actor.role === 'mentor') {
    if (filter.mentor_id !== undefined && filter.mentor_id !== actor.mentorId) throw notYours();
    return { ...filter, mentor_id: actor.mentorId };
  }
  return filter;
}

/**
 * Who is held to the change cut-off. Moving a session close to its start: students and mentors.
 * Cancelling one: students only; a mentor who cannot make it must be able to say so at any time (a
 * paid session is then refunded in full). Admins never are.
 */
export function isBoundByCutoff(ctx: ServiceContext, change: 'cancel' | 'move'): boolean {
  if (ctx.actor.role === 'admin') return false;
  return change === 'move' || ctx.actor.role === 'student';
}
