import { allOperations } from '@mentor-scheduling/contracts';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, TEST_ADMIN_TOKEN, type TestApp } from '../support/app.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/notification-peers.js';
import { startPaymentsApp } from '../support/payments.js';
import { specViolationOf } from '../support/spec.js';
import type { Hints } from './support/arbitraries.js';
import {
  brokenRequestArbitrary,
  canBreak,
  hintsFor,
  namesPointer,
  type OpenSlot,
  validRequestArbitrary,
} from './support/inputs.js';
import { type Answer, type OperationRequest, send, urlOf } from './support/requests.js';
import { type SpecOperation, specOperations } from './support/spec-document.js';

/**
 * Property-based fuzzing of every REST operation of the published spec, derived from its JSON
 * Schemas (so a new operation is fuzzed without touching this file):
 * - valid inputs never get a 5xx, and every answer is one the spec documents, body and status;
 * - an input that breaks one field of its schema always gets 400 `invalid_request` naming that
 *   field in `errors[]`; a signed delivery (Stripe's webhook), whose body is read only once its
 *   signature holds, gets 400 `invalid_signature` instead, on a server with payments on;
 * - afterwards the database still holds no overlapping confirmed sessions of a mentor or a student.
 * Seeded and bounded: FUZZ_SEED and FUZZ_RUNS (per property) reproduce or widen a run.
 */
const seed = Number(process.env.FUZZ_SEED ?? 20261201);
const numRuns = Number(process.env.FUZZ_RUNS ?? 50);
console.log(`fuzz: seed ${seed}, ${numRuns} runs per property (FUZZ_SEED / FUZZ_RUNS to change)`);

const operator = `Bearer ${TEST_ADMIN_TOKEN}`;

/** Operations whose body is signed by its sender (see `Operation.signedBody`). */
const signedOperations = new Set(
  allOperations()
    .filter((operation) => operation.signedBody)
    .map((operation) => operation.id),
);
const isSigned = (operation: SpecOperation) => signedOperations.has(operation.id);
/** Operations that can end sessions: after one succeeds, a caller's token may be revoked. */
const endsSessions = new Set(['auth.logout', 'auth.logoutAll', 'auth.changePassword', 'auth.revokeTokens']);
type Caller = 'admin' | 'student' | 'mentor' | 'anonymous';

describe(`fuzzing the REST operations of the spec (seed ${seed})`, () => {
  let test: TestApp;
  let partner: WebhookReceiver;
  let hints: Hints;
  let openSlots: OpenSlot[] = [];
  const tokens: Record<Caller, string | undefined> = {
    admin: operator,
    student: undefined,
    mentor: undefined,
    anonymous: undefined,
  };
  const report: string[] = [];
  const refusedValid = new Map<string, number>();
  /** Feed addresses (`….ics`) that calendars.createFeed gave; most were replaced by a later one since. */
  const issuedFeeds: string[] = [];
  let studentCount = 0;

  async function registerStudent(): Promise<string> {
    studentCount += 1;
    const answer = await test.app.inject({
      method: 'POST',
      url: '/api/auth/register',
      payload: {
        name: `Fuzz Caller ${studentCount}`,
        email: `fuzz.caller.${studentCount}@callers.example.com`,
        password: 'fuzz caller password',
      },
    });
    expect(answer.statusCode, answer.body).toBe(201);
    return `Bearer ${answer.json().token}`;
  }

  async function loginMentor(): Promise<string> {
    const answer = await test.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'rohan.mehta@mentors.example.com', password: 'demo-password' },
    });
    expect(answer.statusCode, answer.body).toBe(200);
    return `Bearer ${answer.json().token}`;
  }

  let mentorCount = 0;

  /**
   * A mentor of its own for the mentor caller once Rohan's token is gone: logging in as Rohan again
   * may be refused by then, since the fuzzing's wrong current passwords count as failed logins.
   */
  async function signInNewMentor(): Promise<string> {
    mentorCount += 1;
    const asOperator = { authorization: operator };
    const mentor = await test.app.inject({
      method: 'POST',
      url: '/api/mentors',
      headers: asOperator,
      payload: {
        name: `Fuzz Mentor ${mentorCount}`,
        areas_of_expertise: ['Equity Research'],
        weekly: ['mon', 'tue', 'wed', 'thu', 'fri'].map((day) => ({ day, start: '19:00', end: '23:00' })),
      },
    });
    expect(mentor.statusCode, mentor.body).toBe(201);
    const credentials = {
      email: `fuzz.mentor.${mentorCount}@callers.example.com`,
      password: 'fuzz mentor password',
    };
    const account = await test.app.inject({
      method: 'POST',
      url: '/api/auth/accounts',
      headers: asOperator,
      payload: { ...credentials, role: 'mentor', mentor_id: mentor.json().id },
    });
    expect(account.statusCode, account.body).toBe(201);
    const login = await test.app.inject({ method: 'POST', url: '/api/auth/login', payload: credentials });
    expect(login.statusCode, login.body).toBe(200);
    return `Bearer ${login.json().token}`;
  }

  /** A student or mentor token revoked by an earlier run is replaced, so their calls reach the rules. */
  async function keepCallersSignedIn(): Promise<void> {
    for (const caller of ['student', 'mentor'] as const) {
      const answer = await test.app.inject({
        method: 'GET',
        url: '/api/auth/me',
        headers: { authorization: tokens[caller] as string },
      });
      if (answer.statusCode === 401)
        tokens[caller] = caller === 'student' ? await registerStudent() : await signInNewMentor();
    }
  }

  beforeAll(async () => {
    test = await startTestApp({
      AUTH_RATE_LIMIT_MAX: '1000000',
      RATE_LIMIT_MAX: '1000000',
      // Webhook endpoints the fuzzing subscribes get deliveries; one failed try makes a dead letter
      // (for outbox.retry to find) instead of retries that outlive the run.
      OUTBOX_POLL_MS: '100',
      OUTBOX_MAX_ATTEMPTS: '1',
    });
    // Subscribed endpoints point at this receiver (it knows no secret, so it answers 401: each
    // delivery fails at once) or are refused; never a name to resolve or a host that may not answer.
    partner = await startWebhookReceiver();
    const areas = (await test.app.inject({ method: 'GET', url: '/api/areas' })).json() as { name: string }[];
    hints = {
      ...hintsFor(areas.map((area) => area.name)),
      url: fc.oneof(
        { weight: 3, arbitrary: fc.constant(partner.url) },
        fc.constantFrom('ftp://files.example.com/hooks', 'mailto:partner@example.com'),
        fc.string({ minLength: 1, maxLength: 40 }),
      ),
      // Read when a value is drawn, so calendars.feed meets the addresses issued before it ran.
      token: fc
        .nat()
        .map((pick) => issuedFeeds[pick % Math.max(issuedFeeds.length, 1)] ?? `${'x'.repeat(43)}.ics`),
    };
    const mentors = (await test.app.inject({ method: 'GET', url: '/api/mentors?limit=200' })).json() as {
      id: number;
      availability: string[];
    }[];
    openSlots = mentors.flatMap((mentor) =>
      mentor.availability.map((start_time) => ({ mentor_id: mentor.id, start_time })),
    );
    tokens.student = await registerStudent();
    tokens.mentor = await loginMentor();
  });

  afterAll(async () => {
    console.log(
      [
        `fuzz report (seed ${seed}, ${numRuns} runs per property): statuses seen per operation`,
        ...report,
        ...(refusedValid.size > 0
          ? [
              'spec-valid inputs the server refused with 400 (rules JSON Schema cannot state, e.g. IANA zones, trimmed text):',
              ...[...refusedValid].map(([what, count]) => `  ${what} ×${count}`),
            ]
          : []),
      ].join('\n'),
    );
    await test?.close();
    await partner?.close();
  });

  /** The database invariant: no two confirmed sessions of one mentor, or of one student, overlap. */
  async function overlappingBookings(): Promise<unknown[]> {
    const knex = test.app.db.knex;
    return knex('bookings as a')
      .join('bookings as b', function overlap() {
        this.on('a.id', '<', 'b.id').andOn(function sameParty() {
          this.on('a.mentor_id', '=', 'b.mentor_id').orOn('a.student_id', '=', 'b.student_id');
        });
      })
      .where('a.status', 'confirmed')
      .andWhere('b.status', 'confirmed')
      .andWhereRaw('a.start_at < b.end_at')
      .andWhereRaw('b.start_at < a.end_at')
      .select('a.id as first', 'b.id as second', 'a.mentor_id', 'a.student_id');
  }

  function checkAgainstSpec(operation: SpecOperation, request: OperationRequest, answer: Answer): void {
    const where = `${operation.method} ${urlOf(operation, request)} ${JSON.stringify(request.body ?? null)} → ${answer.status} ${JSON.stringify(answer.body)}`;
    expect(answer.status, `5xx: ${where}`).toBeLessThan(500);
    const violation = specViolationOf(
      operation.method,
      urlOf(operation, request),
      answer.status,
      answer.contentType,
      answer.body,
    );
    expect(violation, `${violation?.message}: ${where}`).toBeNull();
  }

  for (const operation of specOperations) {
    describe(operation.id, () => {
      const seen = new Map<string, number>();

      it('answers valid inputs with a documented status and body, never a 5xx', async () => {
        await keepCallersSignedIn();
        const callers: Caller[] = ['admin', 'admin', 'student', 'mentor', 'anonymous'];
        await fc.assert(
          fc.asyncProperty(
            validRequestArbitrary(operation, hints, openSlots),
            fc.constantFrom(...callers),
            async (request, caller) => {
              const answer = await send(test.app, operation, request, tokens[caller]);
              const outcome =
                answer.status < 400 ? String(answer.status) : `${answer.status} ${answer.body.code}`;
              seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
              checkAgainstSpec(operation, request, answer);
              if (answer.status === 400) {
                const paths = (answer.body.errors ?? [])
                  .map((error: { path: string }) => error.path)
                  .join(',');
                const key = `${operation.id} ${paths || answer.body.detail}`;
                refusedValid.set(key, (refusedValid.get(key) ?? 0) + 1);
              }
              if (endsSessions.has(operation.id) && answer.status === 200) await keepCallersSignedIn();
              if (operation.id === 'calendars.createFeed' && answer.status === 201)
                issuedFeeds.push(new URL(answer.body.url).pathname.split('/').pop() as string);
            },
          ),
          { seed, numRuns },
        );
        expect(await overlappingBookings()).toEqual([]);
        report.push(
          `  ${operation.id.padEnd(24)} ${[...seen]
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([outcome, count]) => `${outcome}×${count}`)
            .join(', ')}`,
        );
      });

      if (isSigned(operation))
        it('refuses an unsigned input that breaks its schema with 400 invalid_signature, changing nothing', async () => {
          const paying = await startPaymentsApp({ RATE_LIMIT_MAX: '1000000' });
          try {
            await fc.assert(
              fc.asyncProperty(brokenRequestArbitrary(operation, hints, openSlots), async ({ request }) => {
                const answer = await send(paying.t.app, operation, request, undefined);
                checkAgainstSpec(operation, request, answer);
                const where = `${operation.method} ${urlOf(operation, request)} ${JSON.stringify(request.body ?? null)}`;
                expect([answer.status, answer.body.code], where).toEqual([400, 'invalid_signature']);
              }),
              { seed, numRuns },
            );
            expect(await paying.t.app.db.knex('payment_events').count({ events: '*' })).toEqual([
              { events: 0 },
            ]);
          } finally {
            await paying.close();
          }
        });
      // Operations without an input to break get no such test, rather than a skipped one.
      else if (canBreak(operation))
        it('answers an input that breaks its schema with 400 naming the field', async () => {
          await fc.assert(
            fc.asyncProperty(
              brokenRequestArbitrary(operation, hints, openSlots),
              async ({ request, pointer }) => {
                const answer = await send(test.app, operation, request, operator);
                checkAgainstSpec(operation, request, answer);
                const where = `${operation.method} ${urlOf(operation, request)} ${JSON.stringify(request.body ?? null)} headers ${JSON.stringify(request.headers)}`;
                expect(answer.status, `${where} → ${JSON.stringify(answer.body)}`).toBe(400);
                if (pointer === '/' && !Array.isArray(answer.body.errors)) return; // not JSON at all: malformed_json
                const paths = (answer.body.errors ?? []).map((error: { path: string }) => error.path);
                expect(
                  paths.some((path: string) => namesPointer(path, pointer)),
                  `${where}: expected errors[] to name ${pointer}, got ${JSON.stringify(answer.body)}`,
                ).toBe(true);
              },
            ),
            { seed, numRuns },
          );
          expect(await overlappingBookings()).toEqual([]);
        });
    });
  }
});
