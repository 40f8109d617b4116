import { describe, expect, it } from 'vitest';
import {
  allOperations,
  buildOpenApiDocument,
  errorCatalogue,
  inputSchemaOf,
  type Operation,
} from '../src/index.js';

describe('the operation table', () => {
  const operations = allOperations();

  it('gives every operation a unique id and a unique method + path', () => {
    expect(new Set(operations.map((operation) => operation.id)).size).toBe(operations.length);
    expect(new Set(operations.map((operation) => `${operation.method} ${operation.path}`)).size).toBe(
      operations.length,
    );
  });

  it('keeps the first backend’s two endpoints', () => {
    const routes = operations.map((operation) => `${operation.method} ${operation.path}`);
    expect(routes).toContain('GET /api/mentors');
    expect(routes).toContain('POST /api/bookings');
  });

  it('declares path parameters for every placeholder', () => {
    for (const operation of operations) {
      const placeholders = [...operation.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
      expect(Object.keys(operation.params?.shape ?? {}).sort(), operation.id).toEqual(placeholders.sort());
    }
  });

  it('merges params, query and body into one input without clashes', () => {
    for (const operation of operations) expect(() => inputSchemaOf(operation)).not.toThrow();
  });

  it('refuses a table where two parts define the same field', async () => {
    const { z } = await import('zod');
    const clash = {
      ...operations[0],
      id: 'test.clash',
      params: z.object({ id: z.string() }),
      body: z.object({ id: z.string() }),
    } as unknown as Operation;
    expect(() => inputSchemaOf(clash)).toThrow(/defined twice/);
  });

  it('only names error codes of the catalogue', () => {
    for (const operation of operations) {
      for (const code of operation.errors) expect(errorCatalogue, operation.id).toHaveProperty(code);
    }
  });
});

describe('the OpenAPI document', () => {
  const document = buildOpenApiDocument();

  it('is OpenAPI 3.1 with one operation per table entry', () => {
    expect(document.openapi).toBe('3.1.0');
    const operationIds = Object.values(document.paths ?? {}).flatMap((item) =>
      Object.values(item as Record<string, { operationId?: string }>).map(
        (operation) => operation.operationId,
      ),
    );
    expect(operationIds.sort()).toEqual(
      allOperations()
        .map((operation) => operation.id)
        .sort(),
    );
  });

  it('documents each declared error status with the Problem schema', () => {
    const createBooking = document.paths?.['/api/bookings']?.post;
    expect(Object.keys(createBooking?.responses ?? {})).toEqual(
      expect.arrayContaining(['201', '400', '404', '409', '413', '415', '422', '500']),
    );
    expect(createBooking?.responses?.['409']).toMatchObject({
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    });
  });

  it('documents how times without an offset are read', () => {
    expect(document.info.description).toContain('DEFAULT_TIMEZONE');
  });
});
