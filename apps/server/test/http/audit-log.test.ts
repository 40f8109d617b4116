import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

interface Entry {
  id: number;
  at: string;
  actor: { role: string; label: string; account_id: number | null };
  request_id: string | null;
  operation: string;
  target_type: string;
  target_id: number | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

describe('the audit log', () => {
  let t: TestApp;
  let adminAccount: { id: number; headers: Record<string, string> };

  /** The newest entries, newest first. */
  async function latest(count = 1, query = ''): Promise<Entry[]> {
    const response = await t.api.get(`/api/audit-log?limit=${count}${query}`);
    expect(response.status).toBe(200);
    return response.body;
  }

  beforeAll(async () => {
    t = await startTestApp({ OUTBOX_DISPATCHER: 'off' });
    const made = await t.api.post('/api/auth/accounts', {
      email: 'ops.lead@example.com',
      password: 'a long enough password',
      role: 'admin',
    });
    expect(made.status).toBe(201);
    adminAccount = {
      id: made.body.id,
      headers: await loginAs(t.api, 'ops.lead@example.com', 'a long enough password'),
    };
  });
  afterAll(async () => t?.close());

  it('records an account made by the operator, without its password, with the request that made it', async () => {
    const [created] = await latest(1, '&operation=auth.createAccount');
    expect(created).toMatchObject({
      actor: { role: 'admin', label: 'operator', account_id: null },
      operation: 'auth.createAccount',
      target_type: 'account',
      target_id: adminAccount.id,
      before: null,
      after: { id: adminAccount.id, email: 'ops.lead@example.com', role: 'admin', live_tokens: 0 },
    });
    expect(JSON.stringify(created)).not.toMatch(/password|scrypt/);
  });

  it('records a mentor’s change with the record before and after, and the x-request-id of the change', async () => {
    const changed = await t.api.patch(
      `/api/mentors/${demo.rohan}`,
      { is_premium: true, headline: 'Equity research lead' },
      adminAccount.headers,
    );
    expect(changed.status).toBe(200);
    const [entry] = await latest();
    expect(entry).toMatchObject({
      actor: { role: 'admin', label: `account:${adminAccount.id}`, account_id: adminAccount.id },
      request_id: changed.headers['x-request-id'],
      operation: 'mentors.update',
      target_type: 'mentor',
      target_id: demo.rohan,
      before: { is_premium: false, name: 'Rohan Mehta' },
      after: { is_premium: true, headline: 'Equity research lead' },
    });
    expect(entry?.at).toBe('2026-12-01T00:00:00.000Z');
  });

  it('records availability replaced, students added and changed, and tokens revoked, through tRPC alike', async () => {
    const availability = await callTrpc(t.app, 'mutation', 'mentors.setAvailability', {
      id: demo.rohan,
      weekly: [{ day: 'mon', start: '18:00', end: '20:00' }],
    });
    expect(availability.status).toBe(200);
    const student = await callTrpc(t.app, 'mutation', 'students.create', {
      name: 'Tara Bose',
      email: 'tara.bose@example.com',
    });
    const changed = await t.api.patch(`/api/students/${student.data.id}`, { timezone: 'Europe/London' });
    expect(changed.status).toBe(200);
    const revoked = await t.api.post(`/api/auth/accounts/${adminAccount.id}/revoke-tokens`);
    expect(revoked.status).toBe(200);

    const [revoke, update, create, setAvailability] = await latest(4);
    expect(setAvailability).toMatchObject({ operation: 'mentors.setAvailability', target_id: demo.rohan });
    expect(setAvailability?.before?.weekly).toHaveLength(5);
    expect(setAvailability?.after).toEqual({
      weekly: [{ weekday: 1, start_minute: 1080, end_minute: 1200 }],
      overrides: [],
    });
    expect(create).toMatchObject({
      operation: 'students.create',
      before: null,
      after: { name: 'Tara Bose', email: 'tara.bose@example.com' },
    });
    expect(update).toMatchObject({
      operation: 'students.update',
      before: { timezone: 'Asia/Kolkata' },
      after: { timezone: 'Europe/London' },
    });
    expect(revoke).toMatchObject({
      operation: 'auth.revokeTokens',
      target_id: adminAccount.id,
      before: { live_tokens: 1 },
      after: { live_tokens: 0 },
    });
  });

  it('records cancellations and moves made on a student’s behalf, but not the student’s own', async () => {
    const key = { 'idempotency-key': 'audit-booking-1' };
    const made = await t.api.post('/api/bookings', booking({ mentor_id: demo.ananya }), key);
    expect(made.status).toBe(201);
    // Written in the booking's own transaction; a retry with the same key makes no second entry.
    expect((await t.api.post('/api/bookings', booking({ mentor_id: demo.ananya }), key)).status).toBe(201);
    const booked = await latest(2);
    expect(booked[0]).toMatchObject({
      actor: { role: 'admin', label: 'operator' },
      request_id: made.headers['x-request-id'],
      operation: 'bookings.create',
      target_type: 'booking',
      target_id: made.body.booking_id,
      before: null,
      after: {
        student_id: demo.students.aarav,
        mentor_id: demo.ananya,
        start_at: '2026-12-01T13:30:00.000Z',
        price_minor: 200000,
        status: 'confirmed',
      },
    });
    expect(booked[1]?.operation).not.toBe('bookings.create');

    const aarav = await loginAs(t.api, 'aarav.sharma@example.com');
    const own = await t.api.post(
      '/api/bookings',
      booking({ mentor_id: demo.ananya, start_time: '2026-12-03T19:00:00' }),
      aarav,
    );
    expect(own.status).toBe(201);
    const before = (await latest(1))[0]?.id;
    expect(before).toBe(booked[0]?.id);
    const ownMove = await t.api.post(
      `/api/bookings/${made.body.booking_id}/reschedule`,
      { start_time: '2026-12-02T19:00:00' },
      aarav,
    );
    expect(ownMove.status).toBe(200);
    expect((await latest(1))[0]?.id).toBe(before);

    const moved = await t.api.post(`/api/bookings/${made.body.booking_id}/reschedule`, {
      start_time: '2026-12-02T20:00:00',
    });
    expect(moved.status).toBe(200);
    const cancelled = await t.api.post(`/api/bookings/${made.body.booking_id}/cancel`, {
      reason: 'Mentor ill',
    });
    expect(cancelled.status).toBe(200);
    const [cancel, move] = await latest(2);
    expect(move).toMatchObject({
      operation: 'bookings.reschedule',
      target_type: 'booking',
      target_id: made.body.booking_id,
      before: { start_at: '2026-12-02T13:30:00.000Z', status: 'confirmed' },
      after: { start_at: '2026-12-02T14:30:00.000Z', status: 'confirmed' },
    });
    expect(cancel).toMatchObject({
      operation: 'bookings.cancel',
      before: { status: 'confirmed', cancellation_reason: null },
      after: { status: 'cancelled', cancellation_reason: 'Mentor ill' },
    });
  });

  it('records webhook endpoints added and removed without their secret, and nothing for refused calls', async () => {
    const created = await t.api.post('/api/webhooks', {
      url: 'https://partner.example.com/hooks',
      events: ['booking.cancelled'],
    });
    expect(created.status).toBe(201);
    const removed = await t.api.request({ method: 'DELETE', url: `/api/webhooks/${created.body.id}` });
    expect(removed.status).toBe(200);
    const [remove, add] = await latest(2);
    expect(add).toMatchObject({
      operation: 'webhooks.create',
      before: null,
      after: { url: 'https://partner.example.com/hooks' },
    });
    expect(JSON.stringify(add)).not.toContain(created.body.secret);
    // Removed endpoints are kept, marked, so their past attempts stay readable.
    expect(remove).toMatchObject({
      operation: 'webhooks.delete',
      before: { id: created.body.id, deleted_at: null },
      after: { id: created.body.id, deleted_at: '2026-12-01T00:00:00.000Z' },
    });

    const count = async () => Number((await t.app.db.knex('audit_log').count({ n: '*' }).first())?.n);
    const entries = await count();
    expect((await t.api.patch('/api/mentors/99999', { headline: 'Nobody' })).status).toBe(404);
    expect((await t.api.post('/api/bookings/99999/cancel', {})).status).toBe(404);
    expect(
      (await t.api.patch(`/api/students/${demo.students.diya}`, { email: 'aarav.sharma@example.com' }))
        .status,
    ).toBe(409);
    expect(await count()).toBe(entries);
  });

  it('keeps a caller’s own request id when it is a plain token, and makes one for anything else', async () => {
    const sane = 'lb-7f3a.req:42';
    const kept = await t.api.post(
      '/api/bookings',
      booking({ mentor_id: demo.ananya, start_time: '2026-12-04T19:00:00' }),
      {
        'x-request-id': sane,
      },
    );
    expect(kept.status).toBe(201);
    expect(kept.headers['x-request-id']).toBe(sane);
    expect((await latest(1))[0]?.request_id).toBe(sane);
    // Too long for a log line or the audit log's column: the booking goes through under an id of ours.
    const huge = await t.api.post(
      '/api/bookings',
      booking({ mentor_id: demo.ananya, start_time: '2026-12-04T20:00:00' }),
      {
        'x-request-id': 'x'.repeat(300),
      },
    );
    expect(huge.status).toBe(201);
    expect(huge.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect((await latest(1))[0]).toMatchObject({
      target_id: huge.body.booking_id,
      request_id: huge.headers['x-request-id'],
    });
    const spaced = await t.api.get('/api/health', { 'x-request-id': 'two words' });
    expect(spaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('filters, pages with a Link header on REST and a cursor on tRPC, and is for admins only', async () => {
    const mentors = await latest(50, '&target_type=mentor');
    expect(mentors.length).toBeGreaterThanOrEqual(2);
    for (const entry of mentors) expect(entry.target_type).toBe('mentor');
    const byAccount = await latest(50, `&actor_account_id=${adminAccount.id}`);
    expect(byAccount.map((entry) => entry.operation)).toEqual(['mentors.update']);
    expect(await latest(50, '&from=2026-12-02T00:00:00Z')).toEqual([]);
    expect((await latest(50, '&to=2026-12-01T00:00:00Z')).length).toBe(0);

    const all = await latest(200);
    const first = await t.api.get('/api/audit-log?limit=3');
    const next = /<([^>]+)>; rel="next"/.exec(String(first.headers.link))?.[1];
    expect(next).toBeDefined();
    const second = await t.api.get(String(next));
    expect([...first.body, ...second.body].map((entry: Entry) => entry.id)).toEqual(
      all.slice(0, 3 + second.body.length).map((entry) => entry.id),
    );
    const page = await callTrpc(t.app, 'query', 'auditLog.list', { limit: 3 });
    expect(page.data.items).toEqual(first.body);
    expect(typeof page.data.nextCursor).toBe('string');

    const aarav = await loginAs(t.api, 'aarav.sharma@example.com');
    expect((await t.api.get('/api/audit-log', aarav)).status).toBe(403);
    expect((await t.api.get('/api/audit-log', anonymously)).status).toBe(401);
    expect((await t.api.get('/api/audit-log?target_type=planet', asAdmin)).status).toBe(400);
  });
});
