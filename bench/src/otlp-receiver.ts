/**
 * `--otlp`: where the traced server sends its spans, as a collector's OTLP/HTTP receiver would take
 * them (`POST /v1/traces`, OTLP JSON). Counts spans by instrumentation scope; keeps nothing else.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OtlpSummary {
  exports: number;
  spans: number;
  /** Spans per instrumentation scope (`@opentelemetry/instrumentation-knex`, `@fastify/otel`, …) */
  byScope: Record<string, number>;
  /** Server spans (one per request), and client spans: SQL statements and outside HTTP calls (Stripe) */
  serverSpans: number;
  clientHttpSpans: number;
  services: string[];
}

interface OtlpTraces {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
    scopeSpans?: { scope?: { name?: string }; spans?: { kind?: number }[] }[];
  }[];
}

export interface BenchOtlpReceiver {
  endpoint: string;
  summary(): OtlpSummary;
  /** Resolves once nothing arrived for `quietMs` (the server's batches are out), or after 10 s. */
  settled(quietMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<BenchOtlpReceiver> {
  const summary: OtlpSummary = {
    exports: 0,
    spans: 0,
    byScope: {},
    serverSpans: 0,
    clientHttpSpans: 0,
    services: [],
  };
  let lastArrival = Date.now();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      lastArrival = Date.now();
      if (request.method !== 'POST' || request.url !== '/v1/traces') {
        response.writeHead(404).end();
        return;
      }
      try {
        const traces = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpTraces;
        summary.exports += 1;
        for (const resourceSpans of traces.resourceSpans ?? []) {
          const service = resourceSpans.resource?.attributes?.find((a) => a.key === 'service.name');
          const name = service?.value.stringValue;
          if (name && !summary.services.includes(name)) summary.services.push(name);
          for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
            const count = scopeSpans.spans?.length ?? 0;
            const scope = scopeSpans.scope?.name ?? '?';
            summary.spans += count;
            summary.byScope[scope] = (summary.byScope[scope] ?? 0) + count;
            if (scope !== '@opentelemetry/instrumentation-http') continue;
            for (const span of scopeSpans.spans ?? []) {
              // OTLP's span kinds: 2 server, 3 client.
              if (span.kind === 2) summary.serverSpans += 1;
              if (span.kind === 3) summary.clientHttpSpans += 1;
            }
          }
        }
      } catch {
        response.writeHead(400).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    summary: () => structuredClone(summary),
    async settled(quietMs) {
      const giveUp = Date.now() + 10_000;
      while (Date.now() - lastArrival < quietMs && Date.now() < giveUp) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
