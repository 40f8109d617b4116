import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument, MAX_ID } from '../src/index.js';

type Schema = { [key: string]: unknown };
type Operation = {
  operationId: string;
  requestBody?: { required?: boolean; content: Record<string, { schema?: Schema }> };
  responses: Record<
    string,
    {
      headers?: Record<string, { schema?: Schema; example?: unknown }>;
      content?: Record<string, { schema?: Schema; examples?: Record<string, { value: { code: string } }> }>;
    }
  >;
};

const document = buildOpenApiDocument() as unknown as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};
const operations = Object.entries(document.paths).flatMap(([path, item]) =>
  Object.entries(item).map(([method, operation]) => ({ path, method, operation })),
);
const operationById = (id: string) => {
  const found = operations.find(({ operation }) => operation.operationId === id);
  if (!found) throw new Error(`No operation ${id}`);
  return found;
};

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every schema an answer is made of, each once, where it sits, following references. */
function answerSchemas(): { where: string; schema: Schema }[] {
  const found: { where: string; schema: Schema }[] = [];
  const seen = new Set<Schema>();
  const visit = (schema: unknown, where: string) => {
    if (!isSchema(schema) || seen.has(schema)) return;
    seen.add(schema);
    found.push({ where, schema });
    if (typeof schema.$ref === 'string') {
      const name = schema.$ref.split('/').pop() ?? '';
      visit(document.components.schemas[name], name);
    }
    for (const [key, value] of Object.entries(schema)) {
      if (key === 'examples' || key === 'example') continue;
      if (key === 'properties' && isSchema(value)) {
        for (const [name, property] of Object.entries(value)) visit(property, `${where}.${name}`);
      } else if (Array.isArray(value)) {
        for (const [index, part] of value.entries()) visit(part, `${where}/${key}/${index}`);
      } else if (isSchema(value)) visit(value, `${where}/${key}`);
    }
  };
  for (const { operation } of operations) {
    for (const [status, response] of Object.entries(operation.responses)) {
      for (const media of Object.values(response.content ?? {}))
        visit(media.schema, `${operation.operationId} ${status}`);
    }
  }
  return found;
}

describe('the REST contract as generators read it', () => {
  it('declares on every operation that reads a body what it answers to an unreadable one', () => {
    const missing: string[] = [];
    for (const { method, operation } of operations) {
      const codesOf = (status: string) =>
        Object.values(operation.responses[status]?.content ?? {}).flatMap((media) =>
          Object.values(media.examples ?? {}).map((example) => example.value.code),
        );
      // Unknown query parameters are refused everywhere.
      if (!codesOf('400').includes('invalid_request'))
        missing.push(`${operation.operationId} 400 invalid_request`);
      if (method === 'get') continue;
      if (!codesOf('400').includes('malformed_json'))
        missing.push(`${operation.operationId} 400 malformed_json`);
      if (!codesOf('413').includes('payload_too_large')) missing.push(`${operation.operationId} 413`);
      if (!codesOf('415').includes('unsupported_media_type')) missing.push(`${operation.operationId} 415`);
    }
    expect(missing).toEqual([]);
  });

  it('requires a body only where sending none is not a valid call', () => {
    expect(operationById('bookings.cancel').operation.requestBody?.required).toBe(false);
    expect(operationById('bookings.create').operation.requestBody?.required).toBe(true);
    expect(operationById('auth.login').operation.requestBody?.required).toBe(true);
  });

  it('states the real range of every integer in an answer', () => {
    const unbounded = answerSchemas()
      .filter(({ schema }) => schema.type === 'integer' && !(Number(schema.minimum) >= 0) && !schema.enum)
      .map(({ where, schema }) => `${where}: minimum ${schema.minimum}`);
    expect(unbounded).toEqual([]);
    const problem = document.components.schemas.Problem as { properties: Record<string, Schema> };
    expect(problem.properties.status).toMatchObject({ minimum: 400, maximum: 599 });
    const booking = document.components.schemas.Booking as { properties: Record<string, Schema> };
    expect(booking.properties.id).toMatchObject({ minimum: 1, maximum: MAX_ID });
    expect(booking.properties.duration).toMatchObject({ type: 'integer', enum: [30, 45, 60] });
  });

  it('publishes every instant of an answer in one form, to the millisecond', () => {
    const loose = answerSchemas()
      .filter(({ schema }) => schema.format === 'date-time')
      .filter(({ schema }) => typeof schema.pattern !== 'string' || !schema.pattern.includes('\\.\\d{3}'))
      .map(({ where }) => where);
    expect(loose).toEqual([]);
  });

  it('shows the bookings page link with the bookings path', () => {
    const { path, operation } = operationById('bookings.list');
    const link = operation.responses['200']?.headers?.Link;
    const example = String(link?.example ?? link?.schema?.example);
    expect(example.startsWith(`<${path}?`)).toBe(true);
  });
});
