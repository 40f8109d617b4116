import { allOperations, type Operation } from '@mentor-scheduling/contracts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAdmin, demo, startTestApp, type TestApp, withoutRandomParts } from '../support/app.js';

/**
 * The same calls, in the same order, against two identical apps: one through REST, one through
 * tRPC. Every answer (data, or status and error code) must be the same on both surfaces.
 */
type Call = [operationId: string, input: Record<string, unknown>];

const calls: Call[] = [
  ['areas.list', {}],
  ['pricing.get', {}],
  ['mentors.list', { area_of_expertise: 'Consulting', duration: 45 }],
  ['mentors.list', { limit: 3, is_premium: true }],
  ['mentors.list', { limit: 500 }],
  ['mentors.get', { id: demo.rohan }],
  ['mentors.get', { id: 999 }],
  [
    'mentors.slots',
    { id: demo.rohan, from: '2026-12-01T00:00:00Z', to: '2026-12-02T00:00:00Z', duration: 60 },
  ],
  ['mentors.slots', { id: demo.rohan, from: '2026-12-02T00:00:00Z', to: '2026-12-01T00:00:00Z' }],
  [
    'mentors.create',
    {
      name: 'Zoya Khan',
      areas_of_expertise: ['Strategy'],
      weekly: [{ day: 'mon', start: '18:00', end: '20:00' }],
    },
  ],
  ['mentors.create', { name: 'Nobody', areas_of_expertise: ['Astrology'] }],
  ['mentors.update', { id: 21, headline: 'Strategy Director', is_premium: true }],
  ['mentors.update', { id: 21, timezone: 'Mars/Olympus' }],
  ['mentors.availability', { id: demo.rohan }],
  [
    'mentors.setAvailability',
    {
      id: 21,
      weekly: [{ day: 'tue', start: '19:00', end: '21:00' }],
      overrides: [{ date: '2026-12-08', windows: [] }],
    },
  ],
  ['mentors.setAvailability', { id: 21, weekly: [{ day: 'tue', start: '21:00', end: '19:00' }] }],
  ['students.create', { name: 'Mira Sen', email: 'mira.sen@example.com' }],
  ['students.create', { name: 'Mira Again', email: 'MIRA.SEN@example.com' }],
  ['students.get', { id: 6 }],
  ['students.update', { id: 6, area_of_interest: 'Strategy' }],
  [
    'bookings.create',
    { student_id: 6, mentor_id: 21, start_time: '2026-12-01T19:00:00', duration: 30, cost: 3000 },
  ],
  ['bookings.create', { student_id: 1, mentor_id: 21, start_time: '2026-12-01T19:00:00', duration: 30 }],
  [
    'bookings.create',
    { student_id: 1, area_of_expertise: 'Consulting', start_time: '2026-12-01T19:00:00', duration: 45 },
  ],
  [
    'bookings.create',
    { student_id: 1, mentor_id: 2, start_time: '2026-12-01T19:00:00', duration: 30, cost: 1 },
  ],
  ['bookings.list', { student_id: 1 }],
  ['bookings.list', { limit: 1 }],
  ['bookings.get', { id: 1 }],
  ['bookings.get', { id: 404 }],
  ['calendars.booking', { id: 1 }],
  ['calendars.booking', { id: 404 }],
  // Feeds are for students and mentors: the operator token is refused alike on both doors.
  ['calendars.createFeed', {}],
  ['webhooks.create', { url: 'https://partner.example.com/hooks', events: ['booking.cancelled'] }],
  ['webhooks.create', { url: 'ftp://partner.example.com/hooks', events: ['booking.cancelled'] }],
  ['webhooks.list', {}],
  ['webhooks.attempts', { id: 1, limit: 5 }],
  ['outbox.list', { status: 'failed' }],
  ['outbox.retry', { id: 99999 }],
  [
    'slots.search',
    { area_of_expertise: 'Consulting', duration: 60, timezone: 'Asia/Kolkata', student_id: 1 },
  ],
  ['slots.search', { area_of_expertise: 'Astrology' }],
  ['bookings.reschedule', { id: 1, start_time: '2026-12-08T19:00:00', duration: 45 }],
  ['bookings.reschedule', { id: 1, start_time: '2026-12-08T19:10:00' }],
  ['bookings.history', { id: 1 }],
  ['bookings.cancel', { id: 1, reason: 'Interview moved' }],
  ['bookings.cancel', { id: 1 }],
  ['bookings.history', { id: 1 }],
  ['webhooks.delete', { id: 1 }],
  ['webhooks.delete', { id: 1 }],
  ['students.list', { q: 'a', limit: 3 }],
  ['reports.dashboard', { weeks: 2 }],
  ['payments.list', {}],
  ['payments.list', { status: 'refunded', limit: 5 }],
  [
    'auth.register',
    { name: 'Ravi Teja', email: 'ravi.teja@example.com', password: 'a long enough password' },
  ],
  [
    'auth.register',
    { name: 'Ravi Again', email: 'RAVI.TEJA@example.com', password: 'a long enough password' },
  ],
  ['auth.login', { email: 'ravi.teja@example.com', password: 'a long enough password' }],
  ['auth.login', { email: 'ravi.teja@example.com', password: 'not the password' }],
  ['auth.me', {}],
  [
    'auth.createAccount',
    {
      email: 'zoya.khan@mentors.example.com',
      password: 'a long enough password',
      role: 'mentor',
      mentor_id: 21,
    },
  ],
  [
    'auth.createAccount',
    {
      email: 'zoya.k@mentors.example.com',
      password: 'a long enough password',
      role: 'mentor',
      mentor_id: 21,
    },
  ],
  ['auth.logout', {}],
  ['auth.logoutAll', {}],
  ['auth.changePassword', { current_password: 'a long enough password', new_password: 'password123' }],
  [
    'auth.changePassword',
    { current_password: 'a long enough password', new_password: 'another long password' },
  ],
  ['auth.revokeTokens', { id: 1 }],
  ['auth.revokeTokens', { id: 99999 }],
  ['students.export', { id: 6 }],
  ['students.export', { id: 404 }],
  ['auditLog.list', { limit: 5 }],
  ['auditLog.list', { target_type: 'student', target_id: 6 }],
  ['auditLog.list', { operation: 'bookings.cancel', from: '2026-01-01T00:00:00Z' }],
  ['auditLog.list', { target_type: 'planet' }],
  ['students.erase', { id: 6 }],
  ['students.erase', { id: 6 }],
  ['students.erase', { id: 404 }],
  ['students.export', { id: 6 }],
  ['auditLog.list', { target_type: 'student', target_id: 6 }],
];

interface Outcome {
  status: number;
  data?: unknown;
  code?: string;
}

function operationOf(id: string): Operation {
  const operation = allOperations().find((candidate) => candidate.id === id);
  if (!operation) throw new Error(`Unknown operation ${id}`);
  return operation;
}

async function callRest(
  app: FastifyInstance,
  operation: Operation,
  input: Record<string, unknown>,
): Promise<Outcome> {
  const rest = { ...input };
  const path = operation.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = rest[name];
    delete rest[name];
    return String(value);
  });
  const query = operation.method === 'GET' ? `?${new URLSearchParams(rest as Record<string, string>)}` : '';
  const response = await app.inject({
    method: operation.method,
    url: `${path}${query}`,
    headers: asAdmin,
    ...(operation.method === 'GET' ? {} : { payload: rest }),
  });
  // A calendar file is compared as its text, as tRPC answers it.
  const body = String(response.headers['content-type']).startsWith('text/calendar')
    ? response.body
    : response.json();
  return response.statusCode >= 400
    ? { status: response.statusCode, code: body.code }
    : { status: response.statusCode === 201 ? 200 : response.statusCode, data: withoutRandomParts(body) };
}

async function callTrpc(
  app: FastifyInstance,
  operation: Operation,
  input: Record<string, unknown>,
): Promise<Outcome> {
  const response =
    operation.trpc === 'query'
      ? await app.inject({
          method: 'GET',
          url: `/trpc/${operation.id}?input=${encodeURIComponent(JSON.stringify(input))}`,
          headers: asAdmin,
        })
      : await app.inject({ method: 'POST', url: `/trpc/${operation.id}`, headers: asAdmin, payload: input });
  const body = response.json();
  if (body.error) return { status: body.error.data.httpStatus, code: body.error.data.appCode };
  const data = body.result.data;
  return { status: response.statusCode, data: withoutRandomParts(operation.paginated ? data.items : data) };
}

describe('REST and tRPC answer the same calls the same way', () => {
  let restApp: TestApp;
  let trpcApp: TestApp;
  beforeAll(async () => {
    // Nothing is delivered: each app's outbox then holds the same messages in the same states.
    const env = { OUTBOX_DISPATCHER: 'off' };
    [restApp, trpcApp] = await Promise.all([startTestApp(env), startTestApp(env)]);
  });
  afterAll(async () => {
    await Promise.all([restApp.close(), trpcApp.close()]);
  });

  it('covers every operation that has a tRPC procedure', () => {
    const covered = new Set(calls.map(([id]) => id));
    const missing = allOperations()
      .filter((operation) => operation.trpc !== null && !covered.has(operation.id))
      .map((operation) => operation.id);
    expect(missing).toEqual([]);
  });

  it('gives the same data, status and error code for each call, in order', async () => {
    for (const [id, input] of calls) {
      const operation = operationOf(id);
      const viaRest = await callRest(restApp.app, operation, input);
      const viaTrpc = await callTrpc(trpcApp.app, operation, input);
      expect({ call: id, input, ...viaTrpc }).toEqual({ call: id, input, ...viaRest });
    }
  });
});
