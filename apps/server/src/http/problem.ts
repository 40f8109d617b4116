import {
  type ErrorCode,
  errorCatalogue,
  type FieldError,
  type Problem,
  problemTypeOf,
  type SlotHint,
} from '@mentor-scheduling/contracts';
import { AppError, databaseErrorOf } from '../services/errors.js';

interface IssueLike {
  path?: ReadonlyArray<PropertyKey | { key: PropertyKey }>;
  message: string;
}

/** `['weekly', 2, 'end']` → `/weekly/2/end`, the JSON-pointer-like path clients see in `errors[]`. */
export function pointerOf(path: IssueLike['path'] = []): string {
  return `/${path.map((segment) => String(typeof segment === 'object' ? segment.key : segment)).join('/')}`;
}

export function fieldErrorsOf(issues: readonly IssueLike[]): FieldError[] {
  return issues.map((issue) => ({ path: pointerOf(issue.path), message: issue.message }));
}

export function hasIssues(error: unknown): error is { issues: IssueLike[] } {
  return Array.isArray((error as { issues?: unknown })?.issues);
}

export interface ProblemParts {
  code: ErrorCode;
  detail: string;
  errors?: FieldError[] | undefined;
  next_slots?: SlotHint[] | undefined;
  headers?: Record<string, string> | undefined;
}

/** What any error means to the caller; unknown errors are bugs and say nothing about their insides. */
export function problemPartsOf(error: unknown): ProblemParts {
  const appError = error instanceof AppError ? error : databaseErrorOf(error);
  if (appError) {
    return { code: appError.code, detail: appError.detail, ...appError.extras };
  }
  if (hasIssues(error)) {
    const errors = fieldErrorsOf(error.issues);
    return {
      code: 'invalid_request',
      detail: errors.map((fieldError) => `${fieldError.path}: ${fieldError.message}`).join('; '),
      errors,
    };
  }
  return {
    code: 'internal_error',
    detail: 'Something went wrong on our side; the request id identifies it in our logs.',
  };
}

/**
 * The problem document of a refusal of the request to `url`. Its `instance` is the path alone: the
 * query string may hold what the caller should never have put in a URL, and answers must not repeat it.
 */
export function problemOf(parts: ProblemParts, url: string, requestId: string): Problem {
  const { status, title } = errorCatalogue[parts.code];
  return {
    type: problemTypeOf(parts.code),
    title,
    status,
    detail: parts.detail,
    code: parts.code,
    instance: url.split('?', 1)[0] ?? url,
    request_id: requestId,
    ...(parts.errors ? { errors: parts.errors } : {}),
    ...(parts.next_slots ? { next_slots: parts.next_slots } : {}),
  };
}
