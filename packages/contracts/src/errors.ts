import { z } from 'zod';
import { ErrorStatusSchema, IdAnswerSchema } from './answer-primitives.js';
import { InstantSchema } from './primitives.js';

/**
 * The closed set of machine-readable error codes. Every REST problem document and every tRPC error
 * carries exactly one of these, so clients can branch on `code` without parsing messages.
 */
export const errorCatalogue = {
  invalid_request: { status: 400, title: 'The request is invalid' },
  malformed_json: { status: 400, title: 'The request body is not valid JSON' },
  invalid_signature: { status: 400, title: 'The webhook signature is missing, wrong or stale' },
  unauthenticated: { status: 401, title: 'Credentials are missing or invalid' },
  invalid_credentials: { status: 401, title: 'Wrong email or password' },
  forbidden: { status: 403, title: 'You may not do this' },
  not_found: { status: 404, title: 'No such resource' },
  route_not_found: { status: 404, title: 'No such route' },
  payments_off: { status: 404, title: 'Payments are not enabled on this server' },
  method_not_allowed: { status: 405, title: 'Method not allowed on this route' },
  request_timeout: { status: 408, title: 'The request was not received in time' },
  email_taken: { status: 409, title: 'That email is already registered' },
  account_exists: { status: 409, title: 'That mentor already has an account' },
  slot_taken: { status: 409, title: 'The slot is no longer free' },
  student_busy: { status: 409, title: 'The student already has a session at that time' },
  no_mentor_available: { status: 409, title: 'No mentor of that area is free for the slot' },
  booking_not_active: { status: 409, title: 'The booking is cancelled or completed' },
  delivery_not_retryable: { status: 409, title: 'Only a failed or skipped delivery can be retried' },
  payload_too_large: { status: 413, title: 'The request body is too large' },
  uri_too_long: { status: 414, title: 'A part of the path is too long' },
  unsupported_media_type: { status: 415, title: 'Unsupported content type' },
  unknown_area: { status: 422, title: 'Unknown area of expertise' },
  area_not_offered: { status: 422, title: 'The mentor does not offer that area' },
  outside_availability: { status: 422, title: 'The slot is outside the mentor’s availability' },
  off_grid: { status: 422, title: 'The start time is not on the slot grid' },
  in_the_past: { status: 422, title: 'The start time is in the past' },
  too_soon: { status: 422, title: 'The start time is inside the minimum notice' },
  beyond_horizon: { status: 422, title: 'The start time is beyond the booking horizon' },
  price_mismatch: { status: 422, title: 'The sent cost does not match the server’s price' },
  idempotency_key_reused: { status: 422, title: 'The idempotency key was used with another request' },
  booking_started: { status: 422, title: 'The session has already started' },
  change_cutoff_passed: { status: 422, title: 'Too close to the session to cancel or move it' },
  daily_limit_reached: { status: 422, title: 'The mentor has no more sessions left that day' },
  webhook_url_refused: { status: 422, title: 'That webhook URL cannot be delivered to' },
  price_changed: { status: 422, title: 'The change would alter the price of a paid session' },
  rate_limited: { status: 429, title: 'Too many requests' },
  headers_too_large: { status: 431, title: 'The request headers are too large' },
  internal_error: { status: 500, title: 'Internal error' },
  not_ready: { status: 503, title: 'The service is not ready' },
  service_busy: { status: 503, title: 'The server is busy; retry shortly' },
  storage_unavailable: { status: 503, title: 'The database cannot store data right now' },
  payment_unavailable: { status: 503, title: 'The payment provider cannot be reached; retry shortly' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof errorCatalogue;
export const errorCodes = Object.keys(errorCatalogue) as ErrorCode[];
export const ErrorCodeSchema = z.enum(errorCodes as [ErrorCode, ...ErrorCode[]]).meta({
  id: 'ErrorCode',
  description: 'Machine-readable error code; the same on REST and tRPC.',
  example: 'slot_taken',
});

export function statusOf(code: ErrorCode): number {
  return errorCatalogue[code].status;
}

/** Problem type URI (RFC 9457 `type`): stable and resolvable against the reference docs. */
export function problemTypeOf(code: ErrorCode): string {
  return `urn:mentor-scheduling:problem:${code}`;
}

export const FieldErrorSchema = z
  .object({
    path: z
      .string()
      .meta({ description: 'JSON-pointer-like path of the invalid field', example: '/duration' }),
    message: z
      .string()
      .meta({ description: 'What is wrong with it', example: 'duration must be 30, 45 or 60 minutes' }),
  })
  .meta({ id: 'FieldError' });

export const SlotHintSchema = z
  .object({
    start_time: InstantSchema.meta({ example: '2026-12-01T14:00:00.000Z' }),
    end_time: InstantSchema.meta({ example: '2026-12-01T14:30:00.000Z' }),
    mentor_id: IdAnswerSchema.meta({ example: 2 }),
  })
  .meta({ id: 'SlotHint', description: 'An open slot offered as an alternative.' });

export const ProblemSchema = z
  .object({
    type: z.string().meta({ example: 'urn:mentor-scheduling:problem:slot_taken' }),
    title: z
      .string()
      .meta({ description: 'Short summary of the code', example: 'The slot is no longer free' }),
    status: ErrorStatusSchema.meta({ description: 'The HTTP status', example: 409 }),
    detail: z.string().meta({
      description: 'What happened, for people',
      example: 'The mentor already has a session at that time',
    }),
    code: ErrorCodeSchema,
    instance: z
      .string()
      .optional()
      .meta({ description: 'The request path, without the query string', example: '/api/bookings' }),
    request_id: z.string().optional().meta({
      description: 'Also in the `x-request-id` header; quote it when reporting a problem',
      example: '6f1d7c2e-3b9a-4c55-9d0e-2a8f5b7c1e90',
    }),
    errors: z.array(FieldErrorSchema).optional(),
    next_slots: z
      .array(SlotHintSchema)
      .optional()
      .meta({ description: 'With slot conflicts: the next open slots for the same request.' }),
  })
  .meta({
    id: 'Problem',
    description: 'RFC 9457 problem details, extended with `code` and, for invalid input, `errors`.',
  });
export type Problem = z.infer<typeof ProblemSchema>;
export type FieldError = z.infer<typeof FieldErrorSchema>;
export type SlotHint = z.infer<typeof SlotHintSchema>;
