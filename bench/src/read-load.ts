/**
 * Memory under the heaviest anonymous reads: a sequence of valid requests, each for a new window (so
 * nothing is served from kept answers twice), sent to the server in its own process with the
 * production Node flags (bounded heap), on 200 mentors. Reports the server's peak resident memory
 * (the kernel's high-water mark) and the answers' statuses. The target: peak RSS under 200 MB.
 *
 *   npx tsx --conditions=source src/read-load.ts [--requests 400] [--concurrency 8] [--page 51]
 *
 * `--page` is the mentors page size asked for over 31 days (51 is the largest the server accepts;
 * 200 repeats the audit's sequence, which the server now refuses with 400).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleEntry } from './bundle.js';
import { AREA_NAMES, DAY_MS, MINUTE_MS } from './catalogue.js';
import { ServerChild, sampleMemory } from './child.js';
import { buildDataSet, type DatabaseTarget, openApp, serverEnv } from './dataset.js';
import { productionNodeFlags } from './production-flags.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? (args[index + 1] ?? fallback) : fallback;
};
const requests = Number(option('requests', '400'));
const concurrency = Number(option('concurrency', '8'));
const page = Number(option('page', '51'));
const MB = 1024 * 1024;
const now = Date.parse('2026-06-01T00:00:00Z');

const dir = fileURLToPath(new URL(`../results/tmp/read-load-${process.pid}/`, import.meta.url));
mkdirSync(dir, { recursive: true });
const target: DatabaseTarget = { driver: 'better-sqlite3', filename: join(dir, 'db.sqlite') };

const iso = (instant: number) => new Date(instant).toISOString();

/** The k-th request: every kind of costly read in turn, each over a window no earlier request used. */
function requestPath(k: number): string {
  const from = now + 3 * 60 * MINUTE_MS + k * MINUTE_MS;
  const area = encodeURIComponent(AREA_NAMES[k % 40] ?? 'Equity Research');
  switch (k % 4) {
    case 0:
      // By default the largest page allowed over the longest window (51 mentors × 31 days).
      return `/api/mentors?limit=${page}&from=${iso(from)}&to=${iso(from + 31 * DAY_MS)}`;
    case 1:
      return `/api/mentors?limit=200&from=${iso(from)}&to=${iso(from + 7 * DAY_MS)}`;
    case 2:
      return `/api/slots?area_of_expertise=${area}&from=${iso(from)}&to=${iso(from + 31 * DAY_MS)}&timezone=America/New_York`;
    default:
      return `/api/mentors/${(k % 200) + 1}/slots?from=${iso(from)}&to=${iso(from + 31 * DAY_MS)}`;
  }
}

const log = (line: string) => process.stderr.write(`${line}\n`);
log('Building 200 mentors through the service (better-sqlite3):');
const app = await openApp(target, now);
try {
  await buildDataSet(
    app,
    {
      now,
      mentors: 200,
      areas: 40,
      students: 50,
      apiBookings: 500,
      bulkBookings: 0,
      days: 30,
      freeBookings: 0,
      contentionSlots: 0,
      contentionStudents: 0,
      seed: 7,
    },
    log,
  );
} finally {
  await app.close();
}

const server = await ServerChild.start(
  await bundleEntry('server-process.ts', join(dir, 'server.mjs')),
  { BENCH_SERVER_ENV: JSON.stringify(serverEnv(target, 'error')), BENCH_NOW: String(now) },
  productionNodeFlags(),
);
try {
  const idle = await server.memory();
  const sampler = sampleMemory(server, 50);
  const statuses: Record<number, number> = {};
  let bytes = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        const response = await fetch(`${server.url}${requestPath(next++)}`);
        bytes += (await response.arrayBuffer()).byteLength;
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      }
    }),
  );
  const sampledPeak = await sampler.stop();
  const { peak } = await server.memory();
  console.log(
    JSON.stringify({
      requests,
      concurrency,
      page,
      seconds: Math.round(performance.now() - started) / 1000,
      statuses,
      answeredMB: Math.round(bytes / MB),
      idleRssMB: Math.round(idle.rss / MB),
      peakRssMB: Math.round(Math.max(peak ?? 0, sampledPeak) / MB),
      serverAlive: server.process.exitCode === null,
    }),
  );
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
