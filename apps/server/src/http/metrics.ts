import { createHash, timingSafeEqual } from 'node:crypto';
import { allOperations } from '@mentor-scheduling/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type AppMetrics, NO_OPERATION, type ServedCall } from '../metrics/app-metrics.js';
import { AppError } from '../services/errors.js';
import { fastifyPathOf } from './rest.js';
import { TRPC_PREFIX, trpcProcedureIdsOf, trpcSearchParamsOf } from './trpc-calls.js';

/**
 * `GET /metrics` for Prometheus, and the labelling of every answer by the operation it served.
 *
 * Every call is counted under its operation id, the same for `POST /api/bookings` and the tRPC call
 * `bookings.create`, whoever answered it (the REST route, the tRPC shortcuts or the tRPC plugin).
 * A tRPC batch counts one call per procedure it names, each with its own status (the status tRPC
 * gives that call's error, else 200), and each observes the latency of the whole request: its calls
 * run together and are answered together. A request that names no operation of the contract (an
 * unknown path or procedure, the web app, /docs, the OpenAPI document) is `operation="none"`. A
 * request refused as a whole (a 429) counts each call it names with that status, except a batch
 * larger than allowed: refused unread, it counts once, as `none`. Scrapes of /metrics are not
 * counted: a scrape changes nothing it reads.
 *
 * /metrics is not an operation of the contract: it is not in the OpenAPI document, not a tRPC
 * procedure, and not rate limited (a scraper must see the service most when it is busiest).
 */

export const METRICS_PATH = '/metrics';

const restOperationByRoute = new Map(
  allOperations().map((operation) => [`${operation.method} ${fastifyPathOf(operation.path)}`, operation.id]),
);
const trpcProcedureIds = new Set(
  allOperations()
    .filter((operation) => operation.trpc !== null)
    .map((operation) => operation.id),
);

interface FailedCall {
  path: string | undefined;
  status: number;
}

/** tRPC calls that failed, per request, as the plugin reports them (see `trpcCallFailed`). */
const failedTrpcCalls = new WeakMap<FastifyRequest, FailedCall[]>();

function isUnderTrpc(url: string): boolean {
  const path = url.split('?', 1)[0] ?? url;
  return path === TRPC_PREFIX || path.startsWith(`${TRPC_PREFIX}/`);
}

/** The calls a request made, labelled for the metrics, once its answer is sent with `status`. */
function callsOf(request: FastifyRequest, status: number, maxBatchSize: number): ServedCall[] {
  const ids = trpcProcedureIdsOf(request);
  if (ids === undefined) {
    const route = request.routeOptions.url;
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    const operation = route === undefined ? undefined : restOperationByRoute.get(`${method} ${route}`);
    return [
      { operation: operation ?? NO_OPERATION, surface: isUnderTrpc(request.url) ? 'trpc' : 'rest', status },
    ];
  }
  const batch = trpcSearchParamsOf(request).get('batch') === '1';
  // Refused whole by tRPC, or by the protection before it: one request, one count.
  if (ids === null || (batch && ids.length > maxBatchSize)) {
    return [{ operation: NO_OPERATION, surface: 'trpc', status }];
  }
  // Without `batch=1`, tRPC reads the whole path as one procedure's name, commas and all.
  const names = batch ? ids : [ids.join(',')];
  const failed = [...(failedTrpcCalls.get(request) ?? [])];
  return names.map((name) => {
    // Calls of one procedure in a batch are told apart only by path: counts per label stay exact.
    const index = failed.findIndex((call) => call.path === name);
    const failure = index >= 0 ? failed.splice(index, 1)[0] : undefined;
    // A call that did not fail itself: 200, unless the whole request was refused before it ran.
    const callStatus = failure?.status ?? (status >= 400 ? status : 200);
    return {
      operation: trpcProcedureIds.has(name) ? name : NO_OPERATION,
      surface: 'trpc',
      status: callStatus,
    };
  });
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Refuses a request without `Authorization: Bearer <token>`, compared in constant time (equal-length digests). */
function bearerTokenCheck(token: string): (authorization: string | undefined) => void {
  const expected = digest(token);
  return (authorization) => {
    const sent = /^Bearer +(\S+) *$/i.exec(authorization ?? '')?.[1];
    if (sent === undefined) {
      throw new AppError('unauthenticated', 'Send the metrics token: Authorization: Bearer <METRICS_TOKEN>', {
        headers: { 'www-authenticate': 'Bearer realm="metrics"' },
      });
    }
    if (!timingSafeEqual(digest(sent), expected)) {
      throw new AppError('unauthenticated', 'The metrics token is not valid', {
        headers: { 'www-authenticate': 'Bearer realm="metrics", error="invalid_token"' },
      });
    }
  };
}

export interface MetricsRouteOptions {
  metrics: AppMetrics;
  /** METRICS_TOKEN: when set, a scrape must send it as a bearer token */
  token: string | undefined;
  /** The most calls a tRPC batch may carry: a longer one is refused whole, and counted once */
  maxBatchSize: number;
}

export interface RequestMetrics {
  /** The tRPC plugin's report of a failed call (its `onError`): the call is counted with `status` */
  trpcCallFailed(request: FastifyRequest, path: string | undefined, status: number): void;
}

/**
 * Counts every answer and serves `GET /metrics`. Mount it before the routes, so that its hook sees
 * every one of them.
 */
export function mountMetrics(app: FastifyInstance, options: MetricsRouteOptions): RequestMetrics {
  const { metrics, maxBatchSize } = options;
  app.addHook('onResponse', async (request, reply) => {
    if (request.routeOptions.url === METRICS_PATH) return;
    const seconds = reply.elapsedTime / 1000;
    for (const call of callsOf(request, reply.statusCode, maxBatchSize)) metrics.callServed(call, seconds);
  });

  const checkToken = options.token ? bearerTokenCheck(options.token) : undefined;
  app.get(METRICS_PATH, { config: { rateLimit: false }, schema: { hide: true } }, async (request, reply) => {
    checkToken?.(request.headers.authorization);
    const text = await metrics.registry.metrics();
    return reply.header('cache-control', 'no-store').type(metrics.registry.contentType).send(text);
  });

  return {
    trpcCallFailed(request, path, status) {
      const failed = failedTrpcCalls.get(request);
      if (failed) failed.push({ path, status });
      else failedTrpcCalls.set(request, [{ path, status }]);
    },
  };
}
