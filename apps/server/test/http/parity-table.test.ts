import { allOperations, type Operation } from '@mentor-scheduling/contracts';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hints } from '../contract/support/arbitraries.js';
import {
  brokenRequestArbitrary,
  canBreak,
  exampleCall,
  hintsFor,
  type OpenSlot,
  validRequestArbitrary,
} from '../contract/support/inputs.js';
import { type OperationRequest, send } from '../contract/support/requests.js';
import { type SpecOperation, specOperation, specOperations } from '../contract/support/spec-document.js';
import { startTestApp, TEST_ADMIN_TOKEN, type TestApp, withoutRandomParts } from '../support/app.js';

/**
 * REST/tRPC parity generated from the operation table: for every operation that has a tRPC
 * procedure, calls derived from its spec (the documented example, seeded valid inputs, an input with
 * one field broken, an anonymous call) go to two identical apps, one through REST and one through
 * tRPC, in the same order. Each answer must agree: the same data, or the same status, error code and
 * invalid fields. A new operation is covered without editing this file.
 */
const seed = Number(process.env.PARITY_SEED ?? 20261201);
const generatedCalls = Number(process.env.PARITY_CALLS ?? 6);
const operator = `Bearer ${TEST_ADMIN_TOKEN}`;

interface Call {
  request: OperationRequest;
  authorization: string | undefined;
  why: string;
}

interface Outcome {
  status: number;
  data?: unknown;
  code?: string;
  fields?: string[];
}

function fieldsOf(errors: unknown): string[] | undefined {
  return Array.isArray(errors) ? errors.map((error: { path: string }) => error.path).sort() : undefined;
}

/** The tRPC input of a REST call: path, query and body merged; the idempotency header as a field. */
function trpcInputOf(request: OperationRequest): Record<string, unknown> {
  const key = request.headers['Idempotency-Key'];
  return {
    ...(typeof request.body === 'object' && request.body !== null ? request.body : {}),
    ...request.query,
    ...request.path,
    ...(key === undefined ? {} : { idempotency_key: key }),
  };
}

async function viaRest(app: FastifyInstance, operation: SpecOperation, call: Call): Promise<Outcome> {
  const answer = await send(app, operation, call.request, call.authorization);
  if (answer.status >= 400) {
    const fields = fieldsOf(answer.body.errors);
    return { status: answer.status, code: answer.body.code, ...(fields ? { fields } : {}) };
  }
  return { status: answer.status === 201 ? 200 : answer.status, data: withoutRandomParts(answer.body) };
}

async function viaTrpc(app: FastifyInstance, operation: Operation, call: Call): Promise<Outcome> {
  const input = trpcInputOf(call.request);
  const headers = call.authorization ? { authorization: call.authorization } : {};
  const response =
    operation.trpc === 'query'
      ? await app.inject({
          method: 'GET',
          url: `/trpc/${operation.id}?input=${encodeURIComponent(JSON.stringify(input))}`,
          headers,
        })
      : await app.inject({ method: 'POST', url: `/trpc/${operation.id}`, headers, payload: input });
  const body = response.json();
  // Refusals before tRPC runs (rate limits) are problem documents, as on REST.
  if (!body.error && !body.result) return { status: response.statusCode, code: body.code };
  if (body.error) {
    const fields = fieldsOf(body.error.data.errors);
    return {
      status: body.error.data.httpStatus,
      code: body.error.data.appCode,
      ...(fields ? { fields } : {}),
    };
  }
  const data = body.result.data;
  return { status: response.statusCode, data: withoutRandomParts(operation.paginated ? data.items : data) };
}

const withProcedures = allOperations().filter((operation) => operation.trpc !== null);

describe('REST and tRPC answer the calls generated from the operation table the same way', () => {
  let restApp: TestApp;
  let trpcApp: TestApp;
  let hints: Hints;
  let openSlots: OpenSlot[] = [];

  beforeAll(async () => {
    // Generated calls log in and register more often than the credential routes' limit allows.
    // Nothing is delivered: each app's outbox then holds the same messages in the same states.
    const env = { AUTH_RATE_LIMIT_MAX: '100000', OUTBOX_DISPATCHER: 'off' };
    [restApp, trpcApp] = await Promise.all([startTestApp(env), startTestApp(env)]);
    const areas = (await restApp.app.inject({ method: 'GET', url: '/api/areas' })).json() as {
      name: string;
    }[];
    hints = hintsFor(areas.map((area) => area.name));
    const mentors = (await restApp.app.inject({ method: 'GET', url: '/api/mentors?limit=200' })).json() as {
      id: number;
      availability: string[];
    }[];
    openSlots = mentors.flatMap((mentor) =>
      mentor.availability.map((start_time) => ({ mentor_id: mentor.id, start_time })),
    );
  });
  afterAll(async () => {
    await Promise.all([restApp?.close(), trpcApp?.close()]);
  });

  it('knows every operation of the table in the published spec', () => {
    expect(
      allOperations()
        .map((operation) => operation.id)
        .sort(),
    ).toEqual(specOperations.map((operation) => operation.id).sort());
  });

  for (const operation of withProcedures) {
    it(`${operation.id}: the same answers on both surfaces`, async () => {
      const spec = specOperation(operation.id);
      const calls: Call[] = [
        { request: exampleCall(spec), authorization: operator, why: 'documented example' },
      ];
      const valid = fc.sample(validRequestArbitrary(spec, hints, openSlots), {
        seed,
        numRuns: generatedCalls,
      });
      calls.push(...valid.map((request) => ({ request, authorization: operator, why: 'generated' })));
      if (canBreak(spec)) {
        const broken = fc
          .sample(brokenRequestArbitrary(spec, hints, openSlots), { seed, numRuns: 3 })
          // A body that is not an object has no tRPC form (its input is one object).
          .filter(({ pointer }) => pointer !== '/');
        calls.push(
          ...broken.map(({ request }) => ({ request, authorization: operator, why: 'one field broken' })),
        );
      }
      if (operation.access !== 'public') {
        calls.push({ request: exampleCall(spec), authorization: undefined, why: 'anonymous' });
      }
      calls.push({ request: exampleCall(spec), authorization: 'Bearer mst_not-a-token', why: 'bad token' });

      for (const call of calls) {
        const rest = await viaRest(restApp.app, spec, call);
        const trpc = await viaTrpc(trpcApp.app, operation, call);
        const what = { operation: operation.id, why: call.why, request: call.request };
        expect({ ...what, ...trpc }).toEqual({ ...what, ...rest });
      }
    });
  }
});
