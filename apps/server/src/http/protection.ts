import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import rateLimit from '@fastify/rate-limit';
import { allOperations, type Operation } from '@mentor-scheduling/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import helmet from 'helmet';
import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config.js';
import { AppError } from '../services/errors.js';
import { fastifyPathOf } from './rest.js';
import { trpcProcedureIdsOf } from './trpc-calls.js';

/**
 * Operations where passwords are guessed or accounts made in bulk. Each call spends the client's
 * credential budget, however it arrives: a REST route (whatever spelling of its path routed there)
 * or one procedure among others in a tRPC batch.
 */
const credentialOperationIds = new Set(['auth.login', 'auth.register', 'auth.changePassword']);

/** What the protection needs to know of a request's operations, worked out once per route or batch. */
interface CallPolicy {
  /** Calls of credential operations: each spends one point of the client's credential budget */
  readonly credentialCalls: number;
  /** False when an answer may carry a session token or someone's data (then `no-store`) */
  readonly mayBeStored: boolean;
  /** The request names its calls in a way that could be read two ways: refused */
  readonly unreadable?: true;
}

/**
 * The credential calls among a request's operations, and whether its answer may be stored: only when
 * every call is a public catalogue read, so that no session token or anyone's data is kept by caches.
 */
function policyOfCalls(operations: readonly Operation[]): CallPolicy {
  return {
    credentialCalls: operations.filter((operation) => credentialOperationIds.has(operation.id)).length,
    mayBeStored: operations.every(
      (operation) => operation.access === 'public' && !operation.id.startsWith('auth.'),
    ),
  };
}

const noCalls = policyOfCalls([]);
/** A request whose calls cannot be known: nothing of it may be stored, and it is refused. */
const unreadableCalls: CallPolicy = { credentialCalls: 0, mayBeStored: false, unreadable: true };
const restPolicyByRoute = new Map(
  allOperations().map((operation) => [
    `${operation.method} ${fastifyPathOf(operation.path)}`,
    policyOfCalls([operation]),
  ]),
);
const operationById = new Map(allOperations().map((operation) => [operation.id, operation]));
/** Batches as clients send them repeat a few procedure lists; the text comes from clients, so bounded. */
const trpcPolicyByPath = new LRUCache<string, CallPolicy>({ max: 1000 });

/**
 * What a request calls, known once it is routed: one operation for a REST route (HEAD as its GET),
 * each procedure of a tRPC call or batch (`/trpc/auth.logout,auth.login?batch=1`), none for anything
 * else. An unknown procedure makes the answer unstorable, whatever the others are.
 */
function callPolicyOf(request: FastifyRequest): CallPolicy {
  const route = request.routeOptions.url;
  if (route === undefined) return noCalls;
  const ids = trpcProcedureIdsOf(request);
  if (ids === null) return unreadableCalls;
  if (ids === undefined) {
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    return restPolicyByRoute.get(`${method} ${route}`) ?? noCalls;
  }
  const key = ids.join(',');
  let policy = trpcPolicyByPath.get(key);
  if (policy === undefined) {
    const operations = ids.map((id) => operationById.get(id));
    const known = operations.filter((operation): operation is Operation => operation !== undefined);
    const ofKnown = policyOfCalls(known);
    policy = { ...ofKnown, mayBeStored: ofKnown.mayBeStored && known.length === ids.length };
    trpcPolicyByPath.set(key, policy);
  }
  return policy;
}

/** Hosts already found readable; the header comes from clients, so the set is bounded. */
const readableHosts = new LRUCache<string, true>({ max: 100 });

/**
 * Whether the Host header (absent in HTTP/1.0) names a host that a URL can be made of: tRPC builds
 * one from it, and an unreadable one (`a b`) would be a 500 there while REST never looked at it.
 */
function isReadableHost(host: string | undefined): boolean {
  if (host === undefined || readableHosts.has(host)) return true;
  try {
    const url = new URL(`http://${host}/`);
    // Nothing but a host and port: no path, credentials, query or fragment smuggled in.
    if (url.pathname !== '/' || url.username || url.password || url.search || url.hash) return false;
  } catch {
    return false;
  }
  readableHosts.set(host, true);
  return true;
}

/**
 * The client a request counts against: `request.ip` as `TRUST_PROXY` reads it, when it is an address
 * at all (a forwarded entry is whatever the hop before wrote), else the socket's peer. An IPv6 client
 * is its /64: one subscriber holds a whole /64, and counting each of its addresses apart would hand
 * it 2^64 budgets.
 */
export function clientAddressOf(request: FastifyRequest): string {
  const address = isIP(request.ip) ? request.ip : (request.socket.remoteAddress ?? 'unknown');
  if (isIP(address) !== 6) return address;
  const mappedIpv4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  return mappedIpv4 ?? `${ipv6Groups(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, `::` expanded, a dotted IPv4 tail as two groups. */
function ipv6Groups(address: string): string[] {
  const [head = '', tail] = address.toLowerCase().split('::');
  const partsOf = (text: string) =>
    text === ''
      ? []
      : text
          .split(':')
          .flatMap((part) => (part.includes('.') ? ['0', '0'] : [parseInt(part, 16).toString(16)]));
  const left = partsOf(head);
  const right = tail === undefined ? [] : partsOf(tail);
  return [...left, ...Array.from({ length: 8 - left.length - right.length }, () => '0'), ...right];
}

/**
 * A Content-Security-Policy without `upgrade-insecure-requests`: for pages whose assets are all
 * same-origin, which the directive cannot protect further but can break over plain HTTP.
 */
export function withoutUpgradeToHttps(policy: string): string {
  return policy
    .split(';')
    .filter((directive) => directive.trim() !== 'upgrade-insecure-requests')
    .join(';');
}

const headersOverTls = securityHeaders({ upgradeInsecureRequests: true });
const headersOverPlainHttp = securityHeaders({ upgradeInsecureRequests: false });

/**
 * The security headers of an answer to this request (none known: plain HTTP). Over plain HTTP,
 * `upgrade-insecure-requests` would send /docs' assets to an https:// address that does not answer.
 */
export function securityHeadersFor(request: FastifyRequest | undefined): Record<string, string> {
  return request?.protocol === 'https' ? headersOverTls : headersOverPlainHttp;
}

/**
 * Security headers, caching rules and rate limits. Every request counts against a per-client budget
 * (`RATE_LIMIT_MAX` a minute); every call of a credential operation also against a much smaller one
 * (`AUTH_RATE_LIMIT_MAX`). The client is `request.ip`, which honours `TRUST_PROXY` (hop count or
 * proxy list, never the left-most forwarded address). Counters live in Redis when REDIS_URL is set
 * (so N processes share them), else in each process; per-account login throttling is in the database.
 */
export async function mountProtection(app: FastifyInstance, config: Config): Promise<void> {
  app.addHook('onRequest', async (request, reply) => {
    reply.headers(securityHeadersFor(request));
    if (!isReadableHost(request.headers.host)) {
      throw new AppError('invalid_request', 'The Host header is not a host name or address');
    }
  });
  app.addHook('onSend', async (request, reply) => {
    if (!callPolicyOf(request).mayBeStored) reply.header('cache-control', 'no-store');
  });

  const redis = config.rateLimit.redisUrl
    ? new Redis(config.rateLimit.redisUrl, {
        connectTimeout: 500,
        maxRetriesPerRequest: 1,
        lazyConnect: false,
      })
    : undefined;
  if (redis) app.addHook('onClose', async () => void redis.disconnect());
  await app.register(rateLimit, {
    global: true,
    timeWindow: 60_000,
    max: config.rateLimit.max,
    keyGenerator: clientAddressOf,
    ...(redis ? { redis, nameSpace: 'mentor-scheduling-rate-limit-' } : {}),
    // A broken Redis must not take the API down with it.
    skipOnError: true,
    errorResponseBuilder: (_request, context) =>
      new AppError('rate_limited', `Too many requests; try again in ${context.after}`),
  });

  const spendCredentialBudget = credentialBudgetOf(config, redis);
  app.addHook('preHandler', async (request) => {
    const policy = callPolicyOf(request);
    if (policy.unreadable) {
      throw new AppError(
        'invalid_request',
        'A procedure name never contains "%"; send the names as they are',
      );
    }
    if (policy.credentialCalls > 0)
      await spendCredentialBudget(clientAddressOf(request), policy.credentialCalls);
  });
}

/** Takes `calls` from the client's credential budget, or refuses the whole request with 429. */
function credentialBudgetOf(
  config: Config,
  redis: Redis | undefined,
): (clientAddress: string, calls: number) => Promise<void> {
  const options = {
    points: config.rateLimit.authMax,
    duration: 60,
    keyPrefix: 'mentor-scheduling-credentials',
  };
  const inProcess = new RateLimiterMemory(options);
  // With Redis down, each process keeps counting on its own rather than letting guesses through.
  const limiter = redis
    ? new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: inProcess })
    : inProcess;
  return async (clientAddress, calls) => {
    try {
      await limiter.consume(clientAddress, calls);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      throw new AppError(
        'rate_limited',
        `Too many login or registration attempts; try again in ${seconds} s`,
        {
          headers: { 'retry-after': String(seconds) },
        },
      );
    }
  };
}

/**
 * helmet's security headers (its default policy: CSP, HSTS, nosniff, frame options, …). They do not
 * depend on the request, so they are taken from helmet once; @fastify/helmet would rebuild helmet,
 * parsing the whole policy again, on every request.
 */
export function securityHeaders(options: { upgradeInsecureRequests: boolean }): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: unknown) {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let failure: unknown;
  const policy = helmet({
    contentSecurityPolicy: {
      directives: { upgradeInsecureRequests: options.upgradeInsecureRequests ? [] : null },
    },
  });
  policy({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    failure = error;
  });
  if (failure || Object.keys(headers).length === 0) throw new Error('helmet gave no security headers');
  return headers;
}
