import type { Knex } from 'knex';
import { SQLITE_STARTUP_WRITE_WAIT_MS, waitingForWritesUpTo } from './connection.js';
import { migrationSource } from './migrations/index.js';

/**
 * Brings the schema to the latest version. Never drops anything. Safe for several processes starting
 * at once: the whole run, including knex's creation of its own bookkeeping tables (which knex does
 * outside its migration lock, and which two processes could otherwise both attempt), happens in one
 * transaction that first excludes every other migrator. Latecomers wait, then find nothing to do.
 */
export async function migrateToLatest(knex: Knex): Promise<string[]> {
  const [, applied] = (await knex.transaction(async (trx) => {
    await excludeOtherMigrators(trx);
    return trx.migrate.latest({ migrationSource });
  }, waitingForWritesUpTo(SQLITE_STARTUP_WRITE_WAIT_MS))) as [number, string[]];
  return applied;
}

/**
 * PostgreSQL: a transaction-scoped advisory lock per schema (released at commit or rollback, also
 * when the process dies), then the configured schema is created if missing. SQLite: nothing to do,
 * the transaction began with BEGIN IMMEDIATE (see connection.ts) and so already holds the write lock.
 */
async function excludeOtherMigrators(trx: Knex.Transaction): Promise<void> {
  if (trx.client.config.client !== 'pg') return;
  const schema = (trx.client.config.searchPath as string[] | undefined)?.[0];
  // Migrations may take longer than a request may; waiting for another migrator too.
  await trx.raw('SET LOCAL statement_timeout = 0');
  await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`mentor-scheduling:migrate:${schema ?? ''}`]);
  if (schema) await trx.raw('CREATE SCHEMA IF NOT EXISTS ??', [schema]);
}

export const migratorConfig: Knex.MigratorConfig = { migrationSource };
