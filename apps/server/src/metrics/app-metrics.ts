import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Database, WriteKind } from '../db/connection.js';
import { type OutboxBacklog, outboxBacklogOf } from '../services/outbox-backlog.js';
import type {
  BookingChange,
  DeliveryChannel,
  PaymentEventOutcome,
  ServiceMetrics,
  SlotSearch,
} from '../services/service-metrics.js';
import { type ProcessMetrics, registerProcessMetrics } from './process-metrics.js';

/**
 * The app's metrics in Prometheus' text format: one registry per app (tests build many apps in one
 * process), never prom-client's global one. Label values come from fixed sets (operation ids of the
 * contract, HTTP statuses, the kinds below), never from what a caller sent.
 */

export const METRIC_PREFIX = 'mentor_scheduling_';

/** Latency of requests: from a kept answer (a fraction of a millisecond) to a write's 5 s wait bound. */
const REQUEST_SECONDS_BUCKETS = [
  0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
/** Waits for a write's turn are often a fraction of a millisecond; the bound is 5 s (then 503). */
const WAIT_SECONDS_BUCKETS = [
  0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];
const SLOT_SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * How long a scrape waits for the database-derived gauges (outbox backlog): a database that does not
 * answer in time leaves them out of that scrape rather than failing it (knex would wait a minute for
 * a connection).
 */
const DATABASE_READ_BUDGET_MS = 1000;

/** The label every request that matches no operation of the contract gets (404s, pages, /docs). */
export const NO_OPERATION = 'none';

export type Surface = 'rest' | 'trpc';

export interface ServedCall {
  operation: string;
  surface: Surface;
  status: number;
}

export interface AppMetrics {
  readonly registry: Registry;
  /** The port the use cases report to (services/service-metrics.ts) */
  readonly services: ServiceMetrics;
  callServed(call: ServedCall, seconds: number): void;
  writeWaited(seconds: number, kind: WriteKind): void;
  /** Starts reading the pool and the outbox of this database at each scrape */
  watchDatabase(db: Database): void;
  /** Ends what runs in the background (the event-loop monitor, the GC observer) */
  close(): void;
}

interface TarnPool {
  max: number;
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
}

export function createAppMetrics(options: { now: () => number }): AppMetrics {
  const registry = new Registry();
  const registers = [registry];
  const processMetrics: ProcessMetrics = registerProcessMetrics(registry);

  const requests = new Counter({
    name: `${METRIC_PREFIX}http_requests_total`,
    help: 'Calls answered, by operation id of the contract (REST and tRPC alike; each call of a tRPC batch counts), surface and HTTP status',
    labelNames: ['operation', 'surface', 'status'],
    registers,
  });
  const requestSeconds = new Histogram({
    name: `${METRIC_PREFIX}http_request_duration_seconds`,
    help: 'Time from receiving a request to its answer being sent, per call as for the counter (a batch: the whole request, for each call)',
    labelNames: ['operation', 'surface', 'status'],
    buckets: REQUEST_SECONDS_BUCKETS,
    registers,
  });

  const writeWait = new Histogram({
    name: `${METRIC_PREFIX}db_write_wait_seconds`,
    help: "How long a write waited before it could begin: SQLite, for this process's write turn, a connection and the write lock; PostgreSQL, for a pool connection",
    labelNames: ['kind'],
    buckets: WAIT_SECONDS_BUCKETS,
    registers,
  });

  let pool: () => TarnPool | undefined = () => undefined;
  const poolGauge = (name: string, help: string, read: (pool: TarnPool) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        const current = pool();
        if (current) this.set(read(current));
        else this.remove();
      },
    });
  new Gauge({
    name: `${METRIC_PREFIX}db_pool_connections`,
    help: 'Connections of the database pool, by state (used: lent to a query or transaction; free: idle)',
    labelNames: ['state'],
    registers,
    collect() {
      const current = pool();
      if (!current) {
        this.reset();
        return;
      }
      this.set({ state: 'used' }, current.numUsed());
      this.set({ state: 'free' }, current.numFree());
    },
  });
  poolGauge(
    `${METRIC_PREFIX}db_pool_pending_acquires`,
    'Queries and transactions waiting for a connection of the pool',
    (current) => current.numPendingAcquires(),
  );
  poolGauge(
    `${METRIC_PREFIX}db_pool_max_connections`,
    'The size the pool may grow to',
    (current) => current.max,
  );

  const bookings = new Counter({
    name: `${METRIC_PREFIX}bookings_total`,
    help: 'Bookings made (held or confirmed), cancelled, rescheduled, and holds that expired unpaid, counted once committed',
    labelNames: ['change'],
    registers,
  });
  for (const change of ['made', 'cancelled', 'rescheduled', 'expired'] satisfies BookingChange[])
    bookings.labels(change).inc(0);

  const slotSeconds = new Histogram({
    name: `${METRIC_PREFIX}slot_computation_seconds`,
    help: 'Time spent computing open slots for a read (loading schedules included); kept answers reused are not counted',
    labelNames: ['search'],
    buckets: SLOT_SECONDS_BUCKETS,
    registers,
  });

  const paymentEvents = new Counter({
    name: `${METRIC_PREFIX}payment_webhooks_total`,
    help: "The payment provider's webhook deliveries, by outcome",
    labelNames: ['outcome'],
    registers,
  });
  const paymentOutcomes: PaymentEventOutcome[] = [
    'applied',
    'duplicate',
    'ignored',
    'invalid_signature',
    'payments_off',
    'failed',
  ];
  for (const outcome of paymentOutcomes) paymentEvents.labels(outcome).inc(0);

  const deliveryFailures = new Counter({
    name: `${METRIC_PREFIX}outbox_delivery_failures_total`,
    help: 'Failed tries to deliver an outbox message, by channel, and whether it will be tried again or became a dead letter',
    labelNames: ['channel', 'result'],
    registers,
  });
  for (const channel of ['email', 'webhook'] satisfies DeliveryChannel[])
    for (const result of ['will_retry', 'dead_letter']) deliveryFailures.labels(channel, result).inc(0);

  // The backlog is read once per scrape, however many gauges show it.
  let readBacklog: () => Promise<OutboxBacklog | null> = async () => null;
  let backlogOfScrape: Promise<OutboxBacklog | null> | null = null;
  const backlog = () => {
    if (!backlogOfScrape) {
      backlogOfScrape = readBacklog().finally(() => {
        backlogOfScrape = null;
      });
    }
    return backlogOfScrape;
  };
  new Gauge({
    name: `${METRIC_PREFIX}outbox_lag_seconds`,
    help: 'Age of the oldest outbox message that is due and not yet delivered (0: nothing waiting); absent when the database did not answer',
    registers,
    async collect() {
      const current = await backlog();
      if (current) this.set(current.lagSeconds);
      else this.remove();
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}outbox_dead_letters`,
    help: 'Outbox deliveries that failed their last try and wait for an admin; absent when the database did not answer',
    registers,
    async collect() {
      const current = await backlog();
      if (current) this.set(current.deadLetters);
      else this.remove();
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}database_up`,
    help: `1 when the database answered this scrape's reads within ${DATABASE_READ_BUDGET_MS} ms, else 0 (the outbox gauges are then left out)`,
    registers,
    async collect() {
      this.set((await backlog()) ? 1 : 0);
    },
  });

  const services: ServiceMetrics = {
    bookingsChanged: (change, count = 1) => bookings.labels(change).inc(count),
    slotsComputed: (search: SlotSearch, seconds) => slotSeconds.labels(search).observe(seconds),
    paymentEventReceived: (outcome) => paymentEvents.labels(outcome).inc(),
    deliveryFailed: (channel, final) =>
      deliveryFailures.labels(channel, final ? 'dead_letter' : 'will_retry').inc(),
  };

  return {
    registry,
    services,
    callServed(call, seconds) {
      const labels = { operation: call.operation, surface: call.surface, status: String(call.status) };
      requests.inc(labels);
      requestSeconds.observe(labels, seconds);
    },
    writeWaited: (seconds, kind) => writeWait.labels(kind).observe(seconds),
    watchDatabase(db) {
      pool = () => (db.knex.client as { pool?: TarnPool }).pool;
      readBacklog = () => withinBudget(() => outboxBacklogOf(db, options.now()), DATABASE_READ_BUDGET_MS);
    },
    close: () => processMetrics.stop(),
  };
}

/** What `read` answers within `ms`, or null when it fails or takes longer (it is then left to finish). */
async function withinBudget<T>(read: () => Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  try {
    return await Promise.race([read().catch(() => null), late]);
  } finally {
    clearTimeout(timer);
  }
}
