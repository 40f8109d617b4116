import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ApiResponse, booking, demo, startTestApp, type TestApp } from '../support/app.js';

const { aarav, diya, kabir, saanvi } = demo.students;

describe('POST /api/bookings', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  it('confirms a session and answers the booking with a server-computed cost', async () => {
    const response = await t.api.post('/api/bookings', booking({ duration: 60 }));
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      message: 'Booking confirmed',
      booking_id: response.body.booking.id,
      booking: {
        id: response.body.booking_id,
        student_id: aarav,
        mentor_id: demo.rohan,
        student_name: 'Aarav Sharma',
        mentor_name: 'Rohan Mehta',
        area_of_expertise: null,
        start_time: '2026-12-01T13:30:00.000Z',
        end_time: '2026-12-01T14:30:00.000Z',
        duration: 60,
        cost: 4000,
        currency: 'INR',
        status: 'confirmed',
        cancellation_reason: null,
        payment: null,
        created_at: '2026-12-01T00:00:00.000Z',
        updated_at: '2026-12-01T00:00:00.000Z',
      },
      payment: null,
    });
    const stored = await t.api.get(`/api/bookings/${response.body.booking_id}`);
    expect(stored.body).toEqual(response.body.booking);
  });

  it('charges a premium mentor the premium multiplier', async () => {
    const response = await t.api.post(
      '/api/bookings',
      booking({ mentor_id: demo.priya, start_time: '2026-12-01T20:00:00+05:30', duration: 45 }),
    );
    expect(response.status).toBe(201);
    expect(response.body.booking.cost).toBe(4500);
  });

  it('accepts a sent cost that matches and refuses one that does not, creating nothing', async () => {
    expect((await t.api.post('/api/bookings', booking({ cost: 2000 }))).status).toBe(201);
    const refused = await t.api.post(
      '/api/bookings',
      booking({ start_time: '2026-12-01T20:00:00', cost: 1 }),
    );
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'price_mismatch', status: 422 });
    expect(refused.body.detail).toContain('2000 INR');
    const all = await t.api.get('/api/bookings');
    expect(all.body).toHaveLength(1);
  });

  it('requires end_time, when sent, to equal start_time + duration', async () => {
    expect((await t.api.post('/api/bookings', booking({ end_time: '2026-12-01T19:30:00' }))).status).toBe(
      201,
    );
    const refused = await t.api.post(
      '/api/bookings',
      booking({ start_time: '2026-12-01T20:00:00', end_time: '2026-12-01T21:00:00' }),
    );
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([
      { path: '/end_time', message: expect.stringContaining('start_time + duration') },
    ]);
  });

  it('reads a time without offset in Asia/Kolkata and one with an offset exactly', async () => {
    const local = await t.api.post('/api/bookings', booking({ start_time: '2026-12-01T19:00' }));
    const utc = await t.api.post(
      '/api/bookings',
      booking({ student_id: diya, start_time: '2026-12-01T14:00:00Z' }),
    );
    expect(local.body.booking.start_time).toBe('2026-12-01T13:30:00.000Z');
    expect(utc.body.booking.start_time).toBe('2026-12-01T14:00:00.000Z');
  });

  it.each([
    ['a duration outside 30/45/60', { duration: 40 }, '/duration'],
    ['a missing student', { student_id: undefined }, '/student_id'],
    ['a start that is not a date-time', { start_time: 'tomorrow 7pm' }, '/start_time'],
    ['an impossible date', { start_time: '2026-02-30T19:00:00' }, '/start_time'],
    ['a cost that is not a number', { cost: '2000' }, '/cost'],
    ['neither mentor nor area', { mentor_id: undefined }, '/mentor_id'],
  ])('refuses %s with 400 and the field path', async (_, overrides, path) => {
    const response = await t.api.post('/api/bookings', booking(overrides));
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('invalid_request');
    expect(response.body.errors.map((error: { path: string }) => error.path)).toContain(path);
  });

  it.each([
    ['in the past', '2026-11-30T19:00:00', 'in_the_past'],
    ['inside the 2-hour minimum notice', '2026-12-01T01:00:00Z', 'too_soon'],
    ['beyond the 60-day horizon', '2027-02-01T19:00:00', 'beyond_horizon'],
    ['off the 15-minute grid', '2026-12-01T19:10:00', 'off_grid'],
    ['outside the mentor’s availability', '2026-12-01T10:00:00', 'outside_availability'],
    ['running past the end of availability', '2026-12-01T22:45:00', 'outside_availability'],
    ['on a weekend the mentor does not work', '2026-12-05T19:00:00', 'outside_availability'],
  ])('refuses a start %s with 422 %s', async (_, start_time, code) => {
    const response = await t.api.post('/api/bookings', booking({ start_time }));
    expect(response.status).toBe(422);
    expect(response.body.code).toBe(code);
    expect((await t.api.get('/api/bookings')).body).toEqual([]);
  });

  it('answers 404 for an unknown student or mentor', async () => {
    const noStudent = await t.api.post('/api/bookings', booking({ student_id: 999 }));
    const noMentor = await t.api.post('/api/bookings', booking({ mentor_id: 999 }));
    expect([noStudent.status, noStudent.body.code]).toEqual([404, 'not_found']);
    expect([noMentor.status, noMentor.body.code]).toEqual([404, 'not_found']);
  });

  it('refuses an area the mentor does not offer, and an unknown area', async () => {
    const notOffered = await t.api.post('/api/bookings', booking({ area_of_expertise: 'FMCG Sales' }));
    expect([notOffered.status, notOffered.body.code]).toEqual([422, 'area_not_offered']);
    const unknown = await t.api.post('/api/bookings', booking({ area_of_expertise: 'Astrology' }));
    expect([unknown.status, unknown.body.code]).toEqual([422, 'unknown_area']);
    const offered = await t.api.post('/api/bookings', booking({ area_of_expertise: 'equity research' }));
    expect(offered.status).toBe(201);
    expect(offered.body.booking.area_of_expertise).toBe('Equity Research');
  });

  it('refuses an overlapping session of the mentor with 409 and the next open slots', async () => {
    await t.api.post('/api/bookings', booking({ duration: 60 }));
    const response = await t.api.post(
      '/api/bookings',
      booking({ student_id: diya, start_time: '2026-12-01T19:30:00' }),
    );
    expect(response.status).toBe(409);
    expect(response.body.code).toBe('slot_taken');
    expect(response.body.next_slots).toEqual([
      { start_time: '2026-12-01T14:30:00.000Z', end_time: '2026-12-01T15:00:00.000Z', mentor_id: demo.rohan },
      { start_time: '2026-12-01T14:45:00.000Z', end_time: '2026-12-01T15:15:00.000Z', mentor_id: demo.rohan },
      { start_time: '2026-12-01T15:00:00.000Z', end_time: '2026-12-01T15:30:00.000Z', mentor_id: demo.rohan },
    ]);
  });

  it('allows sessions back to back', async () => {
    expect((await t.api.post('/api/bookings', booking())).status).toBe(201);
    const next = await t.api.post(
      '/api/bookings',
      booking({ student_id: diya, start_time: '2026-12-01T19:30:00' }),
    );
    expect(next.status).toBe(201);
  });

  it('refuses a student two sessions at once, even with different mentors', async () => {
    await t.api.post('/api/bookings', booking());
    const response = await t.api.post(
      '/api/bookings',
      booking({ mentor_id: demo.ananya, start_time: '2026-12-01T19:15:00', duration: 45 }),
    );
    expect(response.status).toBe(409);
    expect(response.body.code).toBe('student_busy');
  });
});

describe('POST /api/bookings without a mentor (assignment)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  const assign = (overrides: Record<string, unknown> = {}) =>
    t.api.post('/api/bookings', {
      student_id: aarav,
      area_of_expertise: 'FMCG Sales',
      start_time: '2026-12-01T19:00:00',
      duration: 30,
      ...overrides,
    });

  it('assigns the lowest id among equally free mentors and says who', async () => {
    const response = await assign();
    expect(response.status).toBe(201);
    expect(response.body.booking).toMatchObject({ mentor_id: demo.ananya, area_of_expertise: 'FMCG Sales' });
  });

  it('prefers a mentor for whom the session is back to back', async () => {
    await t.api.post(
      '/api/bookings',
      booking({ student_id: diya, mentor_id: demo.harsh, start_time: '2026-12-01T19:30:00' }),
    );
    const response = await assign();
    expect(response.body.booking.mentor_id).toBe(demo.harsh);
  });

  it('then prefers the mentor with the fewest sessions that day', async () => {
    await t.api.post(
      '/api/bookings',
      booking({ student_id: diya, mentor_id: demo.ananya, start_time: '2026-12-01T21:00:00' }),
    );
    const response = await assign();
    expect(response.body.booking.mentor_id).toBe(demo.arjun);
  });

  it('moves to the next free mentor once one is taken, then answers 409 with hints', async () => {
    const students = [aarav, diya, kabir, saanvi];
    const assigned: number[] = [];
    for (const student of students.slice(0, 3)) {
      const response = await assign({ student_id: student });
      expect(response.status).toBe(201);
      assigned.push(response.body.booking.mentor_id);
    }
    expect(assigned.sort((a, b) => a - b)).toEqual([demo.ananya, demo.arjun, demo.harsh]);
    const full = await assign({ student_id: saanvi });
    expect(full.status).toBe(409);
    expect(full.body.code).toBe('no_mentor_available');
    expect(full.body.next_slots.length).toBeGreaterThan(0);
  });

  it('draws from premium mentors only when asked', async () => {
    const standard = await assign({
      area_of_expertise: 'Equity Research',
      start_time: '2026-12-01T20:00:00',
    });
    expect(standard.body.booking.mentor_id).toBe(demo.rohan);
    const premium = await assign({
      student_id: diya,
      area_of_expertise: 'Equity Research',
      start_time: '2026-12-01T20:00:00',
      premium: true,
    });
    expect(premium.body.booking).toMatchObject({ mentor_id: demo.priya, cost: 3000 });
  });

  it('reports time refusals the same way as with a named mentor', async () => {
    const response = await assign({ start_time: '2026-11-30T19:00:00' });
    expect([response.status, response.body.code]).toEqual([422, 'in_the_past']);
  });
});

describe('GET /api/bookings', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    const starts = [
      '2026-12-03T20:00:00',
      '2026-12-01T19:00:00',
      '2026-12-02T19:00:00',
      '2026-12-01T21:00:00',
    ];
    for (const [index, start_time] of starts.entries()) {
      const response = await t.api.post(
        '/api/bookings',
        booking({ start_time, student_id: index % 2 ? diya : aarav }),
      );
      expect(response.status).toBe(201);
    }
  });
  afterAll(() => t.close());

  it('lists bookings by start time as a bare array', async () => {
    const response = await t.api.get('/api/bookings');
    expect(response.body.map((item: { start_time: string }) => item.start_time)).toEqual([
      '2026-12-01T13:30:00.000Z',
      '2026-12-01T15:30:00.000Z',
      '2026-12-02T13:30:00.000Z',
      '2026-12-03T14:30:00.000Z',
    ]);
  });

  it('filters by student, mentor and window', async () => {
    expect((await t.api.get(`/api/bookings?student_id=${diya}`)).body).toHaveLength(2);
    expect((await t.api.get(`/api/bookings?mentor_id=${demo.ananya}`)).body).toHaveLength(0);
    const window = await t.api.get('/api/bookings?from=2026-12-02T00:00:00&to=2026-12-03T00:00:00');
    expect(window.body.map((item: { start_time: string }) => item.start_time)).toEqual([
      '2026-12-02T13:30:00.000Z',
    ]);
  });

  it('pages with a Link header that never skips or repeats', async () => {
    const seen: number[] = [];
    let url: string | undefined = '/api/bookings?limit=3';
    while (url) {
      const response: ApiResponse = await t.api.get(url);
      seen.push(...response.body.map((item: { id: number }) => item.id));
      url = /<([^>]+)>; rel="next"/.exec(String(response.headers.link ?? ''))?.[1];
    }
    const all = (await t.api.get('/api/bookings')).body.map((item: { id: number }) => item.id);
    expect(seen).toEqual(all);
  });

  it('answers 404 for an unknown booking id', async () => {
    const response = await t.api.get('/api/bookings/4242');
    expect([response.status, response.body.code]).toEqual([404, 'not_found']);
  });
});
