import {
  constants,
  monitorEventLoopDelay,
  type PerformanceEntry,
  PerformanceObserver,
} from 'node:perf_hooks';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The Node process's own health: event-loop delay, garbage collection, memory and CPU, under the
 * names Prometheus' Node.js dashboards expect. Written here rather than taken from prom-client's
 * `collectDefaultMetrics`, whose event-loop monitor and GC observer can never be stopped: tests
 * build many apps in one process, and each app's monitors must end with the app.
 */

const gcKinds: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/** Quantiles of the event-loop delay reported per scrape; "1" is the longest delay seen. */
const LOOP_DELAY_QUANTILES = [0.5, 0.9, 0.99, 1] as const;

export interface ProcessMetrics {
  /** Ends the event-loop monitor and the GC observer */
  stop(): void;
}

export function registerProcessMetrics(registry: Registry): ProcessMetrics {
  const registers = [registry];
  // Sampled every 10 ms; what a request waited behind other work on the one thread.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  new Gauge({
    name: 'nodejs_eventloop_lag_seconds',
    help: 'Event-loop delay since the previous scrape, by quantile ("1" is the longest)',
    labelNames: ['quantile'],
    registers,
    collect() {
      for (const quantile of LOOP_DELAY_QUANTILES) {
        const nanoseconds = quantile === 1 ? loopDelay.max : loopDelay.percentile(quantile * 100);
        this.set({ quantile: String(quantile) }, Number.isFinite(nanoseconds) ? nanoseconds / 1e9 : 0);
      }
      loopDelay.reset();
    },
  });

  const gcDuration = new Histogram({
    name: 'nodejs_gc_duration_seconds',
    help: 'Garbage collection pauses by kind (major, minor, incremental, weakcb)',
    labelNames: ['kind'],
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
    registers,
  });
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const detail = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail;
      const kind = gcKinds[detail?.kind ?? -1] ?? 'other';
      gcDuration.observe({ kind }, entry.duration / 1000);
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });

  const memoryGauge = (name: string, help: string, read: (usage: NodeJS.MemoryUsage) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read(process.memoryUsage()));
      },
    });
  memoryGauge('process_resident_memory_bytes', 'Resident memory of the process', (usage) => usage.rss);
  memoryGauge('nodejs_heap_size_used_bytes', 'V8 heap in use', (usage) => usage.heapUsed);
  memoryGauge('nodejs_heap_size_total_bytes', 'V8 heap reserved', (usage) => usage.heapTotal);
  memoryGauge('nodejs_external_memory_bytes', 'Memory of C++ objects bound to JavaScript', (u) => u.external);

  let cpuSecondsReported = 0;
  new Counter({
    name: 'process_cpu_seconds_total',
    help: 'CPU time the process has spent, user and system',
    registers,
    collect() {
      const usage = process.cpuUsage();
      const total = (usage.user + usage.system) / 1e6;
      this.inc(Math.max(0, total - cpuSecondsReported));
      cpuSecondsReported = Math.max(total, cpuSecondsReported);
    },
  });
  new Gauge({
    name: 'process_start_time_seconds',
    help: 'When the process started, in seconds since the Unix epoch',
    registers,
  }).set(Math.round((Date.now() - process.uptime() * 1000) / 1000));

  return {
    stop() {
      loopDelay.disable();
      gcObserver.disconnect();
    },
  };
}
