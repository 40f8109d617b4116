import {
  allOperations,
  IdempotencyKeySchema,
  type ObjectSchema,
  type Operation,
  type Page,
} from '@mentor-scheduling/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError, invalidInput } from '../services/errors.js';
import { authorize, type Handlers, handlers, type ServiceContext } from '../services/index.js';

type ServiceHandler = (ctx: ServiceContext, input: unknown) => unknown;

function handlerOf(operation: Operation, implementations: Handlers): ServiceHandler {
  const [namespace = '', name = ''] = operation.id.split('.');
  const handler = (implementations as unknown as Record<string, Record<string, ServiceHandler>>)[namespace]?.[
    name
  ];
  if (!handler) throw new Error(`No handler for ${operation.id}`);
  return handler;
}

/** `/api/mentors/{id}` (OpenAPI) → `/api/mentors/:id` (Fastify). */
export function fastifyPathOf(openApiPath: string): string {
  return openApiPath.replace(/\{(\w+)\}/g, ':$1');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 8288 `Link` to the next page: the same request with the cursor of the next page. */
function nextPageLink(request: FastifyRequest, cursor: string): string {
  const url = new URL(request.url, 'http://placeholder');
  url.searchParams.set('cursor', cursor);
  return `<${url.pathname}${url.search}>; rel="next"`;
}

/** Encoded JSON of answers shared between requests (kept answers are frozen objects), by answer. */
const jsonOfSharedAnswers = new WeakMap<object, Buffer>();

/**
 * The answer as JSON, checked against the operation's response schema. An answer the service
 * shares between requests (see services/answer-cache.ts) is checked, serialised and encoded once.
 */
function checkedJsonOf(operation: Operation, payload: unknown, request: FastifyRequest): string | Buffer {
  const shared = typeof payload === 'object' && payload !== null && Object.isFrozen(payload);
  const kept = shared ? jsonOfSharedAnswers.get(payload) : undefined;
  if (kept !== undefined) return kept;
  const checked = operation.response.safeParse(payload);
  if (!checked.success) {
    request.log.error(
      { issues: checked.error.issues, operation: operation.id },
      'response does not match the contract',
    );
    throw new Error(`Response of ${operation.id} does not match the contract`);
  }
  const json = JSON.stringify(checked.data);
  if (!shared) return json;
  const encoded = Buffer.from(json);
  jsonOfSharedAnswers.set(payload, encoded);
  return encoded;
}

type Issue = z.core.$ZodIssue;
type Fields = Record<string, unknown>;

const idempotencyHeaderSchema = z.object({ idempotency_key: IdempotencyKeySchema.optional() });

/** Where a misplaced query parameter belongs, so the refusal tells the caller how to mend the call. */
function misplacedQueryMessage(operation: Operation, name: string): string {
  const accepted = Object.keys(operation.query?.shape ?? {});
  const takes = accepted.length > 0 ? `it takes ${accepted.join(', ')}` : 'it takes no query parameters';
  if (name === 'idempotency_key' && operation.idempotent)
    return `Send the retry key as the Idempotency-Key header, not in the query (${takes})`;
  if (operation.body && name in operation.body.shape)
    return `${name} belongs in the JSON body, not in the query (${takes})`;
  if (operation.params && name in operation.params.shape)
    return `${name} belongs in the path, not in the query (${takes})`;
  return `Unknown query parameter for ${operation.method} ${operation.path}: ${takes}`;
}

/** One part of the request checked by its own schema; issues keep the field paths clients see. */
function parsePart(schema: ObjectSchema | undefined, value: Fields, issues: Issue[]): Fields {
  if (!schema) return {};
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  issues.push(...result.error.issues);
  return {};
}

/**
 * The service input of a REST call. Each field comes from the one part of the request the contract
 * names: path parameters from the path, query parameters from the query string (an operation
 * without a query schema takes none; unknown ones are refused by name), body fields from the JSON
 * body, and the retry key from the `Idempotency-Key` header only. Nothing in one part can override
 * another, so a URL cannot change what the body says, and credentials never belong in a URL.
 */
function restInputOf(operation: Operation, request: FastifyRequest): Fields {
  // A missing body is an empty object, so each required field is reported by name; a JSON `null` is not.
  const body = request.body === undefined ? {} : request.body;
  if (operation.body && !isPlainObject(body)) {
    throw invalidInput('/', 'The request body must be a JSON object');
  }
  const issues: Issue[] = [];
  const query = { ...(request.query as Fields) };
  for (const name of Object.keys(query)) {
    if (operation.query && name in operation.query.shape) continue;
    issues.push({
      code: 'custom',
      path: [name],
      message: misplacedQueryMessage(operation, name),
      input: query[name],
    });
    delete query[name];
  }
  if (operation.idempotent && isPlainObject(body) && 'idempotency_key' in body) {
    issues.push({
      code: 'custom',
      path: ['idempotency_key'],
      message: 'Send the retry key as the Idempotency-Key header, not in the body',
      input: body.idempotency_key,
    });
  }
  const params = parsePart(operation.params, request.params as Fields, issues);
  const fromQuery = parsePart(operation.query, query, issues);
  const fromBody = parsePart(operation.body, body as Fields, issues);
  const header = request.headers['idempotency-key'];
  const fromHeader = operation.idempotent
    ? parsePart(idempotencyHeaderSchema, header === undefined ? {} : { idempotency_key: header }, issues)
    : {};
  if (issues.length > 0) throw new z.ZodError(issues);
  return { ...fromBody, ...fromQuery, ...params, ...fromHeader };
}

/**
 * Mounts every operation of the contract as a REST route. Each part of the request is validated by
 * the schema of that part; merged, they are the input the tRPC procedure takes in one object, so
 * both surfaces accept and refuse alike.
 */
export function mountRestOperations(
  app: FastifyInstance,
  servicesOf: (request: FastifyRequest) => Promise<ServiceContext>,
): void {
  for (const operation of allOperations()) {
    const handler = handlerOf(operation, handlers);
    app.route({
      method: operation.method,
      url: fastifyPathOf(operation.path),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        // Who is asking comes first: an anonymous caller learns nothing from validation errors.
        const services = await servicesOf(request);
        authorize(operation, services.actor);
        const result = await handler(services, restInputOf(operation, request));
        let payload = result;
        if (operation.paginated) {
          const page = result as Page<unknown>;
          if (page.nextCursor) reply.header('link', nextPageLink(request, page.nextCursor));
          payload = page.items;
        }
        return reply
          .code(operation.successStatus)
          .type('application/json; charset=utf-8')
          .send(checkedJsonOf(operation, payload, request));
      },
    });
  }
}

const pathMatchers = allOperations().map((operation) => ({
  method: operation.method,
  pattern: new RegExp(`^${operation.path.replace(/\{\w+\}/g, '[^/]+')}/?$`),
}));

/** Methods served at a path, for `405 Method Not Allowed` and its `Allow` header. */
export function methodsAllowedAt(url: string): string[] {
  const path = url.split('?')[0] ?? url;
  const methods = pathMatchers
    .filter((matcher) => matcher.pattern.test(path))
    .map((matcher) => matcher.method);
  return methods.includes('GET') ? [...methods, 'HEAD'] : methods;
}

export { AppError };
