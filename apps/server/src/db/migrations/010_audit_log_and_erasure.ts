import type { Knex } from 'knex';

/**
 * Running the service for real: `audit_log` records every change an admin or the operator token
 * makes (who, when, through which operation and request, the record before and after), and
 * `students.erased_at` marks a student whose personal data was erased on their request; their past
 * sessions stay under the same id for the mentors' and the platform's accounts.
 */

const isPg = (knex: Knex) => knex.client.config.client === 'pg';

function instantColumn(knex: Knex, table: Knex.TableBuilder, name: string): Knex.ColumnBuilder {
  return isPg(knex) ? table.timestamp(name, { useTz: true }) : table.bigInteger(name);
}

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('audit_log', (table) => {
    table.increments('id').primary();
    instantColumn(knex, table, 'at').notNullable();
    table.string('actor_role', 20).notNullable();
    table.string('actor_label', 120).notNullable();
    // No foreign key: an entry outlives the account that made it.
    table.integer('actor_account_id').nullable();
    table.string('request_id', 200).nullable();
    table.string('operation', 60).notNullable();
    table.string('target_type', 30).notNullable();
    table.integer('target_id').nullable();
    // Whose personal data the entry may hold: an erasure redacts the entries that name them.
    table.integer('student_id').nullable();
    table.text('before').nullable().comment('JSON');
    table.text('after').nullable().comment('JSON');
    table.index(['target_type', 'target_id', 'id']);
    table.index(['actor_account_id', 'id']);
    table.index(['operation', 'id']);
    table.index(['student_id']);
    table.index(['at', 'id']);
  });
  await knex.schema.alterTable('students', (table) => {
    instantColumn(knex, table, 'erased_at').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('students', (table) => table.dropColumn('erased_at'));
  await knex.schema.dropTable('audit_log');
}
