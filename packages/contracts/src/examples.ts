import { type ErrorCode, errorCatalogue, type Problem, problemTypeOf } from './errors.js';
import type { Operation } from './operation.js';

/**
 * Examples of the published document. Success bodies and request bodies get one example built from
 * the examples of their fields (set with `.meta({ example })` beside each schema), so a field's
 * example is written once and every body that holds it shows it; problem documents get one example
 * per error code an operation may answer. Documentation only: nothing here changes a schema.
 */

type JsonSchema = { [key: string]: unknown };

const requestIdExample = '6f1d7c2e-3b9a-4c55-9d0e-2a8f5b7c1e90';

/** What the server says in `detail` for a few codes; the others say their title again. */
const detailExamples: Partial<Record<ErrorCode, string>> = {
  unauthenticated: 'Log in first: send Authorization: Bearer <token>',
  forbidden: 'That belongs to someone else',
  not_found: 'No booking 1',
  slot_taken: 'The mentor already has a session at that time',
  student_busy: 'The student already has a session at that time',
  price_mismatch: 'The cost of this session is 2000 INR, not 1500',
  rate_limited: 'Too many requests; try again in 1 minute',
  internal_error: 'Something went wrong on our side; the request id identifies it in our logs.',
};

const slotConflicts: readonly ErrorCode[] = ['slot_taken', 'student_busy', 'no_mentor_available'];

function firstInputField(operation: Operation): string {
  for (const part of [operation.body, operation.query, operation.params]) {
    const [first] = part ? Object.keys(part.shape) : [];
    if (first) return first;
  }
  return '';
}

/** The field error an invalid call shows: its first input field, or a query parameter it does not take. */
function fieldErrorExample(operation: Operation): { path: string; message: string } {
  const field = firstInputField(operation);
  if (field) return { path: `/${field}`, message: 'Invalid input' };
  return {
    path: '/unexpected',
    message: `Unknown query parameter for ${operation.method} ${operation.path}: it takes no query parameters`,
  };
}

/** One problem document as this operation would answer it with that code. */
export function problemExample(operation: Operation, code: ErrorCode): Problem {
  const { status, title } = errorCatalogue[code];
  const fieldError = fieldErrorExample(operation);
  return {
    type: problemTypeOf(code),
    title,
    status,
    detail:
      code === 'invalid_request'
        ? `${fieldError.path}: ${fieldError.message}`
        : (detailExamples[code] ?? `${title}.`),
    code,
    instance: operation.path.replace(/\{\w+\}/g, '1'),
    request_id: requestIdExample,
    ...(code === 'invalid_request' ? { errors: [fieldError] } : {}),
    ...(slotConflicts.includes(code)
      ? {
          next_slots: [
            { start_time: '2026-12-01T14:00:00.000Z', end_time: '2026-12-01T14:30:00.000Z', mentor_id: 2 },
          ],
        }
      : {}),
  };
}

/** Named examples (OpenAPI `examples`) of a problem response: one per error code of that status. */
export function problemExamples(
  operation: Operation,
  codes: readonly ErrorCode[],
): Record<string, { summary: string; value: Problem }> {
  return Object.fromEntries(
    codes.map((code) => [
      code,
      { summary: errorCatalogue[code].title, value: problemExample(operation, code) },
    ]),
  );
}

function isObject(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A placeholder for a value without an example; the spec lint asks for real examples instead. */
function placeholderOf(schema: JsonSchema): unknown {
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  if (schema.format === 'date-time') return '2026-12-01T13:30:00.000Z';
  if (schema.format === 'date') return '2026-12-01';
  if (schema.format === 'email') return 'aarav.sharma@example.com';
  if (type === 'integer' || type === 'number') return typeof schema.minimum === 'number' ? schema.minimum : 1;
  if (type === 'boolean') return true;
  if (type === 'null') return null;
  return 'text';
}

/** Told where an example had to be made up because the schema and its parts have none. */
export type MissingExample = (where: string) => void;

/**
 * An example of a schema of the document: its own, else one composed from the examples of its parts.
 * An empty default (`[]`) makes a poor example, so arrays show one item instead.
 */
export function exampleOf(
  schema: unknown,
  components: Record<string, unknown>,
  onMissing: MissingExample = () => {},
  where = '#',
  depth = 0,
): unknown {
  if (!isObject(schema) || depth > 20) return null;
  const next = (part: unknown, at: string) => exampleOf(part, components, onMissing, at, depth + 1);
  if ('example' in schema) return schema.example;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if (typeof schema.$ref === 'string')
    return next(components[schema.$ref.split('/').pop() ?? ''], schema.$ref);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const options = (schema.anyOf ?? schema.oneOf) as unknown[] | undefined;
  if (Array.isArray(options)) {
    const option = options.find((candidate) => !(isObject(candidate) && candidate.type === 'null'));
    return next(option ?? options[0], `${where}/anyOf`);
  }
  if (Array.isArray(schema.allOf)) {
    return Object.assign({}, ...schema.allOf.map((part, index) => next(part, `${where}/allOf/${index}`)));
  }
  if (schema.type === 'array') return [next(schema.items, `${where}/items`)];
  if (schema.type === 'object' || isObject(schema.properties)) {
    const properties = isObject(schema.properties) ? schema.properties : {};
    return Object.fromEntries(
      Object.entries(properties).map(([name, property]) => [
        name,
        next(property, `${where}/properties/${name}`),
      ]),
    );
  }
  if ('default' in schema) return schema.default;
  onMissing(where);
  return placeholderOf(schema);
}

type MediaTypes = Record<string, { schema?: unknown; example?: unknown; examples?: unknown }>;

function addExamples(
  content: MediaTypes | undefined,
  components: Record<string, unknown>,
  onMissing: MissingExample,
): void {
  for (const mediaType of Object.values(content ?? {})) {
    if (mediaType.example !== undefined || mediaType.examples !== undefined) continue;
    mediaType.example = exampleOf(mediaType.schema, components, onMissing);
  }
}

/** Gives every request body and response body of the document that has none an example. */
export function withBodyExamples<Document extends object>(
  document: Document,
  onMissing: MissingExample = () => {},
): Document {
  const { paths, webhooks, components } = document as {
    paths?: Record<string, Record<string, unknown>>;
    webhooks?: Record<string, Record<string, unknown>>;
    components?: { schemas?: Record<string, unknown> };
  };
  const schemas = components?.schemas ?? {};
  for (const pathItem of [...Object.values(paths ?? {}), ...Object.values(webhooks ?? {})]) {
    for (const operation of Object.values(pathItem)) {
      if (!isObject(operation)) continue;
      const requestBody = operation.requestBody as { content?: MediaTypes } | undefined;
      addExamples(requestBody?.content, schemas, onMissing);
      for (const response of Object.values((operation.responses ?? {}) as Record<string, unknown>)) {
        if (isObject(response)) addExamples(response.content as MediaTypes | undefined, schemas, onMissing);
      }
    }
  }
  return document;
}
