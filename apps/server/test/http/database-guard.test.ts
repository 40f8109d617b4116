import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demo, startTestApp, type TestApp } from '../support/app.js';

/**
 * The no-overlap rule holds in the database itself, so a second process, a script or a manual
 * insert that skips the service cannot double-book either.
 */
describe('the database refuses overlapping confirmed bookings', () => {
  let t: TestApp;
  const at = (iso: string) => new Date(iso);
  const row = (overrides: Record<string, unknown>) => ({
    student_id: demo.students.aarav,
    mentor_id: demo.rohan,
    start_at: at('2026-12-01T13:30:00Z'),
    end_at: at('2026-12-01T14:00:00Z'),
    duration_minutes: 30,
    price_minor: 200000,
    currency: 'INR',
    status: 'confirmed',
    created_at: at('2026-12-01T00:00:00Z'),
    updated_at: at('2026-12-01T00:00:00Z'),
    ...overrides,
  });

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.db.knex('bookings').insert(row({}));
  });
  afterAll(() => t.close());

  it('rejects a raw insert overlapping the mentor’s session', async () => {
    await expect(
      t.app.db.knex('bookings').insert(
        row({
          student_id: demo.students.diya,
          start_at: at('2026-12-01T13:45:00Z'),
          end_at: at('2026-12-01T14:15:00Z'),
        }),
      ),
    ).rejects.toThrow(/booking_overlap_mentor|bookings_no_mentor_overlap/);
  });

  it('rejects a raw insert overlapping the student’s session with another mentor', async () => {
    await expect(t.app.db.knex('bookings').insert(row({ mentor_id: demo.ananya }))).rejects.toThrow(
      /booking_overlap_student|bookings_no_student_overlap/,
    );
  });

  it('rejects an update that moves a booking onto another', async () => {
    const [id] = await t.app.db
      .knex('bookings')
      .insert(
        row({
          student_id: demo.students.diya,
          start_at: at('2026-12-01T14:00:00Z'),
          end_at: at('2026-12-01T14:30:00Z'),
        }),
      )
      .returning('id');
    const bookingId = typeof id === 'object' ? id.id : id;
    await expect(
      t.app.db
        .knex('bookings')
        .where('id', bookingId)
        .update({ start_at: at('2026-12-01T13:45:00Z') }),
    ).rejects.toThrow(/overlap/);
  });

  it('lets a cancelled booking free its time', async () => {
    await t.app.db.knex('bookings').where({ mentor_id: demo.rohan }).update({ status: 'cancelled' });
    await expect(
      t.app.db.knex('bookings').insert(row({ student_id: demo.students.kabir })),
    ).resolves.toBeDefined();
  });
});
