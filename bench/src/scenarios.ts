import { type ServerChild, sampleMemory } from './child.js';
import { adminHeaders, type BookingRequest, type DataSet } from './dataset.js';
import { type LoadRequest, type LoadResult, runLoad } from './load.js';

export interface Scenario {
  id: string;
  title: string;
  kind: 'read' | 'write';
  /** For a tRPC call: the scenario of the same operation over REST, which it is compared with. */
  restTwin?: string;
  /** Null when the server does not offer the operation yet; the reason is given instead. */
  unavailable?: string;
  requestAt(n: number): LoadRequest;
  /** What the ceiling is sent; by default the same as the server. Writes re-send bodies already used. */
  ceilingRequestAt?(n: number): LoadRequest;
  /** The distinct requests whose answers the ceiling must serve (reads: each URL; writes: one). */
  distinct(): LoadRequest[];
}

export interface ScenarioResult {
  id: string;
  title: string;
  kind: 'read' | 'write';
  restTwin?: string;
  available: boolean;
  note?: string;
  real?: LoadResult & {
    peakRssBytes: number;
    /** SQL statements the server ran per request, from knex's query events. */
    queriesPerRequest: number;
    /** Writes per SQLite group commit (better-sqlite3), null when none was made. */
    unitsPerCommit: number | null;
    /** The server's process.memoryUsage() right after the measurement, in MB. */
    memoryMB: Record<string, number>;
  };
  ceiling?: LoadResult;
  /** real / ceiling for requests per second; ceiling-relative multiples for latency. */
  ratios?: { rps: number; p50: number; p99: number };
  profileWindow?: { fromMicros: number; toMicros: number };
}

const cycle = <T>(items: readonly T[], n: number): T => items[n % items.length] as T;

/**
 * Hands out each prepared free booking once, to one write scenario and its warm-up: each scenario has
 * a pool of its own, so one that runs out never hands another a slot already booked.
 */
export class BookingPool {
  private next = 0;
  exhausted = false;

  constructor(private readonly bookings: readonly BookingRequest[]) {}

  /** The prepared bookings dealt into `count` pools of (nearly) equal size. */
  static split(bookings: readonly BookingRequest[], count: number): BookingPool[] {
    return Array.from(
      { length: count },
      (_, index) => new BookingPool(bookings.filter((_, position) => position % count === index)),
    );
  }

  take(): BookingRequest {
    if (this.next >= this.bookings.length) this.exhausted = true;
    return this.bookings[this.next++ % this.bookings.length] as BookingRequest;
  }

  get used(): number {
    return this.next;
  }

  /** A booking already handed out (or the first ones), for requests that create nothing. */
  peek(n: number): BookingRequest {
    return this.bookings[n % Math.max(1, Math.min(this.next, this.bookings.length))] as BookingRequest;
  }
}

export function readScenarios(dataSet: DataSet): Scenario[] {
  const areaUrls = dataSet.areas.map((area) => `/api/mentors?area_of_expertise=${encodeURIComponent(area)}`);
  const slotUrls = dataSet.mentors.map((mentor) => `/api/mentors/${mentor.id}/slots`);
  const searchUrls = dataSet.areas.map(
    (area) => `/api/slots?area_of_expertise=${encodeURIComponent(area)}&duration=30`,
  );
  const trpcUrl = (procedure: string, input: object) =>
    `/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`;
  const trpcListUrls = dataSet.areas.map((area) => trpcUrl('mentors.list', { area_of_expertise: area }));
  const trpcSlotUrls = dataSet.mentors.map((mentor) => trpcUrl('mentors.slots', { id: mentor.id }));
  const trpcSearchUrls = dataSet.areas.map((area) =>
    trpcUrl('slots.search', { area_of_expertise: area, duration: 30 }),
  );
  const get = (path: string): LoadRequest => ({ method: 'GET', path });
  const readOf = (
    id: string,
    title: string,
    urls: string[],
    options: { unavailable?: string | undefined; restTwin?: string } = {},
  ): Scenario => ({
    id,
    title,
    kind: 'read',
    ...(options.unavailable ? { unavailable: options.unavailable } : {}),
    ...(options.restTwin ? { restTwin: options.restTwin } : {}),
    requestAt: (n) => get(cycle(urls, n)),
    distinct: () => urls.map(get),
  });
  const noSlotSearch = dataSet.slotsRouteAvailable
    ? undefined
    : 'not available: GET /api/slots answers 404 route_not_found';
  // Each read REST serves is measured over tRPC too, right after, and compared with it.
  return [
    readOf('rest.mentors.list', 'GET /api/mentors?area_of_expertise=…', areaUrls),
    readOf('trpc.mentors.list', 'GET /trpc/mentors.list?input=…', trpcListUrls, {
      restTwin: 'rest.mentors.list',
    }),
    readOf('rest.mentors.slots', 'GET /api/mentors/{id}/slots', slotUrls),
    readOf('trpc.mentors.slots', 'GET /trpc/mentors.slots?input={"id":…}', trpcSlotUrls, {
      restTwin: 'rest.mentors.slots',
    }),
    readOf('rest.slots.search', 'GET /api/slots?area_of_expertise=…&duration=30', searchUrls, {
      unavailable: noSlotSearch,
    }),
    readOf('trpc.slots.search', 'GET /trpc/slots.search?input=…', trpcSearchUrls, {
      unavailable: noSlotSearch,
      restTwin: 'rest.slots.search',
    }),
  ];
}

/**
 * Each booking carries its own idempotency key, as the web app's do (one per confirmation): the key
 * is looked up and the answer stored with the booking, in its transaction.
 */
export function writeScenarios(pools: { rest: BookingPool; trpc: BookingPool }, runId: string): Scenario[] {
  let keys = 0;
  const nextKey = () => `bench-${runId}-${++keys}`;
  const rest = restBooking(pools.rest, nextKey);
  const trpc = (): LoadRequest => ({
    method: 'POST',
    path: '/trpc/bookings.create',
    headers: adminHeaders,
    body: JSON.stringify({ ...pools.trpc.take(), idempotency_key: nextKey() }),
  });
  return [
    {
      id: 'rest.bookings.create',
      title: 'POST /api/bookings (distinct free slots, Idempotency-Key)',
      kind: 'write',
      requestAt: rest,
      ceilingRequestAt: replayTo(pools.rest)('/api/bookings'),
      distinct: () => [rest()],
    },
    {
      id: 'trpc.bookings.create',
      title: 'POST /trpc/bookings.create (distinct free slots, idempotency_key)',
      kind: 'write',
      restTwin: 'rest.bookings.create',
      requestAt: trpc,
      ceilingRequestAt: replayTo(pools.trpc)('/trpc/bookings.create'),
      distinct: () => [trpc()],
    },
  ];
}

function restBooking(pool: BookingPool, nextKey: () => string): () => LoadRequest {
  return () => ({
    method: 'POST',
    path: '/api/bookings',
    headers: { ...adminHeaders, 'idempotency-key': nextKey() },
    body: JSON.stringify(pool.take()),
  });
}

/** The ceiling books nothing, so it is sent bodies of the same shape without using up free slots. */
function replayTo(pool: BookingPool) {
  return (path: string) =>
    (n: number): LoadRequest => ({
      method: 'POST',
      path,
      headers: adminHeaders,
      body: JSON.stringify(pool.peek(n)),
    });
}

/**
 * Bookings with payments on (a server of its own, with `PAYMENT_PROVIDER=stripe` against a stand-in
 * of Stripe): each holds its slot with a pending payment, and its checkout is opened at the stand-in
 * after the commit, then recorded.
 */
export function paymentsScenario(pool: BookingPool, runId: string): Scenario {
  let keys = 0;
  const rest = restBooking(pool, () => `bench-payments-${runId}-${++keys}`);
  return {
    id: 'rest.bookings.create.payments',
    title: 'POST /api/bookings (payments on: held, checkout opened, Idempotency-Key)',
    kind: 'write',
    requestAt: rest,
    ceilingRequestAt: replayTo(pool)('/api/bookings'),
    distinct: () => [rest()],
  };
}

interface Canned {
  status: number;
  contentType: string;
  body: string;
}

/** Asks the real server once per distinct request, for the ceiling to answer the same bytes. */
async function cannedAnswers(server: ServerChild, scenario: Scenario) {
  const routes: Record<string, Record<string, Canned>> = {};
  for (const request of scenario.distinct()) {
    const response = await fetch(`${server.url}${request.path}`, {
      method: request.method,
      headers: {
        ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...request.headers,
      },
      ...(request.body === undefined ? {} : { body: request.body }),
    });
    const body = await response.text();
    if (!response.ok) {
      throw new Error(`${request.method} ${request.path} answered ${response.status}: ${body.slice(0, 300)}`);
    }
    const path = request.path.split('?', 1)[0] as string;
    const route = `${request.method} ${path}`;
    routes[route] ??= {};
    routes[route][scenario.kind === 'write' ? '*' : request.path] = {
      status: response.status,
      contentType: response.headers.get('content-type') ?? 'application/json',
      body,
    };
  }
  return routes;
}

export interface RunSettings {
  connections: number;
  duration: number;
  warmup: number;
  profiling: boolean;
  log: (line: string) => void;
}

function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** The scenario against the real server, then the same bytes from the ceiling, back to back. */
export async function runScenario(
  scenario: Scenario,
  server: ServerChild,
  ceiling: ServerChild,
  settings: RunSettings,
): Promise<ScenarioResult> {
  const base = {
    id: scenario.id,
    title: scenario.title,
    kind: scenario.kind,
    ...(scenario.restTwin ? { restTwin: scenario.restTwin } : {}),
  };
  if (scenario.unavailable) {
    settings.log(`  ${scenario.title}: ${scenario.unavailable}`);
    return { ...base, available: false, note: scenario.unavailable };
  }
  const load = (target: ServerChild, seconds: number) =>
    runLoad({
      url: target.url,
      connections: settings.connections,
      duration: seconds,
      requestAt: target === ceiling ? (scenario.ceilingRequestAt ?? scenario.requestAt) : scenario.requestAt,
    });

  const routes = await cannedAnswers(server, scenario);
  if (settings.warmup > 0) await load(server, settings.warmup);
  const from = settings.profiling ? await server.request({ type: 'mark' }) : null;
  const before = await server.request({ type: 'stats' });
  const memory = sampleMemory(server);
  const real = await load(server, settings.duration);
  const peakRssBytes = await memory.stop();
  const after = await server.request({ type: 'stats' });
  const to = settings.profiling ? await server.request({ type: 'mark' }) : null;
  const queriesPerRequest = round(
    ((after.queries as number) - (before.queries as number)) / Math.max(1, real.requests),
    1,
  );
  const committed = (stats: Record<string, unknown>) =>
    (stats.groupCommit as { commits: number; units: number } | null) ?? { commits: 0, units: 0 };
  const commits = committed(after).commits - committed(before).commits;
  const unitsPerCommit =
    commits > 0 ? round((committed(after).units - committed(before).units) / commits, 1) : null;
  const memoryMB = Object.fromEntries(
    Object.entries(after.memory as Record<string, number>).map(([key, bytes]) => [
      key,
      Math.round(bytes / 2 ** 20),
    ]),
  );

  await ceiling.once('routes-set', { type: 'routes', table: { routes } });
  if (settings.warmup > 0) await load(ceiling, settings.warmup);
  const top = await load(ceiling, settings.duration);

  const result: ScenarioResult = {
    ...base,
    available: true,
    real: { ...real, peakRssBytes, queriesPerRequest, unitsPerCommit, memoryMB },
    ceiling: top,
    ratios: {
      rps: round(real.rps / top.rps, 3),
      p50: round(real.p50 / Math.max(top.p50, 0.01)),
      p99: round(real.p99 / Math.max(top.p99, 0.01)),
    },
    ...(from && to
      ? { profileWindow: { fromMicros: from.micros as number, toMicros: to.micros as number } }
      : {}),
  };
  settings.log(
    `  ${scenario.title}: ${real.rps} req/s (ceiling ${top.rps}, ratio ${result.ratios?.rps}), p99 ${real.p99} ms, ` +
      `errors ${real.errors}, ${queriesPerRequest} SQL statements per request` +
      `${unitsPerCommit === null ? '' : `, ${unitsPerCommit} writes per commit`}, heap ${memoryMB.heapUsed}/${memoryMB.heapTotal} MB`,
  );
  return result;
}

export interface ContentionResult {
  connections: number;
  slots: number;
  requests: number;
  successes: number;
  conflicts: number;
  otherErrors: number;
  statuses: Record<string, number>;
  rps: number;
  p50: number;
  p99: number;
  exactlyOnePerSlot: boolean;
}

/**
 * 64 connections race for 50 slots of one popular mentor: requests are handed out in order, so the
 * requests in flight at any moment all want the same few slots. Exactly one booking per slot must win.
 */
export async function runContention(
  server: ServerChild,
  contention: DataSet['contention'],
  connections: number,
  log: (line: string) => void,
): Promise<ContentionResult> {
  const { slots, studentIds } = contention;
  const amount = connections * 10;
  const perSlot = Math.ceil(amount / slots.length);
  const result = await runLoad({
    url: server.url,
    connections,
    duration: 60,
    amount,
    requestAt: (n) => ({
      method: 'POST',
      path: '/api/bookings',
      headers: adminHeaders,
      body: JSON.stringify({
        ...slots[Math.min(slots.length - 1, Math.floor(n / perSlot))],
        student_id: studentIds[n % studentIds.length],
      }),
    }),
  });
  const successes = result.statuses['201'] ?? 0;
  const conflicts = result.statuses['409'] ?? 0;
  const outcome: ContentionResult = {
    connections,
    slots: slots.length,
    requests: result.requests,
    successes,
    conflicts,
    otherErrors: result.requests - successes - conflicts,
    statuses: result.statuses,
    rps: result.rps,
    p50: result.p50,
    p99: result.p99,
    exactlyOnePerSlot: successes === slots.length,
  };
  log(`  contention: ${successes} successes for ${slots.length} slots, ${conflicts} conflicts (409)`);
  return outcome;
}
