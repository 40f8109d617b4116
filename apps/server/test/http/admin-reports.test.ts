import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { booking, demo, loginAs, startTestApp, type TestApp } from '../support/app.js';

describe('the dashboard: one week of the business', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
    // The week of Tuesday 1 December 2026 in Asia/Kolkata: Monday 30 November 00:00 IST on.
    const first = await t.api.post('/api/bookings', booking({ area_of_expertise: 'Equity Research' }));
    const second = await t.api.post(
      '/api/bookings',
      booking({ student_id: demo.students.diya, start_time: '2026-12-02T19:00:00', duration: 60 }),
    );
    const cancelled = await t.api.post(
      '/api/bookings',
      booking({ student_id: demo.students.kabir, mentor_id: demo.ananya, start_time: '2026-12-03T19:00:00' }),
    );
    const nextWeek = await t.api.post('/api/bookings', booking({ start_time: '2026-12-08T19:00:00' }));
    for (const made of [first, second, cancelled, nextWeek]) expect(made.status).toBe(201);
    expect((await t.api.post(`/api/bookings/${cancelled.body.booking_id}/cancel`, {})).status).toBe(200);
  });

  afterAll(async () => t?.close());

  it('counts the week’s sessions by status, their revenue, and sessions per area', async () => {
    const { status, body } = await t.api.get('/api/reports/dashboard');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      timezone: 'Asia/Kolkata',
      week_start: '2026-11-29T18:30:00.000Z',
      week_end: '2026-12-06T18:30:00.000Z',
      currency: 'INR',
      sessions: { confirmed: 2, completed: 0, cancelled: 1, pending_payment: 0, expired: 0 },
      revenue_this_week: 6000,
    });
    expect(body.bookings_by_area).toEqual([
      { area: 'Equity Research', sessions: 1 },
      { area: null, sessions: 1 },
    ]);
  });

  it('gives each mentor’s booked and available minutes; Rohan is busiest', async () => {
    const { body } = await t.api.get('/api/reports/dashboard');
    const rohan = body.utilisation.find((row: { mentor_id: number }) => row.mentor_id === demo.rohan);
    // Mon–Fri 19:00–23:00: 5 × 240 minutes; sessions of 30 and 60 minutes.
    expect(rohan).toMatchObject({
      name: 'Rohan Mehta',
      booked_minutes: 90,
      available_minutes: 1200,
      utilisation: 0.075,
    });
    expect(body.utilisation[0].mentor_id).toBe(demo.rohan);
    const ananya = body.utilisation.find((row: { mentor_id: number }) => row.mentor_id === demo.ananya);
    expect(ananya).toMatchObject({ booked_minutes: 0, utilisation: 0 });
  });

  it('sums revenue per week, oldest first, ending with the reported week', async () => {
    const now = (await t.api.get('/api/reports/dashboard?weeks=3')).body;
    expect(now.revenue_by_week).toEqual([
      { week_start: '2026-11-15T18:30:00.000Z', revenue: 0, sessions: 0 },
      { week_start: '2026-11-22T18:30:00.000Z', revenue: 0, sessions: 0 },
      { week_start: '2026-11-29T18:30:00.000Z', revenue: 6000, sessions: 2 },
    ]);
    const next = (await t.api.get('/api/reports/dashboard?weeks=2&week_of=2026-12-10')).body;
    expect(next.revenue_by_week).toEqual([
      { week_start: '2026-11-29T18:30:00.000Z', revenue: 6000, sessions: 2 },
      { week_start: '2026-12-06T18:30:00.000Z', revenue: 2000, sessions: 1 },
    ]);
    expect(next.sessions.confirmed).toBe(1);
  });

  it('is for admins only, on both doors', async () => {
    const student = await loginAs(t.api, 'aarav.sharma@example.com');
    expect((await t.api.get('/api/reports/dashboard', student)).status).toBe(403);
    expect((await t.api.get('/api/reports/dashboard?weeks=27')).status).toBe(400);
    const trpc = await t.app.inject({
      method: 'GET',
      url: '/trpc/reports.dashboard?input=%7B%22weeks%22%3A1%7D',
      headers: { authorization: 'Bearer test-operator-token-0123456789' },
    });
    expect(trpc.statusCode).toBe(200);
    expect(trpc.json().result.data.revenue_by_week).toHaveLength(1);
  });
});

describe('the students list', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  it('lists students in the order they joined, page by page', async () => {
    const first = await t.api.get('/api/students?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.map((student: { id: number }) => student.id)).toEqual([1, 2]);
    const next = /<([^>]+)>; rel="next"/.exec(String(first.headers.link))?.[1];
    expect(next).toBeDefined();
    const second = await t.api.get(next as string);
    expect(second.body.map((student: { id: number }) => student.id)).toEqual([3, 4]);
  });

  it('finds students by part of their name or email, any case, with LIKE wildcards taken literally', async () => {
    const byName = await t.api.get('/api/students?q=SHARMA');
    expect(byName.body.map((student: { name: string }) => student.name)).toEqual(['Aarav Sharma']);
    const byEmail = await t.api.get('/api/students?q=diya.patel%40');
    expect(byEmail.body.map((student: { id: number }) => student.id)).toEqual([demo.students.diya]);
    expect((await t.api.get('/api/students?q=%25')).body).toEqual([]);
  });

  it('is for admins only', async () => {
    const student = await loginAs(t.api, 'aarav.sharma@example.com');
    expect((await t.api.get('/api/students', student)).status).toBe(403);
  });
});
