import type { IncomingMessage, ServerResponse } from 'node:http';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import helmet from 'helmet';
import { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { AppError } from '../services/errors.js';

/** Registration and login: where password guessing and account spam happen. */
const credentialRoutes = /^\/(api\/auth\/(login|register)|trpc\/auth\.(login|register))(\?|$|,)/;

function isCredentialRoute(request: FastifyRequest): boolean {
  return credentialRoutes.test(request.url);
}

/**
 * Security headers and rate limits. Limits count per client IP, with a much smaller budget for the
 * credential routes. Counters live in Redis when REDIS_URL is set (so N processes share them), else
 * in each process; per-account login throttling is in the database either way.
 */
export async function mountProtection(app: FastifyInstance, config: Config): Promise<void> {
  const headers = securityHeaders();
  app.addHook('onRequest', async (_request, reply) => {
    reply.headers(headers);
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
    max: async (request) => (isCredentialRoute(request) ? config.rateLimit.authMax : config.rateLimit.max),
    keyGenerator: (request) => `${request.ip}|${isCredentialRoute(request) ? 'credentials' : 'api'}`,
    ...(redis ? { redis, nameSpace: 'mentor-scheduling-rate-limit-' } : {}),
    // A broken Redis must not take the API down with it.
    skipOnError: true,
    errorResponseBuilder: (_request, context) =>
      new AppError('rate_limited', `Too many requests; try again in ${context.after}`),
  });
}

/**
 * helmet's security headers (its default policy: CSP, HSTS, nosniff, frame options, …). They do not
 * depend on the request, so they are taken from helmet once; @fastify/helmet would rebuild helmet,
 * parsing the whole policy again, on every request.
 */
export function securityHeaders(): Record<string, string> {
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
  helmet()({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    failure = error;
  });
  if (failure || Object.keys(headers).length === 0) throw new Error('helmet gave no security headers');
  return headers;
}
