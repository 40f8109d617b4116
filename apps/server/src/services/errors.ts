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

/** PostgreSQL: disk full, read-only transaction (a standby, or a read-only role), I/O error, corrupt data. */
const pgStorageFailures = new Set(['53100', '25006', '58030', 'XX001', 'XX002']);
/** SQLite: database or disk full, read-only or moved file, corrupt file or not a database, I/O error. */
const sqliteStorageFailure = /^SQLITE_(FULL|READONLY|CORRUPT|NOTADB|IOERR|CANTOPEN)/;

/** Seconds a client should wait after storage failed: an operator has to act, retrying at once won't help. */
const STORAGE_RETRY_AFTER_SECONDS = '30';

/**
 * What a database error means to the caller when it is not a bug of ours: the database gave up
 * waiting (PostgreSQL statement timeout or lock wait, SQLite still locked when the write wait is
 * over), or its storage fails (full disk, read-only, corrupt or unreadable file). Both are conditions
 * of the server, not of the request: 503 with Retry-After, never a 500.
 */
export function databaseErrorOf(error: unknown): AppError | null {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const text = typeof code === 'string' ? code : '';
  if (
    text === '57014' ||
    text === '55P03' ||
    // A deadlock PostgreSQL broke by aborting this transaction: nothing was written, a retry succeeds.
    text === '40P01' ||
    text.startsWith('SQLITE_BUSY') ||
    (typeof message === 'string' && message.includes('database is locked'))
  ) {
    return new AppError('service_busy', 'The database is busy; retry shortly', {
      headers: { 'retry-after': '1' },
    });
  }
  if (pgStorageFailures.has(text) || sqliteStorageFailure.test(text)) {
    return new AppError('storage_unavailable', 'The database cannot store or read data right now', {
      headers: { 'retry-after': STORAGE_RETRY_AFTER_SECONDS },
    });
  }
  return null;
}
