import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demo, startTestApp, type TestApp } from '../support/app.js';

describe('the seed README calls', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('lists mentors of an area with their open slots', async () => {
    const response = await t.api.get('/api/mentors?area_of_expertise=Equity%20Research');
    expect(response.status).toBe(200);
    expect(response.body.map((mentor: { id: number }) => mentor.id)).toEqual([demo.rohan, demo.priya, 12]);
    expect(response.body[0]).toMatchObject({ name: 'Rohan Mehta', is_premium: false });
    expect(response.body[0].availability[0]).toBe('2026-12-01T13:30:00.000Z');
  });

  it('books a session exactly as the first backend did', async () => {
    const response = await t.api.post('/api/bookings', {
      student_id: demo.students.aarav,
      mentor_id: demo.rohan,
      start_time: '2026-12-01T19:00:00',
      end_time: '2026-12-01T19:30:00',
      duration: 30,
      cost: 2000,
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ message: 'Booking confirmed', booking_id: expect.any(Number) });
  });
});
