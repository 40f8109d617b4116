import {
  allOperations,
  type Operation,
  trpcInputSchemaOf,
  trpcOutputSchemaOf,
} from '@mentor-scheduling/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { authorize, handlers, type ServiceContext } from '../services/index.js';
import { type AnswerForm, checkedJsonOf } from './answer-json.js';
import { handlerOf } from './rest.js';
import { trpcProcedureIdsOf, trpcSearchParamsOf } from './trpc-calls.js';

/**
 * tRPC reads served the way REST serves them. The tRPC plugin serialises the whole answer envelope
 * on every call, so a kept answer (a mentors page is 100–200 KB) was encoded again per request;
 * here a successful query call, or a batch of them, goes through the same service call, kept
 * answer and checked bytes as its REST twin (answer-json.ts), with the tRPC envelope written around
 * them, byte for byte what the plugin would send.
 *
 * Only success is answered here. As soon as one call of a request cannot be answered (unknown
 * procedure, refused access, invalid input, a service error, a transport form this does not read),
 * the request goes on to the tRPC plugin unchanged, so every error keeps tRPC's own envelope.
 * Queries change nothing, so doing their work again on that path is harmless.
 *
 * It runs as a preHandler hook registered after the protection hooks (security headers, rate
 * limits, the credential budget), and its answers pass the same onSend hooks (request id,
 * no-store) as every other answer.
 */

interface TrpcRead {
  readonly operation: Operation;
  readonly answer: (services: ServiceContext, rawInput: unknown) => Promise<string | Buffer | undefined>;
}

const envelope = { before: '{"result":{"data":', after: '}}' } as const;

function trpcReadOf(operation: Operation): TrpcRead {
  const handler = handlerOf(operation, handlers);
  const takesInput = Boolean(operation.params || operation.query || operation.body);
  const inputSchema: z.ZodType | undefined = takesInput ? trpcInputSchemaOf(operation) : undefined;
  const form: AnswerForm = { schema: trpcOutputSchemaOf(operation), ...envelope };
  return {
    operation,
    async answer(services, rawInput) {
      try {
        authorize(operation, services.actor);
        // A procedure without input ignores whatever input a caller sends, as tRPC does.
        let input: unknown;
        if (inputSchema) {
          const parsed = inputSchema.safeParse(rawInput);
          if (!parsed.success) return undefined;
          input = parsed.data;
        }
        const checked = checkedJsonOf(form, await handler(services, input));
        return checked.issues === undefined ? checked.json : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

const readsById = new Map(
  allOperations()
    .filter((operation) => operation.trpc === 'query')
    .map((operation) => [operation.id, trpcReadOf(operation)]),
);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface TrpcCall {
  read: TrpcRead;
  rawInput: unknown;
}

/**
 * The calls of a GET as @trpc/client's links send them (`/trpc/a?input=…`, or
 * `/trpc/a,b?batch=1&input={"0":…,"1":…}`), read as tRPC reads them; `undefined` for anything
 * else, which the plugin answers (or refuses) itself.
 */
function callsOf(
  request: FastifyRequest,
  maxBatchSize: number,
): { batch: boolean; calls: TrpcCall[] } | undefined {
  const headers = request.headers;
  // Streaming answers, and bodies of other media types, are the plugin's.
  if (headers['trpc-accept'] !== undefined || headers['content-type'] !== undefined) return undefined;
  if (headers.accept?.includes('application/jsonl')) return undefined;
  const ids = trpcProcedureIdsOf(request);
  if (!ids) return undefined;
  const query = trpcSearchParamsOf(request);
  for (const name of query.keys()) if (name !== 'batch' && name !== 'input') return undefined;
  const batchFlag = query.get('batch');
  if (batchFlag !== null && batchFlag !== '1') return undefined;
  const inputs = query.getAll('input');
  if (inputs.length > 1) return undefined;
  const batch = batchFlag === '1';
  if ((!batch && ids.length !== 1) || ids.length > maxBatchSize) return undefined;
  let input: unknown;
  try {
    input = inputs[0] ? JSON.parse(inputs[0]) : undefined;
  } catch {
    return undefined;
  }
  if (batch && input !== undefined && !isPlainObject(input)) return undefined;
  const calls: TrpcCall[] = [];
  for (const [index, id] of ids.entries()) {
    const read = readsById.get(id);
    if (!read) return undefined;
    const rawInput = batch ? (input as Record<string, unknown> | undefined)?.[index] : input;
    calls.push({ read, rawInput });
  }
  return { batch, calls };
}

const batchOpen = Buffer.from('[');
const batchComma = Buffer.from(',');
const batchClose = Buffer.from(']');

function batchBodyOf(answers: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [batchOpen];
  for (const [index, answer] of answers.entries()) {
    if (index > 0) parts.push(batchComma);
    parts.push(typeof answer === 'string' ? Buffer.from(answer) : answer);
  }
  parts.push(batchClose);
  return Buffer.concat(parts);
}

export interface TrpcReadsOptions {
  maxBatchSize: number;
  servicesOf: (request: FastifyRequest) => Promise<ServiceContext>;
}

/** Serves successful tRPC query calls and batches before the tRPC plugin would (see above). */
export function mountTrpcReads(app: FastifyInstance, options: TrpcReadsOptions): void {
  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'GET') return;
    const read = callsOf(request, options.maxBatchSize);
    if (!read) return;
    let services: ServiceContext;
    try {
      services = await options.servicesOf(request);
    } catch {
      return;
    }
    const answers = await Promise.all(read.calls.map((call) => call.read.answer(services, call.rawInput)));
    if (!answers.every((answer): answer is string | Buffer => answer !== undefined)) return;
    const single = answers[0] as string | Buffer;
    const body = read.batch
      ? batchBodyOf(answers)
      : typeof single === 'string'
        ? Buffer.from(single)
        : single;
    // The plugin's headers exactly: bytes with `application/json`, which Fastify would give a
    // charset the plugin does not send if they were a string.
    return reply
      .code(200)
      .header('vary', 'trpc-accept, accept')
      .header('content-type', 'application/json')
      .send(body);
  });
}
