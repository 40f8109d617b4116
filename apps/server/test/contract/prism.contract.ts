import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allOperations } from '@mentor-scheduling/contracts';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { demo, loginAs, NOW, startTestApp, TEST_ADMIN_TOKEN, type TestApp } from '../support/app.js';
import { startWebhookReceiver } from '../support/notification-peers.js';
import {
  type PaymentsTestApp,
  sessionOfCheckout,
  startPaymentsApp,
  TEST_WEBHOOK_SECRET,
} from '../support/payments.js';
import { specViolationOf } from '../support/spec.js';
import { brokenRequestArbitrary, canBreak, exampleCall, hintsFor } from './support/inputs.js';
import { type OutboxLog, outboxLog } from './support/outbox-log.js';
import { type PrismProxy, prismErrorType, startPrism } from './support/prism.js';
import { type Answer, type OperationRequest, urlOf } from './support/requests.js';
import { type SpecOperation, specDocument, specOperation, specOperations } from './support/spec-document.js';

/**
 * The end-to-end run through Prism's validation proxy (`prism proxy --errors`) in front of a real
 * server on a real port: Prism checks every request and every answer against openapi/openapi.yaml
 * and turns any departure into an error of its own, which fails this suite. Every operation is
 * called, and every status the spec documents for it is answered at least once (the few that cannot
 * be provoked are listed below, with the reason).
 *
 * Two proxies sit in front of the same server: `checked` validates requests and answers; `lenient`
 * validates answers only, so deliberately invalid requests (broken fields, a text body) reach the
 * server and its 400 and 415 answers are validated too. The server runs in this process on a temp
 * SQLite file with a clock this suite moves (to reach "started" and "too late to change" sessions);
 * its outbox delivers webhooks to real receivers on loopback, one of which always fails.
 */

/** Documented statuses no bounded run can provoke, per operation (`*`: every operation). */
const unreachable: Record<string, Record<number, string>> = {
  '*': {
    503: '`service_busy` needs the database locked past its deadline (SQLite: another process holding the write lock for 5 seconds; PostgreSQL: a statement or lock timeout), `storage_unavailable` a full or broken disk',
  },
  'auth.me': { 403: 'every role may call it and it reads only the caller' },
  'auth.logout': { 403: 'every role may call it and it revokes only the caller' },
  'auth.logoutAll': { 403: 'every role may call it and it revokes only the caller’s tokens' },
  'auth.changePassword': { 403: 'every role may call it and it changes only the caller’s password' },
};
/** …except where another code of the same status can be provoked. */
const reachableAnyway: Record<string, number[]> = { 'health.ready': [503] };

const BODY_LIMIT = 16_384;
const operator = `Bearer ${TEST_ADMIN_TOKEN}`;
/** A token of the server's form that no account holds: answered 401 (500 once the database is gone). */
const unknownToken = `Bearer mst_${'x'.repeat(43)}`;
/** Who may call each operation (`Operation.access`): the spec says only whether a token is needed. */
const accessOf = new Map(allOperations().map((operation) => [operation.id, operation.access]));

/** `paying`: a checking proxy in front of a second server, one with payments on (Stripe's stand-in) */
type Via = 'checked' | 'lenient' | 'paying';

interface CallOptions {
  as?: string | undefined;
  via?: Via;
  /** The status the server must answer */
  expect?: number;
  /** The error code the server must answer */
  code?: string;
  headers?: Record<string, string>;
  /** Sent as is, with this content type, instead of the JSON body */
  raw?: { contentType: string; payload: string };
}

/** The query of the page a `Link: <…>; rel="next"` header points to, or null on the last page. */
function nextPageQuery(answer: Answer): Record<string, string> | null {
  const link = /<([^>]+)>;\s*rel="next"/.exec(String(answer.headers.link ?? ''))?.[1];
  return link ? Object.fromEntries(new URL(link, 'http://link.invalid').searchParams) : null;
}

/** The fields a 400 `invalid_request` names, as JSON pointers. */
function errorPaths(answer: Answer): string[] {
  return (answer.body?.errors ?? []).map((error: { path: string }) => error.path);
}

describe('the end-to-end run through Prism’s validation proxy', () => {
  let test: TestApp;
  let clock = NOW;
  let checked: PrismProxy;
  let lenient: PrismProxy;
  let payments: PaymentsTestApp;
  let paying: PrismProxy;
  let outbox: OutboxLog;
  const observed = new Map<string, Set<number>>();
  const observedCodes = new Map<string, Set<string>>();
  const tokens = { aarav: '', diya: '', rohan: '', admin: '', zoyaId: 0 };

  beforeAll(async () => {
    outbox = outboxLog();
    test = await startTestApp(
      {
        BODY_LIMIT_BYTES: String(BODY_LIMIT),
        RATE_LIMIT_MAX: '5000',
        AUTH_RATE_LIMIT_MAX: '500',
        // Webhooks go out within milliseconds of a booking, and one failed try is a dead letter at
        // once (the clock this suite moves would never reach a backoff's next try).
        OUTBOX_POLL_MS: '20',
        OUTBOX_MAX_ATTEMPTS: '1',
        // The dispatcher's `message delivered` lines are what the webhook test waits for.
        LOG_LEVEL: 'info',
      },
      () => clock,
      outbox.stream,
    );
    const upstream = await test.app.listen({ port: 0, host: '127.0.0.1' });
    payments = await startPaymentsApp({ RATE_LIMIT_MAX: '5000', AUTH_RATE_LIMIT_MAX: '500' });
    const payingUpstream = await payments.t.app.listen({ port: 0, host: '127.0.0.1' });
    [checked, lenient, paying] = await Promise.all([
      startPrism(upstream),
      startPrism(upstream, { validateRequest: false }),
      startPrism(payingUpstream),
    ]);
  });

  afterAll(async () => {
    await Promise.all([checked?.stop(), lenient?.stop(), paying?.stop()]);
    await test?.close().catch(() => {});
    await payments?.close().catch(() => {});
  });

  function record(operation: SpecOperation, answer: Answer): void {
    observed.set(operation.id, (observed.get(operation.id) ?? new Set()).add(answer.status));
    if (typeof answer.body?.code === 'string') {
      observedCodes.set(operation.id, (observedCodes.get(operation.id) ?? new Set()).add(answer.body.code));
    }
  }

  /** Calls an operation through a proxy; fails on anything Prism objects to, or an unexpected status. */
  async function call(
    id: string,
    request: Partial<OperationRequest>,
    options: CallOptions = {},
  ): Promise<Answer> {
    const operation = specOperation(id);
    const full: OperationRequest = { path: {}, query: {}, headers: {}, ...request };
    const proxy = options.via === 'lenient' ? lenient : options.via === 'paying' ? paying : checked;
    const url = urlOf(operation, full);
    const hasBody = full.body !== undefined || options.raw !== undefined;
    const response = await fetch(`${proxy.url}${url}`, {
      method: operation.method,
      headers: {
        ...full.headers,
        ...options.headers,
        ...(options.as ? { authorization: options.as } : {}),
        ...(hasBody ? { 'content-type': options.raw?.contentType ?? 'application/json' } : {}),
      },
      ...(hasBody ? { body: options.raw?.payload ?? JSON.stringify(full.body) } : {}),
    });
    const contentType = response.headers.get('content-type') ?? undefined;
    const text = await response.text();
    const body: any = contentType?.includes('json') && text ? JSON.parse(text) : text;
    const answer: Answer = {
      status: response.status,
      contentType,
      headers: Object.fromEntries(response.headers),
      body,
    };
    const where = `${operation.method} ${url} via ${options.via ?? 'checked'} → ${answer.status} ${text.slice(0, 600)}`;
    const violations = response.headers.get('sl-violations');
    expect(violations, `Prism found violations: ${violations}\n${where}`).toBeNull();
    const fromPrism = typeof body === 'object' && String(body?.type ?? '').startsWith(prismErrorType);
    expect(fromPrism, `Prism refused it: ${where}`).toBe(false);
    const violation = specViolationOf(operation.method, url, answer.status, contentType, body);
    expect(violation, `${violation?.message}: ${where}`).toBeNull();
    if (options.expect !== undefined) expect(answer.status, where).toBe(options.expect);
    if (options.code !== undefined) expect(body?.code, where).toBe(options.code);
    record(operation, answer);
    return answer;
  }

  /** A request the spec refuses: Prism must refuse it too, with its own 422 naming the problem. */
  async function refusedByPrism(
    id: string,
    request: OperationRequest,
    as: string | undefined,
  ): Promise<void> {
    const operation = specOperation(id);
    const response = await fetch(`${checked.url}${urlOf(operation, request)}`, {
      method: operation.method,
      headers: {
        ...request.headers,
        ...(as ? { authorization: as } : {}),
        ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
    });
    const body = (await response.json()) as { type?: string };
    expect(
      [response.status, body.type],
      `${operation.id}: the spec refuses ${JSON.stringify(request)} but Prism passed it on: ${JSON.stringify(body)}`,
    ).toEqual([422, `${prismErrorType}UNPROCESSABLE_ENTITY`]);
  }

  /**
   * A token the operation's access lets through to its input checks: the operator's, unless admins
   * may not call it (a calendar feed belongs to a student or a mentor), then a student's or a mentor's.
   */
  function allowedCaller(id: string): string {
    const access = accessOf.get(id);
    if (access === undefined || access === 'public' || access.includes('admin')) return operator;
    return access.includes('student') ? tokens.aarav : tokens.rohan;
  }

  async function login(email: string, password = 'demo-password'): Promise<string> {
    const answer = await call('auth.login', { body: { email, password } }, { expect: 200 });
    return `Bearer ${answer.body.token}`;
  }

  it('is a proxy that fails answers departing from the spec (checked on a spec with wrong schemas)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prism-self-check-'));
    const wrong = structuredClone(specDocument) as any;
    wrong.components.schemas.Health.properties.uptime_seconds = { type: 'string' };
    // Answers that are not JSON are checked too: a calendar no iCalendar text can be.
    wrong.components.schemas.CalendarText = { type: 'string', pattern: '^NOT-ICALENDAR' };
    writeFileSync(join(dir, 'wrong.yaml'), stringify(wrong));
    const upstream = `http://127.0.0.1:${(test.app.server.address() as { port: number }).port}`;
    const proxy = await startPrism(upstream, { document: join(dir, 'wrong.yaml') });
    try {
      const response = await fetch(`${proxy.url}/api/health`);
      const body = (await response.json()) as { type?: string };
      expect([response.status, body.type]).toEqual([500, `${prismErrorType}VIOLATIONS`]);
      expect(response.headers.get('sl-violations')).toContain('uptime_seconds');

      const diya = await loginAs(test.api, 'diya.patel@example.com');
      const feed = await test.api.post('/api/me/calendar-feed', undefined, diya);
      const calendar = await fetch(`${proxy.url}${new URL(feed.body.url).pathname}`);
      const refusal = (await calendar.json()) as { type?: string };
      expect([calendar.status, refusal.type]).toEqual([500, `${prismErrorType}VIOLATIONS`]);
      expect(calendar.headers.get('sl-violations')).toContain('NOT-ICALENDAR');
    } finally {
      await proxy.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serves the catalogue and the accounts', async () => {
    await call('health.check', {}, { expect: 200 });
    await call('health.ready', {}, { expect: 200 });
    await call('areas.list', {}, { expect: 200 });
    await call('pricing.get', {}, { expect: 200 });

    const ira = { name: 'Ira Bhat', email: 'ira.bhat@example.com', password: 'a long enough password' };
    await call('auth.register', { body: { ...ira, area_of_interest: 'Consulting' } }, { expect: 201 });
    await call('auth.register', { body: ira }, { expect: 409, code: 'email_taken' });
    await call(
      'auth.register',
      { body: { ...ira, email: 'ira.two@example.com', area_of_interest: 'Astrology' } },
      { expect: 422, code: 'unknown_area' },
    );

    tokens.aarav = await login('aarav.sharma@example.com');
    tokens.diya = await login('diya.patel@example.com');
    tokens.rohan = await login('rohan.mehta@mentors.example.com');
    tokens.admin = await login('admin@example.com');
    await call(
      'auth.login',
      { body: { email: 'aarav.sharma@example.com', password: 'not the password' } },
      { expect: 401, code: 'invalid_credentials' },
    );
    await call('auth.me', {}, { as: tokens.aarav, expect: 200 });

    const spare = await login('kabir.jain@example.com');
    await call('auth.logout', {}, { as: spare, expect: 200 });
    await call('auth.logout', {}, { as: operator, expect: 400 });

    // A password change keeps the calling token and revokes the others; logging out everywhere, all.
    const vihaan = await login('vihaan.kapoor@example.com');
    const vihaanElsewhere = await login('vihaan.kapoor@example.com');
    await call(
      'auth.changePassword',
      { body: { current_password: 'demo-password', new_password: 'a fresh passphrase for vihaan' } },
      { as: vihaan, expect: 200 },
    );
    await call('auth.me', {}, { as: vihaanElsewhere, expect: 401 });
    await call('auth.logoutAll', {}, { as: vihaan, expect: 200 });
    await call('auth.me', {}, { as: vihaan, expect: 401 });
    await call('auth.logoutAll', {}, { as: operator, expect: 400 });

    const saanvi = await login('saanvi.das@example.com');
    const saanviAccount = (await call('auth.me', {}, { as: saanvi, expect: 200 })).body.id;
    await call('auth.revokeTokens', { path: { id: saanviAccount } }, { as: tokens.aarav, expect: 403 });
    await call('auth.revokeTokens', { path: { id: saanviAccount } }, { as: operator, expect: 200 });
    await call('auth.me', {}, { as: saanvi, expect: 401 });
    await call('auth.revokeTokens', { path: { id: 999_999 } }, { as: operator, expect: 404 });
  });

  it('manages mentors, their availability and slots', async () => {
    await call(
      'mentors.list',
      { query: { area_of_expertise: 'Equity Research', duration: 45 } },
      { expect: 200 },
    );
    await call('mentors.list', { query: { limit: 2 } }, { expect: 200 });
    await call('mentors.get', { path: { id: demo.rohan } }, { expect: 200 });
    await call('mentors.get', { path: { id: 999 } }, { expect: 404 });
    await call('mentors.slots', { path: { id: demo.rohan }, query: { duration: 60 } }, { expect: 200 });
    await call('mentors.slots', { path: { id: 999 } }, { expect: 404 });
    await call(
      'mentors.slots',
      { path: { id: demo.rohan }, query: { from: '2026-12-03T00:00:00Z', to: '2026-12-02T00:00:00Z' } },
      { expect: 400 },
    );

    const zoya = {
      name: 'Zoya Khan',
      areas_of_expertise: ['Strategy'],
      weekly: [{ day: 'tue', start: '19:00', end: '21:00' }],
    };
    const created = await call('mentors.create', { body: zoya }, { as: operator, expect: 201 });
    tokens.zoyaId = created.body.id;
    await call(
      'mentors.create',
      { body: { ...zoya, areas_of_expertise: ['Astrology'] } },
      { as: operator, expect: 422 },
    );
    await call('mentors.create', { body: zoya }, { as: tokens.aarav, expect: 403 });

    const zoyaId = created.body.id;
    await call(
      'mentors.update',
      { path: { id: zoyaId }, body: { headline: 'Strategy director' } },
      { as: operator, expect: 200 },
    );
    await call(
      'mentors.update',
      { path: { id: zoyaId }, body: { headline: 'Mine now' } },
      { as: tokens.aarav, expect: 403 },
    );
    await call(
      'mentors.update',
      { path: { id: 999 }, body: { headline: 'Nobody' } },
      { as: operator, expect: 404 },
    );
    await call(
      'mentors.update',
      { path: { id: zoyaId }, body: { areas_of_expertise: ['Astrology'] } },
      { as: operator, expect: 422 },
    );

    await call('mentors.availability', { path: { id: demo.rohan } }, { expect: 200 });
    await call('mentors.availability', { path: { id: 999 } }, { expect: 404 });
    const week = { weekly: [{ day: 'tue', start: '19:00', end: '21:00' }], overrides: [] };
    await call(
      'mentors.setAvailability',
      { path: { id: zoyaId }, body: week },
      { as: operator, expect: 200 },
    );
    await call(
      'mentors.setAvailability',
      { path: { id: zoyaId }, body: week },
      { as: tokens.aarav, expect: 403 },
    );
    await call('mentors.setAvailability', { path: { id: 999 }, body: week }, { as: operator, expect: 404 });

    const account = {
      email: 'zoya.khan@mentors.example.com',
      password: 'a long enough password',
      role: 'mentor',
    };
    await call(
      'auth.createAccount',
      { body: { ...account, mentor_id: zoyaId } },
      { as: operator, expect: 201 },
    );
    await call(
      'auth.createAccount',
      { body: { ...account, email: 'zoya.k@mentors.example.com', mentor_id: zoyaId } },
      { as: operator, expect: 409, code: 'account_exists' },
    );
    await call(
      'auth.createAccount',
      { body: { ...account, email: 'nobody@mentors.example.com', mentor_id: 999 } },
      { as: operator, expect: 404 },
    );
    await call(
      'auth.createAccount',
      { body: { ...account, mentor_id: zoyaId } },
      { as: tokens.aarav, expect: 403 },
    );

    await call(
      'slots.search',
      { query: { area_of_expertise: 'Equity Research', timezone: 'Asia/Kolkata' } },
      { expect: 200 },
    );
    await call('slots.search', { query: { area_of_expertise: 'Astrology' } }, { expect: 422 });
    await call(
      'slots.search',
      { query: { area_of_expertise: 'Equity Research', student_id: 2 } },
      { as: tokens.aarav, expect: 403 },
    );
    await call(
      'slots.search',
      { query: { area_of_expertise: 'Equity Research', student_id: 999 } },
      { as: operator, expect: 404 },
    );
  });

  it('manages students', async () => {
    const mira = { name: 'Mira Sen', email: 'mira.sen@example.com' };
    const created = await call('students.create', { body: mira }, { as: operator, expect: 201 });
    await call('students.create', { body: mira }, { as: operator, expect: 409 });
    await call(
      'students.create',
      { body: { ...mira, email: 'mira.two@example.com', area_of_interest: 'Astrology' } },
      { as: operator, expect: 422 },
    );
    await call('students.create', { body: mira }, { as: tokens.aarav, expect: 403 });

    await call('students.get', { path: { id: demo.students.aarav } }, { as: tokens.aarav, expect: 200 });
    await call('students.get', { path: { id: demo.students.diya } }, { as: tokens.aarav, expect: 403 });
    await call('students.get', { path: { id: 999 } }, { as: operator, expect: 404 });

    const aarav = { path: { id: demo.students.aarav } };
    await call(
      'students.update',
      { ...aarav, body: { area_of_interest: 'Consulting' } },
      { as: tokens.aarav, expect: 200 },
    );
    await call(
      'students.update',
      { path: { id: demo.students.diya }, body: { name: 'Not Diya' } },
      { as: tokens.aarav, expect: 403 },
    );
    await call(
      'students.update',
      { path: { id: 999 }, body: { name: 'Nobody' } },
      { as: operator, expect: 404 },
    );
    await call(
      'students.update',
      { ...aarav, body: { email: 'diya.patel@example.com' } },
      { as: tokens.aarav, expect: 409 },
    );
    await call(
      'students.update',
      { ...aarav, body: { area_of_interest: 'Astrology' } },
      { as: tokens.aarav, expect: 422 },
    );

    await call('students.export', aarav, { as: tokens.aarav, expect: 200 });
    await call('students.export', { path: { id: demo.students.diya } }, { as: tokens.aarav, expect: 403 });
    await call('students.export', { path: { id: 999 } }, { as: operator, expect: 404 });
    const miraId = { path: { id: created.body.id } };
    const erased = await call('students.erase', miraId, { as: operator, expect: 200 });
    expect(erased.body.already_erased).toBe(false);
    expect((await call('students.erase', miraId, { as: operator, expect: 200 })).body.already_erased).toBe(
      true,
    );
    await call('students.erase', { path: { id: demo.students.diya } }, { as: tokens.aarav, expect: 403 });
    await call('students.erase', { path: { id: 999 } }, { as: operator, expect: 404 });

    const changes = await call(
      'auditLog.list',
      { query: { target_type: 'student', target_id: created.body.id } },
      { as: operator, expect: 200 },
    );
    expect(changes.body.map((entry: { operation: string }) => entry.operation)).toEqual([
      'students.erase',
      'students.create',
    ]);
    await call('auditLog.list', {}, { as: tokens.aarav, expect: 403 });
  });

  it('lists students to admins, page by page through the `Link` header', async () => {
    const all = new Set<number>();
    let query: Record<string, string | number> | null = { limit: 3 };
    for (let page = 0; query && page < 10; page += 1) {
      const answer = await call('students.list', { query }, { as: operator, expect: 200 });
      expect(answer.body.length).toBeGreaterThan(0);
      expect(answer.body.length).toBeLessThanOrEqual(3);
      for (const student of answer.body as { id: number }[]) {
        expect(all.has(student.id), `student ${student.id} listed twice`).toBe(false);
        all.add(student.id);
      }
      query = nextPageQuery(answer);
    }
    expect(query, 'the pages never ended').toBeNull();
    // The five demo students, Ira (registered) and Mira (added by an admin).
    expect(all.size).toBe(7);
    expect([...all]).toEqual(expect.arrayContaining(Object.values(demo.students)));

    const found = await call('students.list', { query: { q: 'SHARMA' } }, { as: operator, expect: 200 });
    expect(found.body.map((student: { id: number }) => student.id)).toEqual([demo.students.aarav]);
    const none = await call('students.list', { query: { q: 'nobody-by-this-name' } }, { as: operator });
    expect([none.status, none.body]).toEqual([200, []]);

    // A cursor is any text to the spec, so Prism lets a forged one through; the server refuses it.
    const forged = await call(
      'students.list',
      { query: { cursor: 'bm90LWlzc3VlZA' } },
      { as: operator, expect: 400, code: 'invalid_request' },
    );
    expect(errorPaths(forged)).toContain('/cursor');
    await refusedByPrism('students.list', { path: {}, query: { limit: 0 }, headers: {} }, operator);
    const zeroLimit = await call(
      'students.list',
      { query: { limit: 0 } },
      { as: operator, via: 'lenient', expect: 400, code: 'invalid_request' },
    );
    expect(errorPaths(zeroLimit)).toContain('/limit');
    await call('students.list', {}, { as: tokens.aarav, expect: 403, code: 'forbidden' });
    await call('students.list', {}, { as: tokens.rohan, expect: 403, code: 'forbidden' });
  });

  it('books, moves and cancels sessions', async () => {
    const rohanAt = (start_time: string, extra: Record<string, unknown> = {}) => ({
      body: { mentor_id: demo.rohan, start_time, duration: 30, ...extra },
    });
    const first = await call(
      'bookings.create',
      { ...rohanAt('2026-12-01T19:00:00+05:30'), headers: { 'Idempotency-Key': 'e2e-first' } },
      { as: tokens.aarav, expect: 201 },
    );
    const bookingA = first.body.booking_id as number;
    await call(
      'bookings.create',
      { ...rohanAt('2026-12-01T19:00:00+05:30'), headers: { 'Idempotency-Key': 'e2e-first' } },
      { as: tokens.aarav, expect: 201 },
    );
    await call(
      'bookings.create',
      {
        ...rohanAt('2026-12-01T19:00:00+05:30', { duration: 45 }),
        headers: { 'Idempotency-Key': 'e2e-first' },
      },
      { as: tokens.aarav, expect: 422, code: 'idempotency_key_reused' },
    );
    await call('bookings.create', rohanAt('2026-12-01T19:00:00+05:30'), {
      as: tokens.diya,
      expect: 409,
      code: 'slot_taken',
    });
    await call(
      'bookings.create',
      { body: { mentor_id: demo.ananya, start_time: '2026-12-01T19:00:00+05:30', duration: 30 } },
      { as: tokens.aarav, expect: 409, code: 'student_busy' },
    );
    await call(
      'bookings.create',
      {
        body: {
          student_id: demo.students.saanvi,
          area_of_expertise: 'Equity Research',
          start_time: '2026-12-01T19:00:00+05:30',
          duration: 30,
        },
      },
      { as: operator, expect: 409, code: 'no_mentor_available' },
    );
    await call(
      'bookings.create',
      { body: { mentor_id: 999, start_time: '2026-12-02T19:00:00+05:30', duration: 30 } },
      { as: tokens.aarav, expect: 404 },
    );
    await call(
      'bookings.create',
      { body: { area_of_expertise: 'Astrology', start_time: '2026-12-02T19:00:00+05:30', duration: 30 } },
      { as: tokens.aarav, expect: 422, code: 'unknown_area' },
    );
    const refusals: [string, Record<string, unknown>, string][] = [
      ['2026-12-02T19:00:00+05:30', { area_of_expertise: 'FMCG Sales' }, 'area_not_offered'],
      ['2026-12-02T10:00:00+05:30', {}, 'outside_availability'],
      ['2026-12-02T19:10:00+05:30', {}, 'off_grid'],
      ['2026-11-30T19:00:00+05:30', {}, 'in_the_past'],
      ['2026-12-01T06:30:00+05:30', {}, 'too_soon'],
      ['2027-03-01T19:00:00+05:30', {}, 'beyond_horizon'],
      ['2026-12-02T19:00:00+05:30', { cost: 1 }, 'price_mismatch'],
    ];
    for (const [start, extra, code] of refusals) {
      await call('bookings.create', rohanAt(start, extra), { as: tokens.aarav, expect: 422, code });
    }
    await call('bookings.create', rohanAt('2026-12-02T19:00:00+05:30', { student_id: demo.students.diya }), {
      as: tokens.aarav,
      expect: 403,
    });
    await call('bookings.create', rohanAt('2026-12-02T19:00:00+05:30'), { as: tokens.rohan, expect: 403 });

    // A mentor with one session a day: the second one that day is refused.
    const zoyaId = tokens.zoyaId;
    await call(
      'mentors.update',
      { path: { id: zoyaId }, body: { max_sessions_per_day: 1 } },
      { as: operator, expect: 200 },
    );
    const zoyaAt = (start_time: string) => ({ body: { mentor_id: zoyaId, start_time, duration: 30 } });
    await call('bookings.create', zoyaAt('2026-12-08T19:00:00+05:30'), { as: tokens.diya, expect: 201 });
    await call('bookings.create', zoyaAt('2026-12-08T20:00:00+05:30'), {
      as: tokens.aarav,
      expect: 422,
      code: 'daily_limit_reached',
    });

    await call('bookings.list', { query: { upcoming: true } }, { as: tokens.aarav, expect: 200 });
    await call('bookings.list', { query: { limit: 1 } }, { as: operator, expect: 200 });
    await call(
      'bookings.list',
      { query: { student_id: demo.students.diya } },
      { as: tokens.aarav, expect: 403 },
    );
    await call('bookings.get', { path: { id: bookingA } }, { as: tokens.aarav, expect: 200 });
    await call('bookings.get', { path: { id: bookingA } }, { as: tokens.diya, expect: 403 });
    await call('bookings.get', { path: { id: 999 } }, { as: operator, expect: 404 });

    // Moves: to a free slot, into another's session, into the student's own other session.
    const moveA = (body: Record<string, unknown>, as: string, expected: number, code?: string) =>
      call(
        'bookings.reschedule',
        { path: { id: bookingA }, body },
        { as, expect: expected, ...(code ? { code } : {}) },
      );
    await moveA({ start_time: '2026-12-08T19:00:00+05:30', duration: 45 }, tokens.aarav, 200);
    await call('bookings.create', rohanAt('2026-12-09T19:00:00+05:30'), { as: tokens.diya, expect: 201 });
    await moveA({ start_time: '2026-12-09T19:00:00+05:30' }, tokens.aarav, 409, 'slot_taken');
    const other = await call(
      'bookings.create',
      { body: { mentor_id: demo.ananya, start_time: '2026-12-10T19:00:00+05:30', duration: 30 } },
      { as: tokens.aarav, expect: 201 },
    );
    await moveA({ start_time: '2026-12-10T19:00:00+05:30', duration: 30 }, tokens.aarav, 409, 'student_busy');
    await moveA({ start_time: '2026-12-08T19:10:00+05:30' }, tokens.aarav, 422, 'off_grid');
    await moveA({ start_time: '2026-12-08T19:00:00+05:30' }, tokens.diya, 403);
    await call(
      'bookings.reschedule',
      { path: { id: 999 }, body: { start_time: '2026-12-08T19:00:00+05:30' } },
      { as: operator, expect: 404 },
    );

    const otherId = other.body.booking_id as number;
    await call(
      'bookings.cancel',
      { path: { id: otherId }, body: { reason: 'Interview moved' } },
      { as: tokens.aarav, expect: 200 },
    );
    await call(
      'bookings.cancel',
      { path: { id: otherId }, body: {} },
      { as: tokens.aarav, expect: 409, code: 'booking_not_active' },
    );
    await call(
      'bookings.reschedule',
      { path: { id: otherId }, body: { start_time: '2026-12-11T19:00:00+05:30' } },
      { as: tokens.aarav, expect: 409 },
    );
    await call('bookings.cancel', { path: { id: bookingA }, body: {} }, { as: tokens.diya, expect: 403 });
    await call('bookings.cancel', { path: { id: 999 }, body: {} }, { as: operator, expect: 404 });
    await call('bookings.history', { path: { id: bookingA } }, { as: tokens.aarav, expect: 200 });
    await call('bookings.history', { path: { id: bookingA } }, { as: tokens.diya, expect: 403 });
    await call('bookings.history', { path: { id: 999 } }, { as: operator, expect: 404 });

    // Close to the session students may no longer change it; once it started nobody may.
    const soon = await call('bookings.create', rohanAt('2026-12-01T19:00:00+05:30'), {
      as: tokens.aarav,
      expect: 201,
    });
    const soonId = soon.body.booking_id as number;
    clock = Date.parse('2026-12-01T02:00:00Z');
    await call(
      'bookings.cancel',
      { path: { id: soonId }, body: {} },
      { as: tokens.aarav, expect: 422, code: 'change_cutoff_passed' },
    );
    await call(
      'bookings.reschedule',
      { path: { id: soonId }, body: { start_time: '2026-12-02T19:00:00+05:30' } },
      { as: tokens.aarav, expect: 422, code: 'change_cutoff_passed' },
    );
    clock = Date.parse('2026-12-01T13:40:00Z');
    await call(
      'bookings.cancel',
      { path: { id: soonId }, body: {} },
      { as: operator, expect: 422, code: 'booking_started' },
    );
    clock = NOW;
  });

  it('reports a week of the business to admins', async () => {
    // The week of Monday 7 December 2026 (Asia/Kolkata) holds what the booking test left: Aarav's
    // session moved to the 8th, Diya's with Zoya on the 8th and with Rohan on the 9th, all confirmed,
    // and Aarav's cancelled session of the 10th; the week before, Aarav's session of the 1st.
    const week = await call(
      'reports.dashboard',
      { query: { week_of: '2026-12-09', weeks: 2 } },
      { as: operator, expect: 200 },
    );
    expect(week.body).toMatchObject({
      timezone: 'Asia/Kolkata',
      week_start: '2026-12-06T18:30:00.000Z',
      week_end: '2026-12-13T18:30:00.000Z',
      sessions: { confirmed: 3, completed: 0, cancelled: 1, pending_payment: 0, expired: 0 },
      bookings_by_area: [{ area: null, sessions: 3 }],
    });
    expect(
      week.body.revenue_by_week.map((bucket: { week_start: string; sessions: number }) => [
        bucket.week_start,
        bucket.sessions,
      ]),
    ).toEqual([
      ['2026-11-29T18:30:00.000Z', 1],
      ['2026-12-06T18:30:00.000Z', 3],
    ]);
    expect(week.body.revenue_by_week.at(-1).revenue).toBe(week.body.revenue_this_week);
    expect(week.body.revenue_this_week).toBeGreaterThan(0);
    const zoya = week.body.utilisation.find((row: { mentor_id: number }) => row.mentor_id === tokens.zoyaId);
    // Tuesdays 19:00–21:00, one 30-minute session.
    expect(zoya).toMatchObject({ booked_minutes: 30, available_minutes: 120, utilisation: 0.25 });

    const current = await call('reports.dashboard', {}, { as: operator, expect: 200 });
    expect(current.body.week_start).toBe('2026-11-29T18:30:00.000Z');
    expect(current.body.revenue_by_week).toHaveLength(8);

    for (const query of [{ weeks: 0 }, { weeks: 27 }, { week_of: '2026-02-30' }]) {
      await refusedByPrism('reports.dashboard', { path: {}, query, headers: {} }, operator);
      const refused = await call(
        'reports.dashboard',
        { query },
        { as: operator, via: 'lenient', expect: 400, code: 'invalid_request' },
      );
      expect(errorPaths(refused)).toContain(`/${Object.keys(query)[0]}`);
    }
    await call('reports.dashboard', {}, { as: tokens.aarav, expect: 403, code: 'forbidden' });
    await call('reports.dashboard', {}, { as: tokens.rohan, expect: 403, code: 'forbidden' });
  });

  it('takes a payment: a held booking, Stripe’s signed events, refunds and the payments list', async () => {
    const held = await call(
      'bookings.create',
      {
        body: {
          student_id: demo.students.aarav,
          mentor_id: demo.rohan,
          start_time: '2026-12-02T19:00:00+05:30',
          duration: 30,
        },
        headers: { 'Idempotency-Key': 'prism-held-booking' },
      },
      { as: operator, via: 'paying', expect: 201 },
    );
    expect(held.body.booking.status).toBe('pending_payment');
    const session = payments.stand.pay(sessionOfCheckout(payments.stand, held.body.payment.checkout_url).id);
    const payload = payments.stand.event('checkout.session.completed', session, { id: 'evt_prism_paid' });
    const signed = (secret: string) => ({
      headers: { 'Stripe-Signature': payments.stand.sign(payload, { secret }) },
      raw: { contentType: 'application/json', payload },
    });
    const { headers: goodSignature, raw } = signed(TEST_WEBHOOK_SECRET);
    const forged = signed('whsec_notTheEndpointsSecret').headers;
    const webhook = 'payments.stripeWebhook';
    await call(webhook, { headers: forged }, { via: 'paying', raw, expect: 400, code: 'invalid_signature' });
    const applied = await call(webhook, { headers: goodSignature }, { via: 'paying', raw, expect: 200 });
    expect(applied.body).toEqual({ received: true, outcome: 'applied' });
    const replayed = await call(webhook, { headers: goodSignature }, { via: 'paying', raw, expect: 200 });
    expect(replayed.body).toEqual({ received: true, outcome: 'duplicate' });

    const cancelled = await call(
      'bookings.cancel',
      { path: { id: held.body.booking_id }, body: { reason: 'Interview moved' } },
      { as: operator, via: 'paying', expect: 200 },
    );
    expect(cancelled.body.payment.refund.status).toBe('succeeded');
    const listed = await call(
      'payments.list',
      { query: { status: 'refunded' } },
      { as: operator, via: 'paying', expect: 200 },
    );
    expect(listed.body.totals).toEqual([
      { currency: 'INR', payments: 1, paid: 2000, refunded: 2000, net: 0 },
    ]);
    await call('payments.list', {}, { as: tokens.aarav, expect: 403, code: 'forbidden' });
    await call(webhook, { headers: goodSignature }, { raw, expect: 404, code: 'payments_off' });
  });

  it('puts sessions in calendars and tells subscribed endpoints, through the outbox and its dead letters', async () => {
    const partner = await startWebhookReceiver();
    const brokenPartner = await startWebhookReceiver();
    brokenPartner.failNext(Number.POSITIVE_INFINITY);
    try {
      // Endpoints first: an event reaches the endpoints subscribed when the outbox fans it out.
      const subscription = (url: string) => ({
        body: { url, events: ['booking.confirmed'], description: 'CRM sync' },
      });
      const created = await call('webhooks.create', subscription(partner.url), { as: operator, expect: 201 });
      expect(created.body.secret).toMatch(/^whsec_/);
      partner.secret = created.body.secret;
      const broken = await call('webhooks.create', subscription(brokenPartner.url), {
        as: operator,
        expect: 201,
      });
      brokenPartner.secret = broken.body.secret;
      await call('webhooks.create', subscription('ftp://files.example.com/hooks'), {
        as: operator,
        expect: 422,
        code: 'webhook_url_refused',
      });
      await call('webhooks.create', subscription(partner.url), { as: tokens.aarav, expect: 403 });
      const listed = await call('webhooks.list', {}, { as: operator, expect: 200 });
      expect(listed.body.map((endpoint: { id: number }) => endpoint.id)).toEqual(
        expect.arrayContaining([created.body.id, broken.body.id]),
      );
      expect(listed.body.some((endpoint: object) => 'secret' in endpoint)).toBe(false);
      await call('webhooks.list', {}, { as: tokens.aarav, expect: 403 });

      const booked = await call(
        'bookings.create',
        { body: { mentor_id: demo.rohan, start_time: '2026-12-03T20:00:00+05:30', duration: 30 } },
        { as: tokens.aarav, expect: 201 },
      );
      const bookingId = booked.body.booking_id as number;

      const calendarFile = await call(
        'calendars.booking',
        { path: { id: bookingId } },
        { as: tokens.aarav, expect: 200 },
      );
      expect(calendarFile.contentType).toMatch(/^text\/calendar/);
      expect(calendarFile.body).toMatch(/^BEGIN:VCALENDAR\r\n[\s\S]*UID:[\s\S]*END:VCALENDAR\r\n$/);
      await call('calendars.booking', { path: { id: bookingId } }, { as: tokens.diya, expect: 403 });
      await call('calendars.booking', { path: { id: 999_999 } }, { as: operator, expect: 404 });

      // A feed URL works without a bearer token; asking again replaces it and the old one is gone.
      const feedToken = (url: string) => new URL(url).pathname.split('/').pop() as string;
      const first = await call('calendars.createFeed', {}, { as: tokens.aarav, expect: 201 });
      const feed = await call(
        'calendars.feed',
        { path: { token: feedToken(first.body.url) } },
        { expect: 200 },
      );
      expect(feed.contentType).toMatch(/^text\/calendar/);
      expect(feed.body).toContain('BEGIN:VEVENT');
      const second = await call('calendars.createFeed', {}, { as: tokens.aarav, expect: 201 });
      expect(feedToken(second.body.url)).not.toBe(feedToken(first.body.url));
      await call(
        'calendars.feed',
        { path: { token: feedToken(first.body.url) } },
        { expect: 404, code: 'not_found' },
      );
      await call(
        'calendars.feed',
        { path: { token: feedToken(second.body.url) } },
        { as: tokens.rohan, expect: 200 },
      );
      await call('calendars.createFeed', {}, { as: tokens.rohan, expect: 201 });
      await call('calendars.createFeed', {}, { as: operator, expect: 403, code: 'forbidden' });

      // The booking's confirmation goes to both endpoints: one answers 204, the other always 500.
      await Promise.all([partner.waitFor(1), brokenPartner.waitForRequests(1)]);
      expect(partner.delivered()[0]?.body.data.booking_id).toBe(bookingId);
      const messages = await call(
        'outbox.list',
        { query: { booking_id: bookingId, channel: 'webhook' } },
        { as: operator, expect: 200 },
      );
      const deliveryTo = (endpoint: number): number => {
        const delivery = messages.body.find(
          (message: { webhook_endpoint_id: number }) => message.webhook_endpoint_id === endpoint,
        );
        if (!delivery)
          throw new Error(`No delivery to endpoint ${endpoint}: ${JSON.stringify(messages.body)}`);
        return delivery.id;
      };
      const sentId = deliveryTo(created.body.id);
      const deadId = deliveryTo(broken.body.id);
      const triesOf = (id: number, outcome: string) =>
        outbox.settled.filter((done) => done.deliveryId === id && done.outcome === outcome).length;
      await outbox.waitUntil(() => triesOf(sentId, 'sent') === 1 && triesOf(deadId, 'dead_letter') === 1);
      const deadLetters = await call(
        'outbox.list',
        { query: { status: 'failed' } },
        { as: operator, expect: 200 },
      );
      expect(deadLetters.body.map((message: { id: number }) => message.id)).toContain(deadId);
      await call('outbox.list', {}, { as: tokens.aarav, expect: 403 });

      // A dead letter sent again keeps its webhook-id; a sent message cannot be sent again.
      const retried = await call('outbox.retry', { path: { id: deadId } }, { as: operator, expect: 200 });
      expect(retried.body.status).toBe('pending');
      await outbox.waitUntil(() => triesOf(deadId, 'dead_letter') === 2);
      const retriedIds = brokenPartner.received.map((request) => request.id);
      expect(retriedIds).toHaveLength(2);
      expect(new Set(retriedIds).size).toBe(1);
      await call(
        'outbox.retry',
        { path: { id: sentId } },
        { as: operator, expect: 409, code: 'delivery_not_retryable' },
      );
      await call('outbox.retry', { path: { id: 999_999 } }, { as: operator, expect: 404 });
      await call('outbox.retry', { path: { id: deadId } }, { as: tokens.aarav, expect: 403 });

      const attemptsAt = async (endpoint: number) =>
        (
          await call('webhooks.attempts', { path: { id: endpoint } }, { as: operator, expect: 200 })
        ).body.filter((attempt: { booking_id: number }) => attempt.booking_id === bookingId);
      expect(
        (await attemptsAt(created.body.id)).map((attempt: any) => [
          attempt.succeeded,
          attempt.response_status,
        ]),
      ).toEqual([[true, 204]]);
      expect(
        (await attemptsAt(broken.body.id)).map((attempt: any) => [
          attempt.succeeded,
          attempt.response_status,
        ]),
      ).toEqual([
        [false, 500],
        [false, 500],
      ]);
      await call('webhooks.attempts', { path: { id: 999_999 } }, { as: operator, expect: 404 });
      await call('webhooks.attempts', { path: { id: created.body.id } }, { as: tokens.aarav, expect: 403 });

      const removed = await call(
        'webhooks.delete',
        { path: { id: broken.body.id } },
        { as: operator, expect: 200 },
      );
      expect(removed.body).not.toHaveProperty('secret');
      await call('webhooks.delete', { path: { id: broken.body.id } }, { as: operator, expect: 404 });
      await call('webhooks.delete', { path: { id: created.body.id } }, { as: tokens.aarav, expect: 403 });
      await call('webhooks.delete', { path: { id: created.body.id } }, { as: operator, expect: 200 });
      await call('webhooks.delete', { path: { id: 999_999 } }, { as: operator, expect: 404 });
      // Past attempts stay readable once the endpoint is gone.
      expect(await attemptsAt(created.body.id)).toHaveLength(1);
      const remaining = await call('webhooks.list', {}, { as: operator, expect: 200 });
      expect(remaining.body).toEqual([]);
    } finally {
      await Promise.all([partner.close(), brokenPartner.close()]);
    }
  });

  it('answers every operation: a bad token, broken inputs, oversized and non-JSON bodies', async () => {
    const hints = hintsFor(['Equity Research', 'Consulting']);
    for (const operation of specOperations) {
      const example = exampleCall(operation);
      const caller = allowedCaller(operation.id);
      await call(operation.id, example, { as: unknownToken, expect: 401 });

      if (canBreak(operation)) {
        // Prism reads an empty query value (`?cursor=`) as no value, so it cannot judge one: such a
        // call is left to the fuzzing, which sends it straight to the server.
        const broken = fc
          .sample(brokenRequestArbitrary(operation, hints, []), { seed: 7, numRuns: 20 })
          .find(({ request }) => !Object.values(request.query).some((value) => value === ''));
        if (!broken) throw new Error(`No broken input for ${operation.id}`);
        await refusedByPrism(operation.id, broken.request, caller);
        // With payments off (this server), Stripe's webhook answers every call 404 `payments_off`,
        // broken or not; its 400 for a body that is no signed event is provoked on the paying server.
        const brokenStatus = operation.id === 'payments.stripeWebhook' ? 404 : 400;
        await call(operation.id, broken.request, { as: caller, via: 'lenient', expect: brokenStatus });
      } else {
        // Without any input to break, a query parameter the operation does not take is refused.
        const unexpected = { ...example, query: { unexpected: 'true' } };
        await call(operation.id, unexpected, {
          as: caller,
          via: 'lenient',
          expect: 400,
          code: 'invalid_request',
        });
      }
      // Every method but GET reads a body, whether the operation takes one or not.
      if (operation.method !== 'GET') {
        const padding = 'x'.repeat(BODY_LIMIT + 1000);
        const oversized = { ...example, body: { ...(example.body as object), padding } };
        const via: Via = operation.body ? 'checked' : 'lenient';
        await call(operation.id, oversized, { as: caller, via, expect: 413 });
        await call(operation.id, example, {
          as: caller,
          via: 'lenient',
          expect: 415,
          raw: { contentType: 'text/plain', payload: 'not json' },
        });
      }
    }
  });

  it('answers 500 (and readiness 503) when the database is gone, never with internals', async () => {
    await test.app.db.knex.destroy();
    for (const operation of specOperations) {
      const answer = await call(operation.id, exampleCall(operation), {
        as: unknownToken,
        expect: 500,
        code: 'internal_error',
      });
      expect(JSON.stringify(answer.body)).not.toMatch(/sqlite|knex|select|stack/i);
    }
    await call('health.ready', {}, { expect: 503, code: 'not_ready' });
  });

  it('answers 429 on every operation once a client exceeds its budget', async () => {
    // Spend the budgets directly (same client address as the proxy), then call through Prism.
    for (const url of ['/api/health', '/api/auth/login']) {
      for (let spent = 0; spent < 6000; spent += 1) {
        const response = await test.app.inject({
          method: url.endsWith('login') ? 'POST' : 'GET',
          url,
          payload: url.endsWith('login') ? {} : undefined,
        });
        if (response.statusCode === 429) break;
      }
    }
    for (const operation of specOperations) {
      await call(operation.id, exampleCall(operation), { as: operator, expect: 429, code: 'rate_limited' });
    }
  });

  it('has called every operation and provoked every status the spec documents for it', () => {
    const missing: string[] = [];
    const lines: string[] = [];
    for (const operation of specOperations) {
      const seen = observed.get(operation.id) ?? new Set<number>();
      const excused = { ...unreachable['*'], ...unreachable[operation.id] };
      for (const status of reachableAnyway[operation.id] ?? []) delete excused[status];
      for (const status of operation.statuses) {
        if (!seen.has(status) && !(status in excused)) missing.push(`${operation.id} ${status}`);
      }
      const codes = [...operation.errorCodes.values()].flat();
      const seenCodes = observedCodes.get(operation.id) ?? new Set<string>();
      lines.push(
        `  ${operation.id.padEnd(24)} statuses ${[...seen].sort().join(' ')}; codes ${codes.filter((code) => seenCodes.has(code)).length}/${codes.length}`,
      );
    }
    console.log(['Prism e2e: statuses answered per operation', ...lines].join('\n'));
    expect(
      missing,
      'documented statuses never answered (provoke them above, or list why they cannot be)',
    ).toEqual([]);
  });
});
