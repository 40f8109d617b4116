import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenHashOf } from '../../src/services/auth.js';
import {
  anonymously,
  asAdmin,
  booking,
  callTrpc,
  demo,
  loginAs,
  startTestApp,
  type TestApp,
} from '../support/app.js';
import { type SmtpSink, startSmtpSink } from '../support/notification-peers.js';
import { type PaymentsTestApp, sessionOfCheckout, startPaymentsApp } from '../support/payments.js';

const HOUR = 3_600_000;
const PASSWORD = 'a long enough password';

/** Registers a student through the API: their id and bearer headers. */
async function register(t: TestApp, name: string, email: string) {
  const response = await t.api.post(
    '/api/auth/register',
    { name, email, password: PASSWORD, timezone: 'Asia/Kolkata', area_of_interest: 'Consulting' },
    anonymously,
  );
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  const me = await t.api.get('/api/auth/me', { authorization: `Bearer ${response.body.token}` });
  return {
    id: me.body.student_id as number,
    accountId: me.body.id as number,
    headers: { authorization: `Bearer ${response.body.token}` },
  };
}

describe('a student’s data export', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ OUTBOX_DISPATCHER: 'off' });
  });
  afterAll(async () => t?.close());

  it('answers everything held about the student, to the student, without any secret', async () => {
    const mira = await register(t, 'Mira Sen', 'mira.sen@example.com');
    await loginAs(t.api, 'mira.sen@example.com', PASSWORD);
    await t.api.patch(`/api/students/${mira.id}`, {
      preferred_windows: [{ day: 'tue', start: '19:00', end: '21:00' }],
    });
    const made = await t.api.post('/api/bookings', booking({ student_id: mira.id }), mira.headers);
    expect(made.status).toBe(201);
    const moved = await t.api.post(
      `/api/bookings/${made.body.booking_id}/reschedule`,
      { start_time: '2026-12-02T20:00:00' },
      mira.headers,
    );
    expect(moved.status).toBe(200);
    const feed = await t.api.post('/api/me/calendar-feed', {}, mira.headers);
    expect(feed.status).toBe(201);

    const response = await t.api.get(`/api/students/${mira.id}/export`, mira.headers);
    expect(response.status).toBe(200);
    const document = response.body;
    expect(document.exported_at).toBe('2026-12-01T00:00:00.000Z');
    expect(document.student).toMatchObject({
      id: mira.id,
      name: 'Mira Sen',
      email: 'mira.sen@example.com',
      area_of_interest: 'Consulting',
      preferred_windows: [{ day: 'tue', start: '19:00', end: '21:00' }],
      erased_at: null,
    });
    expect(document.account).toMatchObject({ email: 'mira.sen@example.com', role: 'student' });
    // Registration and the login after it: two tokens, neither shown.
    expect(document.tokens).toHaveLength(2);
    for (const token of document.tokens)
      expect(Object.keys(token).sort()).toEqual(['created_at', 'expires_at', 'revoked_at']);
    expect(document.calendar_feed).toEqual({ created_at: '2026-12-01T00:00:00.000Z' });
    expect(document.bookings).toHaveLength(1);
    expect(document.bookings[0]).toMatchObject({
      id: made.body.booking_id,
      start_time: '2026-12-02T14:30:00.000Z',
      status: 'confirmed',
    });
    expect(document.bookings[0].history).toEqual([
      expect.objectContaining({ kind: 'rescheduled', from_start_time: '2026-12-01T13:30:00.000Z' }),
    ]);
    // The outbox is not dispatched here: no email was made yet.
    expect(document.messages).toEqual([]);

    const text = JSON.stringify(document);
    const secrets = await t.app.db.knex('auth_tokens').pluck('token_hash');
    const [passwordHash] = await t.app.db
      .knex('accounts')
      .where('student_id', mira.id)
      .pluck('password_hash');
    for (const secret of [...secrets, passwordHash, feed.body.url.split('/').at(-1)]) {
      expect(text).not.toContain(String(secret).slice(0, 24));
    }
  });

  it('is the same document through tRPC, and refuses other students and unknown ids', async () => {
    const viaRest = await t.api.get(`/api/students/${demo.students.diya}/export`);
    const viaTrpc = await callTrpc(t.app, 'query', 'students.export', { id: demo.students.diya });
    expect(viaTrpc).toEqual({ status: 200, data: viaRest.body });

    const aarav = await loginAs(t.api, 'aarav.sharma@example.com');
    expect((await t.api.get(`/api/students/${demo.students.diya}/export`, aarav)).status).toBe(403);
    expect((await t.api.get('/api/students/99999/export', aarav)).status).toBe(403);
    expect((await t.api.get('/api/students/99999/export')).body.code).toBe('not_found');
    expect((await t.api.get(`/api/students/${demo.students.diya}/export`, anonymously)).status).toBe(401);
  });
});

describe('erasing a student', () => {
  let p: PaymentsTestApp;
  let sink: SmtpSink;
  let meera: { id: number; accountId: number; headers: Record<string, string> };
  let ownCancelId: number;
  let forHerId: number;
  let pastId: number;
  let futureId: number;
  let holdId: number;
  let feedUrl: string;

  /** Every table that could hold her, as text: none names her any more. */
  async function expectNoTraceOfHer() {
    const knex = p.t.app.db.knex;
    for (const table of [
      'students',
      'accounts',
      'bookings',
      'booking_changes',
      'outbox_events',
      'idempotency_keys',
      'audit_log',
      'login_attempts',
    ]) {
      const everything = JSON.stringify(await knex(table).select('*'));
      expect(everything, table).not.toMatch(/oorja|khandelwal|98100/i);
    }
  }

  const emailsTo = (address: string) => sink.messages.filter((message) => message.to === address);

  beforeAll(async () => {
    sink = await startSmtpSink();
    p = await startPaymentsApp({
      SMTP_URL: sink.url,
      MAIL_FROM: 'Mentor sessions <sessions@example.test>',
      OUTBOX_POLL_MS: '20',
    });
    meera = await register(p.t, 'Oorja Khandelwal', 'oorja.khandelwal@example.com');
    const paid = async (start: string) => {
      const held = await p.t.api.post(
        '/api/bookings',
        booking({ student_id: meera.id, start_time: start }),
        meera.headers,
      );
      expect(held.status, JSON.stringify(held.body)).toBe(201);
      const session = p.stand.pay(sessionOfCheckout(p.stand, held.body.payment.checkout_url).id);
      expect((await p.deliver('checkout.session.completed', session)).json().outcome).toBe('applied');
      return held.body.booking_id as number;
    };
    pastId = await paid('2026-12-01T19:00:00');
    futureId = await paid('2026-12-03T19:00:00');
    // One she cancelled herself, saying why in her own words.
    const own = await p.t.api.post(
      '/api/bookings',
      booking({ student_id: meera.id, start_time: '2026-12-07T19:00:00' }),
      meera.headers,
    );
    ownCancelId = own.body.booking_id;
    const ownCancel = await p.t.api.post(
      `/api/bookings/${ownCancelId}/cancel`,
      { reason: 'Oorja here: call me on 98100 12345' },
      meera.headers,
    );
    expect(ownCancel.status).toBe(200);
    // An admin books for her under an idempotency key (its answer, with her name, is kept a day),
    // and revokes her tokens (the audit entry holds her login email); she logs in again.
    const forHer = await p.t.api.post(
      '/api/bookings',
      booking({ student_id: meera.id, start_time: '2026-12-08T19:00:00' }),
      { 'idempotency-key': 'booked-for-meera' },
    );
    expect(forHer.status).toBe(201);
    forHerId = forHer.body.booking_id;
    expect((await p.t.api.post(`/api/auth/accounts/${meera.accountId}/revoke-tokens`)).status).toBe(200);
    meera.headers = await loginAs(p.t.api, 'oorja.khandelwal@example.com', PASSWORD);
    feedUrl = (await p.t.api.post('/api/me/calendar-feed', {}, meera.headers)).body.url;
    // An admin's change before the erasure: its entry holds her name until she is erased.
    expect((await p.t.api.patch(`/api/students/${meera.id}`, { name: 'Oorja R. Khandelwal' })).status).toBe(
      200,
    );
    await sink.waitFor(4, undefined, (message) => message.subject.startsWith('Confirmed'));
    // The first session is over by now; the second is two days ahead.
    p.clock.advance(15 * HOUR);
    // A session held for payment, not yet paid.
    const hold = await p.t.api.post(
      '/api/bookings',
      booking({ student_id: meera.id, start_time: '2026-12-04T19:00:00' }),
      meera.headers,
    );
    expect(hold.body.booking.status).toBe('pending_payment');
    holdId = hold.body.booking_id;
  });
  afterAll(async () => {
    await p?.close();
    await sink?.close();
  });

  it('anonymises her, ends her access, cancels and refunds her future sessions and keeps the past ones', async () => {
    const refundsBefore = p.stand.refunds.size;
    const erased = await p.t.api.request({
      method: 'DELETE',
      url: `/api/students/${meera.id}`,
      headers: meera.headers,
    });
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    await expectNoTraceOfHer();
    expect(erased.body).toEqual({
      student_id: meera.id,
      erased_at: '2026-12-01T15:00:00.000Z',
      already_erased: false,
      cancelled_booking_ids: [futureId, holdId],
      kept_booking_count: 5,
      tokens_revoked: 1,
    });

    const student = await p.t.api.get(`/api/students/${meera.id}`);
    expect(student.body).toMatchObject({
      name: `Erased student ${meera.id}`,
      email: `erased-student-${meera.id}@erased.invalid`,
      area_of_interest: null,
      preferred_windows: [],
    });
    expect((await p.t.api.get('/api/auth/me', meera.headers)).status).toBe(401);
    const login = await p.t.api.post(
      '/api/auth/login',
      { email: 'oorja.khandelwal@example.com', password: PASSWORD },
      anonymously,
    );
    expect(login.status).toBe(401);
    expect((await p.t.api.get(new URL(feedUrl).pathname, anonymously)).status).toBe(404);

    const past = await p.t.api.get(`/api/bookings/${pastId}`);
    expect(past.body).toMatchObject({
      status: 'completed',
      student_id: meera.id,
      student_name: `Erased student ${meera.id}`,
    });
    const future = await p.t.api.get(`/api/bookings/${futureId}`);
    expect(future.body.status).toBe('cancelled');
    expect(future.body.payment.refund).toMatchObject({ amount: 2000 });
    expect(p.stand.refunds.size).toBe(refundsBefore + 1);
    expect((await p.t.api.get(`/api/bookings/${holdId}`)).body.status).toBe('cancelled');
    const history = await p.t.api.get(`/api/bookings/${futureId}/history`);
    expect(history.body.at(-1)).toMatchObject({
      kind: 'cancelled',
      reason: 'The student closed their account',
      actor: expect.stringContaining(`(erasure of student ${meera.id})`),
    });
  });

  it('forgets her own words and her name in kept answers', async () => {
    const own = await p.t.api.get(`/api/bookings/${ownCancelId}`);
    expect(own.body).toMatchObject({ status: 'cancelled', cancellation_reason: null });
    const history = await p.t.api.get(`/api/bookings/${ownCancelId}/history`);
    expect(history.body.map((change: { reason: string | null }) => change.reason)).toEqual([null]);
    const knex = p.t.app.db.knex;
    const [account] = await knex('accounts').where('id', meera.accountId).select('password_hash', 'email');
    // A real hash of a random password: logging in as her costs the time of any wrong password.
    expect(account.password_hash).toMatch(/^scrypt/);
    expect(account.email).toBe(`erased-account-${meera.accountId}@erased.invalid`);
    const stored = await knex('idempotency_keys').where('key', 'booked-for-meera').first('response_body');
    expect(JSON.parse(stored.response_body).booking).toMatchObject({
      id: forHerId,
      student_name: `Erased student ${meera.id}`,
    });
  });

  it('tells the mentor of the cancellation, and writes no more to her', async () => {
    const toMentor = await sink.waitFor(
      1,
      undefined,
      (message) =>
        message.to === 'rohan.mehta@mentors.example.com' && message.subject.startsWith('Cancelled'),
    );
    expect(toMentor[0]?.text).toContain('The student closed their account');
    const studentCancellation = () =>
      p.t.app.db
        .knex('outbox_deliveries')
        .join('outbox_events', 'outbox_events.id', 'outbox_deliveries.event_id')
        .where('outbox_events.booking_id', futureId)
        .where('outbox_deliveries.recipient', 'student')
        .where('outbox_deliveries.kind', 'cancelled')
        .select('outbox_deliveries.status', 'outbox_deliveries.last_error');
    await expect
      .poll(studentCancellation)
      .toEqual([{ status: 'skipped', last_error: 'the student has no email address' }]);
    expect(
      emailsTo('oorja.khandelwal@example.com').filter((message) => message.subject.startsWith('Cancelled')),
    ).toEqual([]);
    expect(emailsTo(`erased-student-${meera.id}@erased.invalid`)).toEqual([]);
  });

  it('keeps who changed what in the audit log, without her personal fields', async () => {
    const entries = await p.t.api.get(`/api/audit-log?target_type=student&target_id=${meera.id}`);
    expect(entries.body.map((entry: { operation: string }) => entry.operation)).toEqual([
      'students.erase',
      'students.update',
    ]);
    const [erasure, update] = entries.body;
    expect(erasure).toMatchObject({
      actor: { role: 'student', label: expect.stringMatching(/^account:\d+$/) },
      before: { erased_at: null },
      after: { erased_at: '2026-12-01T15:00:00.000Z' },
    });
    expect(update.actor).toMatchObject({ role: 'admin', label: 'operator' });
    expect(update.before.name).toBe('[erased]');
    expect(update.after.name).toBe('[erased]');
    expect(update.before.email).toBe('[erased]');
    const everything = JSON.stringify((await p.t.api.get('/api/audit-log?limit=200')).body);
    expect(everything).not.toContain('Meera');
    expect(everything).not.toContain('oorja.khandelwal@example.com');
  });

  it('answers a repeat with what is, changing nothing, and frees the email for a new registration', async () => {
    const refunds = p.stand.refunds.size;
    const again = await p.t.api.request({
      method: 'DELETE',
      url: `/api/students/${meera.id}`,
      headers: asAdmin,
    });
    expect(again.body).toEqual({
      student_id: meera.id,
      erased_at: '2026-12-01T15:00:00.000Z',
      already_erased: true,
      cancelled_booking_ids: [],
      kept_booking_count: 5,
      tokens_revoked: 0,
    });
    const viaTrpc = await callTrpc(p.t.app, 'mutation', 'students.erase', { id: meera.id });
    expect(viaTrpc).toEqual({ status: 200, data: again.body });
    expect(p.stand.refunds.size).toBe(refunds);
    // A repeat changed nothing: the audit log still holds the one erasure.
    const erasures = await p.t.api.get(`/api/audit-log?operation=students.erase&target_id=${meera.id}`);
    expect(erasures.body).toHaveLength(1);
    const reborn = await p.t.api.post(
      '/api/auth/register',
      { name: 'Oorja Khandelwal', email: 'oorja.khandelwal@example.com', password: PASSWORD },
      anonymously,
    );
    expect(reborn.status).toBe(201);
  });

  it('refuses other students and unknown ids', async () => {
    const aarav = await loginAs(p.t.api, 'aarav.sharma@example.com');
    const diya = { method: 'DELETE', url: `/api/students/${demo.students.diya}` };
    expect((await p.t.api.request({ ...diya, headers: aarav })).status).toBe(403);
    expect((await p.t.api.request({ ...diya, headers: anonymously })).status).toBe(401);
    const unknown = await p.t.api.request({ method: 'DELETE', url: '/api/students/99999', headers: asAdmin });
    expect(unknown.body.code).toBe('not_found');
    expect((await p.t.api.get(`/api/students/${demo.students.diya}`)).body.name).toBe('Diya Patel');
  });

  it('lets an erased student in no more, books and changes them no more, and a repeat removes what came back', async () => {
    const knex = p.t.app.db.knex;
    // A login that raced the erasure: its token was written just after it.
    const token = `mst_${'r'.repeat(43)}`;
    await knex('auth_tokens').insert({
      account_id: meera.accountId,
      token_hash: tokenHashOf(token),
      created_at: new Date(p.clock()),
      expires_at: new Date(p.clock() + HOUR),
    });
    expect((await p.t.api.get('/api/auth/me', { authorization: `Bearer ${token}` })).status).toBe(401);
    const booked = await p.t.api.post(
      '/api/bookings',
      booking({ student_id: meera.id, start_time: '2026-12-09T19:00:00' }),
    );
    expect(booked.body.code).toBe('not_found');
    const changed = await p.t.api.patch(`/api/students/${meera.id}`, { name: 'Oorja Again' });
    expect(changed.body.code).toBe('not_found');
    // A change that committed just after the erasure brought her name back: erasing again removes it.
    await knex('students').where('id', meera.id).update({ name: 'Oorja Khandelwal' });
    const again = await p.t.api.request({
      method: 'DELETE',
      url: `/api/students/${meera.id}`,
      headers: asAdmin,
    });
    expect(again.body).toMatchObject({
      already_erased: true,
      erased_at: '2026-12-01T15:00:00.000Z',
      tokens_revoked: 1,
    });
    expect((await p.t.api.get(`/api/students/${meera.id}`)).body.name).toBe(`Erased student ${meera.id}`);
  });
});
