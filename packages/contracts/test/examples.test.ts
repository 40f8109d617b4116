import { describe, expect, it } from 'vitest';
import { exampleOf } from '../src/examples.js';
import { buildOpenApiDocument, type ErrorCode, errorCatalogue } from '../src/index.js';

type MediaType = { schema?: unknown; example?: unknown; examples?: Record<string, { value: unknown }> };
type Operation = {
  operationId: string;
  requestBody?: { content: Record<string, MediaType> };
  responses: Record<string, { content?: Record<string, MediaType> }>;
};

const document = buildOpenApiDocument() as unknown as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
};
const operations = Object.values(document.paths).flatMap((item) => Object.values(item));

describe('examples of the OpenAPI document', () => {
  it('are composed from real field examples, never from placeholders', () => {
    const missing: string[] = [];
    for (const operation of operations) {
      const bodies = [
        ...Object.values(operation.requestBody?.content ?? {}),
        ...Object.values(operation.responses).flatMap((response) => Object.values(response.content ?? {})),
      ];
      for (const body of bodies) {
        exampleOf(body.schema, document.components.schemas, (where) =>
          missing.push(`${operation.operationId}: ${where}`),
        );
      }
    }
    // Add `.meta({ example })` to each schema named here (packages/contracts/src).
    expect(missing).toEqual([]);
  });

  it('give every body an example and every problem response one example per error code', () => {
    for (const operation of operations) {
      for (const [status, response] of Object.entries(operation.responses)) {
        for (const [mediaType, body] of Object.entries(response.content ?? {})) {
          if (mediaType === 'application/problem+json') {
            const examples = Object.entries(body.examples ?? {});
            expect(examples.length, `${operation.operationId} ${status}`).toBeGreaterThan(0);
            for (const [code, example] of examples) {
              expect(errorCatalogue[code as ErrorCode]?.status).toBe(Number(status));
              expect(example.value).toMatchObject({ code, status: Number(status) });
            }
          } else {
            expect(body.example, `${operation.operationId} ${status}`).toBeDefined();
          }
        }
      }
      for (const body of Object.values(operation.requestBody?.content ?? {})) {
        expect(body.example, `${operation.operationId} request`).toBeDefined();
      }
    }
  });
});
