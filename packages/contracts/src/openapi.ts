import { z } from 'zod';
import type {
  ZodOpenApiOperationObject,
  ZodOpenApiPathsObject,
  ZodOpenApiResponsesObject,
} from 'zod-openapi';
import { createDocument } from 'zod-openapi';
import { type ErrorCode, errorCatalogue, ProblemSchema } from './errors.js';
import { problemExamples, withBodyExamples } from './examples.js';
import type { Operation } from './operation.js';
import { allOperations } from './operations.js';
import { IdempotencyKeySchema } from './schemas/bookings.js';
import { WebhookEventSchema, WebhookEventTypeSchema, webhookEventTypes } from './schemas/notifications.js';

export const apiVersion = '0.1.0';

/** Refusals of a request body as such: too large, not JSON, or not readable JSON. */
const bodyRefusals: ErrorCode[] = ['malformed_json', 'payload_too_large', 'unsupported_media_type'];

/**
 * Whether a body sent with a request of this operation is read: the server reads one with every
 * method but GET, whether the operation takes a body or not, so a body-less POST refuses an
 * oversized or non-JSON body like any other.
 */
function readsBody(operation: Operation): boolean {
  return operation.method !== 'GET';
}

/** A body is required unless sending none (read as `{}`) is a valid call. */
function requiresBody(body: Operation['body']): boolean {
  return body !== undefined && !body.safeParse({}).success;
}

function errorResponses(operation: Operation): ZodOpenApiResponsesObject {
  const isPublic = operation.access === 'public';
  const codes = new Set<ErrorCode>([
    // Unknown query parameters are refused by name, also by operations that take no input at all.
    'invalid_request',
    'unauthenticated',
    ...(isPublic ? [] : (['forbidden'] as const)),
    'rate_limited',
    ...operation.errors,
    ...(readsBody(operation) ? bodyRefusals : []),
    'internal_error',
    'service_busy',
    'storage_unavailable',
  ]);
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = errorCatalogue[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: ZodOpenApiResponsesObject = {};
  for (const [status, statusCodes] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[String(status) as `${4 | 5}${string}`] = {
      description: statusCodes.map((code) => `\`${code}\`: ${errorCatalogue[code].title}`).join('; '),
      content: {
        'application/problem+json': {
          schema: ProblemSchema,
          examples: problemExamples(operation, statusCodes),
        },
      },
    };
  }
  return responses;
}

/** The `Link` header of a page of this operation's list, with an example of its own path. */
function linkHeaderOf(operation: Operation) {
  return z.string().meta({
    description: 'RFC 8288 link to the next page, `<…?cursor=…>; rel="next"`; absent on the last page',
    example: `<${operation.path}?limit=50&cursor=NTA>; rel="next"`,
  });
}

function operationObject(operation: Operation): ZodOpenApiOperationObject {
  const requestParams: ZodOpenApiOperationObject['requestParams'] = {};
  if (operation.params) requestParams.path = operation.params;
  if (operation.query) requestParams.query = operation.query;
  if (operation.idempotent)
    requestParams.header = z.object({
      'Idempotency-Key': IdempotencyKeySchema.optional().meta({
        description: IdempotencyKeySchema.description,
      }),
    });
  if (operation.signedBody)
    requestParams.header = z.object({
      [operation.signedBody.header]: z.string().meta({
        description: 'The sender’s signature over the exact bytes of the body',
        example: 't=1764324000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd',
      }),
    });
  return {
    operationId: operation.id,
    summary: operation.summary,
    ...(operation.description ? { description: operation.description } : {}),
    tags: [...operation.tags],
    // Public operations accept a token but need none; the others require one.
    security: operation.access === 'public' ? [{}, { bearerAuth: [] }] : [{ bearerAuth: [] }],
    ...(operation.access === 'public' ? {} : { 'x-roles': [...operation.access] }),
    ...(Object.keys(requestParams).length > 0 ? { requestParams } : {}),
    ...(operation.body
      ? {
          requestBody: {
            required: requiresBody(operation.body),
            content: { 'application/json': { schema: operation.body } },
          },
        }
      : {}),
    responses: {
      [String(operation.successStatus)]: {
        description: operation.summary,
        ...(operation.paginated ? { headers: z.object({ Link: linkHeaderOf(operation).optional() }) } : {}),
        content: { [operation.produces ?? 'application/json']: { schema: operation.response } },
      },
      ...errorResponses(operation),
    },
  };
}

const description = `Book paid 1:1 sessions between students and industry mentors.

**Times.** Instants are returned in UTC (RFC 3339 with \`Z\`). Inputs accept RFC 3339 with an offset; a date-time without an offset (\`2026-12-01T19:00:00\`) is read in the platform zone \`DEFAULT_TIMEZONE\` (default Asia/Kolkata).

**Money.** \`cost\` is in rupees (with \`currency\`), computed by the server from its price table. With payments on, a booking holds its slot until paid through the payment provider's checkout, and only the provider's signed event confirms it; cancelling a paid session refunds it in full.

**Errors.** Every error is \`application/problem+json\` (RFC 9457) with a machine-readable \`code\`; invalid input lists each field in \`errors[]\`.

**Access.** Reads of the catalogue, mentors and slots are public. Everything else needs \`Authorization: Bearer <token>\` (from \`POST /api/auth/login\` or \`/api/auth/register\`); each operation lists its roles in \`x-roles\`. Students act for themselves (a booking's \`student_id\` defaults to the caller), mentors for their own sessions and availability, admins for everyone. Missing or invalid credentials get 401, another person's data 403.

**Pages.** Lists answer a bare array of at most \`limit\` items (default 50, at most 200); the next page is in the \`Link\` header (\`rel="next"\`).

The same operations are served as tRPC procedures under \`/trpc\` (procedure name = operationId).`;

/**
 * The events this service POSTs to subscribed endpoints (OpenAPI 3.1 `webhooks`): one entry per
 * event type, each with the payload schema and the Standard Webhooks headers.
 */
function bookingEventWebhooks(): ZodOpenApiPathsObject {
  const headers = z.object({
    'webhook-id': z.string().meta({
      description: 'The message id: the same on every retry of this message',
      example: 'msg_2b7c9f0e1d4a8c3e5f6a7b8c',
    }),
    'webhook-timestamp': z.string().meta({ description: 'Seconds since the epoch', example: '1764324000' }),
    'webhook-signature': z.string().meta({
      description: 'Space-separated `v1,<base64 signature>` values',
      example: 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
    }),
  });
  const entries = webhookEventTypes.map((type) => [
    type,
    {
      post: {
        operationId: `webhook.${type}`,
        summary: `\`${type}\` event`,
        description: WebhookEventTypeSchema.description ?? '',
        tags: ['Webhooks'],
        // This service makes these requests; the receiver authenticates them by their signature.
        security: [],
        requestParams: { header: headers },
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: WebhookEventSchema.extend({ type: z.literal(type).meta({ example: type }) }),
            },
          },
        },
        responses: {
          '200': { description: 'Any 2xx: received. Anything else, or no answer within 5 s, is retried' },
        },
      },
    },
  ]);
  return Object.fromEntries(entries);
}

export function buildOpenApiDocument(): ReturnType<typeof createDocument> {
  const paths: ZodOpenApiPathsObject = {};
  for (const operation of allOperations()) {
    const method = operation.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
    paths[operation.path] = { ...paths[operation.path], [method]: operationObject(operation) };
  }
  return withBodyExamples(
    createDocument({
      openapi: '3.1.0',
      info: {
        title: 'Mentor–student session scheduling API',
        version: apiVersion,
        description,
      },
      servers: [
        { url: '/', description: 'The server this document is served from' },
        { url: 'http://localhost:5000', description: 'Local development server' },
      ],
      tags: [
        { name: 'Operations', description: 'Health and readiness' },
        { name: 'Accounts', description: 'Registration, login, tokens' },
        { name: 'Catalogue', description: 'Areas and prices' },
        { name: 'Mentors', description: 'Mentors, their availability and open slots' },
        { name: 'Slots', description: 'Open slots across the mentors of an area' },
        { name: 'Students', description: 'Students' },
        { name: 'Bookings', description: 'Sessions between a student and a mentor' },
        { name: 'Payments', description: 'Payments for sessions, and the payment provider’s events' },
        { name: 'Reports', description: 'The business at a glance, for admins' },
        { name: 'Calendars', description: 'Sessions as calendar files and private calendar feeds' },
        { name: 'Webhooks', description: 'Third parties’ subscriptions to booking events' },
        { name: 'Outbox', description: 'Outgoing emails and webhooks, and the dead letters among them' },
        { name: 'Audit', description: 'Who changed what: the changes made by admins and the operator' },
      ],
      paths,
      webhooks: bookingEventWebhooks(),
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description:
              'A session token from `POST /api/auth/login` or `/api/auth/register`, or the operator token `ADMIN_TOKEN`.',
          },
        },
      },
    }),
  );
}
