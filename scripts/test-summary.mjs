// Adds up the vitest JSON reports of every package into one closing line for CI.
import { existsSync, readFileSync } from 'node:fs';

// The web app runs two suites: its components, then the end-to-end run in Chromium.
const reports = [
  'packages/contracts/test-results/vitest.json',
  'packages/client/test-results/vitest.json',
  'apps/server/test-results/vitest.json',
  'apps/web/test-results/vitest.json',
  'apps/web/test-results/vitest-e2e.json',
]
  .filter((file) => existsSync(file))
  .map((file) => JSON.parse(readFileSync(file, 'utf8')));

const sum = (key) => reports.reduce((total, report) => total + (report[key] ?? 0), 0);
const passed = sum('numPassedTests');
const failed = sum('numFailedTests');
const skipped = sum('numPendingTests') + sum('numTodoTests');
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
