import {
  allOperations,
  IdempotencyKeySchema,
  type ObjectSchema,
  type Operation,
  type Page,
  type SignedDelivery,
} from '@mentor-scheduling/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError, invalidInput } from '../services/errors.js';
import { authorize, type Handlers, handlers, type ServiceContext } from '../services/index.js';
import { type AnswerForm, checkedJsonOf } from './answer-json.js';

type ServiceHandler = (ctx: ServiceContext, input: unknown) => unknown;

export function handlerOf(operation: Operation, implementations: Handlers): ServiceHandler {
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

/** The answer as JSON checked against the operation's response schema (see answer-json.ts). */
function checkedRestJsonOf(
  operation: Operation,
  form: AnswerForm,
  payload: unknown,
  request: FastifyRequest,
): string | Buffer {
  const checked = checkedJsonOf(form, payload);
  if (checked.issues === undefined) return checked.json;
  request.log.error(
    { issues: checked.issues, operation: operation.id },
    'response does not match the contract',
  );
  throw new Error(`Response of ${operation.id} does not match the contract`);
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
  if (operation.body && Object.hasOwn(operation.body.shape, name))
    return `${name} belongs in the JSON body, not in the query (${takes})`;
  if (operation.params && Object.hasOwn(operation.params.shape, name))
    return `${name} belongs in the path, not in the query (${takes})`;
  return `Unknown query parameter for ${operation.method} ${operation.path}: ${takes}`;
}

/** What a parameter's schema takes, and so what REST reads its text in the URL as. */
type WireReading = 'number' | 'boolean' | 'text';

/**
 * The value a parameter schema takes, found by unwrapping it down to its type: `optional`,
 * `default` and the like wrap it, a `pipe` takes what its input side takes, a literal or a union
 * takes its values' type. Anything else (strings, enums of names, instants) stays text.
 */
function wireReadingOf(schema: z.core.$ZodType): WireReading {
  const def = schema._zod.def as z.core.$ZodTypeDef & {
    innerType?: z.core.$ZodType;
    in?: z.core.$ZodType;
    values?: readonly unknown[];
    options?: readonly z.core.$ZodType[];
  };
  switch (def.type) {
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'literal': {
      const kinds = new Set((def.values ?? []).map((value) => typeof value));
      if (kinds.size === 1 && kinds.has('number')) return 'number';
      if (kinds.size === 1 && kinds.has('boolean')) return 'boolean';
      return 'text';
    }
    case 'union': {
      const readings = new Set((def.options ?? []).map(wireReadingOf));
      return readings.size === 1 ? ([...readings][0] as WireReading) : 'text';
    }
    case 'pipe':
      return def.in ? wireReadingOf(def.in) : 'text';
    default:
      return def.innerType ? wireReadingOf(def.innerType) : 'text';
  }
}

const wireReadingsByPart = new WeakMap<ObjectSchema, Map<string, WireReading>>();

function wireReadingsOf(schema: ObjectSchema): Map<string, WireReading> {
  let readings = wireReadingsByPart.get(schema);
  if (!readings) {
    readings = new Map(Object.entries(schema.shape).map(([name, field]) => [name, wireReadingOf(field)]));
    wireReadingsByPart.set(schema, readings);
  }
  return readings;
}

/**
 * A number in a URL: plain decimal digits only. `0x1e`, ` 30`, `1e2`, `+5` and `30.0` are what
 * `Number()` would read as numbers; a caller who sent them meant something else or made a typo.
 */
const decimalDigits = /^\d{1,16}$/;
type ValueReading = Exclude<WireReading, 'text'>;
const wireRefusals: Record<ValueReading, string> = {
  number: 'Expected a whole number in plain decimal digits',
  boolean: 'Expected true or false',
};

function valueOfText(reading: WireReading, text: string): { value: unknown } | undefined {
  if (reading === 'number') return decimalDigits.test(text) ? { value: Number(text) } : undefined;
  if (reading === 'boolean')
    return text === 'true' || text === 'false' ? { value: text === 'true' } : undefined;
  return { value: text };
}

/**
 * One part of the request (path or query) read from text into the values its schema takes, then
 * checked by that schema; issues keep the field paths clients see. A repeated parameter (an array)
 * is left as it is, for the schema to refuse.
 */
function parseUrlPart(schema: ObjectSchema | undefined, texts: Fields, issues: Issue[]): Fields {
  if (!schema) return {};
  const readings = wireReadingsOf(schema);
  const values: Fields = {};
  const unreadable = new Set<string>();
  for (const [name, text] of Object.entries(texts)) {
    const reading = readings.get(name) ?? 'text';
    const read = typeof text === 'string' ? valueOfText(reading, text) : { value: text };
    if (read) {
      values[name] = read.value;
      continue;
    }
    unreadable.add(name);
    issues.push({
      code: 'custom',
      path: [name],
      message: wireRefusals[reading as ValueReading],
      input: text,
    });
  }
  const result = schema.safeParse(values);
  if (result.success) return result.data;
  // A parameter already refused as unreadable is not reported again as missing.
  issues.push(...result.error.issues.filter((issue) => !unreadable.has(String(issue.path[0]))));
  return {};
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
    if (operation.query && Object.hasOwn(operation.query.shape, name)) continue;
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
  const params = parseUrlPart(operation.params, request.params as Fields, issues);
  const fromQuery = parseUrlPart(operation.query, query, issues);
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
    const form: AnswerForm = { schema: operation.response };
    if (operation.signedBody) {
      mountSignedOperation(app, operation, operation.signedBody.header, handler, servicesOf);
      continue;
    }
    app.route({
      method: operation.method,
      url: fastifyPathOf(operation.path),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        // Who is asking comes first: an anonymous caller learns nothing from validation errors.
        const services = await servicesOf(request);
        authorize(operation, services.actor);
        const result = await handler(services, restInputOf(operation, request));
        if (operation.produces) {
          return reply
            .code(operation.successStatus)
            .type(`${operation.produces}; charset=utf-8`)
            .header('cache-control', 'private, no-cache')
            .send(result);
        }
        let payload = result;
        if (operation.paginated) {
          const page = result as Page<unknown>;
          if (page.nextCursor) reply.header('link', nextPageLink(request, page.nextCursor));
          payload = page.items;
        }
        return reply
          .code(operation.successStatus)
          .type('application/json; charset=utf-8')
          .send(checkedRestJsonOf(operation, form, payload, request));
      },
    });
  }
}

/**
 * A route whose body is signed by its sender: inside a scope of its own, a JSON body is kept as the
 * exact bytes received (a signature covers bytes, and parsing then re-encoding would change them);
 * the service verifies them before reading anything.
 */
function mountSignedOperation(
  app: FastifyInstance,
  operation: Operation,
  header: string,
  handler: ServiceHandler,
  servicesOf: (request: FastifyRequest) => Promise<ServiceContext>,
): void {
  const form: AnswerForm = { schema: operation.response };
  const signatureHeader = header.toLowerCase();
  app.register(async (scope) => {
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) =>
      done(null, body),
    );
    scope.route({
      method: operation.method,
      url: fastifyPathOf(operation.path),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const services = await servicesOf(request);
        authorize(operation, services.actor);
        const signature = request.headers[signatureHeader];
        const delivery: SignedDelivery = {
          payload: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
          signature: typeof signature === 'string' ? signature : undefined,
        };
        const result = await handler(services, delivery);
        return reply
          .code(operation.successStatus)
          .type('application/json; charset=utf-8')
          .send(checkedRestJsonOf(operation, form, result, request));
      },
    });
  });
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
