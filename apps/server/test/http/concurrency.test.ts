import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAdmin, demo, startTestApp, type TestApp } from '../support/app.js';

const CONTENDERS = 40;

describe('many students racing for one slot over real HTTP', () => {
  let t: TestApp;
  let baseUrl: string;
  let studentIds: number[];

  beforeAll(async () => {
    t = await startTestApp();
    baseUrl = await t.app.listen({ port: 0, host: '127.0.0.1' });
    studentIds = [];
    for (let index = 0; index < CONTENDERS; index += 1) {
      const response = await t.api.post('/api/students', {
        name: `Racer ${index}`,
        email: `racer${index}@example.com`,
      });
      studentIds.push(response.body.id);
    }
  });
  afterAll(() => t.close());

  it('confirms exactly one booking and refuses the others with 409 slot_taken', async () => {
    const responses = await Promise.all(
      studentIds.map((studentId) =>
        fetch(`${baseUrl}/api/bookings`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...asAdmin },
          body: JSON.stringify({
            student_id: studentId,
            mentor_id: demo.rohan,
            start_time: '2026-12-01T19:00:00',
            duration: 30,
          }),
        }).then(async (response) => ({ status: response.status, body: (await response.json()) as any })),
      ),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(CONTENDERS - 1);
    expect(
      responses.filter((response) => response.status === 409).every((r) => r.body.code === 'slot_taken'),
    ).toBe(true);
    expect(await overlappingConfirmedPairs(t.app)).toBe(0);
  });

  it('gives each concurrent assignment request its own mentor, then 409s', async () => {
    const fmcgMentors = 3;
    const responses = await Promise.all(
      studentIds.slice(0, 8).map((studentId) =>
        fetch(`${baseUrl}/api/bookings`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...asAdmin },
          body: JSON.stringify({
            student_id: studentId,
            area_of_expertise: 'FMCG Sales',
            start_time: '2026-12-02T19:00:00',
            duration: 30,
          }),
        }).then(async (response) => ({ status: response.status, body: (await response.json()) as any })),
      ),
    );
    const confirmed = responses.filter((response) => response.status === 201);
    expect(confirmed).toHaveLength(fmcgMentors);
    expect(new Set(confirmed.map((response) => response.body.booking.mentor_id)).size).toBe(fmcgMentors);
    expect(responses.filter((response) => response.status === 409)).toHaveLength(8 - fmcgMentors);
    expect(await overlappingConfirmedPairs(t.app)).toBe(0);
  });
});

/** Pairs of confirmed bookings of one mentor, or of one student, whose times overlap. */
async function overlappingConfirmedPairs(app: FastifyInstance): Promise<number> {
  const result = await app.db.knex.raw(`
    SELECT count(*) AS pairs FROM bookings a JOIN bookings b
      ON a.id < b.id AND (a.mentor_id = b.mentor_id OR a.student_id = b.student_id)
     AND a.start_at < b.end_at AND b.start_at < a.end_at
    WHERE a.status = 'confirmed' AND b.status = 'confirmed'`);
  // SQLite drivers answer the rows; pg answers a result whose rows are in `rows` (count is a bigint string).
  const [row] = Array.isArray(result) ? result : result.rows;
  return Number(row.pairs);
}
