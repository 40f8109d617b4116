import { defineConfig } from 'vitest/config';

/**
 * The whole suite runs on the default driver (better-sqlite3); everything that touches the database
 * runs again on the first backend's driver (sqlite3), and the whole suite again on PostgreSQL when
 * PG_TEST_URL names a server (each test app in a schema of its own). Without PG_TEST_URL the `pg`
 * project runs one file that reports those suites as skipped, and why. Last and alone, the
 * multi-process test starts real server processes on one database (PostgreSQL and SQLite).
 */
const pgTestUrl = process.env.PG_TEST_URL;
const separate = ['test/multiprocess/**', 'test/postgres/**'];

export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // In CI a JSON report per package lets .ci/run print one total for the whole repository.
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: 'test-results/vitest.json' }]]
      : ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'better-sqlite3',
          include: ['test/**/*.test.ts'],
          exclude: separate,
          env: { DB_CLIENT: 'better-sqlite3' },
        },
      },
      {
        extends: true,
        test: { name: 'sqlite3', include: ['test/http/**/*.test.ts'], env: { DB_CLIENT: 'sqlite3' } },
      },
      pgTestUrl
        ? {
            extends: true,
            test: {
              name: 'pg',
              include: ['test/**/*.test.ts'],
              exclude: separate,
              env: { DB_CLIENT: 'pg', PG_TEST_URL: pgTestUrl },
            },
          }
        : { extends: true, test: { name: 'pg', include: ['test/postgres/skipped.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'multiprocess',
          include: ['test/multiprocess/**/*.test.ts'],
          testTimeout: 240_000,
          hookTimeout: 240_000,
          // Its server processes need the machine's cores to themselves.
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
