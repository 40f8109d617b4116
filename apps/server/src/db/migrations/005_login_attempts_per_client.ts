import type { Knex } from 'knex';

function instantColumn(knex: Knex, table: Knex.CreateTableBuilder, name: string): Knex.ColumnBuilder {
  return knex.client.config.client === 'pg' ? table.timestamp(name, { useTz: true }) : table.bigInteger(name);
}

/**
 * Login attempts are counted per (email, client address) and per email from all clients (the row
 * whose client is `*`), in fixed windows, before the password is checked: one atomic upsert per
 * row. The old per-email failure counter is dropped; at worst a lock in force at upgrade ends early.
 * Also indexes for the sweeper, which deletes by age.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.dropTable('login_attempts');
  await knex.schema.createTable('login_attempts', (table) => {
    table.string('email_normalized', 254).notNullable();
    table.string('client', 64).notNullable().comment('client address, or * for every client together');
    table.integer('attempts').notNullable();
    instantColumn(knex, table, 'window_ends_at').notNullable();
    table.primary(['email_normalized', 'client']);
    table.index(['window_ends_at']);
  });
  await knex.schema.alterTable('auth_tokens', (table) => {
    table.index(['expires_at']);
    table.index(['revoked_at']);
  });
  await knex.schema.alterTable('idempotency_keys', (table) => {
    table.index(['created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('idempotency_keys', (table) => {
    table.dropIndex(['created_at']);
  });
  await knex.schema.alterTable('auth_tokens', (table) => {
    table.dropIndex(['expires_at']);
    table.dropIndex(['revoked_at']);
  });
  await knex.schema.dropTable('login_attempts');
  await knex.schema.createTable('login_attempts', (table) => {
    table.string('email_normalized', 254).primary();
    table.integer('failures').notNullable();
    instantColumn(knex, table, 'window_started_at').notNullable();
    instantColumn(knex, table, 'locked_until').nullable();
  });
}
