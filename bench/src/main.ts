/**
 * `npm run bench`: builds a data set through the service's own routes, starts the real server in a
 * child process on it, and measures each scenario beside a bare-Fastify ceiling answering the same
 * bytes. Prints tables and PASS/FAIL lines; writes JSON under bench/results/. Exits non-zero only
 * when something crashes, never for a missed target.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchOptions, parseOptions } from './args.js';
import { bundleEntry } from './bundle.js';
import { ServerChild } from './child.js';
import {
  buildDataSet,
  type DatabaseTarget,
  type DataSet,
  type DataSetPlan,
  openApp,
  serverEnv,
} from './dataset.js';
import {
  type MetricsUnderLoad,
  metricsSummaryLines,
  type ScrapesDuringLoad,
  scrapeDuringLoad,
  scrapeMetrics,
  scrapesDuringLoadLine,
} from './metrics-summary.js';
import { type MicroResult, runSlotMicroBenchmark } from './micro.js';
import { type BenchOtlpReceiver, startOtlpReceiver } from './otlp-receiver.js';
import { formatProfileSummary, type ProfileSummary, summariseProfile } from './profile.js';
import {
  checkTargets,
  contentionTable,
  describeMachine,
  restTwinLine,
  type ScalingPoint,
  scalingTable,
  scenarioTable,
  targetLines,
} from './report.js';
import {
  BookingPool,
  type ContentionResult,
  paymentsScenario,
  readScenarios,
  runContention,
  runScenario,
  type Scenario,
  type ScenarioResult,
  writeScenarios,
} from './scenarios.js';

/** More bookings a second than the server makes here: each request needs a free slot of its own. */
const EXPECTED_BOOKINGS_PER_SECOND = 3500;

const resultsDir = fileURLToPath(new URL('../results/', import.meta.url));
const log = (line: string) => process.stdout.write(`${line}\n`);
const children = new Set<ServerChild>();
/** Where each child's entry is: a bundle (default) or the TypeScript source under tsx. */
const entries = { server: '', ceiling: '', stripe: '', tracing: '' };
/** `--otlp`: the receiver the traced servers export to. */
let otlp: BenchOtlpReceiver | undefined;

async function prepareEntries(options: BenchOptions, dir: string): Promise<void> {
  const srcDir = fileURLToPath(new URL('./', import.meta.url));
  if (options.tsxServer) {
    entries.server = join(srcDir, 'server-process.ts');
    entries.ceiling = join(srcDir, 'ceiling-process.ts');
    entries.stripe = join(srcDir, 'stripe-process.ts');
    entries.tracing = join(srcDir, 'tracing-preload.ts');
    return;
  }
  if (options.otlp) entries.tracing = await bundleEntry('tracing-preload.ts', join(dir, 'tracing.mjs'));
  entries.server = await bundleEntry('server-process.ts', join(dir, 'server.mjs'));
  entries.ceiling = await bundleEntry('ceiling-process.ts', join(dir, 'ceiling.mjs'));
  entries.stripe = await bundleEntry('stripe-process.ts', join(dir, 'stripe.mjs'));
}

async function startChild(script: string, env: Record<string, string>, flags: string[] = []) {
  const child = await ServerChild.start(script, env, flags);
  children.add(child);
  return child;
}

async function stopChild(child: ServerChild) {
  // The server's last batch of spans is exported on its schedule, before the stop ends the process.
  await otlp?.settled(1000);
  await child.stop();
  children.delete(child);
}

function databaseTarget(options: BenchOptions, dir: string, name: string): DatabaseTarget {
  if (options.driver !== 'pg') return { driver: options.driver, filename: join(dir, `${name}.sqlite`) };
  const databaseUrl = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!databaseUrl) {
    throw new Error(
      '--driver pg needs DATABASE_URL (or BENCH_DATABASE_URL): an empty PostgreSQL database to fill',
    );
  }
  return { driver: 'pg', filename: '', databaseUrl };
}

/** Builds a data set in-process through the app's routes, then closes the app so the child owns the file. */
async function prepareDataSet(target: DatabaseTarget, plan: DataSetPlan): Promise<DataSet> {
  const app = await openApp(target, plan.now);
  try {
    if (target.driver === 'pg') {
      const [row] = await app.db.knex('mentors').count({ count: '*' });
      if (Number(row?.count) > 0)
        throw new Error('DATABASE_URL must point at an empty database: it has mentors');
    }
    const dataSet = await buildDataSet(app, plan, log);
    await drainOutbox(app);
    return dataSet;
  } finally {
    await app.close();
  }
}

/**
 * Waits until this app's own outbox dispatcher has taken every event of the data set's bookings:
 * the bench measures a service in its steady state, not one still working off the history it was
 * just given (each round of that work is a write, which also renews every kept answer).
 */
async function drainOutbox(app: Awaited<ReturnType<typeof openApp>>): Promise<void> {
  const started = Date.now();
  for (;;) {
    const [row] = await app.db.knex('outbox_events').whereNull('fanned_out_at').count({ count: '*' });
    const waiting = Number(row?.count ?? 0);
    if (waiting === 0) break;
    if (Date.now() - started > 600_000)
      throw new Error(`The outbox still holds ${waiting} events after 10 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  log(`  outbox: every event of the data set taken by the dispatcher in ${Date.now() - started} ms`);
}

function startServer(
  target: DatabaseTarget,
  options: BenchOptions,
  profileDir?: string,
  extraEnv: Record<string, string> = {},
) {
  // --otlp: tracing starts in a preload, before the server's modules load (as main.ts starts it).
  const tracing: { env: Record<string, string>; flags: string[] } = otlp
    ? {
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
          OTEL_SERVICE_NAME: 'mentor-scheduling-bench',
          OTEL_BSP_SCHEDULE_DELAY: '200',
        },
        flags: ['--import', entries.tracing],
      }
    : { env: {}, flags: [] };
  return startChild(
    entries.server,
    {
      BENCH_SERVER_ENV: JSON.stringify({ ...serverEnv(target, options.logLevel), ...extraEnv }),
      BENCH_NOW: String(options.now),
      ...tracing.env,
    },
    [
      ...options.serverFlags,
      ...tracing.flags,
      ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    ],
  );
}

const STAND_IN_SECRET_KEY = 'sk_test_bench';

/**
 * The server with payments on, against a stand-in of Stripe in its own process. NODE_ENV=test: in
 * production the server refuses to talk to anything but Stripe itself (STRIPE_API_BASE).
 */
async function startPaymentsServer(target: DatabaseTarget, options: BenchOptions) {
  const stripe = await startChild(entries.stripe, {
    BENCH_NOW: String(options.now),
    BENCH_STRIPE_SECRET_KEY: STAND_IN_SECRET_KEY,
  });
  const server = await startServer(target, options, undefined, {
    NODE_ENV: 'test',
    PAYMENT_PROVIDER: 'stripe',
    STRIPE_SECRET_KEY: STAND_IN_SECRET_KEY,
    STRIPE_WEBHOOK_SECRET: 'whsec_bench',
    STRIPE_API_BASE: stripe.url,
    PUBLIC_BASE_URL: 'https://sessions.example.com',
  });
  return { stripe, server };
}

interface DefaultRun {
  dataSet: Omit<DataSet, 'freeBookings' | 'contention' | 'sessions' | 'mentors' | 'studentIds'> & {
    mentors: number;
    students: number;
    freeBookingsPrepared: number;
    freeBookingsUsed: number;
  };
  micro: MicroResult;
  scenarios: ScenarioResult[];
  contention: ContentionResult;
  /** The server's own metrics after the read and write scenarios and the contention run */
  metricsUnderLoad: MetricsUnderLoad;
  /** Scrapes taken every second while those ran: the peaks of the gauges */
  scrapesDuringLoad: ScrapesDuringLoad;
  peakRssBytes: number;
  profile?: { file: string; whole: ProfileSummary; byScenario: Record<string, ProfileSummary> };
}

async function runDefault(options: BenchOptions, runId: string, tmpDir: string): Promise<DefaultRun> {
  const target = databaseTarget(options, tmpDir, 'bench');
  log(`Building the data set through the service's routes (${options.driver}):`);
  // REST and tRPC bookings, then bookings with payments on.
  const expectedWrites = Math.max(
    2000,
    (options.duration + options.warmup) * 3 * EXPECTED_BOOKINGS_PER_SECOND,
  );
  const dataSet = await prepareDataSet(target, {
    now: options.now,
    mentors: options.mentors,
    areas: options.areas,
    students: options.students,
    apiBookings: options.bookings,
    bulkBookings: 0,
    days: options.days,
    freeBookings: expectedWrites,
    contentionSlots: 50,
    contentionStudents: 64,
    seed: 7,
  });

  log('\nMicro-benchmark of the domain code (slot computation, one area, 7 days):');
  const micro = runSlotMicroBenchmark(dataSet, options.now, options.smoke ? 0.3 : 2);
  log(
    `  ${micro.area}: ${micro.mentors} mentors, ${micro.busyIntervals} sessions, ${micro.msPerCallMedian} ms per call`,
  );

  const profileDir = options.profile ? join(resultsDir, 'profiles', runId) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  // A profiled bundle is kept beside its profile: the analyser maps its lines back to source files.
  await prepareEntries(options, profileDir ?? tmpDir);
  const server = await startServer(target, options, profileDir);
  const ceiling = await startChild(entries.ceiling, {});
  const settings = {
    connections: options.connections,
    duration: options.duration,
    warmup: options.warmup,
    profiling: options.profile,
    log,
  };
  log(
    `\nLoad: ${options.connections} connections, ${options.duration} s per scenario and per ceiling` +
      `${options.warmup ? ` (after ${options.warmup} s of warm-up each)` : ''}:`,
  );
  const [restPool, trpcPool, paymentsPool] = BookingPool.split(dataSet.freeBookings, 3) as [
    BookingPool,
    BookingPool,
    BookingPool,
  ];
  const pools = [restPool, trpcPool, paymentsPool];
  const scenarios: Scenario[] = [
    ...readScenarios(dataSet),
    ...writeScenarios({ rest: restPool, trpc: trpcPool }, runId),
  ];
  const results: ScenarioResult[] = [];
  const scraping = scrapeDuringLoad(server.url);
  for (const scenario of scenarios) {
    const result = await runScenario(scenario, server, ceiling, settings);
    results.push(result);
    const twin = restTwinLine(result, results);
    if (twin) log(`    over tRPC: ${twin}`);
  }
  const contention = await runContention(server, dataSet.contention, 64, log);
  const scrapesDuringLoad = await scraping.stop();
  const metricsUnderLoad = await scrapeMetrics(server.url);
  const peakRssBytes =
    (await server.memory()).peak ?? Math.max(...results.map((r) => r.real?.peakRssBytes ?? 0));
  await stopChild(server);

  const payments = await startPaymentsServer(target, options);
  results.push(await runScenario(paymentsScenario(paymentsPool, runId), payments.server, ceiling, settings));
  await stopChild(payments.server);
  await stopChild(payments.stripe);
  if (pools.some((pool) => pool.exhausted)) {
    log('  WARNING: the prepared free bookings ran out; repeated ones count as errors');
  }
  await stopChild(ceiling);

  let profile: DefaultRun['profile'];
  if (profileDir) {
    const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
    if (file) {
      const path = join(profileDir, file);
      const byScenario: Record<string, ProfileSummary> = {};
      for (const result of results) {
        if (result.profileWindow) byScenario[result.id] = summariseProfile(path, result.profileWindow);
      }
      profile = { file: path, whole: summariseProfile(path), byScenario };
    }
  }

  const {
    freeBookings,
    contention: _contention,
    sessions: _sessions,
    mentors,
    studentIds,
    ...facts
  } = dataSet;
  return {
    dataSet: {
      ...facts,
      mentors: mentors.length,
      students: studentIds.length,
      freeBookingsPrepared: freeBookings.length,
      freeBookingsUsed: pools.reduce((used, pool) => used + pool.used, 0),
    },
    micro,
    scenarios: results,
    contention,
    metricsUnderLoad,
    scrapesDuringLoad,
    peakRssBytes,
    ...(profile ? { profile } : {}),
  };
}

/** The mentors list at 50/200/1000 mentors and bookings at 1k/10k/100k existing rows, each on a fresh database. */
async function runScaling(options: BenchOptions, tmpDir: string): Promise<ScalingPoint[]> {
  const points: ScalingPoint[] = [];
  await prepareEntries(options, tmpDir);
  const ceiling = await startChild(entries.ceiling, {});
  const settings = {
    connections: options.connections,
    duration: options.duration,
    warmup: options.warmup,
    profiling: false,
    log,
  };
  const mentorSizes = options.smoke ? [5, 10] : [50, 200, 1000];
  const bookingSizes = options.smoke ? [100, 1000] : [1000, 10_000, 100_000];
  const basePlan = {
    now: options.now,
    areas: 40,
    apiBookings: 0,
    days: 60,
    contentionSlots: 0,
    contentionStudents: 0,
    seed: 7,
  };

  for (const mentors of mentorSizes) {
    log(`\nScaling: mentors list at ${mentors} mentors (${mentors * 50} bookings bulk-inserted)`);
    const target = databaseTarget(options, tmpDir, `mentors-${mentors}`);
    const dataSet = await prepareDataSet(target, {
      ...basePlan,
      mentors,
      students: 200,
      bulkBookings: mentors * 50,
      freeBookings: 0,
    });
    const server = await startServer(target, options);
    const [scenario] = readScenarios(dataSet);
    points.push({
      scenario: 'GET /api/mentors?area_of_expertise=…',
      size: `${mentors} mentors`,
      result: await runScenario(scenario as Scenario, server, ceiling, settings),
    });
    await stopChild(server);
  }

  for (const rows of bookingSizes) {
    log(`\nScaling: POST /api/bookings with ${rows} existing bookings (bulk-inserted)`);
    const target = databaseTarget(options, tmpDir, `bookings-${rows}`);
    const dataSet = await prepareDataSet(target, {
      ...basePlan,
      mentors: 200,
      students: Math.max(200, Math.ceil(rows / 50)),
      bulkBookings: rows,
      freeBookings: Math.max(2000, (options.duration + options.warmup) * EXPECTED_BOOKINGS_PER_SECOND),
    });
    const server = await startServer(target, options);
    const pool = new BookingPool(dataSet.freeBookings);
    const [scenario] = writeScenarios({ rest: pool, trpc: pool }, `scaling-${rows}`);
    points.push({
      scenario: 'POST /api/bookings',
      size: `${rows} rows`,
      result: await runScenario(scenario as Scenario, server, ceiling, settings),
    });
    await stopChild(server);
  }
  await stopChild(ceiling);
  return points;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const started = new Date();
  const runId = `${started.toISOString().replace(/[:.]/g, '-')}${options.scaling ? '-scaling' : ''}`;
  const tmpDir = join(resultsDir, 'tmp', runId);
  mkdirSync(tmpDir, { recursive: true });
  const machine = describeMachine(options);
  log(
    `Machine: ${machine.cpuModel} × ${machine.cpuCount}, ${machine.totalMemoryGiB} GiB, ${machine.os}, Node ${machine.node}, ` +
      `load average ${machine.loadAverageAtStart.join(' ')}`,
  );
  log(
    `Driver: ${options.driver}; server LOG_LEVEL=${options.logLevel}; pinned clock ${new Date(options.now).toISOString()}`,
  );
  if (options.otlp) {
    otlp = await startOtlpReceiver();
    log(`Tracing: servers export OTLP/HTTP to ${otlp.endpoint} (--otlp)`);
  }
  try {
    let report: Record<string, unknown>;
    if (options.scaling) {
      const points = await runScaling(options, tmpDir);
      log(
        '\nScaling curve (pre-existing rows of the scaling runs were bulk-inserted with knex, not booked through the API):',
      );
      log(scalingTable(points));
      report = { kind: 'scaling', points };
    } else {
      const run = await runDefault(options, runId, tmpDir);
      log(
        `\nResults (${options.driver}; ratio = req/s of the server / req/s of a bare Fastify route answering the same bytes; ` +
          `"vs REST" = req/s of a tRPC read / req/s of the same read over REST; ` +
          `"p50 vs" / "p99 vs" = latency of the server / latency of the ceiling):`,
      );
      log(scenarioTable(run.scenarios));
      log('');
      log(contentionTable(run.contention));
      log('');
      log(metricsSummaryLines(run.metricsUnderLoad).join('\n'));
      log(scrapesDuringLoadLine(run.scrapesDuringLoad));
      if (run.profile) {
        log(`\nProfile: ${run.profile.file}`);
        for (const [id, summary] of Object.entries(run.profile.byScenario))
          log(formatProfileSummary(id, summary));
      }
      const targets = checkTargets(
        run.scenarios,
        run.micro,
        run.peakRssBytes,
        options.connections,
        options.driver,
      );
      log('\nTargets:');
      log(targetLines(targets));
      report = { kind: 'default', ...run, targets };
    }
    if (otlp) {
      const received = otlp.summary();
      log(
        `\nTraces: ${received.spans} spans in ${received.exports} exports from ${received.services.join(', ')}; ` +
          `by instrumentation: ${Object.entries(received.byScope)
            .map(([scope, count]) => `${scope} ${count}`)
            .join(
              ', ',
            )}; ${received.serverSpans} server spans, ${received.clientHttpSpans} outgoing HTTP spans`,
      );
      report.otlp = received;
    }
    const finished = new Date();
    const document = {
      runId,
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      seconds: Math.round((finished.getTime() - started.getTime()) / 1000),
      machine: { ...machine, loadAverageAtEnd: loadavg().map((value) => Math.round(value * 100) / 100) },
      options,
      ...report,
    };
    const json = `${JSON.stringify(document, null, 2)}\n`;
    writeFileSync(join(resultsDir, `${runId}.json`), json);
    writeFileSync(join(resultsDir, options.scaling ? 'latest-scaling.json' : 'latest.json'), json);
    log(`\nWrote bench/results/${runId}.json (${document.seconds} s in all)`);
  } finally {
    for (const child of children) await child.stop().catch(() => undefined);
    await otlp?.close();
    if (!options.keepDatabase) rmSync(tmpDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('Benchmark crashed:', error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
