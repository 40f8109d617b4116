import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Database,
  openDatabase,
  SQLITE_STARTUP_WRITE_WAIT_MS,
  waitingForWritesUpTo,
} from '../../src/db/connection.js';
import { migrationSource } from '../../src/db/migrations/index.js';
import { createTestSchema, dropTestSchema, pgTestUrl } from '../support/postgres.js';

/**
 * Migration 007 on real databases: on SQLite it rebuilds `bookings` inside the one migration
 * transaction (foreign keys on), which must keep every booking, every change and the id sequence.
 */

/** The driver of this vitest project, as in support/app.ts (not imported: it would build the whole app). */
const dbClient = (process.env.DB_CLIENT ?? 'better-sqlite3') as 'better-sqlite3' | 'sqlite3' | 'pg';

interface ScratchDatabase {
  db: Database;
  knex: Knex;
  drop(): Promise<void>;
}

/** A fresh SQLite file or PostgreSQL schema, opened as the server opens its database. */
async function scratchDatabase(): Promise<ScratchDatabase> {
  if (dbClient === 'pg') {
    const schema = await createTestSchema();
    const db = openDatabase({
      client: 'pg',
      url: pgTestUrl as string,
      poolMax: 2,
      statementTimeoutMs: 10_000,
      schema,
    });
    return {
      db,
      knex: db.knex,
      async drop() {
        await db.close();
        await dropTestSchema(schema);
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'mentor-scheduling-migration-'));
  const db = openDatabase({ client: dbClient, filename: join(dir, 'test.sqlite') });
  return {
    db,
    knex: db.knex,
    async drop() {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const LAST_BEFORE_PAYMENTS = '006_booking_change_prices';

/** The real migrations up to and including 006, as a database deployed before payments has them. */
const migrationsBeforePayments: typeof migrationSource = {
  ...migrationSource,
  async getMigrations(extensions) {
    const all = await migrationSource.getMigrations(extensions);
    const last = all.findIndex(
      (migration) => migrationSource.getMigrationName(migration) === LAST_BEFORE_PAYMENTS,
    );
    return all.slice(0, last + 1);
  },
};

/** Runs the migrator in one transaction, as migrateToLatest does. */
function inOneTransaction<T>(knex: Knex, run: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return knex.transaction(run, waitingForWritesUpTo(SQLITE_STARTUP_WRITE_WAIT_MS));
}

const PAYMENTS_MIGRATION = '007_payment_holds';

/** The real migrations up to and including 007: later ones are not what these tests are about. */
const migrationsThroughPayments: typeof migrationSource = {
  ...migrationSource,
  async getMigrations(extensions) {
    const all = await migrationSource.getMigrations(extensions);
    const last = all.findIndex(
      (migration) => migrationSource.getMigrationName(migration) === PAYMENTS_MIGRATION,
    );
    return all.slice(0, last + 1);
  },
};

/** Migrates as far as 007 and answers what it applied. */
async function migrateThroughPayments(knex: Knex): Promise<string[]> {
  const [, applied] = (await inOneTransaction(knex, (trx) =>
    trx.migrate.latest({ migrationSource: migrationsThroughPayments }),
  )) as [number, string[]];
  return applied;
}

async function migrateToBeforePayments(knex: Knex): Promise<void> {
  await inOneTransaction(knex, (trx) => trx.migrate.latest({ migrationSource: migrationsBeforePayments }));
}

async function migrateDownOne(knex: Knex): Promise<string[]> {
  const [, undone] = (await inOneTransaction(knex, (trx) =>
    trx.migrate.down({ migrationSource: migrationsThroughPayments }),
  )) as [number, string[]];
  return undone;
}

async function insertId(knex: Knex, table: string, row: Record<string, unknown>): Promise<number> {
  const [inserted] = await knex(table).insert(row).returning('id');
  return Number(typeof inserted === 'object' ? inserted.id : inserted);
}

const CREATED = new Date('2026-11-01T00:00:00Z');

interface People {
  area: number;
  mentors: [number, number];
  students: [number, number, number];
}

async function addPeople(knex: Knex): Promise<People> {
  const area = await insertId(knex, 'areas', { name: 'System design', slug: 'system-design' });
  const mentor = (name: string) =>
    insertId(knex, 'mentors', {
      name,
      timezone: 'Asia/Kolkata',
      created_at: CREATED,
      updated_at: CREATED,
    });
  const student = (name: string) =>
    insertId(knex, 'students', {
      name,
      email: `${name.toLowerCase()}@example.com`,
      email_normalized: `${name.toLowerCase()}@example.com`,
      timezone: 'Asia/Kolkata',
      created_at: CREATED,
      updated_at: CREATED,
    });
  return {
    area,
    mentors: [await mentor('Rohan'), await mentor('Ananya')],
    students: [await student('Aarav'), await student('Diya'), await student('Kabir')],
  };
}

const HOUR_MS = 3_600_000;

/** A one-hour booking starting at `start` (ISO, UTC). */
function bookingRow(
  people: People,
  start: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const startAt = Date.parse(start);
  return {
    student_id: people.students[0],
    mentor_id: people.mentors[0],
    area_id: people.area,
    start_at: new Date(startAt),
    end_at: new Date(startAt + HOUR_MS),
    duration_minutes: 60,
    price_minor: 400000,
    currency: 'INR',
    status: 'confirmed',
    created_at: CREATED,
    updated_at: CREATED,
    ...overrides,
  };
}

function changeRow(bookingId: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    booking_id: bookingId,
    kind: 'rescheduled',
    actor: 'student:1',
    at: new Date('2026-11-02T09:00:00Z'),
    from_start_at: new Date('2026-12-03T10:00:00Z'),
    from_end_at: new Date('2026-12-03T11:00:00Z'),
    to_start_at: new Date('2026-12-04T10:00:00Z'),
    to_end_at: new Date('2026-12-04T11:00:00Z'),
    reason: null,
    from_price_minor: 400000,
    to_price_minor: 400000,
    ...overrides,
  };
}

const allRows = (knex: Knex, table: string) => knex(table).select('*').orderBy('id');

/** What a refused write must be refused by: SQLite's message, PostgreSQL's SQLSTATE and constraint. */
interface Refusal {
  sqlite: string;
  pgCode: string;
  pgConstraint: string;
}

async function expectRefused(write: PromiseLike<unknown>, refusal: Refusal): Promise<void> {
  const error = await Promise.resolve(write).then(
    () => undefined,
    (reason: unknown) => reason as { code?: string; constraint?: string; message: string },
  );
  expect(error, 'the database accepted the write').toBeDefined();
  if (dbClient === 'pg') {
    expect({ code: error?.code, constraint: error?.constraint }).toEqual({
      code: refusal.pgCode,
      constraint: refusal.pgConstraint,
    });
  } else {
    expect(error?.message).toContain(refusal.sqlite);
  }
}

const mentorOverlap: Refusal = {
  sqlite: 'booking_overlap_mentor',
  pgCode: '23P01',
  pgConstraint: 'bookings_no_mentor_overlap',
};
const studentOverlap: Refusal = {
  sqlite: 'booking_overlap_student',
  pgCode: '23P01',
  pgConstraint: 'bookings_no_student_overlap',
};
const checkRefusal = (constraint: string): Refusal => ({
  sqlite: `CHECK constraint failed: ${constraint}`,
  pgCode: '23514',
  pgConstraint: constraint,
});
const uniqueRefusal = (sqliteColumn: string, pgConstraint: string): Refusal => ({
  sqlite: `UNIQUE constraint failed: ${sqliteColumn}`,
  pgCode: '23505',
  pgConstraint,
});

/**
 * Everything that defines `bookings` (columns, constraints, indexes, triggers), written so two
 * databases compare equal when their tables are defined alike.
 */
async function bookingsDefinition(knex: Knex): Promise<unknown> {
  if (dbClient === 'pg') {
    const [{ schema }] = (await knex.raw('SELECT current_schema() AS schema')).rows;
    const columns = await knex('information_schema.columns')
      .select('column_name', 'data_type', 'character_maximum_length', 'is_nullable', 'column_default')
      .where({ table_schema: schema, table_name: 'bookings' })
      .orderBy('ordinal_position');
    const constraints = (
      await knex.raw(
        "SELECT conname, pg_get_constraintdef(oid) AS definition FROM pg_constraint WHERE conrelid = 'bookings'::regclass ORDER BY conname",
      )
    ).rows;
    const indexes = (
      await knex('pg_indexes')
        .select('indexname', 'indexdef')
        .where({ schemaname: schema, tablename: 'bookings' })
        .orderBy('indexname')
    ).map((index: { indexname: string; indexdef: string }) => ({
      ...index,
      indexdef: index.indexdef.replaceAll(`${schema}.`, ''),
    }));
    return { columns, constraints, indexes };
  }
  const entries: { type: string; name: string; sql: string | null }[] = await knex('sqlite_master')
    .select('type', 'name', 'sql')
    .where({ tbl_name: 'bookings' })
    .orderBy(['type', 'name']);
  // A renamed table's CREATE statement quotes its name differently; the definition is the same.
  return entries.map((entry) => ({
    ...entry,
    sql: entry.sql?.replace(/[`"]/g, '').replace(/\s+/g, ' ').trim() ?? null,
  }));
}

async function bookingsIndexNames(knex: Knex): Promise<string[]> {
  if (dbClient === 'pg') {
    const rows = await knex('pg_indexes')
      .select('indexname')
      .whereRaw('schemaname = current_schema()')
      .where({ tablename: 'bookings' });
    return rows.map((row: { indexname: string }) => row.indexname).sort();
  }
  const rows = await knex('sqlite_master').select('name').where({ type: 'index', tbl_name: 'bookings' });
  return rows.map((row: { name: string }) => row.name).sort();
}

const INDEXES_BEFORE_PAYMENTS = [
  'bookings_mentor_id_start_at_index',
  'bookings_start_at_id_index',
  'bookings_student_id_start_at_index',
  ...(dbClient === 'pg'
    ? ['bookings_no_mentor_overlap', 'bookings_no_student_overlap', 'bookings_pkey']
    : []),
].sort();

describe('migration 007 on a database that already holds bookings', () => {
  let scratch: ScratchDatabase;
  let knex: Knex;
  let people: People;
  let bookingsBefore: Record<string, unknown>[];
  let changesBefore: Record<string, unknown>[];
  let highestBookingId: number;
  let highestChangeId: number;
  let applied: string[];

  beforeAll(async () => {
    scratch = await scratchDatabase();
    knex = scratch.knex;
    await migrateToBeforePayments(knex);
    people = await addPeople(knex);
    const [, ananya] = people.mentors;
    const [aarav, diya, kabir] = people.students;
    const moved = await insertId(knex, 'bookings', bookingRow(people, '2026-12-04T10:00:00Z'));
    const cancelled = await insertId(
      knex,
      'bookings',
      bookingRow(people, '2026-12-05T10:00:00Z', {
        student_id: diya,
        mentor_id: ananya,
        area_id: null,
        duration_minutes: 30,
        end_at: new Date('2026-12-05T10:30:00Z'),
        price_minor: 150050,
        status: 'cancelled',
        cancelled_at: new Date('2026-11-20T08:15:00Z'),
        cancellation_reason: 'Exam moved to that morning',
      }),
    );
    await insertId(
      knex,
      'bookings',
      bookingRow(people, '2026-11-10T10:00:00Z', { student_id: kabir, status: 'completed' }),
    );
    await insertId(knex, 'bookings', bookingRow(people, '2026-12-05T10:00:00Z', { student_id: aarav }));
    await insertId(knex, 'booking_changes', changeRow(moved));
    await insertId(
      knex,
      'booking_changes',
      changeRow(cancelled, {
        kind: 'cancelled',
        actor: 'admin',
        from_start_at: new Date('2026-12-05T10:00:00Z'),
        from_end_at: new Date('2026-12-05T10:30:00Z'),
        to_start_at: null,
        to_end_at: null,
        reason: 'Exam moved to that morning',
        from_price_minor: 150050,
        to_price_minor: null,
      }),
    );
    // Rows made before price history was kept have no prices.
    await insertId(
      knex,
      'booking_changes',
      changeRow(moved, { from_price_minor: null, to_price_minor: null }),
    );

    // The newest booking and change are deleted: their ids must still never be handed out again.
    const deletedBooking = await insertId(knex, 'bookings', bookingRow(people, '2026-12-06T10:00:00Z'));
    const deletedChange = await insertId(knex, 'booking_changes', changeRow(moved, { actor: 'admin' }));
    await knex('booking_changes').where({ id: deletedChange }).delete();
    await knex('bookings').where({ id: deletedBooking }).delete();
    highestBookingId = deletedBooking;
    highestChangeId = deletedChange;

    bookingsBefore = await allRows(knex, 'bookings');
    changesBefore = await allRows(knex, 'booking_changes');
    applied = await migrateThroughPayments(knex);
  });
  afterAll(() => scratch?.drop());

  it('applies 007 alone', () => {
    expect(applied).toEqual(['007_payment_holds']);
  });

  it('keeps every booking with its id and values, none of them held', async () => {
    const after = await allRows(knex, 'bookings');
    expect(bookingsBefore).toHaveLength(4);
    expect(after.map(({ hold_expires_at, ...columnsBefore }) => columnsBefore)).toEqual(bookingsBefore);
    expect(after.map((row) => row.hold_expires_at)).toEqual([null, null, null, null]);
    expect(after.find((row) => row.status === 'cancelled')).toMatchObject({
      price_minor: 150050,
      area_id: null,
      cancellation_reason: 'Exam moved to that morning',
    });
  });

  it('keeps every booking change with its id and values', async () => {
    expect(changesBefore).toHaveLength(3);
    expect(await allRows(knex, 'booking_changes')).toEqual(changesBefore);
  });

  it('never hands out an id again, not even one whose row was deleted', async () => {
    const bookingId = await insertId(knex, 'bookings', bookingRow(people, '2026-12-08T10:00:00Z'));
    const changeId = await insertId(knex, 'booking_changes', changeRow(bookingId));
    expect(bookingId).toBeGreaterThan(highestBookingId);
    expect(changeId).toBeGreaterThan(highestChangeId);
  });

  it('keeps the indexes under their names and adds the one for expiring holds', async () => {
    expect(await bookingsIndexNames(knex)).toEqual(
      [...INDEXES_BEFORE_PAYMENTS, 'bookings_holds_by_expiry'].sort(),
    );
  });

  it('keeps booking changes tied to the bookings table', async () => {
    await expect(knex('booking_changes').insert(changeRow(999_999))).rejects.toThrow(/foreign key/i);
    const withHistory = bookingsBefore.find((row) => row.status === 'cancelled')?.id;
    await knex('bookings').where({ id: withHistory }).delete();
    expect(await knex('booking_changes').where({ booking_id: withHistory })).toEqual([]);
  });

  it('does nothing when migrated again', async () => {
    const bookings = await allRows(knex, 'bookings');
    const definition = await bookingsDefinition(knex);
    expect(await migrateThroughPayments(knex)).toEqual([]);
    expect(await allRows(knex, 'bookings')).toEqual(bookings);
    expect(await bookingsDefinition(knex)).toEqual(definition);
  });
});

describe('the database guards held slots after 007', () => {
  let scratch: ScratchDatabase;
  let knex: Knex;
  let people: People;
  const holdUntil = new Date('2026-12-01T00:15:00Z');

  beforeAll(async () => {
    scratch = await scratchDatabase();
    knex = scratch.knex;
    await migrateThroughPayments(knex);
    people = await addPeople(knex);
  });
  afterAll(() => scratch?.drop());

  it('refuses a confirmed booking over a held slot, for the mentor and for the student', async () => {
    const [rohan, ananya] = people.mentors;
    const [aarav, diya] = people.students;
    await insertId(
      knex,
      'bookings',
      bookingRow(people, '2026-12-02T10:00:00Z', { status: 'pending_payment', hold_expires_at: holdUntil }),
    );
    await expectRefused(
      knex('bookings').insert(
        bookingRow(people, '2026-12-02T10:30:00Z', { mentor_id: rohan, student_id: diya }),
      ),
      mentorOverlap,
    );
    await expectRefused(
      knex('bookings').insert(
        bookingRow(people, '2026-12-02T10:30:00Z', { mentor_id: ananya, student_id: aarav }),
      ),
      studentOverlap,
    );
  });

  it('refuses a hold over a confirmed booking', async () => {
    const [, ananya] = people.mentors;
    const [, , kabir] = people.students;
    await insertId(
      knex,
      'bookings',
      bookingRow(people, '2026-12-03T10:00:00Z', { mentor_id: ananya, student_id: kabir }),
    );
    await expectRefused(
      knex('bookings').insert(
        bookingRow(people, '2026-12-03T10:59:00Z', {
          mentor_id: ananya,
          student_id: people.students[1],
          status: 'pending_payment',
          hold_expires_at: holdUntil,
        }),
      ),
      mentorOverlap,
    );
  });

  it('lets a hold become confirmed in place', async () => {
    const held = await insertId(
      knex,
      'bookings',
      bookingRow(people, '2026-12-09T10:00:00Z', { status: 'pending_payment', hold_expires_at: holdUntil }),
    );
    await knex('bookings').where({ id: held }).update({ status: 'confirmed' });
    expect(await knex('bookings').where({ id: held }).first()).toMatchObject({ status: 'confirmed' });
  });

  it('lets expired and cancelled bookings free their slot', async () => {
    const [rohan] = people.mentors;
    const [aarav, diya] = people.students;
    for (const [start, status] of [
      ['2026-12-10T10:00:00Z', 'expired'],
      ['2026-12-10T12:00:00Z', 'cancelled'],
    ] as const) {
      await insertId(
        knex,
        'bookings',
        bookingRow(people, start, {
          mentor_id: rohan,
          student_id: aarav,
          status,
          hold_expires_at: holdUntil,
        }),
      );
      await insertId(knex, 'bookings', bookingRow(people, start, { mentor_id: rohan, student_id: diya }));
    }
    const taken = await knex('bookings')
      .where({ mentor_id: rohan, status: 'confirmed' })
      .whereIn('student_id', [diya])
      .count({ count: '*' });
    expect(Number(taken[0]?.count)).toBe(2);
  });

  it('refuses turning an expired booking back into a confirmed one over a confirmed booking', async () => {
    const [rohan] = people.mentors;
    const [aarav] = people.students;
    const expired = await knex('bookings')
      .where({ mentor_id: rohan, student_id: aarav, status: 'expired' })
      .first();
    expect(expired).toBeDefined();
    await expectRefused(
      knex('bookings').where({ id: expired.id }).update({ status: 'confirmed' }),
      mentorOverlap,
    );
    expect(await knex('bookings').where({ id: expired.id }).first()).toMatchObject({ status: 'expired' });
  });

  it('refuses a hold without an expiry', async () => {
    await expectRefused(
      knex('bookings').insert(bookingRow(people, '2026-12-11T10:00:00Z', { status: 'pending_payment' })),
      checkRefusal('bookings_hold_has_expiry'),
    );
  });

  it('refuses an unknown status', async () => {
    await expectRefused(
      knex('bookings').insert(bookingRow(people, '2026-12-11T10:00:00Z', { status: 'bogus' })),
      checkRefusal('bookings_status_valid'),
    );
  });
});

describe('payments and payment events after 007', () => {
  let scratch: ScratchDatabase;
  let knex: Knex;
  let bookings: number[];

  const paymentRow = (bookingId: number, overrides: Record<string, unknown> = {}) => ({
    booking_id: bookingId,
    provider: 'stripe',
    status: 'pending',
    amount_minor: 400000,
    currency: 'INR',
    checkout_session_id: `cs_test_${bookingId}`,
    checkout_url: `https://checkout.stripe.test/c/pay/cs_test_${bookingId}`,
    checkout_expires_at: new Date('2026-12-01T00:30:00Z'),
    created_at: CREATED,
    updated_at: CREATED,
    ...overrides,
  });
  const eventRow = (eventId: string, bookingId: number | null) => ({
    event_id: eventId,
    provider: 'stripe',
    type: 'checkout.session.completed',
    booking_id: bookingId,
    outcome: 'confirmed',
    received_at: CREATED,
  });

  beforeAll(async () => {
    scratch = await scratchDatabase();
    knex = scratch.knex;
    await migrateThroughPayments(knex);
    const people = await addPeople(knex);
    bookings = [];
    for (const start of ['2026-12-02T10:00:00Z', '2026-12-02T12:00:00Z', '2026-12-02T14:00:00Z']) {
      bookings.push(
        await insertId(
          knex,
          'bookings',
          bookingRow(people, start, {
            status: 'pending_payment',
            hold_expires_at: new Date('2026-12-01T00:30:00Z'),
          }),
        ),
      );
    }
  });
  afterAll(() => scratch?.drop());

  it('records one payment per booking, with no refund attempted yet', async () => {
    const [first] = bookings as [number];
    const id = await insertId(knex, 'payments', paymentRow(first));
    expect(await knex('payments').where({ id }).first()).toMatchObject({
      booking_id: first,
      status: 'pending',
      refund_attempts: 0,
      refund_status: null,
      flag: null,
    });
    await expectRefused(
      knex('payments').insert(paymentRow(first, { checkout_session_id: 'cs_test_other' })),
      uniqueRefusal('payments.booking_id', 'payments_booking_id_unique'),
    );
  });

  it('refuses a checkout session recorded for two bookings, while many payments may have none', async () => {
    const [first, second, third] = bookings as [number, number, number];
    await expectRefused(
      knex('payments').insert(paymentRow(second, { checkout_session_id: `cs_test_${first}` })),
      uniqueRefusal('payments.checkout_session_id', 'payments_checkout_session_id_unique'),
    );
    await insertId(knex, 'payments', paymentRow(second, { checkout_session_id: null, checkout_url: null }));
    await insertId(knex, 'payments', paymentRow(third, { checkout_session_id: null, checkout_url: null }));
    expect(await knex('payments').whereNull('checkout_session_id').count({ count: '*' })).toEqual([
      { count: dbClient === 'pg' ? '2' : 2 },
    ]);
  });

  it('refuses an unknown payment status or refund status', async () => {
    const [first] = bookings as [number];
    await expectRefused(
      knex('payments').where({ booking_id: first }).update({ status: 'bogus' }),
      checkRefusal('payments_status_valid'),
    );
    await expectRefused(
      knex('payments').where({ booking_id: first }).update({ refund_status: 'bogus' }),
      checkRefusal('payments_refund_status_valid'),
    );
    await knex('payments')
      .where({ booking_id: first })
      .update({ status: 'refunded', refund_status: 'succeeded' });
  });

  it('keeps a booking with a payment from being deleted', async () => {
    const [first] = bookings as [number];
    await expect(knex('bookings').where({ id: first }).delete()).rejects.toThrow(/foreign key/i);
  });

  it('records each provider event once, whether or not it names a booking here', async () => {
    const [first] = bookings as [number];
    await knex('payment_events').insert(eventRow('evt_1', first));
    await knex('payment_events').insert(eventRow('evt_unknown_booking', 987_654));
    await expectRefused(
      knex('payment_events').insert(eventRow('evt_1', first)),
      uniqueRefusal('payment_events.event_id', 'payment_events_pkey'),
    );
    expect(await knex('payment_events').orderBy('event_id').pluck('event_id')).toEqual([
      'evt_1',
      'evt_unknown_booking',
    ]);
  });
});

describe('undoing 007', () => {
  let before: ScratchDatabase;
  let latest: ScratchDatabase;
  let definitionBefore: unknown;
  let definitionLatest: unknown;

  beforeAll(async () => {
    before = await scratchDatabase();
    latest = await scratchDatabase();
    await migrateToBeforePayments(before.knex);
    await migrateThroughPayments(latest.knex);
    definitionBefore = await bookingsDefinition(before.knex);
    definitionLatest = await bookingsDefinition(latest.knex);
  });
  afterAll(async () => {
    await before?.drop();
    await latest?.drop();
  });

  it('restores 006’s bookings on an empty database, and 007 applies again', async () => {
    const scratch = await scratchDatabase();
    try {
      await migrateThroughPayments(scratch.knex);
      expect(await migrateDownOne(scratch.knex)).toEqual(['007_payment_holds']);
      expect(await bookingsDefinition(scratch.knex)).toEqual(definitionBefore);
      expect(await scratch.knex.schema.hasTable('payments')).toBe(false);
      expect(await scratch.knex.schema.hasTable('payment_events')).toBe(false);
      expect(await migrateThroughPayments(scratch.knex)).toEqual(['007_payment_holds']);
      expect(await bookingsDefinition(scratch.knex)).toEqual(definitionLatest);
    } finally {
      await scratch.drop();
    }
  });

  it('keeps bookings and their history through down and up again', async () => {
    const scratch = await scratchDatabase();
    try {
      const { knex } = scratch;
      await migrateThroughPayments(knex);
      const people = await addPeople(knex);
      const kept = await insertId(knex, 'bookings', bookingRow(people, '2026-12-02T10:00:00Z'));
      await insertId(
        knex,
        'bookings',
        bookingRow(people, '2026-12-02T12:00:00Z', { status: 'cancelled', cancellation_reason: 'Unwell' }),
      );
      await insertId(knex, 'booking_changes', changeRow(kept));
      const bookingsAtLatest = await allRows(knex, 'bookings');
      const changes = await allRows(knex, 'booking_changes');

      await migrateDownOne(knex);
      expect(await allRows(knex, 'bookings')).toEqual(
        bookingsAtLatest.map(({ hold_expires_at, ...columnsBefore }) => columnsBefore),
      );
      expect(await allRows(knex, 'booking_changes')).toEqual(changes);
      // 006's guard is back: a confirmed booking still takes its slot, and holds do not exist.
      await expectRefused(
        knex('bookings').insert(
          bookingRow(people, '2026-12-02T10:30:00Z', { student_id: people.students[1] }),
        ),
        mentorOverlap,
      );
      await expectRefused(
        knex('bookings').insert(bookingRow(people, '2026-12-03T10:00:00Z', { status: 'expired' })),
        checkRefusal('bookings_status_valid'),
      );

      await migrateThroughPayments(knex);
      expect(await allRows(knex, 'bookings')).toEqual(bookingsAtLatest);
      expect(await allRows(knex, 'booking_changes')).toEqual(changes);
    } finally {
      await scratch.drop();
    }
  });

  it('is refused, clearly and without changing anything, while holds, expired bookings or payments exist', async () => {
    const scratch = await scratchDatabase();
    try {
      const { knex } = scratch;
      await migrateThroughPayments(knex);
      const people = await addPeople(knex);
      const held = await insertId(
        knex,
        'bookings',
        bookingRow(people, '2026-12-02T10:00:00Z', {
          status: 'pending_payment',
          hold_expires_at: new Date('2026-12-01T00:30:00Z'),
        }),
      );
      await expect(migrateDownOne(knex)).rejects.toThrow(
        'Cannot undo 007_payment_holds: 1 booking(s) are pending_payment or expired and 0 payment(s) are recorded',
      );

      await knex('bookings').where({ id: held }).update({ status: 'confirmed' });
      await knex('payments').insert({
        booking_id: held,
        provider: 'stripe',
        status: 'paid',
        amount_minor: 400000,
        currency: 'INR',
        created_at: CREATED,
        updated_at: CREATED,
      });
      await expect(migrateDownOne(knex)).rejects.toThrow(
        'Cannot undo 007_payment_holds: 0 booking(s) are pending_payment or expired and 1 payment(s) are recorded',
      );

      expect(await knex('knex_migrations').orderBy('id').pluck('name')).toContain('007_payment_holds');
      expect(await knex('payments').where({ booking_id: held }).first()).toMatchObject({ status: 'paid' });
      expect(await bookingsDefinition(knex)).toEqual(definitionLatest);
    } finally {
      await scratch.drop();
    }
  });
});
