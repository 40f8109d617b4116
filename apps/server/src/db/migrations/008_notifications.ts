import type { Knex } from 'knex';

/**
 * Telling people about bookings. A booking change writes its event into `outbox_events` in the
 * transaction that makes the change, so an event exists exactly when the change does. Dispatchers
 * turn each event into `outbox_deliveries` (one per email recipient, reminder and subscribed webhook
 * endpoint; a unique key makes that step safe to repeat) and deliver them under a lease, recording
 * every try in `outbox_attempts`. `webhook_endpoints` are the third parties' subscriptions and
 * `calendar_feeds` the private subscription URLs of students and mentors (hashed, like tokens).
 */

const isPg = (knex: Knex) => knex.client.config.client === 'pg';

function instantColumn(knex: Knex, table: Knex.CreateTableBuilder, name: string): Knex.ColumnBuilder {
  return isPg(knex) ? table.timestamp(name, { useTz: true }) : table.bigInteger(name);
}

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('outbox_events', (table) => {
    table.increments('id').primary();
    table.string('type', 40).notNullable();
    table.integer('booking_id').unsigned().notNullable().references('bookings.id').onDelete('CASCADE');
    table.text('payload').notNullable().comment('JSON: the booking as the change left it');
    instantColumn(knex, table, 'occurred_at').notNullable();
    instantColumn(knex, table, 'fanned_out_at').nullable();
    table.index(['booking_id']);
  });
  await knex.raw('CREATE INDEX outbox_events_to_fan_out ON outbox_events (id) WHERE fanned_out_at IS NULL');

  await knex.schema.createTable('webhook_endpoints', (table) => {
    table.increments('id').primary();
    table.text('url').notNullable();
    table.text('events').notNullable().comment('JSON array of event types');
    table.string('secret', 100).notNullable();
    table.string('description', 200).nullable();
    instantColumn(knex, table, 'created_at').notNullable();
    instantColumn(knex, table, 'deleted_at').nullable();
  });

  await knex.schema.createTable('outbox_deliveries', (table) => {
    table.increments('id').primary();
    table.integer('event_id').unsigned().notNullable().references('outbox_events.id').onDelete('CASCADE');
    table.string('channel', 10).notNullable();
    table.string('recipient', 10).nullable().comment('student or mentor, for email');
    table
      .integer('webhook_endpoint_id')
      .unsigned()
      .nullable()
      .references('webhook_endpoints.id')
      .onDelete('CASCADE');
    table.string('kind', 20).notNullable().comment('the message: confirmed, reminder, … or the event type');
    table.integer('reminder_minutes').nullable();
    table.string('dedupe_key', 120).notNullable().unique();
    // `<uuid@host>`: as long as the host of PUBLIC_BASE_URL or MAIL_FROM makes it.
    table.text('message_id').notNullable();
    table.string('status', 10).notNullable().defaultTo('pending');
    table.integer('attempts').notNullable().defaultTo(0);
    instantColumn(knex, table, 'available_at').notNullable();
    instantColumn(knex, table, 'leased_until').nullable();
    table.string('leased_by', 64).nullable();
    table.text('last_error').nullable();
    instantColumn(knex, table, 'sent_at').nullable();
    instantColumn(knex, table, 'created_at').notNullable();
    instantColumn(knex, table, 'updated_at').notNullable();
    table.index(['event_id']);
    table.index(['webhook_endpoint_id', 'id']);
    table.index(['status', 'id']);
    table.check(
      "status IN ('pending', 'sent', 'failed', 'skipped') AND channel IN ('email', 'webhook')",
      [],
      'outbox_deliveries_valid',
    );
  });
  await knex.raw(
    "CREATE INDEX outbox_deliveries_due ON outbox_deliveries (available_at) WHERE status = 'pending'",
  );

  await knex.schema.createTable('outbox_attempts', (table) => {
    table.increments('id').primary();
    table
      .integer('delivery_id')
      .unsigned()
      .notNullable()
      .references('outbox_deliveries.id')
      .onDelete('CASCADE');
    instantColumn(knex, table, 'attempted_at').notNullable();
    table.integer('duration_ms').notNullable();
    table.boolean('succeeded').notNullable();
    table.integer('response_status').nullable();
    table.text('error').nullable();
    table.index(['delivery_id', 'id']);
  });

  await knex.schema.createTable('calendar_feeds', (table) => {
    table.integer('account_id').unsigned().primary().references('accounts.id').onDelete('CASCADE');
    table.string('token_hash', 64).notNullable().unique();
    instantColumn(knex, table, 'created_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const name of [
    'calendar_feeds',
    'outbox_attempts',
    'outbox_deliveries',
    'webhook_endpoints',
    'outbox_events',
  ]) {
    await knex.schema.dropTableIfExists(name);
  }
}
