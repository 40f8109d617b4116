import { defineConfig } from 'vitest/config';

/**
 * The contract suites (test/contract): property-based fuzzing of every REST operation, and the
 * end-to-end run through Prism's validation proxy. They are slower than the unit and route tests and
 * run once, on the default driver, from scripts/contract-checks.sh (`npm run test:contract`), not
 * in every project of `npm test`; hence their own file name pattern (`*.contract.ts`).
 */
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['test/contract/**/*.contract.ts'],
    env: { DB_CLIENT: 'better-sqlite3' },
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    reporters: ['default'],
  },
});
