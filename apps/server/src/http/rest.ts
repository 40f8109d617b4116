import { allOperations, inputSchemaOf, type Operation, type Page } from '@mentor-scheduling/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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

/**
 * Mounts every operation of the contract as a REST route. Path, query and body are merged and
 * validated by the same schema the tRPC procedure uses, so both surfaces accept and refuse alike.
 */
export function mountRestOperations(
  app: FastifyInstance,
  servicesOf: (request: FastifyRequest) => Promise<ServiceContext>,
): void {
  for (const operation of allOperations()) {
    const handler = handlerOf(operation, handlers);
    const inputSchema = inputSchemaOf(operation);
    app.route({
      method: operation.method,
      url: fastifyPathOf(operation.path),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        // Who is asking comes first: an anonymous caller learns nothing from validation errors.
        const services = await servicesOf(request);
        authorize(operation, services.actor);
        // A missing body is an empty object, so each required field is reported by name; a JSON `null` is not.
        const body = request.body === undefined ? {} : request.body;
        if (operation.body && !isPlainObject(body)) {
          throw invalidInput('/', 'The request body must be a JSON object');
        }
        const idempotencyKey = operation.idempotent ? request.headers['idempotency-key'] : undefined;
        const raw = {
          ...(operation.body ? body : {}),
          ...(request.query as Record<string, unknown>),
          ...(request.params as Record<string, unknown>),
          ...(idempotencyKey === undefined ? {} : { idempotency_key: idempotencyKey }),
        };
        const input = inputSchema.parse(raw);
        const result = await handler(services, input);
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
