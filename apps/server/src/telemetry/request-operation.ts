import { allOperations } from '@mentor-scheduling/contracts';
import type { FastifyRequest } from 'fastify';
import { TRPC_ROUTE, trpcProcedureIdsOf } from '../http/trpc-calls.js';
import { SpanAttributes } from './spans.js';

/*
 * The operation of the contract a request calls, read from Fastify's routing (the route matched,
 * tRPC's procedure path), so that a trace names `bookings.create` whichever door the call came
 * through. Loaded by tracing.ts before the app: nothing here may import knex, pg or the services.
 */

/** Operation ids by `METHOD route` as Fastify mounts them (`/api/mentors/{id}` → `/api/mentors/:id`). */
const restOperations = new Map<string, string>();
const knownIds = new Set<string>();
for (const operation of allOperations()) {
  const route = operation.path.replace(/\{(\w+)\}/g, ':$1');
  restOperations.set(`${operation.method} ${route}`, operation.id);
  // Fastify answers HEAD on every GET route.
  if (operation.method === 'GET') restOperations.set(`HEAD ${route}`, operation.id);
  if (operation.trpc !== null) knownIds.add(operation.id);
}

/**
 * The attributes naming a request's operation: `operation.id` and the surface. A tRPC batch names
 * its procedures in call order, comma-separated as in its path (`areas.list,auth.me`), with their
 * number; a name that is no procedure (a mistyped or probing call) is never copied into a trace.
 * Nothing for a request no operation answers (a 404, the docs, the web app's files).
 */
export function operationAttributesOf(request: FastifyRequest): Record<string, string | number> {
  const route = request.routeOptions.url;
  if (route === undefined) return {};
  if (route === TRPC_ROUTE) {
    const ids = trpcProcedureIdsOf(request);
    if (!ids || ids.length === 0 || !ids.every((id) => knownIds.has(id)))
      return { [SpanAttributes.operationSurface]: 'trpc' };
    return {
      [SpanAttributes.operationId]: ids.join(','),
      [SpanAttributes.operationSurface]: 'trpc',
      ...(ids.length > 1 ? { [SpanAttributes.trpcBatchSize]: ids.length } : {}),
    };
  }
  const id = restOperations.get(`${request.method} ${route}`);
  return id === undefined
    ? {}
    : { [SpanAttributes.operationId]: id, [SpanAttributes.operationSurface]: 'rest' };
}
