import { randomBytes } from 'node:crypto';
import knexFactory, { type Knex } from 'knex';

/**
 * The PostgreSQL server the `pg` suites run against (e.g. postgres://postgres@127.0.0.1:5432/test).
 * Unset: those suites are skipped, and say so.
 */
export const pgTestUrl: string | undefined = process.env.PG_TEST_URL || undefined;

export const pgSkipReason = 'PostgreSQL suites skipped: set PG_TEST_URL (e.g. npm run test:pg)';

function requiredPgUrl(): string {
  if (!pgTestUrl) throw new Error(`DB_CLIENT=pg needs a server: ${pgSkipReason}`);
  return pgTestUrl;
}

/** A short-lived connection outside any test schema, for creating and dropping schemas. */
export async function withPgAdmin<T>(use: (knex: Knex) => Promise<T>): Promise<T> {
  const knex = knexFactory({ client: 'pg', connection: requiredPgUrl(), pool: { min: 0, max: 1 } });
  try {
    return await use(knex);
  } finally {
    await knex.destroy();
  }
}

/** A pool on one test schema, for checks that read the tables directly. */
export function pgKnexFor(schema: string): Knex {
  return knexFactory({
    client: 'pg',
    connection: requiredPgUrl(),
    searchPath: [schema],
    pool: { min: 0, max: 2 },
  });
}

/**
 * btree_gist, once per database, in `public`: if the first test schema's migration created it in
 * that schema instead, dropping the schema would drop the extension and every other schema's
 * exclusion constraints with it. Concurrent workers may race here; a lost race means it exists.
 */
async function ensureBtreeGistInPublic(knex: Knex): Promise<void> {
  try {
    await knex.raw('CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public');
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== '23505' && code !== '42710') throw error;
  }
}

/** A fresh, empty schema `t_<random>` of its own for one test app (or one multi-process run). */
export async function createTestSchema(): Promise<string> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  await withPgAdmin(async (knex) => {
    await ensureBtreeGistInPublic(knex);
    await knex.raw('CREATE SCHEMA ??', [schema]);
  });
  return schema;
}

export async function dropTestSchema(schema: string): Promise<void> {
  await withPgAdmin((knex) => knex.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [schema]));
}
