/**
 * What the server's own metrics (GET /metrics, Prometheus' text format) said once the load was
 * over: calls and latency per operation from its histograms, how long writes waited for their turn,
 * the pool, the outbox and the event loop. A second view of the run, from inside the server, beside
 * what the load generator measured from outside.
 */
import { histogramQuantile, parseExposition, type Sample, samplesOf, sumOf } from '@mentor-scheduling/server';

export const METRICS_TOKEN = 'bench-metrics-token-0123456789';

export interface OperationLoad {
  operation: string;
  surface: string;
  calls: number;
  /** Calls answered with a status of 400 or more */
  refused: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

export interface MetricsUnderLoad {
  operations: OperationLoad[];
  bookings: Record<string, number>;
  writeWait: { kind: string; count: number; p99Ms: number | null }[];
  slotComputation: { search: string; count: number; p99Ms: number | null }[];
  pool: { used: number; free: number; pendingAcquires: number; max: number };
  outboxLagSeconds: number | null;
  outboxDeadLetters: number | null;
  eventLoopLagMs: { p99: number; max: number };
  residentMemoryMB: number;
}

const REQUEST_SECONDS = 'mentor_scheduling_http_request_duration_seconds';
const toMs = (seconds: number | undefined) =>
  seconds === undefined ? null : Math.round(seconds * 10_000) / 10;

function distinct(samples: readonly Sample[], name: string, label: string): string[] {
  return [...new Set(samplesOf(samples, name).map((sample) => sample.labels[label] ?? ''))];
}

export async function scrapeMetrics(baseUrl: string): Promise<MetricsUnderLoad> {
  const response = await fetch(`${baseUrl}/metrics`, {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  if (!response.ok) throw new Error(`GET /metrics answered ${response.status}`);
  const samples = parseExposition(await response.text());

  const operations: OperationLoad[] = [];
  const countName = `${REQUEST_SECONDS}_count`;
  for (const series of samplesOf(samples, countName)) {
    const { operation = '', surface = '' } = series.labels;
    if (operations.some((known) => known.operation === operation && known.surface === surface)) continue;
    const labels = { operation, surface };
    const calls = sumOf(samples, countName, labels);
    const refused = samplesOf(samples, countName, labels)
      .filter((sample) => Number(sample.labels.status) >= 400)
      .reduce((sum, sample) => sum + sample.value, 0);
    operations.push({
      operation,
      surface,
      calls,
      refused,
      p50Ms: toMs(histogramQuantile(samples, REQUEST_SECONDS, 0.5, labels)),
      p99Ms: toMs(histogramQuantile(samples, REQUEST_SECONDS, 0.99, labels)),
    });
  }
  operations.sort((a, b) => b.calls - a.calls);

  const waitName = 'mentor_scheduling_db_write_wait_seconds';
  const slotName = 'mentor_scheduling_slot_computation_seconds';
  const single = (name: string) => (samplesOf(samples, name).length > 0 ? sumOf(samples, name) : null);
  const loopLag = (quantile: string) => sumOf(samples, 'nodejs_eventloop_lag_seconds', { quantile }) * 1000;
  return {
    operations,
    bookings: Object.fromEntries(
      samplesOf(samples, 'mentor_scheduling_bookings_total').map((s) => [s.labels.change, s.value]),
    ),
    writeWait: distinct(samples, `${waitName}_count`, 'kind').map((kind) => ({
      kind,
      count: sumOf(samples, `${waitName}_count`, { kind }),
      p99Ms: toMs(histogramQuantile(samples, waitName, 0.99, { kind })),
    })),
    slotComputation: distinct(samples, `${slotName}_count`, 'search').map((search) => ({
      search,
      count: sumOf(samples, `${slotName}_count`, { search }),
      p99Ms: toMs(histogramQuantile(samples, slotName, 0.99, { search })),
    })),
    pool: {
      used: sumOf(samples, 'mentor_scheduling_db_pool_connections', { state: 'used' }),
      free: sumOf(samples, 'mentor_scheduling_db_pool_connections', { state: 'free' }),
      pendingAcquires: sumOf(samples, 'mentor_scheduling_db_pool_pending_acquires'),
      max: sumOf(samples, 'mentor_scheduling_db_pool_max_connections'),
    },
    outboxLagSeconds: single('mentor_scheduling_outbox_lag_seconds'),
    outboxDeadLetters: single('mentor_scheduling_outbox_dead_letters'),
    // Since the previous scrape (the one before it during the load, or the start of the server).
    eventLoopLagMs: { p99: Math.round(loopLag('0.99') * 10) / 10, max: Math.round(loopLag('1') * 10) / 10 },
    residentMemoryMB: Math.round(sumOf(samples, 'process_resident_memory_bytes') / 2 ** 20),
  };
}

const ms = (value: number | null) => (value === null ? '-' : value.toFixed(1));

export function metricsSummaryLines(metrics: MetricsUnderLoad): string[] {
  const lines = [
    "Metrics under load (the server's GET /metrics at the end of the run; p50/p99 from its histograms" +
      ", so within a bucket's width; gauges as the load ended, peaks in the last line):",
  ];
  for (const operation of metrics.operations) {
    lines.push(
      `  ${`${operation.operation} (${operation.surface})`.padEnd(34)} ${String(operation.calls).padStart(8)} calls` +
        `  ${String(operation.refused).padStart(6)} refused  p50 ${ms(operation.p50Ms).padStart(7)} ms  p99 ${ms(operation.p99Ms).padStart(7)} ms`,
    );
  }
  lines.push(
    `  bookings: ${Object.entries(metrics.bookings)
      .map(([change, count]) => `${change} ${count}`)
      .join(', ')}`,
  );
  for (const wait of metrics.writeWait)
    lines.push(`  write wait (${wait.kind}): ${wait.count} writes, p99 ${ms(wait.p99Ms)} ms`);
  for (const slots of metrics.slotComputation)
    lines.push(`  slot computation (${slots.search}): ${slots.count} computed, p99 ${ms(slots.p99Ms)} ms`);
  const { pool } = metrics;
  lines.push(
    `  pool: ${pool.used} used, ${pool.free} free of ${pool.max}; ${pool.pendingAcquires} waiting for a connection`,
  );
  lines.push(
    `  outbox: lag ${metrics.outboxLagSeconds ?? '-'} s, ${metrics.outboxDeadLetters ?? '-'} dead letters; ` +
      `event loop delay p99 ${metrics.eventLoopLagMs.p99} ms, max ${metrics.eventLoopLagMs.max} ms; RSS ${metrics.residentMemoryMB} MB`,
  );
  return lines;
}

/** The highest readings of the scrapes taken while the load ran, and how the scrapes themselves fared. */
export interface ScrapesDuringLoad {
  everyMs: number;
  scrapes: number;
  failed: number;
  slowestScrapeMs: number;
  peakPoolUsed: number;
  peakPoolPending: number;
  peakOutboxLagSeconds: number | null;
  /** The event-loop gauge covers the time since the previous scrape: the worst of those intervals */
  peakEventLoopP99Ms: number;
  peakEventLoopMaxMs: number;
}

/**
 * Scrapes GET /metrics every `everyMs` while the load runs, as Prometheus would, keeping the peaks
 * of the gauges (which the scrape at the end, taken once the load is over, reads idle) and how
 * long each scrape took under load.
 */
export function scrapeDuringLoad(baseUrl: string, everyMs = 1000): { stop(): Promise<ScrapesDuringLoad> } {
  const peaks: ScrapesDuringLoad = {
    everyMs,
    scrapes: 0,
    failed: 0,
    slowestScrapeMs: 0,
    peakPoolUsed: 0,
    peakPoolPending: 0,
    peakOutboxLagSeconds: null,
    peakEventLoopP99Ms: 0,
    peakEventLoopMaxMs: 0,
  };
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const started = performance.now();
      try {
        const reading = await scrapeMetrics(baseUrl);
        peaks.scrapes += 1;
        peaks.slowestScrapeMs = Math.max(peaks.slowestScrapeMs, Math.round(performance.now() - started));
        peaks.peakPoolUsed = Math.max(peaks.peakPoolUsed, reading.pool.used);
        peaks.peakPoolPending = Math.max(peaks.peakPoolPending, reading.pool.pendingAcquires);
        if (reading.outboxLagSeconds !== null)
          peaks.peakOutboxLagSeconds = Math.max(peaks.peakOutboxLagSeconds ?? 0, reading.outboxLagSeconds);
        peaks.peakEventLoopP99Ms = Math.max(peaks.peakEventLoopP99Ms, reading.eventLoopLagMs.p99);
        peaks.peakEventLoopMaxMs = Math.max(peaks.peakEventLoopMaxMs, reading.eventLoopLagMs.max);
      } catch {
        peaks.failed += 1;
      }
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, everyMs - (performance.now() - started))),
      );
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return peaks;
    },
  };
}

export function scrapesDuringLoadLine(peaks: ScrapesDuringLoad): string {
  return (
    `  scraped every ${peaks.everyMs / 1000} s during the load: ${peaks.scrapes} scrapes (${peaks.failed} failed), ` +
    `slowest ${peaks.slowestScrapeMs} ms; peaks: pool ${peaks.peakPoolUsed} used, ${peaks.peakPoolPending} waiting; ` +
    `outbox lag ${peaks.peakOutboxLagSeconds ?? '-'} s; event loop delay p99 ${peaks.peakEventLoopP99Ms} ms, max ${peaks.peakEventLoopMaxMs} ms`
  );
}
