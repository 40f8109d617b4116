import { defineConfig } from 'vitest/config';

/** What every package's tests share: workspace sources, generous timeouts, a JSON report in CI. */
export const sharedTestConfig = defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // In CI a JSON report per package lets .ci/run print one total for the whole repository.
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: 'test-results/vitest.json' }]]
      : ['default'],
  },
});
