import type { AddressInfo } from 'node:net';
import type { ErrorCode } from '@mentor-scheduling/contracts';
import { createTRPCClient, httpBatchLink, httpLink, type TRPCClient, TRPCClientError } from '@trpc/client';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppRouter } from '../../src/http/trpc.js';
import { asAdmin, startTestApp, type TestApp } from '../support/app.js';

/**
 * Every refusal on /trpc, wherever it is made (Fastify's body parsing and router, the rate limits,
 * tRPC itself), reaches a tRPC client as a tRPC error that carries the API's `appCode`.
 */

type Client = TRPCClient<AppRouter>;
/** Changes a request on its way out, as a misbehaving client or proxy would. */
type Rewrite = (url: string, init: RequestInit) => [string, RequestInit];

interface TrpcDoor {
  t: TestApp;
  url: string;
  /** One HTTP request a call (httpLink) and one a batch of calls (httpBatchLink). */
  clients(rewrite?: Rewrite): { single: Client; batch: Client };
}

async function openTrpcDoor(env: Record<string, string> = {}): Promise<TrpcDoor> {
  const t = await startTestApp(env);
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/trpc`;
  return {
    t,
    url,
    clients(rewrite = (target, init) => [target, init]) {
      const rewritten: typeof fetch = (input, init) => fetch(...rewrite(String(input), init ?? {}));
      const options = { url, headers: () => asAdmin, fetch: rewritten };
      return {
        single: createTRPCClient<AppRouter>({ links: [httpLink(options)] }),
        batch: createTRPCClient<AppRouter>({ links: [httpBatchLink({ ...options, maxItems: 100 })] }),
      };
    },
  };
}

/** The error a call ended with; fails when it did not fail. */
async function refusalOf(call: Promise<unknown>): Promise<TRPCClientError<AppRouter>> {
  const outcome = await call.then(
    () => new Error('the call succeeded'),
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(TRPCClientError);
  return outcome as TRPCClientError<AppRouter>;
}

const trpcCodeOf: Partial<Record<number, TRPC_ERROR_CODE_KEY>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
};

/**
 * A tRPC error envelope of that app code, with the HTTP status tRPC gives its code (a batch whose
 * calls end differently answers 207), and the headers of every answer.
 */
function expectTrpcRefusal(
  error: TRPCClientError<AppRouter>,
  appCode: ErrorCode,
  httpStatus: number,
  responseStatus = httpStatus,
) {
  expect({ message: error.message, data: error.data }).toMatchObject({
    data: { appCode, httpStatus, code: trpcCodeOf[httpStatus] },
  });
  expect(error.message).not.toMatch(/Unable to transform/);
  const response = (error.meta as { response?: Response } | undefined)?.response;
  expect(response?.status).toBe(responseStatus);
  expect(response?.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  expect(response?.headers.get('x-content-type-options')).toBe('nosniff');
  return response as Response;
}

const newStudent = (name: string) => ({ name, email: `${name.toLowerCase()}@example.com` });

/** A new student's creation, sent alone and as two calls of one batch, refused alike every time. */
async function expectStudentCreationRefused(
  clients: ReturnType<TrpcDoor['clients']>,
  name: string,
  appCode: ErrorCode,
  httpStatus: number,
) {
  expectTrpcRefusal(
    await refusalOf(clients.single.students.create.mutate(newStudent(`${name}A`))),
    appCode,
    httpStatus,
  );
  const refusals = await Promise.all([
    refusalOf(clients.batch.students.create.mutate(newStudent(`${name}B`))),
    refusalOf(clients.batch.students.create.mutate(newStudent(`${name}C`))),
  ]);
  for (const error of refusals) expectTrpcRefusal(error, appCode, httpStatus);
}

describe('tRPC errors: refusals of the request itself', () => {
  let door: TrpcDoor;
  beforeAll(async () => {
    door = await openTrpcDoor({ BODY_LIMIT_BYTES: '2048' });
  });
  afterAll(() => door.t.close());

  it('answers a body over the limit with payload_too_large, on single calls and batches', async () => {
    const { single, batch } = door.clients();
    const reason = 'x'.repeat(4000);
    expectTrpcRefusal(
      await refusalOf(single.bookings.cancel.mutate({ id: 1, reason })),
      'payload_too_large',
      413,
    );
    const refusals = await Promise.all([
      refusalOf(batch.bookings.cancel.mutate({ id: 1, reason })),
      refusalOf(batch.bookings.cancel.mutate({ id: 2, reason })),
    ]);
    for (const error of refusals) expectTrpcRefusal(error, 'payload_too_large', 413);
  });

  it('answers a body that is not JSON with unsupported_media_type, on single calls and batches', async () => {
    const { single, batch } = door.clients((url, init) => [
      url,
      { ...init, headers: { ...(init.headers as Record<string, string>), 'content-type': 'text/plain' } },
    ]);
    await expectStudentCreationRefused({ single, batch }, 'Meera', 'unsupported_media_type', 415);
  });

  it('answers malformed JSON with malformed_json, on single calls and batches', async () => {
    const clients = door.clients((url, init) => [url, { ...init, body: '{"name": ' }]);
    await expectStudentCreationRefused(clients, 'Pari', 'malformed_json', 400);
  });

  it('answers a batch of more calls than a batch may carry with invalid_request', async () => {
    const { batch } = door.clients();
    const refusals = await Promise.all(Array.from({ length: 17 }, () => refusalOf(batch.areas.list.query())));
    for (const error of refusals) expectTrpcRefusal(error, 'invalid_request', 400);
  });

  it('answers an unknown procedure with route_not_found, on single calls and batches', async () => {
    const { single, batch } = door.clients();
    const unknown = (client: Client) =>
      (client as unknown as { nope: { list: { query(): Promise<unknown> } } }).nope.list;
    expectTrpcRefusal(await refusalOf(unknown(single).query()), 'route_not_found', 404);
    const [refusal, areas] = await Promise.all([refusalOf(unknown(batch).query()), batch.areas.list.query()]);
    expectTrpcRefusal(refusal, 'route_not_found', 404, 207);
    expect(areas.length).toBeGreaterThan(0);
  });

  it('answers a path the router does not route to /trpc with route_not_found', async () => {
    const { single, batch } = door.clients();
    const nested = (client: Client) =>
      (client as unknown as Record<string, { query(): Promise<unknown> }>)['areas/list'] as {
        query(): Promise<unknown>;
      };
    expectTrpcRefusal(await refusalOf(nested(single).query()), 'route_not_found', 404);
    const refusals = await Promise.all([refusalOf(nested(batch).query()), refusalOf(nested(batch).query())]);
    for (const error of refusals) expectTrpcRefusal(error, 'route_not_found', 404);
  });

  it('answers what Fastify refuses before routing (an over-long or badly encoded path) in the envelope', async () => {
    const long = (client: Client) =>
      (client as unknown as Record<string, { query(): Promise<unknown> }>)['x'.repeat(600)] as {
        query(): Promise<unknown>;
      };
    const { single } = door.clients();
    const tooLong = await refusalOf(long(single).query());
    expectTrpcRefusal(tooLong, 'uri_too_long', 400);
    expect(JSON.stringify(tooLong.shape)).not.toContain('x'.repeat(600));

    const badlyEncoded = door.clients((url, init) => [
      url.replace('/trpc/areas.list', '/trpc/%E0%A4%A'),
      init,
    ]);
    expectTrpcRefusal(await refusalOf(badlyEncoded.single.areas.list.query()), 'invalid_request', 400);
  });

  it('answers a batch refused before tRPC in the form tRPC answers a batch it refuses itself', async () => {
    const tooMany = Array.from({ length: 17 }, () => 'areas.list').join(',');
    const byTrpc = await door.t.app.inject({ url: `/trpc/${tooMany}?batch=1&input={}` });
    const beforeTrpc = await door.t.app.inject({
      method: 'POST',
      url: '/trpc/students.create,students.create?batch=1',
      headers: { ...asAdmin, 'content-type': 'text/plain' },
      payload: '{}',
    });
    const formOf = (body: unknown) => (Array.isArray(body) ? `array of ${body.length}` : typeof body);
    expect(formOf(beforeTrpc.json())).toBe(formOf(byTrpc.json()));
    expect(Object.keys(byTrpc.json())).toEqual(['error']);
    expect(Object.keys(beforeTrpc.json())).toEqual(['error']);
    expect(Object.keys(beforeTrpc.json().error)).toEqual(Object.keys(byTrpc.json().error));
    expect(Object.keys(beforeTrpc.json().error.data).sort()).toEqual(
      Object.keys(byTrpc.json().error.data).sort(),
    );
    // The query string never comes back.
    const echoed = await door.t.app.inject({ url: '/trpc/nope?secret=hunter2' });
    expect(echoed.body).not.toContain('hunter2');
  });
});

describe('tRPC errors: rate limits', () => {
  it('answers the overall rate limit with rate_limited and Retry-After, on single calls and batches', async () => {
    const door = await openTrpcDoor({ RATE_LIMIT_MAX: '1' });
    try {
      const { single, batch } = door.clients();
      await single.areas.list.query();
      const response = expectTrpcRefusal(await refusalOf(single.areas.list.query()), 'rate_limited', 429);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      const refusals = await Promise.all([
        refusalOf(batch.areas.list.query()),
        refusalOf(batch.auth.me.query()),
      ]);
      for (const error of refusals) {
        const batchResponse = expectTrpcRefusal(error, 'rate_limited', 429);
        expect(Number(batchResponse.headers.get('retry-after'))).toBeGreaterThan(0);
      }
    } finally {
      await door.t.close();
    }
  });

  it('answers a spent credential budget with rate_limited and Retry-After, on single calls and batches', async () => {
    const door = await openTrpcDoor({ AUTH_RATE_LIMIT_MAX: '1' });
    try {
      const { single, batch } = door.clients();
      const guess = { email: 'aarav.sharma@example.com', password: 'not the password' };
      expectTrpcRefusal(await refusalOf(single.auth.login.mutate(guess)), 'invalid_credentials', 401);
      const response = expectTrpcRefusal(
        await refusalOf(single.auth.login.mutate(guess)),
        'rate_limited',
        429,
      );
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      const refusals = await Promise.all([
        refusalOf(batch.auth.login.mutate(guess)),
        refusalOf(batch.auth.login.mutate(guess)),
      ]);
      for (const error of refusals) expectTrpcRefusal(error, 'rate_limited', 429);
    } finally {
      await door.t.close();
    }
  });
});
