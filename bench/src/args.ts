import { parseArgs } from 'node:util';
import { productionNodeFlags } from './production-flags.js';

export type Driver = 'better-sqlite3' | 'sqlite3' | 'pg';

export interface BenchOptions {
  mentors: number;
  areas: number;
  bookings: number;
  students: number;
  days: number;
  /** Seconds measured per scenario (each ceiling gets as long). */
  duration: number;
  /** Seconds of unrecorded load before each measurement, so both servers run JIT-compiled code. */
  warmup: number;
  connections: number;
  driver: Driver;
  smoke: boolean;
  scaling: boolean;
  profile: boolean;
  logLevel: string;
  /** The pinned clock of the data set and of the server ("now"), epoch ms. */
  now: number;
  keepDatabase: boolean;
  /** Run the servers under the tsx loader instead of as bundles on bare node. */
  tsxServer: boolean;
  /** Extra Node flags for the server process, e.g. `--max-semi-space-size=8`. */
  serverFlags: string[];
  /** Trace the server under test to a local OTLP receiver, and report the spans it got. */
  otlp: boolean;
}

const usage = `npm run bench -- [flags]

  --mentors N        mentors in the data set (200)
  --areas N          areas of expertise, at most 40 (40)
  --bookings N       bookings made through POST /api/bookings before measuring (10000)
  --students N       students (default: max(200, bookings / 10))
  --days N           days of weekly availability the bookings spread over (60)
  --duration S       seconds measured per scenario and per ceiling (10)
  --warmup S         seconds of unrecorded load before each measurement (1)
  --connections N    concurrent connections of the load generator (32)
  --driver D         better-sqlite3 | sqlite3 | pg (pg needs DATABASE_URL of an empty database)
  --smoke            tiny sizes and 1 s scenarios: checks that everything runs (CI)
  --scaling          the scaling curve: mentors list at 50/200/1000 mentors, bookings at 1k/10k/100k rows
  --profile          run the server with --cpu-prof and summarise where its time goes per scenario
  --log-level L      the server's LOG_LEVEL (warn; info logs every request)
  --now ISO          pinned clock of the data set and the server (2026-06-01T00:00:00Z, a Monday)
  --keep-database    keep the temporary database files under bench/results/tmp/
  --server-flags F   extra Node flags for the server process, space-separated, after those of apps/server's
                     start script (e.g. --server-flags=--max-old-space-size=256)
  --otlp             run the servers with OpenTelemetry tracing on, exporting to an OTLP/HTTP receiver the
                     bench starts, and report the spans received (compare with a run without it)
  --tsx-server       run the server under the tsx loader (adds ~40 MB RSS: a loader thread) instead of
                     as an esbuild bundle of its sources on bare node
`;

function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a whole number, got ${text}`);
  return value;
}

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      mentors: { type: 'string' },
      areas: { type: 'string' },
      bookings: { type: 'string' },
      students: { type: 'string' },
      days: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      driver: { type: 'string' },
      smoke: { type: 'boolean', default: false },
      scaling: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      'log-level': { type: 'string' },
      now: { type: 'string' },
      'keep-database': { type: 'boolean', default: false },
      'tsx-server': { type: 'boolean', default: false },
      otlp: { type: 'boolean', default: false },
      'server-flags': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(usage);
    process.exit(0);
  }
  const smoke = values.smoke ?? false;
  const driver = (values.driver ?? 'better-sqlite3') as Driver;
  if (!['better-sqlite3', 'sqlite3', 'pg'].includes(driver)) {
    throw new Error(`--driver must be better-sqlite3, sqlite3 or pg, got ${driver}`);
  }
  const mentors = positiveInt('mentors', values.mentors, smoke ? 12 : 200);
  const bookings = positiveInt('bookings', values.bookings, smoke ? 100 : 10_000);
  const duration = positiveInt('duration', values.duration, smoke ? 1 : 10);
  const now = Date.parse(values.now ?? '2026-06-01T00:00:00Z');
  if (Number.isNaN(now)) throw new Error(`--now must be an ISO date-time, got ${values.now}`);
  const options: BenchOptions = {
    mentors,
    areas: Math.min(40, positiveInt('areas', values.areas, smoke ? 6 : 40)),
    bookings,
    students: positiveInt('students', values.students, Math.max(smoke ? 40 : 200, Math.ceil(bookings / 10))),
    days: positiveInt('days', values.days, smoke ? 14 : 60),
    duration,
    warmup: positiveInt('warmup', values.warmup, smoke ? 0 : 1),
    connections: positiveInt('connections', values.connections, smoke ? 8 : 32),
    driver,
    smoke,
    scaling: values.scaling ?? false,
    profile: values.profile ?? false,
    logLevel: values['log-level'] ?? 'warn',
    now,
    keepDatabase: values['keep-database'] ?? false,
    tsxServer: values['tsx-server'] ?? false,
    otlp: values.otlp ?? false,
    serverFlags: [...productionNodeFlags(), ...(values['server-flags'] ?? '').split(' ').filter(Boolean)],
  };
  if (options.mentors < 1 || options.areas < 1 || options.duration < 1 || options.connections < 1) {
    throw new Error('--mentors, --areas, --duration and --connections must be at least 1');
  }
  return options;
}
