import type { Knex } from 'knex';

function instantColumn(knex: Knex, table: Knex.CreateTableBuilder, name: string): Knex.ColumnBuilder {
  return knex.client.config.client === 'pg' ? table.timestamp(name, { useTz: true }) : table.bigInteger(name);
}

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('bookings', (table) => {
    table.string('cancellation_reason', 500).nullable();
  });

  await knex.schema.createTable('booking_changes', (table) => {
    table.increments('id').primary();
    table.integer('booking_id').unsigned().notNullable().references('bookings.id').onDelete('CASCADE');
    table.string('kind', 20).notNullable();
    table.string('actor', 120).notNullable();
    instantColumn(knex, table, 'at').notNullable();
    instantColumn(knex, table, 'from_start_at').notNullable();
    instantColumn(knex, table, 'from_end_at').notNullable();
    instantColumn(knex, table, 'to_start_at').nullable();
    instantColumn(knex, table, 'to_end_at').nullable();
    table.string('reason', 500).nullable();
    table.index(['booking_id', 'id']);
    table.check("kind IN ('cancelled', 'rescheduled')", [], 'booking_changes_kind_valid');
  });

  await knex.schema.createTable('student_preferred_windows', (table) => {
    table.increments('id').primary();
    table.integer('student_id').unsigned().notNullable().references('students.id').onDelete('CASCADE');
    table.smallint('weekday').notNullable();
    table.smallint('start_minute').notNullable();
    table.smallint('end_minute').notNullable();
    table.index(['student_id']);
    table.check(
      'weekday BETWEEN 1 AND 7 AND start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute',
      [],
      'student_preferred_windows_valid',
    );
  });

  // The first answer to a request sent with an Idempotency-Key, kept so retries (from any process,
  // after any restart) get it again instead of acting twice.
  await knex.schema.createTable('idempotency_keys', (table) => {
    table.string('scope', 160).notNullable().comment('operation and caller the key belongs to');
    table.string('key', 200).notNullable();
    table.string('request_hash', 64).notNullable();
    table.integer('status_code').notNullable();
    table.text('response_body').notNullable();
    instantColumn(knex, table, 'created_at').notNullable();
    table.primary(['scope', 'key']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('idempotency_keys');
  await knex.schema.dropTableIfExists('student_preferred_windows');
  await knex.schema.dropTableIfExists('booking_changes');
  await knex.schema.alterTable('bookings', (table) => {
    table.dropColumn('cancellation_reason');
  });
}
