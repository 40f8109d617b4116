import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/**
 * The committed openapi/openapi.yaml, read as a third party reads it: the contract suites derive
 * their inputs and their expectations from this document, not from the zod schemas behind it.
 */
export const specPath = fileURLToPath(new URL('../../../../../openapi/openapi.yaml', import.meta.url));

export type JsonSchema = { [key: string]: unknown };

export interface SpecParameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: JsonSchema;
}

export interface SpecOperation {
  id: string;
  method: string;
  /** OpenAPI path template, `/api/mentors/{id}` */
  path: string;
  parameters: SpecParameter[];
  body?: JsonSchema;
  /** The request body's documented example */
  bodyExample?: unknown;
  /** Documented statuses, success first */
  statuses: number[];
  successStatus: number;
  /** Error code names documented per status (from the `examples` of each problem response) */
  errorCodes: Map<number, string[]>;
  security: Record<string, unknown>[];
}

interface RawOperation {
  operationId: string;
  parameters?: SpecParameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema; example?: unknown }> };
  responses: Record<string, { content?: Record<string, { examples?: Record<string, unknown> }> }>;
  security?: Record<string, unknown>[];
}

export const specDocument = parse(readFileSync(specPath, 'utf8')) as {
  paths: Record<string, Record<string, RawOperation>>;
  components: { schemas: Record<string, JsonSchema> };
};

export const componentSchemas = specDocument.components.schemas;

/** Follows `$ref`s into components until a schema with content is reached. */
export function resolveSchema(schema: JsonSchema): JsonSchema {
  let current = schema;
  for (let hops = 0; typeof current.$ref === 'string' && hops < 10; hops += 1) {
    const { $ref, ...siblings } = current;
    const target = componentSchemas[($ref as string).split('/').pop() ?? ''];
    if (!target) throw new Error(`Unresolved ${$ref}`);
    current = { ...target, ...siblings };
  }
  return current;
}

export const specOperations: SpecOperation[] = Object.entries(specDocument.paths).flatMap(([path, item]) =>
  Object.entries(item).map(([method, operation]) => {
    const statuses = Object.keys(operation.responses).map(Number);
    const successStatus = statuses.find((status) => status < 300) ?? 200;
    const errorCodes = new Map<number, string[]>();
    for (const [status, response] of Object.entries(operation.responses)) {
      const examples = response.content?.['application/problem+json']?.examples;
      if (examples) errorCodes.set(Number(status), Object.keys(examples));
    }
    return {
      id: operation.operationId,
      method: method.toUpperCase(),
      path,
      parameters: (operation.parameters ?? []).map((parameter) => ({
        ...parameter,
        required: Boolean(parameter.required),
      })),
      ...(operation.requestBody
        ? {
            body: operation.requestBody.content['application/json']?.schema as JsonSchema,
            bodyExample: operation.requestBody.content['application/json']?.example,
          }
        : {}),
      statuses,
      successStatus,
      errorCodes,
      security: operation.security ?? [],
    };
  }),
);

export function specOperation(id: string): SpecOperation {
  const operation = specOperations.find((candidate) => candidate.id === id);
  if (!operation) throw new Error(`No operation ${id} in the spec`);
  return operation;
}

/** Whether the operation needs a bearer token (no `{}` alternative in its security). */
export function needsToken(operation: SpecOperation): boolean {
  return !operation.security.some((requirement) => Object.keys(requirement).length === 0);
}
