import type { FastifyInstance } from 'fastify';
import type { SpecOperation } from './spec-document.js';

/** One REST call of an operation, in the parts the spec describes. */
export interface OperationRequest {
  path: Record<string, unknown>;
  query: Record<string, unknown>;
  headers: Record<string, string>;
  /** `undefined`: no body sent */
  body?: unknown;
}

export interface Answer {
  status: number;
  contentType: string | undefined;
  headers: Record<string, unknown>;
  body: any;
}

/** `/api/mentors/{id}` + `{ id: 2 }` + `{ duration: 45 }` → `/api/mentors/2?duration=45` */
export function urlOf(operation: SpecOperation, request: OperationRequest): string {
  const path = operation.path.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(String(request.path[name])),
  );
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(request.query)) {
    if (value !== undefined) query.append(name, String(value));
  }
  const search = query.toString();
  return search ? `${path}?${search}` : path;
}

/** Sends the call through inject() (no network), as JSON when it has a body. */
export async function send(
  app: FastifyInstance,
  operation: SpecOperation,
  request: OperationRequest,
  authorization: string | undefined,
): Promise<Answer> {
  const response = await app.inject({
    method: operation.method as 'GET',
    url: urlOf(operation, request),
    headers: {
      ...request.headers,
      ...(authorization ? { authorization } : {}),
      ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(request.body === undefined ? {} : { payload: JSON.stringify(request.body) }),
  });
  const contentType = response.headers['content-type'] as string | undefined;
  const body = contentType?.includes('json') ? response.json() : response.body;
  return { status: response.statusCode, contentType, headers: response.headers, body };
}
