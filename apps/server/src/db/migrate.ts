import type { Knex } from 'knex';
import { migrationSource } from './migrations/index.js';

/**
 * Brings the schema to the latest version. Never drops anything; knex's migration lock makes it
 * safe for several processes starting at once.
 */
export async function migrateToLatest(knex: Knex): Promise<string[]> {
  const [, applied] = (await knex.migrate.latest({ migrationSource })) as [number, string[]];
  return applied;
}

export const migratorConfig: Knex.MigratorConfig = { migrationSource };
