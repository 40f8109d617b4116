/**
 * Reads Prometheus' text exposition format (version 0.0.4, what GET /metrics answers), for the
 * bench's summary of a run and for tests: samples with their labels, and histogram quantiles
 * estimated from the buckets the way Prometheus' `histogram_quantile` does.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/y;

function unescapeLabelValue(text: string): string {
  return text.replace(/\\(.)/g, (_, escaped: string) => (escaped === 'n' ? '\n' : escaped));
}

function numberOf(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  const value = Number(text);
  if (text.trim() === '' || Number.isNaN(value)) throw new Error(`Not a sample value: ${text}`);
  return value;
}

/** Every sample of the text; comments (HELP, TYPE) and blank lines are skipped. Throws on a malformed line. */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const name = SAMPLE_NAME.exec(line)?.[0];
    if (!name) throw new Error(`Not a sample: ${line}`);
    let rest = line.slice(name.length);
    const labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      // A failed sticky match resets lastIndex, so the end of the last label is kept apart.
      let end = 1;
      LABEL.lastIndex = end;
      for (let match = LABEL.exec(rest); match; match = LABEL.exec(rest)) {
        labels[match[1] as string] = unescapeLabelValue(match[2] as string);
        end = LABEL.lastIndex;
      }
      if (rest[end] !== '}') throw new Error(`Unreadable labels: ${line}`);
      rest = rest.slice(end + 1);
    }
    const [value, timestamp, ...extra] = rest.trim().split(/\s+/);
    if (value === undefined || extra.length > 0 || (timestamp !== undefined && !/^-?\d+$/.test(timestamp)))
      throw new Error(`Not a sample: ${line}`);
    samples.push({ name, labels, value: numberOf(value) });
  }
  return samples;
}

function hasLabels(sample: Sample, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([label, value]) => sample.labels[label] === value);
}

/** The samples of `name` whose labels include `labels`. */
export function samplesOf(samples: readonly Sample[], name: string, labels: Record<string, string> = {}) {
  return samples.filter((sample) => sample.name === name && hasLabels(sample, labels));
}

/** The sum of the samples of `name` whose labels include `labels`; 0 when there are none. */
export function sumOf(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  return samplesOf(samples, name, labels).reduce((sum, sample) => sum + sample.value, 0);
}

/**
 * The `quantile` (0–1) of the histogram `name` over the series whose labels include `labels`, their
 * buckets added up; interpolated linearly inside the bucket where it falls, as Prometheus does.
 * Undefined when the histogram holds no observation; the highest finite bound when it falls in +Inf.
 */
export function histogramQuantile(
  samples: readonly Sample[],
  name: string,
  quantile: number,
  labels: Record<string, string> = {},
): number | undefined {
  const counts = new Map<number, number>();
  for (const bucket of samplesOf(samples, `${name}_bucket`, labels)) {
    const bound = numberOf(bucket.labels.le ?? '');
    counts.set(bound, (counts.get(bound) ?? 0) + bucket.value);
  }
  const buckets = [...counts.entries()].sort(([a], [b]) => a - b);
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total === 0) return undefined;
  const rank = quantile * total;
  let lowerBound = 0;
  let countBelow = 0;
  for (const [bound, cumulative] of buckets) {
    if (cumulative >= rank) {
      if (bound === Number.POSITIVE_INFINITY) return lowerBound;
      const inBucket = cumulative - countBelow;
      return inBucket === 0 ? bound : lowerBound + ((bound - lowerBound) * (rank - countBelow)) / inBucket;
    }
    lowerBound = bound;
    countBelow = cumulative;
  }
  return lowerBound;
}
