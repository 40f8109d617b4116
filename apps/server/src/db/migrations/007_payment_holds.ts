import type { Knex } from 'knex';
import * as boundedOverlapTriggers from './004_bounded_overlap_triggers.js';

/**
 * Paid sessions. A booking that needs payment starts as `pending_payment`, holding its slot until
 * `hold_expires_at`; paid in time it becomes `confirmed`, else `expired`. A held slot is as taken as a
 * confirmed one, so the overlap guards count both. The application expires overdue holds in the same
 * transaction before it writes, so the guards never read the clock. `payments` keeps what is due and
 * what the provider reported for each such booking; `payment_events` records each provider event
 * once, so a redelivered event is not applied twice.
 */

function instantColumn(knex: Knex, table: Knex.CreateTableBuilder, name: string): Knex.ColumnBuilder {
  return knex.client.config.client === 'pg' ? table.timestamp(name, { useTz: true }) : table.bigInteger(name);
}

const STATUSES_BEFORE_HOLDS = "status IN ('confirmed', 'cancelled', 'completed')";
const STATUSES_WITH_HOLDS = "status IN ('pending_payment', 'confirmed', 'cancelled', 'completed', 'expired')";
const HOLD_HAS_EXPIRY = "status <> 'pending_payment' OR hold_expires_at IS NOT NULL";
/** The statuses that occupy a slot. */
const SLOT_TAKING = "('confirmed', 'pending_payment')";

/** 004's bound: sessions last at most an hour, so one that overlaps another started less than a day before it. */
const DAY_MS = 86_400_000;

/** The columns bookings had before this migration, in their order. */
const COLUMNS_BEFORE_HOLDS = [
  'id',
  'student_id',
  'mentor_id',
  'area_id',
  'start_at',
  'end_at',
  'duration_minutes',
  'price_minor',
  'currency',
  'status',
  'created_at',
  'updated_at',
  'cancelled_at',
  'cancellation_reason',
] as const;

const isPg = (knex: Knex) => knex.client.config.client === 'pg';

export async function up(knex: Knex): Promise<void> {
  if (isPg(knex)) {
    await widenPgBookings(knex);
  } else {
    await rebuildSqliteBookings(knex, 'with holds');
    await createSqliteOverlapGuards(knex);
  }
  await knex.raw(
    "CREATE INDEX bookings_holds_by_expiry ON bookings (hold_expires_at) WHERE status = 'pending_payment'",
  );
  await createPaymentTables(knex);
}

/**
 * Refused while any row needs this migration's schema: 006's bookings have no place for a hold or an
 * expired booking, and dropping `payments` would lose the record of money taken.
 */
export async function down(knex: Knex): Promise<void> {
  await refuseDownWhileInUse(knex);
  await knex.schema.dropTable('payment_events');
  await knex.schema.dropTable('payments');
  await knex.raw('DROP INDEX bookings_holds_by_expiry');
  if (isPg(knex)) {
    await narrowPgBookings(knex);
  } else {
    await rebuildSqliteBookings(knex, 'before holds');
    // 004's own guards, exactly as 006 had them.
    await boundedOverlapTriggers.up(knex);
  }
}

async function createPaymentTables(knex: Knex): Promise<void> {
  await knex.schema.createTable('payments', (table) => {
    table.increments('id').primary();
    table
      .integer('booking_id')
      .unsigned()
      .notNullable()
      .unique()
      .references('bookings.id')
      .onDelete('RESTRICT');
    table.string('provider', 20).notNullable();
    table.string('status', 20).notNullable();
    table.integer('amount_minor').notNullable().comment('what is due, integer minor units (paise)');
    table.string('currency', 3).notNullable();
    table.string('checkout_session_id', 255).nullable().unique();
    table.text('checkout_url').nullable();
    instantColumn(knex, table, 'checkout_expires_at').nullable();
    table.string('payment_intent_id', 255).nullable();
    table.integer('paid_amount_minor').nullable().comment('what the provider reported paid (paise)');
    table.string('paid_currency', 3).nullable();
    instantColumn(knex, table, 'paid_at').nullable();
    table.string('refund_status', 20).nullable();
    table.integer('refund_amount_minor').nullable();
    table.string('refund_id', 255).nullable();
    instantColumn(knex, table, 'refund_requested_at').nullable();
    instantColumn(knex, table, 'refunded_at').nullable();
    table.integer('refund_attempts').notNullable().defaultTo(0);
    table.string('flag', 500).nullable().comment('why an admin should look at this payment');
    instantColumn(knex, table, 'created_at').notNullable();
    instantColumn(knex, table, 'updated_at').notNullable();
    table.index(['status', 'created_at']);
    table.index(['created_at', 'id']);
    table.check(
      "status IN ('pending', 'paid', 'expired', 'refunded', 'flagged')",
      [],
      'payments_status_valid',
    );
    table.check(
      "refund_status IS NULL OR refund_status IN ('pending', 'succeeded', 'failed')",
      [],
      'payments_refund_status_valid',
    );
  });
  // Only payments with a refund under way or done are looked up by refund status.
  await knex.raw(
    'CREATE INDEX payments_refund_status_index ON payments (refund_status) WHERE refund_status IS NOT NULL',
  );

  await knex.schema.createTable('payment_events', (table) => {
    table.string('event_id', 255).notNullable().primary();
    table.string('provider', 20).notNullable();
    table.string('type', 100).notNullable();
    // No foreign key: an event may name a booking this database does not have.
    table.integer('booking_id').nullable();
    table.string('outcome', 40).notNullable();
    instantColumn(knex, table, 'received_at').notNullable();
    table.index(['received_at']);
  });
}

async function refuseDownWhileInUse(knex: Knex): Promise<void> {
  const [bookings] = await knex('bookings')
    .whereIn('status', ['pending_payment', 'expired'])
    .count({ count: '*' });
  const [payments] = await knex('payments').count({ count: '*' });
  const holdsAndExpired = Number(bookings?.count ?? 0);
  const paymentRows = Number(payments?.count ?? 0);
  if (holdsAndExpired === 0 && paymentRows === 0) return;
  throw new Error(
    `Cannot undo 007_payment_holds: ${holdsAndExpired} booking(s) are pending_payment or expired and ` +
      `${paymentRows} payment(s) are recorded; the schema before payments cannot keep them. ` +
      'Resolve or remove them first.',
  );
}

async function widenPgBookings(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE bookings DROP CONSTRAINT bookings_status_valid');
  await knex.raw(`ALTER TABLE bookings ADD CONSTRAINT bookings_status_valid CHECK (${STATUSES_WITH_HOLDS})`);
  await knex.raw('ALTER TABLE bookings ADD COLUMN hold_expires_at timestamptz NULL');
  await knex.raw(`ALTER TABLE bookings ADD CONSTRAINT bookings_hold_has_expiry CHECK (${HOLD_HAS_EXPIRY})`);
  await replacePgExclusions(knex, `status IN ${SLOT_TAKING}`);
}

async function narrowPgBookings(knex: Knex): Promise<void> {
  await replacePgExclusions(knex, "status = 'confirmed'");
  await knex.raw('ALTER TABLE bookings DROP CONSTRAINT bookings_hold_has_expiry');
  await knex.raw('ALTER TABLE bookings DROP COLUMN hold_expires_at');
  await knex.raw('ALTER TABLE bookings DROP CONSTRAINT bookings_status_valid');
  await knex.raw(
    `ALTER TABLE bookings ADD CONSTRAINT bookings_status_valid CHECK (${STATUSES_BEFORE_HOLDS})`,
  );
}

async function replacePgExclusions(knex: Knex, slotTaking: string): Promise<void> {
  for (const [party, column] of [
    ['mentor', 'mentor_id'],
    ['student', 'student_id'],
  ] as const) {
    await knex.raw(`ALTER TABLE bookings DROP CONSTRAINT bookings_no_${party}_overlap`);
    await knex.raw(
      `ALTER TABLE bookings ADD CONSTRAINT bookings_no_${party}_overlap EXCLUDE USING gist (${column} WITH =, tstzrange(start_at, end_at, '[)') WITH &&) WHERE (${slotTaking})`,
    );
  }
}

/** 004's bounded guards, with a hold taking its slot as a confirmed booking does. */
async function createSqliteOverlapGuards(knex: Knex): Promise<void> {
  for (const [party, column] of [
    ['mentor', 'mentor_id'],
    ['student', 'student_id'],
  ] as const) {
    const overlapCheck = `
      SELECT RAISE(ABORT, 'booking_overlap_${party}')
      WHERE NEW.status IN ${SLOT_TAKING} AND EXISTS (
        SELECT 1 FROM bookings AS other
        WHERE other.${column} = NEW.${column}
          AND other.status IN ${SLOT_TAKING}
          AND other.id IS NOT NEW.id
          AND other.start_at < NEW.end_at
          AND NEW.start_at < other.end_at
          AND other.start_at > NEW.start_at - ${DAY_MS}
      );`;
    await knex.raw(`CREATE TRIGGER bookings_no_${party}_overlap_insert BEFORE INSERT ON bookings
      BEGIN ${overlapCheck} END`);
    await knex.raw(`CREATE TRIGGER bookings_no_${party}_overlap_update
      BEFORE UPDATE OF ${column}, start_at, end_at, status ON bookings
      BEGIN ${overlapCheck} END`);
  }
}

/**
 * SQLite cannot change a table's CHECK constraints, so `bookings` is rebuilt (SQLite's documented
 * procedure: new table, copy, drop, rename, then indexes and triggers), keeping every id.
 *
 * The migrations run in one transaction with foreign keys on, where `PRAGMA foreign_keys = OFF` does
 * nothing; dropping `bookings` then deletes every booking's history through booking_changes' ON
 * DELETE CASCADE. So that history is set aside in a temporary table first and put back, ids and all,
 * once the new `bookings` holds every row. (Renaming the old table aside instead would make SQLite
 * repoint booking_changes' foreign key at the table about to be dropped.)
 *
 * `id` is AUTOINCREMENT, so ids of deleted bookings are never handed out again: SQLite keeps the
 * highest id ever used in sqlite_sequence, and drops that row with the table. The copy only knows the
 * highest id still present, so the old value is carried over.
 */
async function rebuildSqliteBookings(knex: Knex, shape: 'with holds' | 'before holds'): Promise<void> {
  const withHolds = shape === 'with holds';
  const [sequence] = (await knex.raw("SELECT seq FROM sqlite_sequence WHERE name = 'bookings'")) as {
    seq: number;
  }[];

  await knex.raw('CREATE TEMP TABLE booking_changes_set_aside AS SELECT * FROM booking_changes');

  await knex.schema.createTable('bookings_rebuilt', (table) => {
    table.increments('id').primary();
    table.integer('student_id').unsigned().notNullable().references('students.id').onDelete('RESTRICT');
    table.integer('mentor_id').unsigned().notNullable().references('mentors.id').onDelete('RESTRICT');
    table.integer('area_id').unsigned().nullable().references('areas.id').onDelete('SET NULL');
    table.bigInteger('start_at').notNullable();
    table.bigInteger('end_at').notNullable();
    table.smallint('duration_minutes').notNullable();
    table.integer('price_minor').notNullable();
    table.string('currency', 3).notNullable();
    table.string('status', 20).notNullable();
    table.bigInteger('created_at').notNullable();
    table.bigInteger('updated_at').notNullable();
    table.bigInteger('cancelled_at').nullable();
    table.string('cancellation_reason', 500).nullable();
    if (withHolds) table.bigInteger('hold_expires_at').nullable();
    table.check(withHolds ? STATUSES_WITH_HOLDS : STATUSES_BEFORE_HOLDS, [], 'bookings_status_valid');
    table.check('start_at < end_at', [], 'bookings_time_order');
    if (withHolds) table.check(HOLD_HAS_EXPIRY, [], 'bookings_hold_has_expiry');
  });
  // hold_expires_at starts null (no booking is held yet), or is left behind going down.
  const columns = COLUMNS_BEFORE_HOLDS.join(', ');
  await knex.raw(`INSERT INTO bookings_rebuilt (${columns}) SELECT ${columns} FROM bookings`);

  await knex.raw('DROP TABLE bookings');
  await knex.raw('ALTER TABLE bookings_rebuilt RENAME TO bookings');
  if (sequence) {
    await knex.raw("DELETE FROM sqlite_sequence WHERE name = 'bookings'");
    await knex.raw("INSERT INTO sqlite_sequence (name, seq) VALUES ('bookings', ?)", [sequence.seq]);
  }

  await knex.raw('INSERT INTO booking_changes SELECT * FROM temp.booking_changes_set_aside');
  await knex.raw('DROP TABLE temp.booking_changes_set_aside');

  await knex.schema.alterTable('bookings', (table) => {
    table.index(['mentor_id', 'start_at'], 'bookings_mentor_id_start_at_index');
    table.index(['student_id', 'start_at'], 'bookings_student_id_start_at_index');
    table.index(['start_at', 'id'], 'bookings_start_at_id_index');
  });

  for (const rebuilt of ['bookings', 'booking_changes']) {
    const violations = (await knex.raw(`PRAGMA foreign_key_check(${rebuilt})`)) as unknown[];
    if (violations.length > 0) {
      throw new Error(
        `Rebuilding bookings left ${violations.length} broken reference(s) in ${rebuilt}: ${JSON.stringify(violations.slice(0, 5))}`,
      );
    }
  }
}
