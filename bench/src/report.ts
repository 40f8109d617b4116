import { cpus, loadavg, release, totalmem, type } from 'node:os';
import type { BenchOptions } from './args.js';
import type { MicroResult } from './micro.js';
import type { ContentionResult, ScenarioResult } from './scenarios.js';

export interface Machine {
  cpuModel: string;
  cpuCount: number;
  totalMemoryGiB: number;
  os: string;
  node: string;
  driver: string;
  loadAverageAtStart: number[];
}

export function describeMachine(options: BenchOptions): Machine {
  const cores = cpus();
  return {
    cpuModel: cores[0]?.model.trim() ?? 'unknown',
    cpuCount: cores.length,
    totalMemoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${type()} ${release()}`,
    node: process.version,
    driver: options.driver,
    loadAverageAtStart: loadavg().map((value) => Math.round(value * 100) / 100),
  };
}

export interface Target {
  name: string;
  pass: boolean;
  measured: string;
  threshold: string;
}

const MB = 1024 * 1024;

/** What a tRPC read must reach of its REST twin's req/s, in the same run. */
export const TRPC_TO_REST_MINIMUM = 0.8;

/** A tRPC read's req/s over its REST twin's, both measured in this run; undefined without both. */
export function restTwinRatio(scenario: ScenarioResult, scenarios: ScenarioResult[]): number | undefined {
  if (!scenario.restTwin || !scenario.real) return undefined;
  const twin = scenarios.find((candidate) => candidate.id === scenario.restTwin);
  if (!twin?.real || twin.real.rps === 0) return undefined;
  return Math.round((scenario.real.rps / twin.real.rps) * 1000) / 1000;
}

/** `tRPC … : 0.93 of REST … (9100 / 9780 req/s)`, for the log and the targets. */
export function restTwinLine(scenario: ScenarioResult, scenarios: ScenarioResult[]): string | undefined {
  const ratio = restTwinRatio(scenario, scenarios);
  const twin = scenarios.find((candidate) => candidate.id === scenario.restTwin);
  if (ratio === undefined || !twin?.real || !scenario.real) return undefined;
  return `${ratio} of ${twin.title} (${scenario.real.rps} / ${twin.real.rps} req/s)`;
}

/** Bookings' share of their ceiling: on the embedded SQLite default, and on PostgreSQL (a network database). */
export const BOOKINGS_MINIMUM = { sqlite: 0.15, pg: 0.1 } as const;

export function checkTargets(
  scenarios: ScenarioResult[],
  micro: MicroResult | null,
  peakRssBytes: number,
  connections: number,
  driver: 'better-sqlite3' | 'sqlite3' | 'pg',
): Target[] {
  const targets: Target[] = [];
  const byId = new Map(scenarios.map((scenario) => [scenario.id, scenario]));
  const ratioTarget = (id: string, label: string, minimum: number) => {
    const scenario = byId.get(id);
    if (!scenario?.ratios || !scenario.real) return;
    targets.push({
      name: `${label} ≥ ${minimum} of ceiling`,
      pass: scenario.ratios.rps >= minimum,
      measured: `${scenario.ratios.rps} (${scenario.real.rps} / ${scenario.ceiling?.rps} req/s)`,
      threshold: `≥ ${minimum}`,
    });
  };
  const latencyTarget = (id: string, label: string) => {
    const scenario = byId.get(id);
    if (!scenario?.real) return;
    targets.push({
      name: `${label} p99 < 25 ms at ${connections} connections`,
      pass: scenario.real.p99 < 25,
      measured: `${scenario.real.p99} ms`,
      threshold: '< 25 ms',
    });
  };
  ratioTarget('rest.mentors.list', 'GET /api/mentors?area_of_expertise=…', 0.6);
  for (const scenario of scenarios) {
    const ratio = restTwinRatio(scenario, scenarios);
    const line = restTwinLine(scenario, scenarios);
    if (ratio === undefined || line === undefined) continue;
    targets.push({
      name: `${scenario.title} ≥ ${TRPC_TO_REST_MINIMUM} of the same call over REST`,
      pass: ratio >= TRPC_TO_REST_MINIMUM,
      measured: line,
      threshold: `≥ ${TRPC_TO_REST_MINIMUM}`,
    });
  }
  ratioTarget(
    'rest.bookings.create',
    'POST /api/bookings',
    driver === 'pg' ? BOOKINGS_MINIMUM.pg : BOOKINGS_MINIMUM.sqlite,
  );
  latencyTarget('rest.mentors.list', 'GET /api/mentors?area_of_expertise=…');
  latencyTarget('rest.bookings.create', 'POST /api/bookings');
  if (peakRssBytes > 0) {
    targets.push({
      name: 'server peak RSS < 200 MB',
      pass: peakRssBytes < 200 * MB,
      measured: `${Math.round(peakRssBytes / MB)} MB`,
      threshold: '< 200 MB',
    });
  }
  if (micro) {
    targets.push({
      name: 'slot computation, one area over 7 days < 5 ms per call',
      pass: micro.msPerCallMedian < 5,
      measured: `${micro.msPerCallMedian} ms (median; mean ${micro.msPerCallMean}, p99 ${micro.msPerCallP99})`,
      threshold: '< 5 ms',
    });
  }
  return targets;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

export function scenarioTable(scenarios: ScenarioResult[]): string {
  const rows = scenarios.map((scenario) => {
    if (!scenario.real || !scenario.ceiling || !scenario.ratios) {
      // The note stands in the req/s column; the other figures are blank.
      return [scenario.title, scenario.note ?? 'not available', ...blankFigures];
    }
    const twinRatio = restTwinRatio(scenario, scenarios);
    const { real, ceiling, ratios } = scenario;
    return [
      scenario.title,
      String(real.rps),
      real.p50.toFixed(2),
      real.p99.toFixed(2),
      String(real.errors),
      String(real.queriesPerRequest),
      String(Math.round(real.peakRssBytes / MB)),
      String(ceiling.rps),
      ceiling.p50.toFixed(2),
      ceiling.p99.toFixed(2),
      ratios.rps.toFixed(3),
      `${ratios.p50.toFixed(1)}×`,
      `${ratios.p99.toFixed(1)}×`,
      twinRatio === undefined ? '' : twinRatio.toFixed(3),
    ];
  });
  return table(scenarioColumns, rows);
}

const scenarioColumns = [
  'scenario',
  'req/s',
  'p50 ms',
  'p99 ms',
  'errors',
  'SQL/req',
  'RSS MB',
  'ceil req/s',
  'ceil p50',
  'ceil p99',
  'ratio',
  'p50 vs',
  'p99 vs',
  'vs REST',
];
/** Empty cells for every column after the title and req/s. */
const blankFigures = scenarioColumns.slice(2).map(() => '');

export function contentionTable(contention: ContentionResult): string {
  return table(
    [
      'contention',
      'requests',
      'successes',
      'conflicts 409',
      'other',
      'req/s',
      'p50 ms',
      'p99 ms',
      'exactly one per slot',
    ],
    [
      [
        `${contention.connections} connections racing for ${contention.slots} slots`,
        String(contention.requests),
        String(contention.successes),
        String(contention.conflicts),
        String(contention.otherErrors),
        String(contention.rps),
        contention.p50.toFixed(2),
        contention.p99.toFixed(2),
        contention.exactlyOnePerSlot ? 'yes' : 'NO',
      ],
    ],
  );
}

export function targetLines(targets: Target[]): string {
  return targets
    .map((target) => `${target.pass ? 'PASS' : 'FAIL'}  ${target.name}: ${target.measured}`)
    .join('\n');
}

export interface ScalingPoint {
  scenario: string;
  size: string;
  result: ScenarioResult;
}

export function scalingTable(points: ScalingPoint[]): string {
  return table(
    ['scenario', 'size', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'SQL/req', 'RSS MB', 'ceil req/s', 'ratio'],
    points.map(({ scenario, size, result }) => [
      scenario,
      size,
      String(result.real?.rps ?? '-'),
      result.real?.p50.toFixed(2) ?? '-',
      result.real?.p99.toFixed(2) ?? '-',
      String(result.real?.errors ?? '-'),
      String(result.real?.queriesPerRequest ?? '-'),
      String(result.real ? Math.round(result.real.peakRssBytes / MB) : '-'),
      String(result.ceiling?.rps ?? '-'),
      result.ratios?.rps.toFixed(3) ?? '-',
    ]),
  );
}
