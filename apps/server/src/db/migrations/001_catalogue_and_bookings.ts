import type { Knex } from 'knex';

/** Instants are epoch milliseconds on SQLite (integers compare fast in triggers) and timestamptz on PostgreSQL. */
function instantColumn(knex: Knex, table: Knex.CreateTableBuilder, name: string): Knex.ColumnBuilder {
  return knex.client.config.client === 'pg' ? table.timestamp(name, { useTz: true }) : table.bigInteger(name);
}

export async function up(knex: Knex): Promise<void> {
  const isPg = knex.client.config.client === 'pg';

  await knex.schema.createTable('areas', (table) => {
    table.increments('id').primary();
    table.string('name', 120).notNullable().unique();
    table.string('slug', 120).notNullable().unique();
  });

  await knex.schema.createTable('mentors', (table) => {
    table.increments('id').primary();
    table.string('name', 120).notNullable();
    table.string('headline', 280).nullable();
    table.boolean('is_premium').notNullable().defaultTo(false);
    table.string('timezone', 64).notNullable();
    table.integer('buffer_minutes').notNullable().defaultTo(0);
    table.integer('max_sessions_per_day').nullable();
    instantColumn(knex, table, 'created_at').notNullable();
    instantColumn(knex, table, 'updated_at').notNullable();
    table.index(['is_premium']);
  });

  await knex.schema.createTable('mentor_areas', (table) => {
    table.integer('mentor_id').unsigned().notNullable().references('mentors.id').onDelete('CASCADE');
    table.integer('area_id').unsigned().notNullable().references('areas.id').onDelete('RESTRICT');
    table.primary(['mentor_id', 'area_id']);
    table.index(['area_id', 'mentor_id']);
  });

  await knex.schema.createTable('availability_windows', (table) => {
    table.increments('id').primary();
    table.integer('mentor_id').unsigned().notNullable().references('mentors.id').onDelete('CASCADE');
    table.smallint('weekday').notNullable().comment('ISO weekday, 1 = Monday');
    table.smallint('start_minute').notNullable().comment('minutes after local midnight');
    table.smallint('end_minute').notNullable().comment('minutes after local midnight, up to 1440');
    table.index(['mentor_id']);
    table.check(
      'weekday BETWEEN 1 AND 7 AND start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute',
      [],
      'availability_windows_valid',
    );
  });

  await knex.schema.createTable('availability_overrides', (table) => {
    table.increments('id').primary();
    table.integer('mentor_id').unsigned().notNullable().references('mentors.id').onDelete('CASCADE');
    table.string('date', 10).notNullable().comment('YYYY-MM-DD in the mentor zone');
    table.smallint('start_minute').nullable().comment('null on the row that marks a day off');
    table.smallint('end_minute').nullable();
    table.index(['mentor_id', 'date']);
    table.check(
      '(start_minute IS NULL AND end_minute IS NULL) OR (start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute)',
      [],
      'availability_overrides_valid',
    );
  });

  await knex.schema.createTable('students', (table) => {
    table.increments('id').primary();
    table.string('name', 120).notNullable();
    table.string('email', 254).notNullable();
    table.string('email_normalized', 254).notNullable().unique();
    table.string('timezone', 64).notNullable();
    table.integer('area_of_interest_id').unsigned().nullable().references('areas.id').onDelete('SET NULL');
    instantColumn(knex, table, 'created_at').notNullable();
    instantColumn(knex, table, 'updated_at').notNullable();
  });

  await knex.schema.createTable('bookings', (table) => {
    table.increments('id').primary();
    table.integer('student_id').unsigned().notNullable().references('students.id').onDelete('RESTRICT');
    table.integer('mentor_id').unsigned().notNullable().references('mentors.id').onDelete('RESTRICT');
    table.integer('area_id').unsigned().nullable().references('areas.id').onDelete('SET NULL');
    instantColumn(knex, table, 'start_at').notNullable();
    instantColumn(knex, table, 'end_at').notNullable();
    table.smallint('duration_minutes').notNullable();
    table.integer('price_minor').notNullable().comment('integer minor units (paise)');
    table.string('currency', 3).notNullable();
    table.string('status', 20).notNullable();
    instantColumn(knex, table, 'created_at').notNullable();
    instantColumn(knex, table, 'updated_at').notNullable();
    instantColumn(knex, table, 'cancelled_at').nullable();
    table.index(['mentor_id', 'start_at']);
    table.index(['student_id', 'start_at']);
    table.index(['start_at', 'id']);
    table.check("status IN ('confirmed', 'cancelled', 'completed')", [], 'bookings_status_valid');
    table.check('start_at < end_at', [], 'bookings_time_order');
  });

  if (isPg) {
    await ensureBtreeGist(knex);
    await knex.raw(
      "ALTER TABLE bookings ADD CONSTRAINT bookings_no_mentor_overlap EXCLUDE USING gist (mentor_id WITH =, tstzrange(start_at, end_at, '[)') WITH &&) WHERE (status = 'confirmed')",
    );
    await knex.raw(
      "ALTER TABLE bookings ADD CONSTRAINT bookings_no_student_overlap EXCLUDE USING gist (student_id WITH =, tstzrange(start_at, end_at, '[)') WITH &&) WHERE (status = 'confirmed')",
    );
    return;
  }

  // SQLite: the database itself refuses an overlapping confirmed booking, whoever writes it.
  for (const [party, column] of [
    ['mentor', 'mentor_id'],
    ['student', 'student_id'],
  ] as const) {
    const overlapCheck = `
      SELECT RAISE(ABORT, 'booking_overlap_${party}')
      WHERE NEW.status = 'confirmed' AND EXISTS (
        SELECT 1 FROM bookings AS other
        WHERE other.${column} = NEW.${column}
          AND other.status = 'confirmed'
          AND other.id IS NOT NEW.id
          AND other.start_at < NEW.end_at
          AND NEW.start_at < other.end_at
      );`;
    await knex.raw(`CREATE TRIGGER bookings_no_${party}_overlap_insert BEFORE INSERT ON bookings
      BEGIN ${overlapCheck} END`);
    await knex.raw(`CREATE TRIGGER bookings_no_${party}_overlap_update
      BEFORE UPDATE OF ${column}, start_at, end_at, status ON bookings
      BEGIN ${overlapCheck} END`);
  }
}

/**
 * btree_gist lets one exclusion constraint mix `=` on an id with `&&` on a time range. An extension
 * exists once per database: when it is already there (in `public`, or wherever an operator put it)
 * this is a no-op, else it is created in the current schema. btree_gist is a trusted extension, so a
 * role with CREATE on the database may install it. Two schemas of one database migrating at the same
 * moment can both try; the loser's duplicate is harmless, hence the savepoint.
 */
async function ensureBtreeGist(knex: Knex): Promise<void> {
  try {
    await knex.transaction((savepoint) => savepoint.raw('CREATE EXTENSION IF NOT EXISTS btree_gist'));
  } catch (error) {
    const code = (error as { code?: string }).code;
    // 23505: unique violation on pg_extension's name (a concurrent CREATE EXTENSION won); 42710: exists.
    if (code !== '23505' && code !== '42710') throw error;
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'bookings',
    'students',
    'availability_overrides',
    'availability_windows',
    'mentor_areas',
    'mentors',
    'areas',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
