import type { FastifyRequest } from 'fastify';

/** Where the tRPC procedures are served, and the route that serves them. */
export const TRPC_PREFIX = '/trpc';
export const TRPC_ROUTE = `${TRPC_PREFIX}/:path`;

/**
 * The procedure ids a routed tRPC request names (`/trpc/a` or `/trpc/a,b?batch=1`), `undefined` when
 * it is not a tRPC call, or `null` when the names cannot be trusted.
 *
 * The router has decoded the path once and tRPC decodes it again, so a name with a `%` left in it
 * (`auth%252Elogin`) would be one procedure to the rate limits and another to tRPC. No procedure name
 * contains `%`; such a request is refused rather than read two ways.
 */
export function trpcProcedureIdsOf(request: FastifyRequest): string[] | null | undefined {
  if (request.routeOptions.url !== TRPC_ROUTE) return undefined;
  const path = (request.params as { path?: unknown }).path;
  if (typeof path !== 'string' || path.includes('%')) return null;
  return path.split(',');
}

/** The query parameters of a tRPC call, read as tRPC reads them (WHATWG URL parsing). */
export function trpcSearchParamsOf(request: FastifyRequest): URLSearchParams {
  const query = request.url.indexOf('?');
  return new URLSearchParams(query < 0 ? '' : request.url.slice(query + 1));
}
