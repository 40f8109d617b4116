import { type ErrorCode, errorCatalogue } from '@mentor-scheduling/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiResponse, asAdmin, demo, startTestApp, type TestApp } from '../support/app.js';

const json = { 'content-type': 'application/json' };
const BODY_LIMIT = 2048;

/** Nothing of the server's insides: no stack frames, no driver or query-builder names, no SQL. */
function expectNothingInternal(body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  expect(text).not.toMatch(/\\n\s+at |\bat [\w.<>]+ \([^)]*:\d+:\d+\)/); // stack frames
  expect(text).not.toMatch(/"stack"/);
  expect(text).not.toMatch(/node_modules|\.ts:\d+|\.js:\d+/);
  expect(text).not.toMatch(/SQLITE/i);
  expect(text).not.toMatch(/knex/i);
  expect(text).not.toMatch(/select /i);
  expect(text).not.toMatch(/insert into/i);
}

/** An RFC 9457 problem of that code: its status, media type and fields, and nothing internal. */
function expectProblem(response: ApiResponse, code: ErrorCode): void {
  const { status, title } = errorCatalogue[code];
  expect(
    { status: response.status, code: response.body?.code },
    JSON.stringify(response.body).slice(0, 400),
  ).toEqual({ status, code });
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.body).toMatchObject({
    type: `urn:mentor-scheduling:problem:${code}`,
    title,
    status,
    detail: expect.any(String),
    code,
  });
  expect(response.body.detail.length).toBeGreaterThan(0);
  expect(response.body.request_id).toBe(response.headers['x-request-id']);
  expectNothingInternal(response.body);
}

interface BadRequest {
  name: string;
  method: string;
  url: string;
  payload?: string | object;
  headers?: Record<string, string>;
  code: ErrorCode;
}

const bigName = 'x'.repeat(BODY_LIMIT + 500);

const badRequests: BadRequest[] = [
  {
    name: 'malformed JSON',
    method: 'POST',
    url: '/api/students',
    payload: '{"name": "Asha", "email": ',
    headers: json,
    code: 'malformed_json',
  },
  {
    name: 'JSON with a trailing comma',
    method: 'POST',
    url: '/api/mentors',
    payload: '{"name": "Asha",}',
    headers: json,
    code: 'malformed_json',
  },
  {
    name: 'an empty body declared as JSON',
    method: 'POST',
    url: '/api/students',
    payload: '',
    headers: json,
    code: 'malformed_json',
  },
  {
    name: 'a JSON array body',
    method: 'POST',
    url: '/api/students',
    payload: '[{"name": "Asha", "email": "asha@example.com"}]',
    headers: json,
    code: 'invalid_request',
  },
  {
    name: 'a JSON string body',
    method: 'POST',
    url: '/api/students',
    payload: '"asha@example.com"',
    headers: json,
    code: 'invalid_request',
  },
  {
    name: 'a JSON number body',
    method: 'PATCH',
    url: `/api/students/${demo.students.aarav}`,
    payload: '42',
    headers: json,
    code: 'invalid_request',
  },
  {
    name: 'a body over the limit',
    method: 'POST',
    url: '/api/students',
    payload: JSON.stringify({ name: bigName, email: 'big@example.com' }),
    headers: json,
    code: 'payload_too_large',
  },
  {
    name: 'a text/plain body',
    method: 'POST',
    url: '/api/students',
    payload: '{"name": "Asha", "email": "asha@example.com"}',
    headers: { 'content-type': 'text/plain' },
    code: 'unsupported_media_type',
  },
  {
    name: 'an XML body',
    method: 'POST',
    url: '/api/students',
    payload: '<student><name>Asha</name></student>',
    headers: { 'content-type': 'application/xml' },
    code: 'unsupported_media_type',
  },
  {
    name: 'a form-encoded body',
    method: 'POST',
    url: '/api/bookings',
    payload: 'student_id=1&mentor_id=2',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    code: 'unsupported_media_type',
  },
  { name: 'an unknown API route', method: 'GET', url: '/api/nope', code: 'route_not_found' },
  { name: 'an unknown route outside the API', method: 'GET', url: '/nope/at/all', code: 'route_not_found' },
  {
    name: 'a wrong method on a list route',
    method: 'DELETE',
    url: '/api/bookings',
    code: 'method_not_allowed',
  },
  {
    name: 'a wrong method on an item route',
    method: 'PUT',
    url: `/api/mentors/${demo.rohan}`,
    payload: {},
    code: 'method_not_allowed',
  },
  { name: 'a non-numeric id', method: 'GET', url: '/api/mentors/abc', code: 'invalid_request' },
  { name: 'an unknown id', method: 'GET', url: '/api/students/4242', code: 'not_found' },
  {
    name: 'a taken email',
    method: 'POST',
    url: '/api/students',
    payload: { name: 'Aarav Again', email: 'AARAV.SHARMA@example.com' },
    code: 'email_taken',
  },
  {
    name: 'an unknown area',
    method: 'POST',
    url: '/api/mentors',
    payload: { name: 'Nobody', areas_of_expertise: ['Astrology'] },
    code: 'unknown_area',
  },
  {
    name: 'a quote in a query value',
    method: 'GET',
    url: `/api/mentors/${demo.rohan}/slots?from=${encodeURIComponent("2026-12-01' OR 1=1 --")}`,
    code: 'invalid_request',
  },
];

describe('REST errors', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ BODY_LIMIT_BYTES: String(BODY_LIMIT) });
  });
  afterAll(() => t.close());

  it.each(badRequests)('answers $name with the $code problem, nothing internal', async (request) => {
    const response = await t.api.request({
      method: request.method,
      url: request.url,
      ...(request.payload === undefined ? {} : { payload: request.payload }),
      ...(request.headers ? { headers: request.headers } : {}),
    });
    expectProblem(response, request.code);
  });

  it('names the field "/" when the body is not a JSON object', async () => {
    const response = await t.api.request({
      method: 'POST',
      url: '/api/students',
      payload: '["asha@example.com"]',
      headers: json,
    });
    expect(response.body.errors).toEqual([{ path: '/', message: expect.any(String) }]);
  });

  it('accepts a body just under the limit', async () => {
    const payload = JSON.stringify({ name: 'x'.repeat(1500), email: 'just.under@example.com' });
    expect(Buffer.byteLength(payload)).toBeLessThan(BODY_LIMIT);
    const response = await t.api.request({ method: 'POST', url: '/api/students', payload, headers: json });
    expect(response.status).toBe(400); // the name is too long for the schema, but the body was read
    expect(response.body.errors.map((error: { path: string }) => error.path)).toEqual(['/name']);
  });

  it('answers 405 with an Allow header listing the methods of the route', async () => {
    const list = await t.api.request({ method: 'DELETE', url: '/api/bookings' });
    expect(list.status).toBe(405);
    const allowed = String(list.headers.allow)
      .split(',')
      .map((method) => method.trim());
    expect(allowed).toEqual(expect.arrayContaining(['GET', 'POST']));
    expect(allowed).not.toContain('DELETE');

    const item = await t.api.request({ method: 'DELETE', url: `/api/mentors/${demo.rohan}` });
    expect(item.status).toBe(405);
    expect(
      String(item.headers.allow)
        .split(',')
        .map((method) => method.trim()),
    ).toEqual(expect.arrayContaining(['GET', 'PATCH']));
  });

  it('sends no Allow header for an unknown route', async () => {
    const response = await t.api.request({ method: 'DELETE', url: '/api/nope' });
    expect(response.status).toBe(404);
    expect(response.headers.allow).toBeUndefined();
  });

  it('lists every invalid field of a body with its path', async () => {
    const response = await t.api.post('/api/mentors', {
      name: '',
      areas_of_expertise: 'Strategy',
      weekly: [{ day: 'someday', start: '25:00', end: '10:00' }],
    });
    expectProblem(response, 'invalid_request');
    expect(response.body.errors.map((error: { path: string }) => error.path).sort()).toEqual([
      '/areas_of_expertise',
      '/name',
      '/weekly/0/day',
      '/weekly/0/start',
    ]);
  });

  it('writes nothing when a request is refused', async () => {
    const before = (await t.api.get('/api/mentors?limit=200')).body.length;
    await t.api.request({
      method: 'POST',
      url: '/api/mentors',
      payload: '{"name": "Half", "areas_of_expertise": ["Strategy"]',
      headers: json,
    });
    await t.api.post('/api/mentors', { name: 'Half', areas_of_expertise: ['Strategy', 'Astrology'] });
    expect((await t.api.get('/api/mentors?limit=200')).body.length).toBe(before);
  });
});

interface TrpcError {
  error: {
    message: string;
    code: number;
    data: { code: string; httpStatus: number; path?: string; appCode: ErrorCode };
  };
}

describe('tRPC errors', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ BODY_LIMIT_BYTES: String(BODY_LIMIT) });
  });
  afterAll(() => t.close());

  const trpc = async (options: {
    method: 'GET' | 'POST';
    url: string;
    payload?: string;
    headers?: Record<string, string>;
  }) => {
    const response = await t.app.inject({
      method: options.method,
      url: options.url,
      ...(options.payload === undefined ? {} : { payload: options.payload }),
      headers: { ...asAdmin, ...options.headers },
    });
    expectNothingInternal(response.body);
    return { status: response.statusCode, body: response.json() as TrpcError };
  };

  const restCodeOf = async (request: Parameters<TestApp['api']['request']>[0]) =>
    (await t.api.request(request)).body.code as ErrorCode;

  it('answers malformed JSON with appCode malformed_json, as REST does', async () => {
    const payload = '{"name": "Asha", "email": ';
    const rest = await restCodeOf({ method: 'POST', url: '/api/students', payload, headers: json });
    expect(rest).toBe('malformed_json');
    const response = await trpc({ method: 'POST', url: '/trpc/students.create', payload, headers: json });
    expect(response.status).toBe(400);
    expect(response.body.error.data).toMatchObject({ httpStatus: 400, appCode: rest });
    expect(response.body.error.message).not.toMatch(/went wrong on our side/);
  });

  it('answers malformed JSON in a query input with appCode malformed_json', async () => {
    const response = await trpc({
      method: 'GET',
      url: `/trpc/students.get?input=${encodeURIComponent('{"id": 1')}`,
    });
    expect(response.status).toBe(400);
    expect(response.body.error.data.appCode).toBe('malformed_json');
  });

  it('answers an unknown procedure with appCode route_not_found, as REST answers an unknown route', async () => {
    const rest = await restCodeOf({ method: 'GET', url: '/api/nope' });
    const response = await trpc({ method: 'GET', url: '/trpc/nope' });
    expect(response.status).toBe(404);
    expect(response.body.error.data).toMatchObject({ httpStatus: 404, appCode: rest });
    expect(rest).toBe('route_not_found');
  });

  it('answers a body that is not an object with appCode invalid_request, as REST does', async () => {
    const payload = '[{"name": "Asha", "email": "asha@example.com"}]';
    const rest = await restCodeOf({ method: 'POST', url: '/api/students', payload, headers: json });
    const response = await trpc({ method: 'POST', url: '/trpc/students.create', payload, headers: json });
    expect(response.status).toBe(400);
    expect(response.body.error.data.appCode).toBe(rest);
    expect(rest).toBe('invalid_request');
  });

  it('answers a query called as a mutation and the other way round with appCode method_not_allowed', async () => {
    const asQuery = await trpc({ method: 'GET', url: '/trpc/students.create' });
    expect([asQuery.status, asQuery.body.error.data.appCode]).toEqual([405, 'method_not_allowed']);
    const asMutation = await trpc({
      method: 'POST',
      url: '/trpc/areas.list',
      payload: '{}',
      headers: json,
    });
    expect([asMutation.status, asMutation.body.error.data.appCode]).toEqual([405, 'method_not_allowed']);
  });

  it('answers a rule refusal with the same code as REST', async () => {
    const payload = JSON.stringify({ name: 'Aarav Again', email: 'Aarav.Sharma@example.com' });
    const rest = await restCodeOf({ method: 'POST', url: '/api/students', payload, headers: json });
    const response = await trpc({ method: 'POST', url: '/trpc/students.create', payload, headers: json });
    expect(response.status).toBe(409);
    expect(response.body.error.data.appCode).toBe(rest);
    expect(rest).toBe('email_taken');
  });

  it('refuses a body over the limit with payload_too_large', async () => {
    const payload = JSON.stringify({ name: bigName, email: 'big@example.com' });
    const response = await t.app.inject({
      method: 'POST',
      url: '/trpc/students.create',
      payload,
      headers: { ...asAdmin, ...json },
    });
    expect(response.statusCode).toBe(413);
    const body = response.json();
    expect(body.code ?? body.error?.data?.appCode).toBe('payload_too_large');
    expectNothingInternal(response.body);
  });
});
