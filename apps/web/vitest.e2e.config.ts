import { defineConfig } from 'vitest/config';

// The end-to-end suite: the real built server and the built app in Debian's Chromium (see e2e/).
// Kept apart from the component tests, which run in jsdom.
export default defineConfig({
  test: {
    name: 'e2e',
    environment: 'node',
    include: ['e2e/**/*.e2e.ts'],
    globalSetup: ['e2e/support/global-setup.ts'],
    // One server and one browser at a time on a small machine; the journeys also build on each other.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Stopping the server waits for it to exit (at most 5 s before it is killed) and removes its files.
    teardownTimeout: 15_000,
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: 'test-results/vitest-e2e.json' }]]
      : ['default'],
  },
});
