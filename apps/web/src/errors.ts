import type { TrpcProblemData } from '@mentor-scheduling/client';
import { type ErrorCode, errorCatalogue, type FieldError } from '@mentor-scheduling/contracts';
import { TRPCClientError } from '@trpc/client';

export interface ErrorSentence {
  /** What happened, as a person would say it. */
  message: string;
  /** What the reader can do about it. */
  next: string;
}

export interface DescribedError extends ErrorSentence {
  code: ErrorCode | 'network' | 'unknown';
  /** For `invalid_request`: which fields the server refused, and why. */
  fields?: FieldError[];
}

/** Every code the server can answer, in words; the Record type makes a new code a compile error here. */
export const errorSentences: Record<ErrorCode, ErrorSentence> = {
  invalid_request: {
    message: 'Some of what you entered was not accepted.',
    next: 'Check the highlighted details and try again.',
  },
  malformed_json: {
    message: 'The app sent something the server could not read.',
    next: 'Reload the page and try again.',
  },
  invalid_signature: {
    message: 'A message from the payment provider could not be verified.',
    next: 'Nothing was changed. If a payment seems missing, contact support.',
  },
  unauthenticated: {
    message: 'You are signed out, or your sign-in has expired.',
    next: 'Sign in again to continue.',
  },
  invalid_credentials: {
    message: 'That email and password do not match an account.',
    next: 'Check both and try again. Passwords are case-sensitive.',
  },
  forbidden: {
    message: 'Your account is not allowed to do this.',
    next: 'Sign in with an account that has access, or ask an admin.',
  },
  not_found: {
    message: 'We could not find what you asked for. It may have been removed.',
    next: 'Go back and choose it again from the list.',
  },
  route_not_found: {
    message: 'The app asked the server for something it does not offer.',
    next: 'Reload the page; if this keeps happening, the app may need an update.',
  },
  payments_off: {
    message: 'Online payment is not switched on here.',
    next: 'Your booking does not need a payment; nothing more to do.',
  },
  method_not_allowed: {
    message: 'The app asked the server in a way it does not accept.',
    next: 'Reload the page; if this keeps happening, the app may need an update.',
  },
  request_timeout: {
    message: 'Your request took too long to reach the server.',
    next: 'Check your connection and try again.',
  },
  email_taken: {
    message: 'An account with that email already exists.',
    next: 'Sign in instead, or use another email.',
  },
  account_exists: {
    message: 'That mentor already has an account.',
    next: 'Look the mentor up in the list instead of creating another account.',
  },
  slot_taken: {
    message: 'Someone booked that time just before you.',
    next: 'Pick another time; the nearest free ones are shown.',
  },
  student_busy: {
    message: 'You already have a session at that time.',
    next: 'Pick another time, or move your other session first.',
  },
  no_mentor_available: {
    message: 'No mentor in that area is free at that time.',
    next: 'Pick another time or another area.',
  },
  booking_not_active: {
    message: 'This session is already cancelled or completed.',
    next: 'Nothing more can change on it; book a new session if you need one.',
  },
  delivery_not_retryable: {
    message: 'Only a failed or skipped notification can be sent again.',
    next: 'Refresh the list to see its current state.',
  },
  payload_too_large: {
    message: 'What you sent is too large.',
    next: 'Shorten it and try again.',
  },
  uri_too_long: {
    message: 'Part of the address is too long.',
    next: 'Shorten the search or filter and try again.',
  },
  unsupported_media_type: {
    message: 'The app sent something in a format the server does not accept.',
    next: 'Reload the page and try again.',
  },
  unknown_area: {
    message: 'That area is not one we offer.',
    next: 'Choose an area from the list.',
  },
  area_not_offered: {
    message: 'That mentor does not offer this area.',
    next: 'Choose another mentor, or let us assign one.',
  },
  outside_availability: {
    message: 'That time is outside the mentor’s available hours.',
    next: 'Pick one of the open times shown.',
  },
  off_grid: {
    message: 'Sessions start on the quarter hour, and that time does not.',
    next: 'Pick one of the open times shown.',
  },
  in_the_past: {
    message: 'That time has already passed.',
    next: 'Pick a time in the future.',
  },
  too_soon: {
    message: 'That time is too soon; sessions need some notice.',
    next: 'Pick a later time.',
  },
  beyond_horizon: {
    message: 'That time is too far ahead to book yet.',
    next: 'Pick an earlier date.',
  },
  price_mismatch: {
    message: 'The price has changed since you opened this page.',
    next: 'Reload the page to see the current price, then book again.',
  },
  idempotency_key_reused: {
    message: 'This booking form was already used for a different booking.',
    next: 'Reload the page and book again.',
  },
  booking_started: {
    message: 'This session has already started.',
    next: 'It can no longer be changed.',
  },
  change_cutoff_passed: {
    message: 'It is too close to the session to cancel or move it.',
    next: 'Contact your mentor or support if you cannot attend.',
  },
  daily_limit_reached: {
    message: 'The mentor has no more sessions left that day.',
    next: 'Pick another day, or another mentor.',
  },
  webhook_url_refused: {
    message: 'That webhook address cannot receive deliveries.',
    next: 'Use a public https address.',
  },
  price_changed: {
    message: 'This change would alter the price of a paid session.',
    next: 'Keep the same duration and mentor type, or cancel and book again.',
  },
  rate_limited: {
    message: 'Too many attempts in a short time.',
    next: 'Wait a few minutes, then try again.',
  },
  headers_too_large: {
    message: 'Your browser sent more data than the server accepts.',
    next: 'Sign out, sign in again, and retry.',
  },
  internal_error: {
    message: 'Something went wrong on our side.',
    next: 'Try again in a moment; if it keeps happening, contact support.',
  },
  not_ready: {
    message: 'The service is starting up or under maintenance.',
    next: 'Try again in a minute.',
  },
  service_busy: {
    message: 'The service is busy right now.',
    next: 'Try again in a few seconds.',
  },
  storage_unavailable: {
    message: 'We cannot save changes right now.',
    next: 'Nothing was changed. Try again in a minute.',
  },
  payment_unavailable: {
    message: 'The payment provider cannot be reached right now.',
    next: 'Your slot is held for a short while; try paying again in a minute.',
  },
};

const networkSentence: ErrorSentence = {
  message: 'We could not reach the server.',
  next: 'Check your internet connection, then try again.',
};

const unknownSentence: ErrorSentence = {
  message: 'Something unexpected went wrong.',
  next: 'Try again; if it keeps happening, reload the page.',
};

function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCatalogue, value);
}

function isTrpcClientError(error: unknown): error is TRPCClientError<never> {
  // A second copy of @trpc/client (tests, a stale bundle) breaks instanceof; the name does not.
  return error instanceof TRPCClientError || (error instanceof Error && error.name === 'TRPCClientError');
}

/** The server's problem data on a tRPC error (code, field errors, next open slots), if it has any. */
export function problemOf(error: unknown): TrpcProblemData | null {
  if (!isTrpcClientError(error)) return null;
  const data: unknown = (error as { data?: unknown }).data;
  if (typeof data !== 'object' || data === null) return null;
  const appCode = (data as { appCode?: unknown }).appCode;
  return isErrorCode(appCode) ? (data as TrpcProblemData) : null;
}

/** The contract's code of an error from the server, or null (a network failure, a bug). */
export function errorCodeOf(error: unknown): ErrorCode | null {
  return problemOf(error)?.appCode ?? null;
}

/** A fetch that never got an answer: offline, server down, or a proxy answering with no JSON. */
function isNetworkFailure(error: unknown): boolean {
  if (error instanceof TypeError) return true;
  if (!isTrpcClientError(error)) return false;
  // Without a shape, the client never read an answer from the server.
  return (error as { shape?: unknown }).shape == null;
}

/** Any error the app meets, as a sentence and what to do next. */
export function describeError(error: unknown): DescribedError {
  const problem = problemOf(error);
  if (problem) {
    const described: DescribedError = { code: problem.appCode, ...errorSentences[problem.appCode] };
    if (problem.errors && problem.errors.length > 0) described.fields = problem.errors;
    return described;
  }
  if (isNetworkFailure(error)) return { code: 'network', ...networkSentence };
  return { code: 'unknown', ...unknownSentence };
}

const transientCodes: ReadonlySet<ErrorCode> = new Set([
  'service_busy',
  'not_ready',
  'storage_unavailable',
  'request_timeout',
]);

/** Retry a query only when trying again can help: no answer at all, or a server that said "later". */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  if (failureCount >= 2) return false;
  const code = errorCodeOf(error);
  if (code) return transientCodes.has(code);
  return isNetworkFailure(error);
}

/**
 * Plain words for the checks the contract's schemas leave to zod's defaults ("Too small: expected
 * string to have >=1 characters"); messages the schemas spell out themselves are kept. Pass it as
 * `zodResolver(Schema, { error: formIssueMessage })`.
 */
export function formIssueMessage(issue: {
  code: string;
  input?: unknown;
  minimum?: unknown;
  maximum?: unknown;
  origin?: unknown;
  format?: unknown;
}): string | undefined {
  const blank = issue.input === undefined || issue.input === null || issue.input === '';
  if (blank && ['invalid_type', 'invalid_format', 'too_small'].includes(issue.code)) return 'Fill this in.';
  if (issue.code === 'too_small' && issue.origin === 'string') {
    return issue.minimum === 1 ? 'Fill this in.' : `Use at least ${String(issue.minimum)} characters.`;
  }
  if (issue.code === 'too_big' && issue.origin === 'string') {
    return `Use at most ${String(issue.maximum)} characters.`;
  }
  if (issue.code === 'invalid_format' && issue.format === 'email') {
    return 'Enter an email address, like name@example.com.';
  }
  if (issue.code === 'invalid_format') return 'This is not in the expected format.';
  return undefined;
}
