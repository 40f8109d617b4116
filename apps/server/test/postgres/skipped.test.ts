import { describe, it } from 'vitest';
import { pgSkipReason } from '../support/postgres.js';

/**
 * vitest.config.ts runs this file as the `pg` project only when PG_TEST_URL is unset, so that a run
 * without PostgreSQL says what it did not test instead of passing silently. CI always sets it.
 */
console.warn(pgSkipReason);

describe.skip(pgSkipReason, () => {
  it('the whole server suite with DB_CLIENT=pg, each test app in a schema of its own', () => {});
});
