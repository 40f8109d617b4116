import autocannon from 'autocannon';

export interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadSpec {
  url: string;
  connections: number;
  /** Seconds; ignored when `amount` is set. */
  duration: number;
  /** Exactly this many requests, then stop. */
  amount?: number;
  /** The n-th request sent (counted across all connections), so each can be different. */
  requestAt: (n: number) => LoadRequest;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  /** Milliseconds, over every response whatever its status. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Responses outside 2xx, connection errors and timeouts. */
  errors: number;
  statuses: Record<string, number>;
}

function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] as number;
}

/**
 * One autocannon run over loopback. Latencies are recorded here with sub-millisecond precision
 * (autocannon's own histogram keeps whole milliseconds, too coarse beside a fast ceiling).
 */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  let sent = 0;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const first = spec.requestAt(0);
  const started = performance.now();
  let finish: (error: Error | null, result: autocannon.Result) => void = () => undefined;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finish = (error, result) => (error ? reject(error) : resolve(result));
  });
  const instance = autocannon(
    {
      url: spec.url,
      connections: spec.connections,
      pipelining: 1,
      timeout: 30,
      ...(spec.amount === undefined ? { duration: spec.duration } : { amount: spec.amount }),
      requests: [
        {
          method: first.method,
          path: first.path,
          setupRequest: (request) => {
            const next = spec.requestAt(sent++);
            return {
              ...request,
              method: next.method,
              path: next.path,
              headers: {
                ...(next.body === undefined ? {} : { 'content-type': 'application/json' }),
                ...next.headers,
              },
              ...(next.body === undefined ? {} : { body: next.body }),
            };
          },
        },
      ],
    },
    (error, result) => finish(error, result),
  );
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    latencies.push(responseTime);
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
  });
  const result = await done;
  const seconds = (performance.now() - started) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  const non2xx = Object.entries(statuses)
    .filter(([status]) => !status.startsWith('2'))
    .reduce((sum, [, count]) => sum + count, 0);
  const round = (value: number) => Math.round(value * 100) / 100;
  return {
    requests: latencies.length,
    seconds: round(seconds),
    rps: Math.round(latencies.length / seconds),
    p50: round(percentile(sorted, 0.5)),
    p90: round(percentile(sorted, 0.9)),
    p99: round(percentile(sorted, 0.99)),
    max: round(sorted.at(-1) ?? 0),
    errors: non2xx + result.errors,
    statuses,
  };
}
