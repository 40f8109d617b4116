import { defineConfig } from 'vitest/config';

/**
 * The whole suite runs on the default driver (better-sqlite3); everything that touches the database
 * runs again on the first backend's driver (sqlite3), so both are proven by the same tests.
 */
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
          env: { DB_CLIENT: 'better-sqlite3' },
        },
      },
      {
        extends: true,
        test: { name: 'sqlite3', include: ['test/http/**/*.test.ts'], env: { DB_CLIENT: 'sqlite3' } },
      },
    ],
  },
});
