import {
  allOperations,
  type Operation,
  trpcInputSchemaOf,
  trpcOutputSchemaOf,
} from '@mentor-scheduling/contracts';
import { TRPCError } from '@trpc/server';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { authorize, handlers, type ServiceContext } from '../services/index.js';
import { type AnswerForm, checkedJsonOf } from './answer-json.js';
import { handlerOf } from './rest.js';
import { trpcProcedureIdsOf, trpcSearchParamsOf } from './trpc-calls.js';

/**
 * tRPC mutations run the way REST runs them. The tRPC plugin turns every request into a Fetch API
 * Request (headers, body stream, abort signal) before it reads it; for a booking that cost as much
 * as the booking's own work. Here one mutation call (`POST /trpc/a` with the input as the body, or
 * `POST /trpc/a?batch=1` with `{"0": input}`), from a caller allowed to make it with a valid input,
 * runs the same service call as REST, and its success is written in tRPC's envelope, byte for byte
 * what the plugin sends.
 *
 * A mutation cannot run twice, so its refusal is not written here: the outcome is kept for the
 * request, and the plugin, which formats every tRPC error, answers it without running the call
 * again (see `settledOutcomeOf` in trpc.ts). Anything this does not read (a batch of several calls,
 * another media type, streaming, an invalid input, a refused caller) goes to the plugin untouched,
 * before anything ran.
 */

interface TrpcMutation {
  readonly inputSchema: z.ZodType | undefined;
  readonly run: (services: ServiceContext, input: unknown) => Promise<unknown>;
  readonly form: AnswerForm;
  readonly operation: Operation;
}

const mutationsById = new Map(
  allOperations()
    .filter((operation) => operation.trpc === 'mutation')
    .map((operation): [string, TrpcMutation] => {
      const takesInput = Boolean(operation.params || operation.query || operation.body);
      return [
        operation.id,
        {
          operation,
          inputSchema: takesInput ? trpcInputSchemaOf(operation) : undefined,
          run: async (services, input) => handlerOf(operation, handlers)(services, input),
          form: { schema: trpcOutputSchemaOf(operation), before: '{"result":{"data":', after: '}}' },
        },
      ];
    }),
);

/** The outcome of a call that ran here and failed, for the plugin to answer, with who called. */
export interface SettledCall {
  error: unknown;
  /** The caller as the call saw them: the plugin answers for the same caller, without reading them again */
  services: ServiceContext;
}

const settledCalls = new WeakMap<FastifyRequest, SettledCall>();

/** The failed outcome of the mutation this request already ran, if it did (see above). */
export function settledOutcomeOf(request: FastifyRequest): SettledCall | undefined {
  return settledCalls.get(request);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The one mutation call of a request as @trpc/client sends it, or undefined for anything else. */
function callOf(
  request: FastifyRequest,
): { mutation: TrpcMutation; rawInput: unknown; batch: boolean } | undefined {
  const headers = request.headers;
  if (headers['trpc-accept'] !== undefined || headers.accept?.includes('application/jsonl')) return undefined;
  const ids = trpcProcedureIdsOf(request);
  if (ids?.length !== 1) return undefined;
  const mutation = mutationsById.get(ids[0] as string);
  if (!mutation) return undefined;
  const query = trpcSearchParamsOf(request);
  for (const name of query.keys()) if (name !== 'batch') return undefined;
  const batch = query.get('batch');
  if (batch !== null && batch !== '1') return undefined;
  // The plugin reads JSON bodies itself (on its routes Fastify hands them over as text), and only
  // those it was told are JSON: any other or no content type is the plugin's to refuse.
  if (headers['content-type']?.split(';')[0]?.trim().toLowerCase() !== 'application/json') return undefined;
  const text = request.body;
  let body: unknown;
  if (text === undefined || text === '') {
    // A mutation without input may come with an empty body.
    if (batch === '1') return undefined;
    body = undefined;
  } else {
    if (typeof text !== 'string') return undefined;
    try {
      body = JSON.parse(text);
    } catch {
      return undefined;
    }
  }
  if (batch === '1') return isPlainObject(body) ? { mutation, rawInput: body['0'], batch: true } : undefined;
  return { mutation, rawInput: body, batch: false };
}

export interface TrpcMutationsOptions {
  servicesOf: (request: FastifyRequest) => Promise<ServiceContext>;
}

/** Runs single tRPC mutation calls before the tRPC plugin would (see above). */
export function mountTrpcMutations(app: FastifyInstance, options: TrpcMutationsOptions): void {
  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST') return;
    const call = callOf(request);
    if (!call) return;
    const { mutation } = call;
    let services: ServiceContext;
    let input: unknown;
    try {
      services = await options.servicesOf(request);
      authorize(mutation.operation, services.actor);
      if (mutation.inputSchema) {
        const parsed = mutation.inputSchema.safeParse(call.rawInput);
        if (!parsed.success) return;
        input = parsed.data;
      }
    } catch {
      // Nothing ran yet: the plugin refuses it in its own words.
      return;
    }
    let answer: unknown;
    try {
      answer = await mutation.run(services, input);
    } catch (error) {
      settledCalls.set(request, { error, services });
      return;
    }
    const checked = checkedJsonOf(mutation.form, answer);
    if (checked.issues !== undefined) {
      const failure = new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'Output validation failed' });
      settledCalls.set(request, { error: failure, services });
      return;
    }
    const json = typeof checked.json === 'string' ? checked.json : checked.json.toString();
    const body = Buffer.from(call.batch ? `[${json}]` : json);
    // The plugin's headers exactly: bytes with `application/json` (a string would get a charset).
    return reply
      .code(200)
      .header('vary', 'trpc-accept, accept')
      .header('content-type', 'application/json')
      .send(body);
  });
}
