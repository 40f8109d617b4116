import type { ErrorCode, FieldError, SlotHint } from '@mentor-scheduling/contracts';

/**
 * A refusal the API reports to the caller: the code picks the HTTP status and the tRPC error code,
 * the detail is a human message. Anything else thrown is a bug and becomes a 500 without details.
 */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly extras: {
      errors?: FieldError[];
      next_slots?: SlotHint[];
      headers?: Record<string, string>;
    } = {},
  ) {
    super(detail);
  }
}

export function invalidInput(path: string, message: string): AppError {
  return new AppError('invalid_request', message, { errors: [{ path, message }] });
}

export function notFound(what: string, id: number | string): AppError {
  return new AppError('not_found', `${what} ${id} does not exist`);
}

/**
 * The database gave up waiting (PostgreSQL statement timeout or lock wait, SQLite still locked after
 * the busy timeout): a temporary condition, answered 503 with Retry-After rather than a 500.
 */
export function busyErrorOf(error: unknown): AppError | null {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  const busy =
    code === '57014' ||
    code === '55P03' ||
    code === 'SQLITE_BUSY' ||
    /database is locked/.test(message ?? '');
  return busy
    ? new AppError('service_busy', 'The database is busy; retry shortly', { headers: { 'retry-after': '1' } })
    : null;
}
