import type { Knex } from 'knex';

function instantColumn(knex: Knex, table: Knex.CreateTableBuilder, name: string): Knex.ColumnBuilder {
  return knex.client.config.client === 'pg' ? table.timestamp(name, { useTz: true }) : table.bigInteger(name);
}

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('accounts', (table) => {
    table.increments('id').primary();
    table.string('email', 254).notNullable();
    table.string('email_normalized', 254).notNullable().unique();
    table.string('password_hash', 255).notNullable();
    table.string('role', 20).notNullable();
    table.integer('student_id').unsigned().nullable().unique().references('students.id').onDelete('CASCADE');
    table.integer('mentor_id').unsigned().nullable().unique().references('mentors.id').onDelete('CASCADE');
    instantColumn(knex, table, 'created_at').notNullable();
    table.check(
      "(role = 'student' AND student_id IS NOT NULL AND mentor_id IS NULL) OR (role = 'mentor' AND mentor_id IS NOT NULL AND student_id IS NULL) OR (role = 'admin' AND student_id IS NULL AND mentor_id IS NULL)",
      [],
      'accounts_role_links',
    );
  });

  // Only a hash of each token is kept: a leaked table does not let anyone in.
  await knex.schema.createTable('auth_tokens', (table) => {
    table.increments('id').primary();
    table.integer('account_id').unsigned().notNullable().references('accounts.id').onDelete('CASCADE');
    table.string('token_hash', 64).notNullable().unique();
    instantColumn(knex, table, 'created_at').notNullable();
    instantColumn(knex, table, 'expires_at').notNullable();
    instantColumn(knex, table, 'revoked_at').nullable();
    table.index(['account_id']);
  });

  // Failed logins per email, whether or not an account has it, so throttling reveals nothing.
  await knex.schema.createTable('login_attempts', (table) => {
    table.string('email_normalized', 254).primary();
    table.integer('failures').notNullable();
    instantColumn(knex, table, 'window_started_at').notNullable();
    instantColumn(knex, table, 'locked_until').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('login_attempts');
  await knex.schema.dropTableIfExists('auth_tokens');
  await knex.schema.dropTableIfExists('accounts');
}
