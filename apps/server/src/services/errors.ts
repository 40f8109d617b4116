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
