import { getTRPCErrorShape } from '@trpc/server';
import { AppError } from '../services/errors.js';
import type { ProblemParts } from './problem.js';
import { appRouter, trpcErrorOf } from './trpc.js';

import { TRPC_PREFIX } from './trpc-calls.js';

export { TRPC_PREFIX };

/** A request addressed to tRPC, whose client reads only tRPC's error envelope. */
export function isTrpcRequest(url: string): boolean {
  const path = url.split('?', 1)[0] ?? url;
  return path === TRPC_PREFIX || path.startsWith(`${TRPC_PREFIX}/`);
}

export type TrpcErrorEnvelope = { error: ReturnType<typeof getTRPCErrorShape> };

/**
 * A refusal made before tRPC saw the request (Fastify's body parsing and routing, the rate limits),
 * as tRPC answers a refusal of its own: `{ error }` shaped by the router's error formatter, with the
 * HTTP status tRPC gives that error's code. A tRPC client then reads the same `data.appCode` wherever
 * the refusal was made. tRPC answers a batch it refuses as a whole (too many calls, unreadable input)
 * with one such envelope, which its client hands to every call of the batch; so does this.
 */
export function trpcEnvelopeOf(parts: ProblemParts): { status: number; body: TrpcErrorEnvelope } {
  const refusal = new AppError(parts.code, parts.detail, {
    ...(parts.errors ? { errors: parts.errors } : {}),
    ...(parts.next_slots ? { next_slots: parts.next_slots } : {}),
  });
  const shape = getTRPCErrorShape({
    config: appRouter._def._config,
    error: trpcErrorOf(refusal),
    type: 'unknown',
    path: undefined,
    input: undefined,
    ctx: undefined,
  });
  return { status: shape.data.httpStatus, body: { error: shape } };
}
