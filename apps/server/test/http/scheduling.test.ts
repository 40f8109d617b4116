import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ApiResponse,
  asAdmin,
  booking,
  demo,
  loginAs,
  NOW,
  startTestApp,
  type TestApp,
} from '../support/app.js';

const { aarav, diya, kabir } = demo.students;

describe('GET /api/slots', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  const search = (query: string): Promise<ApiResponse> => t.api.get(`/api/slots?${query}`);

  it('lists open starts across the standard mentors of an area, with how many are free', async () => {
    const response = await search(
      'area_of_expertise=FMCG%20Sales&from=2026-12-01T18:00:00&to=2026-12-01T19:30:00',
    );
    expect(response.status).toBe(200);
    expect(response.body.slots.slice(0, 2)).toEqual([
      { start_time: '2026-12-01T12:30:00.000Z', end_time: '2026-12-01T13:00:00.000Z', mentors_available: 1 },
      { start_time: '2026-12-01T12:45:00.000Z', end_time: '2026-12-01T13:15:00.000Z', mentors_available: 1 },
    ]);
    const atSeven = response.body.slots.find(
      (slot: { start_time: string }) => slot.start_time === '2026-12-01T13:30:00.000Z',
    );
    expect(atSeven.mentors_available).toBe(3);
  });

  it('answers in the requested zone', async () => {
    const response = await search(
      'area_of_expertise=FMCG%20Sales&from=2026-12-01T19:00:00&to=2026-12-01T19:15:00&timezone=Asia/Kolkata',
    );
    expect(response.body.timezone).toBe('Asia/Kolkata');
    expect(response.body.slots).toEqual([
      {
        start_time: '2026-12-01T19:00:00.000+05:30',
        end_time: '2026-12-01T19:30:00.000+05:30',
        mentors_available: 3,
      },
    ]);
  });

  it('counts a booked mentor out, and leaves out the student’s own sessions', async () => {
    await t.api.post('/api/bookings', booking({ mentor_id: demo.ananya }));
    const window = 'area_of_expertise=FMCG%20Sales&from=2026-12-01T19:00:00&to=2026-12-01T19:15:00';
    expect((await search(window)).body.slots[0].mentors_available).toBe(2);
    expect((await search(`${window}&student_id=${aarav}`)).body.slots).toEqual([]);
  });

  it('keeps to the student’s preferred windows only when asked', async () => {
    await t.api.patch(`/api/students/${diya}`, {
      preferred_windows: [{ day: 'tue', start: '20:00', end: '21:00' }],
    });
    const window = 'area_of_expertise=FMCG%20Sales&from=2026-12-01T00:00:00&to=2026-12-02T00:00:00';
    const all = await search(`${window}&student_id=${diya}`);
    const preferred = await search(`${window}&student_id=${diya}&preferred_only=true&timezone=Asia/Kolkata`);
    expect(all.body.slots.length).toBeGreaterThan(preferred.body.slots.length);
    expect(preferred.body.slots.map((slot: { start_time: string }) => slot.start_time)).toEqual([
      '2026-12-01T20:00:00.000+05:30',
      '2026-12-01T20:15:00.000+05:30',
      '2026-12-01T20:30:00.000+05:30',
    ]);
  });

  it('searches premium mentors only when asked', async () => {
    const window = 'area_of_expertise=Equity%20Research&from=2026-12-01T20:00:00&to=2026-12-01T20:15:00';
    expect((await search(window)).body.slots[0].mentors_available).toBe(1);
    expect((await search(`${window}&premium=true`)).body.slots[0].mentors_available).toBe(1);
    expect((await search(`${window}&premium=true&duration=60`)).body.slots[0]).toMatchObject({
      mentors_available: 1,
    });
  });

  it('refuses bad searches clearly', async () => {
    expect((await search('area_of_expertise=Astrology')).body.code).toBe('unknown_area');
    expect((await search('duration=30')).body.errors[0].path).toBe('/area_of_expertise');
    expect((await search('area_of_expertise=Consulting&preferred_only=true')).status).toBe(400);
    expect((await search('area_of_expertise=Consulting&timezone=Nowhere/Land')).status).toBe(400);
    const wide = await search(
      'area_of_expertise=Consulting&from=2026-12-01T00:00:00Z&to=2027-01-15T00:00:00Z',
    );
    expect([wide.status, wide.body.errors[0].path]).toEqual([400, '/to']);
    expect((await search(`area_of_expertise=Consulting&student_id=999`)).status).toBe(404);
  });
});

describe('buffers and daily limits', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  it('keeps a mentor’s buffer free around sessions, in slots and in bookings', async () => {
    await t.api.patch(`/api/mentors/${demo.rohan}`, { buffer_minutes: 15 });
    await t.api.post('/api/bookings', booking());
    const slots = await t.api.get(
      `/api/mentors/${demo.rohan}/slots?from=2026-12-01T19:00:00&to=2026-12-01T20:30:00`,
    );
    expect(slots.body.slots.map((slot: { start_time: string }) => slot.start_time)[0]).toBe(
      '2026-12-01T14:15:00.000Z',
    );
    const tooClose = await t.api.post(
      '/api/bookings',
      booking({ student_id: diya, start_time: '2026-12-01T19:30:00' }),
    );
    expect([tooClose.status, tooClose.body.code]).toEqual([409, 'slot_taken']);
    const afterBuffer = await t.api.post(
      '/api/bookings',
      booking({ student_id: diya, start_time: '2026-12-01T19:45:00' }),
    );
    expect(afterBuffer.status).toBe(201);
  });

  it('stops offering and booking a mentor’s day once the limit is reached', async () => {
    await t.api.patch(`/api/mentors/${demo.rohan}`, { max_sessions_per_day: 1 });
    await t.api.post('/api/bookings', booking());
    const mentor = await t.api.get(
      `/api/mentors/${demo.rohan}?from=2026-12-01T00:00:00&to=2026-12-03T00:00:00`,
    );
    expect(mentor.body.max_sessions_per_day).toBe(1);
    expect(mentor.body.availability.every((start: string) => start.startsWith('2026-12-02'))).toBe(true);
    const second = await t.api.post(
      '/api/bookings',
      booking({ student_id: diya, start_time: '2026-12-01T21:00:00' }),
    );
    expect([second.status, second.body.code]).toEqual([422, 'daily_limit_reached']);
    const assigned = await t.api.post('/api/bookings', {
      student_id: diya,
      area_of_expertise: 'Equity Research',
      start_time: '2026-12-01T21:00:00',
      duration: 30,
    });
    expect([assigned.status, assigned.body.code]).toEqual([409, 'no_mentor_available']);
  });
});

describe('cancel and reschedule', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  const book = async (overrides: Record<string, unknown> = {}) =>
    (await t.api.post('/api/bookings', booking({ start_time: '2026-12-03T19:00:00', ...overrides }))).body
      .booking;

  it('cancels with a reason, frees the slot and records who and when', async () => {
    const created = await book();
    const cancelled = await t.api.post(`/api/bookings/${created.id}/cancel`, { reason: 'Interview moved' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({
      id: created.id,
      status: 'cancelled',
      cancellation_reason: 'Interview moved',
    });
    expect(
      (await t.api.post('/api/bookings', booking({ student_id: diya, start_time: '2026-12-03T19:00:00' })))
        .status,
    ).toBe(201);
    const history = await t.api.get(`/api/bookings/${created.id}/history`);
    expect(history.body).toEqual([
      {
        id: expect.any(Number),
        booking_id: created.id,
        kind: 'cancelled',
        actor: 'operator',
        at: new Date(NOW).toISOString(),
        from_start_time: '2026-12-03T13:30:00.000Z',
        from_end_time: '2026-12-03T14:00:00.000Z',
        from_cost: 2000,
        to_start_time: null,
        to_end_time: null,
        to_cost: null,
        reason: 'Interview moved',
      },
    ]);
  });

  it('cancels without a body', async () => {
    const created = await book();
    const response = await t.api.request({ method: 'POST', url: `/api/bookings/${created.id}/cancel` });
    expect([response.status, response.body.status]).toEqual([200, 'cancelled']);
  });

  it('refuses to cancel twice, an unknown booking, or a session that started', async () => {
    const created = await book();
    await t.api.post(`/api/bookings/${created.id}/cancel`, {});
    const again = await t.api.post(`/api/bookings/${created.id}/cancel`, {});
    expect([again.status, again.body.code]).toEqual([409, 'booking_not_active']);
    expect((await t.api.post('/api/bookings/999/cancel', {})).status).toBe(404);

    const later = await startTestApp({}, () => Date.parse('2026-12-03T13:45:00Z'));
    try {
      await later.app.db.knex('bookings').insert({
        student_id: aarav,
        mentor_id: demo.rohan,
        start_at: new Date('2026-12-03T13:30:00Z'),
        end_at: new Date('2026-12-03T14:00:00Z'),
        duration_minutes: 30,
        price_minor: 200000,
        currency: 'INR',
        status: 'confirmed',
        created_at: new Date(NOW),
        updated_at: new Date(NOW),
      });
      const started = await later.api.post('/api/bookings/1/cancel', {}, asAdmin);
      expect([started.status, started.body.code]).toEqual([422, 'booking_started']);
    } finally {
      await later.close();
    }
  });

  it('lets students change only up to the cut-off, and admins after it', async () => {
    // 19:00 IST on 1 December is 13.5 hours after NOW: inside a 24-hour cut-off, outside the default 12.
    const strict = await startTestApp({ CHANGE_CUTOFF_HOURS: '24' });
    try {
      const asAarav = await loginAs(strict.api, 'aarav.sharma@example.com');
      const soon = (await strict.api.post('/api/bookings', booking(), asAarav)).body.booking;
      const student = await strict.api.post(`/api/bookings/${soon.id}/cancel`, {}, asAarav);
      expect([student.status, student.body.code]).toEqual([422, 'change_cutoff_passed']);
      const move = { start_time: '2026-12-04T19:00:00' };
      const moved = await strict.api.post(`/api/bookings/${soon.id}/reschedule`, move, asAarav);
      expect(moved.body.code).toBe('change_cutoff_passed');
      const admin = await strict.api.post(`/api/bookings/${soon.id}/cancel`, {}, asAdmin);
      expect(admin.status).toBe(200);
      expect((await strict.api.get(`/api/bookings/${soon.id}/history`)).body[0].actor).toBe('operator');
    } finally {
      await strict.close();
    }
    const asAarav = await loginAs(t.api, 'aarav.sharma@example.com');
    const relaxed = await t.api.post(
      '/api/bookings',
      booking({ start_time: '2026-12-01T19:00:00' }),
      asAarav,
    );
    const cancelled = await t.api.post(`/api/bookings/${relaxed.body.booking_id}/cancel`, {}, asAarav);
    expect(cancelled.status).toBe(200);
    const history = await t.api.get(`/api/bookings/${relaxed.body.booking_id}/history`, asAarav);
    expect(history.body[0].actor).toMatch(/^account:\d+$/);
  });

  it('refuses a wrong bearer token instead of treating it as anonymous', async () => {
    const created = await book();
    const response = await t.api.post(
      `/api/bookings/${created.id}/cancel`,
      {},
      { authorization: 'Bearer nope' },
    );
    expect([response.status, response.body.code]).toEqual([401, 'unauthenticated']);
    expect(response.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect((await t.api.get(`/api/bookings/${created.id}`)).body.status).toBe('confirmed');
  });

  it('moves a booking keeping its id, re-prices a new duration and records the move', async () => {
    const created = await book();
    const moved = await t.api.post(`/api/bookings/${created.id}/reschedule`, {
      start_time: '2026-12-04T20:00:00+05:30',
      duration: 60,
      cost: 4000,
    });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({
      id: created.id,
      start_time: '2026-12-04T14:30:00.000Z',
      end_time: '2026-12-04T15:30:00.000Z',
      duration: 60,
      cost: 4000,
      status: 'confirmed',
    });
    const history = await t.api.get(`/api/bookings/${created.id}/history`);
    expect(history.body[0]).toMatchObject({
      kind: 'rescheduled',
      from_start_time: '2026-12-03T13:30:00.000Z',
      to_start_time: '2026-12-04T14:30:00.000Z',
      to_end_time: '2026-12-04T15:30:00.000Z',
    });
    const freed = await t.api.post(
      '/api/bookings',
      booking({ student_id: diya, start_time: '2026-12-03T19:00:00' }),
    );
    expect(freed.status).toBe(201);
  });

  it('can move a session onto an overlapping time of its own', async () => {
    const created = await book({ duration: 60 });
    const moved = await t.api.post(`/api/bookings/${created.id}/reschedule`, {
      start_time: '2026-12-03T19:30:00',
    });
    expect([moved.status, moved.body.start_time]).toEqual([200, '2026-12-03T14:00:00.000Z']);
  });

  it('refuses a move onto a taken or invalid slot and leaves the booking untouched', async () => {
    const created = await book();
    await book({ student_id: diya, start_time: '2026-12-03T20:00:00' });
    const cases: [Record<string, unknown>, number, string][] = [
      [{ start_time: '2026-12-03T20:00:00' }, 409, 'slot_taken'],
      [{ start_time: '2026-12-03T19:05:00' }, 422, 'off_grid'],
      [{ start_time: '2026-12-05T19:00:00' }, 422, 'outside_availability'],
      [{ start_time: '2026-12-04T19:00:00', cost: 1 }, 422, 'price_mismatch'],
      [{ start_time: '2026-12-04T19:00:00', duration: 50 }, 400, 'invalid_request'],
    ];
    for (const [body, status, code] of cases) {
      const response = await t.api.post(`/api/bookings/${created.id}/reschedule`, body);
      expect([response.status, response.body.code], JSON.stringify(body)).toEqual([status, code]);
    }
    const unchanged = await t.api.get(`/api/bookings/${created.id}`);
    expect(unchanged.body).toEqual(created);
    expect((await t.api.get(`/api/bookings/${created.id}/history`)).body).toEqual([]);
  });

  it('refuses a move that would give the student two sessions at once', async () => {
    const first = await book();
    await book({ mentor_id: demo.ananya, start_time: '2026-12-03T20:00:00' });
    const response = await t.api.post(`/api/bookings/${first.id}/reschedule`, {
      start_time: '2026-12-03T20:00:00',
    });
    expect([response.status, response.body.code]).toEqual([409, 'student_busy']);
  });
});

describe('Idempotency-Key on POST /api/bookings', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  it('answers a retry with the first answer and books once', async () => {
    const first = await t.api.post('/api/bookings', booking(), { 'idempotency-key': 'retry-1' });
    const retry = await t.api.post('/api/bookings', booking(), { 'idempotency-key': 'retry-1' });
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect((await t.api.get('/api/bookings')).body).toHaveLength(1);
  });

  it('refuses the same key with another body', async () => {
    await t.api.post('/api/bookings', booking(), { 'idempotency-key': 'retry-2' });
    const other = await t.api.post('/api/bookings', booking({ duration: 45 }), {
      'idempotency-key': 'retry-2',
    });
    expect([other.status, other.body.code]).toEqual([422, 'idempotency_key_reused']);
  });

  it('replays a refusal too, even once the slot is free again', async () => {
    const taken = await t.api.post('/api/bookings', booking({ student_id: diya }));
    const refused = await t.api.post('/api/bookings', booking(), { 'idempotency-key': 'retry-3' });
    expect(refused.body.code).toBe('slot_taken');
    await t.api.post(`/api/bookings/${taken.body.booking_id}/cancel`, {});
    const retry = await t.api.post('/api/bookings', booking(), { 'idempotency-key': 'retry-3' });
    expect([retry.status, retry.body.code]).toEqual([409, 'slot_taken']);
  });

  it('books once when the same key arrives many times at once', async () => {
    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        t.api.post('/api/bookings', booking(), { 'idempotency-key': 'burst' }),
      ),
    );
    expect(new Set(responses.map((response) => response.body.booking_id))).toEqual(
      new Set([responses[0]?.body.booking_id]),
    );
    expect(responses.every((response) => response.status === 201)).toBe(true);
    expect((await t.api.get('/api/bookings')).body).toHaveLength(1);
  });

  it('keeps keys apart from bookings made without one, and takes the key as a tRPC field', async () => {
    const viaTrpc = await t.app.inject({
      method: 'POST',
      url: '/trpc/bookings.create',
      headers: asAdmin,
      payload: { ...booking({ student_id: kabir }), idempotency_key: 'trpc-1' },
    });
    const again = await t.app.inject({
      method: 'POST',
      url: '/trpc/bookings.create',
      headers: asAdmin,
      payload: { ...booking({ student_id: kabir }), idempotency_key: 'trpc-1' },
    });
    expect(again.json().result.data).toEqual(viaTrpc.json().result.data);
    expect((await t.api.get('/api/bookings')).body).toHaveLength(1);
  });

  it('refuses a malformed key', async () => {
    const response = await t.api.post('/api/bookings', booking(), { 'idempotency-key': 'has spaces' });
    expect([response.status, response.body.errors[0].path]).toEqual([400, '/idempotency_key']);
  });
});

describe('booking cursors', () => {
  it('never skip or repeat a booking while new ones are inserted between pages', async () => {
    const t = await startTestApp();
    try {
      const students = [aarav, diya, kabir];
      const starts = ['19:00', '20:00', '21:00', '22:00'];
      for (const [day, date] of ['2026-12-02', '2026-12-04'].entries()) {
        for (const start of starts) {
          await t.api.post(
            '/api/bookings',
            booking({ student_id: students[day] as number, start_time: `${date}T${start}:00` }),
          );
        }
      }
      const seen: number[] = [];
      let url: string | undefined = '/api/bookings?limit=3';
      let inserted = false;
      while (url) {
        const page: ApiResponse = await t.api.get(url);
        seen.push(...page.body.map((item: { id: number }) => item.id));
        if (!inserted) {
          // One before the cursor (must not appear), one after it (must appear).
          await t.api.post(
            '/api/bookings',
            booking({ student_id: kabir, start_time: '2026-12-01T19:00:00' }),
          );
          await t.api.post(
            '/api/bookings',
            booking({ student_id: kabir, start_time: '2026-12-07T19:00:00' }),
          );
          inserted = true;
        }
        url = /<([^>]+)>; rel="next"/.exec(String(page.headers.link ?? ''))?.[1];
      }
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toHaveLength(9);
    } finally {
      await t.close();
    }
  });
});
