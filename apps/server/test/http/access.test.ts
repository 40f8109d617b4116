import { allOperations, type Operation } from '@mentor-scheduling/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymously, asAdmin, demo, loginAs, startTestApp, type TestApp } from '../support/app.js';

type Caller = 'anonymous' | 'studentA' | 'studentB' | 'mentor' | 'admin';
/** allow: any answer but 401/403 (a rule may still refuse); 401/403: refused for who is asking. */
type Expected = 'allow' | 401 | 403;

const everyone: Record<Caller, Expected> = {
  anonymous: 'allow',
  studentA: 'allow',
  studentB: 'allow',
  mentor: 'allow',
  admin: 'allow',
};
const adminOnly: Record<Caller, Expected> = {
  anonymous: 401,
  studentA: 403,
  studentB: 403,
  mentor: 403,
  admin: 'allow',
};
const signedIn: Record<Caller, Expected> = { ...everyone, anonymous: 401 };
const studentAOnly: Record<Caller, Expected> = {
  anonymous: 401,
  studentA: 'allow',
  studentB: 403,
  mentor: 403,
  admin: 'allow',
};
const participantsOfA: Record<Caller, Expected> = { ...studentAOnly, mentor: 'allow' };
const theMentor: Record<Caller, Expected> = {
  anonymous: 401,
  studentA: 403,
  studentB: 403,
  mentor: 'allow',
  admin: 'allow',
};

/**
 * Every operation, called as each kind of caller. Student A (Aarav) has booking `bookingOfA` with
 * the mentor (Rohan); student B (Diya) has nothing to do with it.
 */
function matrix(
  bookingOfA: number,
): Record<string, { input: Record<string, unknown>; expected: Record<Caller, Expected> }> {
  return {
    'health.check': { input: {}, expected: everyone },
    'health.ready': { input: {}, expected: everyone },
    'auth.register': {
      input: {
        name: 'New Student',
        email: `new.${Math.random()}@example.com`,
        password: 'a long enough password',
      },
      expected: everyone,
    },
    'auth.login': {
      input: { email: 'diya.patel@example.com', password: 'demo-password' },
      expected: everyone,
    },
    'auth.logout': { input: {}, expected: signedIn },
    'auth.logoutAll': { input: {}, expected: signedIn },
    // A wrong current password: refused with 400 (allowed to ask), nothing changes.
    'auth.changePassword': {
      input: { current_password: 'not the password', new_password: 'another long passphrase' },
      expected: signedIn,
    },
    'auth.revokeTokens': { input: { id: 99_999 }, expected: adminOnly },
    'auth.me': { input: {}, expected: signedIn },
    'auth.createAccount': {
      input: { email: `m.${Math.random()}@example.com`, password: 'a long enough password', role: 'admin' },
      expected: adminOnly,
    },
    'areas.list': { input: {}, expected: everyone },
    'pricing.get': { input: {}, expected: everyone },
    'mentors.list': { input: { area_of_expertise: 'Consulting' }, expected: everyone },
    'mentors.get': { input: { id: demo.rohan }, expected: everyone },
    'mentors.slots': { input: { id: demo.rohan }, expected: everyone },
    'mentors.create': {
      input: { name: 'Matrix Mentor', areas_of_expertise: ['Strategy'] },
      expected: adminOnly,
    },
    'mentors.update': { input: { id: demo.rohan, headline: 'Still Rohan' }, expected: theMentor },
    'mentors.availability': { input: { id: demo.rohan }, expected: everyone },
    'mentors.setAvailability': {
      input: { id: demo.rohan, weekly: [{ day: 'mon', start: '19:00', end: '23:00' }] },
      expected: theMentor,
    },
    'slots.search': {
      input: { area_of_expertise: 'Equity Research', student_id: demo.students.aarav },
      // A student's view asked for anonymously: log in first (401), as for operations that need a token.
      expected: { ...studentAOnly, anonymous: 401 },
    },
    'students.create': {
      input: { name: 'Made By Admin', email: `s.${Math.random()}@example.com` },
      expected: adminOnly,
    },
    'students.get': { input: { id: demo.students.aarav }, expected: studentAOnly },
    'students.update': { input: { id: demo.students.aarav, name: 'Aarav S.' }, expected: studentAOnly },
    'students.export': { input: { id: demo.students.aarav }, expected: studentAOnly },
    // Erasing an id that names nobody: 404 for admins, the same 403 as someone else's for students.
    'students.erase': { input: { id: 99_999 }, expected: adminOnly },
    'auditLog.list': { input: { limit: 5 }, expected: adminOnly },
    'bookings.create': {
      input: {
        student_id: demo.students.aarav,
        mentor_id: demo.rohan,
        start_time: '2026-12-09T21:00:00',
        duration: 30,
      },
      expected: studentAOnly,
    },
    // The mentor sees their own sessions with A; B may not list A's.
    'bookings.list': { input: { student_id: demo.students.aarav }, expected: participantsOfA },
    'bookings.get': { input: { id: bookingOfA }, expected: participantsOfA },
    'bookings.history': { input: { id: bookingOfA }, expected: participantsOfA },
    'bookings.reschedule': {
      input: { id: bookingOfA, start_time: '2026-12-10T19:00:00' },
      expected: participantsOfA,
    },
    'bookings.cancel': { input: { id: bookingOfA, reason: 'matrix' }, expected: participantsOfA },
    'payments.list': { input: { status: 'paid' }, expected: adminOnly },
    'students.list': { input: { q: 'a' }, expected: adminOnly },
    'reports.dashboard': { input: { weeks: 2 }, expected: adminOnly },
    'calendars.booking': { input: { id: bookingOfA }, expected: participantsOfA },
    // A feed belongs to a student's or a mentor's account; the operator token has none.
    'calendars.createFeed': { input: {}, expected: { ...signedIn, admin: 403 } },
    // Calendar apps fetch it without a token; the address is the credential (404 for this made-up one).
    'calendars.feed': { input: { token: `${'A'.repeat(43)}.ics` }, expected: everyone },
    'webhooks.create': {
      input: { url: 'https://partner.example.com/hooks', events: ['booking.cancelled'] },
      expected: adminOnly,
    },
    'webhooks.list': { input: {}, expected: adminOnly },
    'webhooks.attempts': { input: { id: 999 }, expected: adminOnly },
    'webhooks.delete': { input: { id: 999 }, expected: adminOnly },
    'outbox.list': { input: { status: 'failed' }, expected: adminOnly },
    'outbox.retry': { input: { id: 999 }, expected: adminOnly },
    // The payment provider calls it without a token; its signature is its credential (404 here: payments are off).
    'payments.stripeWebhook': {
      input: { id: 'evt_1', type: 'ping', data: { object: {} } },
      expected: everyone,
    },
  };
}

function restRequest(operation: Operation, input: Record<string, unknown>) {
  const rest = { ...input };
  const path = operation.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = String(rest[name]);
    delete rest[name];
    return value;
  });
  return operation.method === 'GET'
    ? { method: operation.method, url: `${path}?${new URLSearchParams(rest as Record<string, string>)}` }
    : { method: operation.method, url: path, payload: rest };
}

describe('who may call what (every operation × every kind of caller)', () => {
  for (const surface of ['REST', 'tRPC'] as const) {
    describe(`over ${surface}`, () => {
      let t: TestApp;
      let headers: Record<Caller, Record<string, string>>;
      let bookingOfA: number;

      const signIn = async () => ({
        anonymous: anonymously,
        studentA: await loginAs(t.api, 'aarav.sharma@example.com'),
        studentB: await loginAs(t.api, 'diya.patel@example.com'),
        mentor: await loginAs(t.api, 'rohan.mehta@mentors.example.com'),
        admin: await loginAs(t.api, 'admin@example.com'),
      });

      beforeAll(async () => {
        // Logging everyone in again (before logout-all) would pass the per-client credential limit.
        t = await startTestApp({ AUTH_RATE_LIMIT_MAX: '1000' });
        headers = await signIn();
        const created = await t.api.post(
          '/api/bookings',
          { mentor_id: demo.rohan, start_time: '2026-12-08T19:00:00', duration: 30 },
          headers.studentA,
        );
        expect(created.status).toBe(201);
        bookingOfA = created.body.booking_id;
      });
      afterAll(() => t.close());

      it('has a row for every operation of the contract', () => {
        const rows = Object.keys(matrix(0));
        expect(
          allOperations()
            .map((operation) => operation.id)
            .sort(),
        ).toEqual(rows.sort());
      });

      // Logout and logout-all last, each with fresh tokens: they revoke the caller's.
      const revoking = ['auth.logout', 'auth.logoutAll'];
      const order = (ids: string[]) => [...ids.filter((id) => !revoking.includes(id)), ...revoking];
      for (const operationId of order(Object.keys(matrix(0)))) {
        it(`${operationId}`, async () => {
          const operation = allOperations().find((candidate) => candidate.id === operationId) as Operation;
          if (surface === 'tRPC' && operation.trpc === null) return;
          if (operationId === 'auth.logoutAll') headers = await signIn();
          const row = matrix(bookingOfA)[operationId];
          if (!row) throw new Error(`no matrix row for ${operationId}`);
          const outcomes: Record<string, number> = {};
          for (const caller of Object.keys(row.expected) as Caller[]) {
            outcomes[caller] =
              surface === 'REST'
                ? (await t.api.request({ ...restRequest(operation, row.input), headers: headers[caller] }))
                    .status
                : await trpcStatus(t, operation, row.input, headers[caller]);
          }
          const judged = Object.fromEntries(
            Object.entries(outcomes).map(([caller, status]) => [
              caller,
              status === 401 || status === 403 ? status : status < 500 ? 'allow' : status,
            ]),
          );
          expect(judged).toEqual(row.expected);
        });
      }
    });
  }
});

async function trpcStatus(
  t: TestApp,
  operation: Operation,
  input: Record<string, unknown>,
  headers: Record<string, string>,
): Promise<number> {
  const authorization = headers.authorization ? { authorization: headers.authorization } : {};
  const response =
    operation.trpc === 'query'
      ? await t.app.inject({
          method: 'GET',
          url: `/trpc/${operation.id}?input=${encodeURIComponent(JSON.stringify(input))}`,
          headers: authorization,
        })
      : await t.app.inject({
          method: 'POST',
          url: `/trpc/${operation.id}`,
          payload: input,
          headers: authorization,
        });
  const body = response.json();
  return body.error ? body.error.data.httpStatus : response.statusCode;
}

describe('the operator token', () => {
  it('acts as an admin', async () => {
    const t = await startTestApp();
    try {
      const me = await t.api.get('/api/auth/me', asAdmin);
      expect(me.body).toMatchObject({ role: 'admin', email: 'operator' });
    } finally {
      await t.close();
    }
  });
});
