import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiResponse,
  anonymously,
  booking,
  callTrpc,
  demo,
  loginAs,
  startTestApp,
  type TestApp,
} from '../support/app.js';

/** The largest id the database columns hold (32-bit signed integers). */
const LARGEST_ID = 2147483647;

function fieldsOf(response: ApiResponse): string[] {
  return [
    ...new Set<string>((response.body.errors ?? []).map((error: { path: string }) => error.path)),
  ].sort();
}

function expectInvalid(response: ApiResponse, fields: string[]): void {
  expect(
    { status: response.status, code: response.body.code, fields: fieldsOf(response) },
    JSON.stringify(response.body).slice(0, 400),
  ).toEqual({ status: 400, code: 'invalid_request', fields });
}

let t: TestApp;

const trpc = (procedure: string, input: unknown, kind: 'query' | 'mutation') =>
  callTrpc(t.app, kind, procedure, input);

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('ids stay inside the 32-bit range of the database columns', () => {
  it('refuses ids above 2^31-1 in paths, bodies, filters and cursors with 400, on REST and tRPC', async () => {
    const tooBig = LARGEST_ID + 1;
    expectInvalid(await t.api.get(`/api/bookings/${tooBig}`), ['/id']);
    expectInvalid(await t.api.get('/api/mentors/9999999999999999'), ['/id']);
    expectInvalid(await t.api.post(`/api/bookings/${tooBig}/cancel`, {}), ['/id']);
    expectInvalid(await t.api.post('/api/bookings', booking({ mentor_id: tooBig })), ['/mentor_id']);
    expectInvalid(await t.api.post('/api/bookings', booking({ student_id: tooBig })), ['/student_id']);
    expectInvalid(await t.api.get(`/api/bookings?student_id=${tooBig}`), ['/student_id']);
    expectInvalid(await t.api.get(`/api/slots?area_of_expertise=Equity%20Research&student_id=${tooBig}`), [
      '/student_id',
    ]);
    const mentorCursor = Buffer.from(String(tooBig)).toString('base64url');
    expectInvalid(await t.api.get(`/api/mentors?cursor=${mentorCursor}`), ['/cursor']);
    const bookingCursor = Buffer.from(`${Date.parse('2026-12-01T00:00:00Z')}:${tooBig}`).toString(
      'base64url',
    );
    expectInvalid(await t.api.get(`/api/bookings?cursor=${bookingCursor}`), ['/cursor']);

    expect(await trpc('bookings.get', { id: tooBig }, 'query')).toMatchObject({
      status: 400,
      code: 'invalid_request',
      fields: ['/id'],
    });
    expect(await trpc('mentors.get', { id: 1e16 }, 'query')).toMatchObject({ status: 400, fields: ['/id'] });
  });

  it('answers the largest id the columns hold as an unknown id, and says the range in the spec', async () => {
    const response = await t.api.get(`/api/mentors/${LARGEST_ID}`);
    expect([response.status, response.body.code]).toEqual([404, 'not_found']);
    const spec = (await t.api.get('/api/openapi.json')).body;
    const idParameter = spec.paths['/api/mentors/{id}'].get.parameters.find(
      (parameter: { name: string }) => parameter.name === 'id',
    );
    expect(idParameter.schema).toMatchObject({ minimum: 1, maximum: LARGEST_ID });
  });
});

describe('text refuses control characters', () => {
  it('refuses a NUL in body text and in query filters with 400 naming the field, on REST and tRPC', async () => {
    expectInvalid(await t.api.post('/api/students', { name: 'Asha\u0000', email: 'asha@example.com' }), [
      '/name',
    ]);
    expectInvalid(await t.api.get('/api/mentors?area_of_expertise=Equity%00Research'), [
      '/area_of_expertise',
    ]);
    expectInvalid(await t.api.get('/api/slots?area_of_expertise=%00'), ['/area_of_expertise']);
    expectInvalid(await t.api.patch(`/api/mentors/${demo.rohan}`, { headline: 'Equity\u0000' }), [
      '/headline',
    ]);
    const made = await t.api.post('/api/bookings', booking({ student_id: 2 }));
    expect(made.status).toBe(201);
    expectInvalid(await t.api.post(`/api/bookings/${made.body.booking_id}/cancel`, { reason: 'ill\u0000' }), [
      '/reason',
    ]);
    expect(
      await trpc('students.create', { name: 'Asha\u0000', email: 'asha@example.com' }, 'mutation'),
    ).toMatchObject({ status: 400, code: 'invalid_request', fields: ['/name'] });
  });

  it('keeps line breaks in a cancellation reason but not in a name', async () => {
    expectInvalid(await t.api.post('/api/students', { name: 'Asha\nSen', email: 'asha.sen@example.com' }), [
      '/name',
    ]);
    const made = await t.api.post(
      '/api/bookings',
      booking({ student_id: 3, start_time: '2026-12-01T20:00:00' }),
    );
    expect(made.status).toBe(201);
    const cancelled = await t.api.post(`/api/bookings/${made.body.booking_id}/cancel`, {
      reason: 'Interview moved.\nWill rebook next week.',
    });
    expect([cancelled.status, cancelled.body.cancellation_reason]).toEqual([
      200,
      'Interview moved.\nWill rebook next week.',
    ]);
  });
});

describe('windows stay inside the range the service can answer', () => {
  const farAway = [
    `/api/mentors/${demo.rohan}/slots?from=9999-12-25T00:00Z`,
    `/api/mentors/${demo.rohan}/slots?from=0000-01-01T00:00%2B05:30`,
    '/api/slots?area_of_expertise=Equity%20Research&from=9999-12-31T23:59-05:00',
    `/api/mentors?from=9999-12-25T00:00Z`,
    `/api/bookings?from=0000-01-01T00:00Z`,
  ];
  for (const url of farAway) {
    it(`refuses ${url} with 400 naming from`, async () => {
      expectInvalid(await t.api.get(url), ['/from']);
    });
  }

  it('refuses the same on tRPC', async () => {
    const slots = await trpc('mentors.slots', { id: demo.rohan, from: '9999-12-25T00:00Z' }, 'query');
    expect(slots).toMatchObject({ status: 400, code: 'invalid_request', fields: ['/from'] });
    const search = await trpc(
      'slots.search',
      { area_of_expertise: 'Equity Research', from: '9999-12-31T23:59-05:00' },
      'query',
    );
    expect(search).toMatchObject({ status: 400, code: 'invalid_request', fields: ['/from'] });
  });
});

describe('each field comes from the one place the contract names', () => {
  it('refuses credentials in the login URL', async () => {
    const response = await t.api.post(
      '/api/auth/login?email=aarav.sharma@example.com&password=demo-password',
      undefined,
      anonymously,
    );
    expectInvalid(response, ['/email', '/password']);
  });

  it('does not let the query override the body of a booking', async () => {
    const response = await t.api.post(
      '/api/bookings?start_time=2026-12-02T19:00:00',
      booking({ student_id: 4 }),
    );
    expectInvalid(response, ['/start_time']);
    const booked = await t.api.get('/api/bookings?student_id=4');
    expect(booked.body).toEqual([]);
  });

  it('refuses unknown query parameters by name instead of silently using defaults', async () => {
    const response = await t.api.get(`/api/mentors/${demo.rohan}/slots?durations=60&form=2026-12-02T00:00Z`);
    expectInvalid(response, ['/durations', '/form']);
    expect(response.body.detail).toMatch(/durations/);
  });

  it('takes the idempotency key only from the Idempotency-Key header on REST', async () => {
    const inBody = await t.api.post('/api/bookings', {
      ...booking({ student_id: 5 }),
      idempotency_key: 'body-1',
    });
    expectInvalid(inBody, ['/idempotency_key']);
    const inQuery = await t.api.post('/api/bookings?idempotency_key=query-1', booking({ student_id: 5 }));
    expectInvalid(inQuery, ['/idempotency_key']);
    expect((await t.api.get('/api/bookings?student_id=5')).body).toEqual([]);
  });
});

describe('a password sent in the URL stays out of the log', () => {
  it('logs requests without their query values', async () => {
    const lines: string[] = [];
    const logStream = new PassThrough();
    logStream.on('data', (chunk: Buffer) => lines.push(chunk.toString('utf8')));
    const logged = await startTestApp({ LOG_LEVEL: 'info' }, undefined, logStream);
    try {
      const secret = 'url-secret-passw0rd';
      const refused = await logged.api.post(
        `/api/auth/login?email=aarav.sharma@example.com&password=${secret}`,
        { email: 'aarav.sharma@example.com', password: 'demo-password' },
        anonymously,
      );
      expectInvalid(refused, ['/email', '/password']);
      const log = lines.join('');
      expect(log).toMatch(/\/api\/auth\/login/);
      expect(log).not.toContain(secret);
      expect(log).not.toMatch(/password=/);
    } finally {
      await logged.close();
    }
  });
});

describe('numbers and money are what they look like', () => {
  for (const query of ['duration=0x1e', 'duration=%2030', 'duration=30.0', 'limit=1e2', 'limit=%2B5']) {
    it(`refuses ${query}`, async () => {
      const field = query.split('=')[0] as string;
      const url = field === 'limit' ? `/api/mentors?${query}` : `/api/mentors/${demo.rohan}/slots?${query}`;
      expectInvalid(await t.api.get(url), [`/${field}`]);
    });
  }

  it('still reads plain decimal numbers in queries', async () => {
    const response = await t.api.get(`/api/mentors/${demo.rohan}/slots?duration=45`);
    expect([response.status, response.body.duration]).toEqual([200, 45]);
    expect((await t.api.get('/api/mentors?limit=2')).body).toHaveLength(2);
  });

  it('refuses a cost with more than two decimals', async () => {
    expectInvalid(
      await t.api.post(
        '/api/bookings',
        booking({ student_id: 4, start_time: '2026-12-01T21:30:00', cost: 1999.999 }),
      ),
      ['/cost'],
    );
    const exact = await t.api.post(
      '/api/bookings',
      booking({ student_id: 4, start_time: '2026-12-01T21:30:00', cost: 2000.0 }),
    );
    expect(exact.status).toBe(201);
  });
});

describe('tRPC transport parameters and access answers', () => {
  it('answers connectionParams=1 on a plain HTTP call as invalid input, not as an internal error', async () => {
    const response = await t.app.inject({
      method: 'GET',
      url: `/trpc/areas.list?connectionParams=1`,
    });
    const body = response.json();
    expect([response.statusCode, body.error.data.appCode]).toEqual([400, 'invalid_request']);
  });

  it('answers a student the same 403 for an unknown booking as for a booking of someone else', async () => {
    const others = await t.api.post(
      '/api/bookings',
      booking({ student_id: 3, start_time: '2026-12-01T21:00:00' }),
    );
    expect(others.status).toBe(201);
    const aarav = await loginAs(t.api, 'aarav.sharma@example.com');
    const someoneElses = await t.api.get(`/api/bookings/${others.body.booking_id}`, aarav);
    const unknown = await t.api.get(`/api/bookings/${LARGEST_ID}`, aarav);
    expect([someoneElses.status, someoneElses.body.code]).toEqual([403, 'forbidden']);
    expect([unknown.status, unknown.body.code]).toEqual([403, 'forbidden']);
    for (const action of ['cancel', 'reschedule']) {
      const changed = await t.api.post(
        `/api/bookings/${LARGEST_ID}/${action}`,
        action === 'cancel' ? {} : { start_time: '2026-12-08T19:00:00' },
        aarav,
      );
      expect([action, changed.status, changed.body.code]).toEqual([action, 403, 'forbidden']);
    }
    const history = await t.api.get(`/api/bookings/${LARGEST_ID}/history`, aarav);
    expect([history.status, history.body.code]).toEqual([403, 'forbidden']);
    const asAdminUnknown = await t.api.get(`/api/bookings/${LARGEST_ID}`);
    expect([asAdminUnknown.status, asAdminUnknown.body.code]).toEqual([404, 'not_found']);
  });

  it('says plainly what a role may not do', async () => {
    const mentor = await loginAs(t.api, 'rohan.mehta@mentors.example.com');
    const response = await t.api.get('/api/students/1', mentor);
    expect([response.status, response.body.code]).toEqual([403, 'forbidden']);
    expect(response.body.detail).toBe(
      'Only admins and students may call students.get (GET /api/students/{id}); this token is a mentor’s',
    );
  });
});
