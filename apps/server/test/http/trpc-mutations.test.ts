import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { handlers } from '../../src/services/index.js';
import {
  anonymously,
  asAdmin,
  booking,
  comparableAnswer,
  demo,
  pluginOnlyTwin,
  startTestApp,
  type TestApp,
} from '../support/app.js';

/**
 * A single tRPC mutation runs the way REST runs it (http/trpc-mutations.ts). Compared with an app on
 * the same database whose tRPC calls the tRPC plugin answers alone, every answer is the same, byte
 * for byte and header for header: successes (single or as a batch of one), and refusals, which the
 * plugin words from the outcome of the one run.
 */

let t: TestApp;
/** The same data, tRPC answered by the tRPC plugin alone. */
let plain: FastifyInstance;

beforeAll(async () => {
  t = await startTestApp();
  plain = await pluginOnlyTwin(t);
});
afterAll(async () => {
  await plain?.close();
  await t?.close();
});

interface Call {
  url: string;
  /** Sent as JSON; a string is sent as it is (with the JSON content type) */
  payload?: unknown;
  headers?: Record<string, string>;
}

function injectOf(app: FastifyInstance, call: Call) {
  const headers = Object.fromEntries(
    Object.entries(call.headers ?? asAdmin).filter(([, value]) => value !== ''),
  );
  return app.inject({
    method: 'POST',
    url: call.url,
    headers: call.payload === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    ...(call.payload === undefined
      ? {}
      : { payload: typeof call.payload === 'string' ? call.payload : JSON.stringify(call.payload) }),
  });
}

/*
 * The plugin calls the handler it was built with; the shortcut looks the handler up at each call, so
 * a spy on it counts the runs the shortcut made, and only those.
 */
let runsHere: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  runsHere = vi.spyOn(handlers.bookings, 'create');
});
afterEach(() => {
  runsHere.mockRestore();
});

/** The same call, first here, then on the plugin-only app (which sees what the first one did). */
async function fastThenPlain(call: Call) {
  const fast = comparableAnswer(await injectOf(t.app, call));
  const slow = comparableAnswer(await injectOf(plain, call));
  return { fast, slow };
}

async function bookingCount(): Promise<number> {
  const [row] = await t.app.db.knex('bookings').count({ count: '*' });
  return Number(row?.count);
}

describe('a tRPC mutation answers as the tRPC plugin would', () => {
  it('books once and answers the booking, single and as a batch of one, byte for byte', async () => {
    // The same idempotency key on both apps: the second answers the first one's stored booking.
    const single = booking({ start_time: '2026-12-01T19:00:00', idempotency_key: 'trpc-fast-single' });
    const before = await bookingCount();
    const { fast, slow } = await fastThenPlain({ url: '/trpc/bookings.create', payload: single });
    expect(fast.status).toBe(200);
    expect(JSON.parse(fast.body).result.data.booking.mentor_id).toBe(demo.rohan);
    expect(fast).toEqual(slow);
    expect(runsHere).toHaveBeenCalledTimes(1);

    const batched = booking({ start_time: '2026-12-01T20:00:00', idempotency_key: 'trpc-fast-batch' });
    const batch = await fastThenPlain({ url: '/trpc/bookings.create?batch=1', payload: { 0: batched } });
    expect(batch.fast.status).toBe(200);
    expect(JSON.parse(batch.fast.body)).toHaveLength(1);
    expect(batch.fast).toEqual(batch.slow);
    expect(runsHere).toHaveBeenCalledTimes(2);
    expect(await bookingCount()).toBe(before + 2);
  });

  // [what, call, runs the shortcut made: 1 when the service refused it, 0 when it never got there]
  const refusals: [string, Call, number][] = [
    ['a taken slot (409 with the next open slots)', { url: '/trpc/bookings.create', payload: booking() }, 1],
    [
      'a taken slot in a batch of one',
      {
        url: '/trpc/bookings.create?batch=1',
        payload: { 0: booking({ start_time: '2026-12-01T20:00:00' }) },
      },
      1,
    ],
    [
      'an unknown mentor (404)',
      { url: '/trpc/bookings.create', payload: booking({ mentor_id: 999_999 }) },
      1,
    ],
    [
      'a cost that is not the price (422)',
      { url: '/trpc/bookings.create', payload: booking({ cost: 1 }) },
      1,
    ],
    ['an invalid input (400)', { url: '/trpc/bookings.create', payload: booking({ duration: 31 }) }, 0],
    ['no credentials (401)', { url: '/trpc/bookings.create', payload: booking(), headers: anonymously }, 0],
    ['a body that is not an object', { url: '/trpc/bookings.create', payload: [1, 2] }, 0],
    [
      'a batch of two mutations',
      { url: '/trpc/bookings.create,bookings.cancel?batch=1', payload: { 0: {}, 1: {} } },
      0,
    ],
    ['a query sent as a mutation', { url: '/trpc/areas.list', payload: {} }, 0],
    ['a mutation without a body or a content type (415)', { url: '/trpc/auth.logout' }, 0],
    [
      'a body that is not JSON (400 malformed_json)',
      { url: '/trpc/bookings.create', payload: '{"student_id": 1,' },
      0,
    ],
  ];
  for (const [what, call, runs] of refusals) {
    it(`refuses ${what} in the plugin's own words`, async () => {
      const before = await bookingCount();
      const { fast, slow } = await fastThenPlain(call);
      expect(fast.status).toBeGreaterThanOrEqual(400);
      expect(fast).toEqual(slow);
      expect(runsHere).toHaveBeenCalledTimes(runs);
      expect(await bookingCount()).toBe(before);
    });
  }

  it('runs a refused mutation once: a failed login counts as on the plugin alone', async () => {
    const attempts = async () => {
      const rows = await t.app.db
        .knex('login_attempts')
        .where('email_normalized', 'aarav.sharma@example.com');
      return rows.reduce((sum, row) => sum + Number(row.attempts), 0);
    };
    const wrong = {
      url: '/trpc/auth.login',
      payload: { email: 'aarav.sharma@example.com', password: 'nope-nope' },
      headers: anonymously,
    };
    const before = await attempts();
    expect((await injectOf(plain, wrong)).statusCode).toBe(401);
    const countedByPlugin = (await attempts()) - before;
    expect(countedByPlugin).toBeGreaterThan(0);
    expect((await injectOf(t.app, wrong)).statusCode).toBe(401);
    expect((await attempts()) - before).toBe(2 * countedByPlugin);
  });
});
