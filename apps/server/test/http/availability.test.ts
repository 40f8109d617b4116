import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApiResponse, anonymously, demo, loginAs, startTestApp, type TestApp } from '../support/app.js';

describe('mentor availability', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  const slotsOn = async (date: string): Promise<string[]> => {
    const response: ApiResponse = await t.api.get(
      `/api/mentors/${demo.rohan}/slots?from=${date}T00:00:00&to=${date}T23:59:00`,
      anonymously,
    );
    return response.body.slots.map((slot: { start_time: string }) => slot.start_time);
  };

  it('is public to read, in the mentor’s zone', async () => {
    const response = await t.api.get(`/api/mentors/${demo.rohan}/availability`, anonymously);
    expect(response.body).toMatchObject({ mentor_id: demo.rohan, timezone: 'Asia/Kolkata', overrides: [] });
    expect(response.body.weekly).toContainEqual({ day: 'mon', start: '19:00', end: '23:00' });
  });

  it('replaces weekly windows and date overrides, which the slots then follow', async () => {
    const asRohan = await loginAs(t.api, 'rohan.mehta@mentors.example.com');
    const saved = await t.api.put(
      `/api/mentors/${demo.rohan}/availability`,
      {
        weekly: [{ day: 'tue', start: '08:00', end: '09:00' }],
        overrides: [
          { date: '2026-12-08', windows: [] },
          { date: '2026-12-06', windows: [{ start: '10:00', end: '11:00' }] },
        ],
      },
      asRohan,
    );
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({
      weekly: [{ day: 'tue', start: '08:00', end: '09:00' }],
      overrides: [
        { date: '2026-12-06', windows: [{ start: '10:00', end: '11:00' }] },
        { date: '2026-12-08', windows: [] },
      ],
      bookings_outside_availability: [],
    });
    expect((await t.api.get(`/api/mentors/${demo.rohan}/availability`, anonymously)).body.weekly).toEqual(
      saved.body.weekly,
    );
    expect(await slotsOn('2026-12-01')).toEqual([
      '2026-12-01T02:30:00.000Z',
      '2026-12-01T02:45:00.000Z',
      '2026-12-01T03:00:00.000Z',
    ]);
    expect(await slotsOn('2026-12-08')).toEqual([]);
    expect((await slotsOn('2026-12-06')).length).toBe(3);
  });

  it('keeps bookings the new availability no longer covers, and lists them', async () => {
    const booked = await t.api.post('/api/bookings', {
      student_id: demo.students.aarav,
      mentor_id: demo.rohan,
      start_time: '2026-12-01T19:00:00',
      duration: 30,
    });
    const saved = await t.api.put(`/api/mentors/${demo.rohan}/availability`, {
      weekly: [{ day: 'mon', start: '19:00', end: '23:00' }],
    });
    expect(saved.body.bookings_outside_availability).toEqual([booked.body.booking_id]);
    expect((await t.api.get(`/api/bookings/${booked.body.booking_id}`)).body.status).toBe('confirmed');
  });

  it.each([
    [[{ day: 'mon', start: '20:00', end: '19:00' }], '/weekly/0'],
    [
      [
        { day: 'mon', start: '18:00', end: '20:00' },
        { day: 'mon', start: '19:00', end: '21:00' },
      ],
      '/weekly/1',
    ],
    [[{ day: 'mon', start: '7pm', end: '21:00' }], '/weekly/0/start'],
    [[{ day: 'funday', start: '19:00', end: '21:00' }], '/weekly/0/day'],
  ])('refuses invalid windows with the path of the bad one (%j)', async (weekly, path) => {
    const response = await t.api.put(`/api/mentors/${demo.rohan}/availability`, { weekly });
    expect(response.status).toBe(400);
    expect(response.body.errors.map((error: { path: string }) => error.path.slice(0, path.length))).toContain(
      path,
    );
    expect(
      (await t.api.get(`/api/mentors/${demo.rohan}/availability`, anonymously)).body.weekly,
    ).toHaveLength(5);
  });

  it('lets only that mentor or an admin change it', async () => {
    const asAnanya = await loginAs(t.api, 'ananya.iyer@mentors.example.com');
    const other = await t.api.put(`/api/mentors/${demo.rohan}/availability`, { weekly: [] }, asAnanya);
    expect([other.status, other.body.code]).toEqual([403, 'forbidden']);
    const anonymous = await t.api.put(`/api/mentors/${demo.rohan}/availability`, { weekly: [] }, anonymously);
    expect(anonymous.status).toBe(401);
  });
});
