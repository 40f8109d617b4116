import { createRequire, syncBuiltinESMExports } from 'node:module';
import FastifyOtel from '@fastify/otel';
import { type Context, DiagConsoleLogger, DiagLogLevel, diag, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { KnexInstrumentation } from '@opentelemetry/instrumentation-knex';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, type Span, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { operationAttributesOf } from './request-operation.js';
import { SpanAttributes } from './spans.js';

/*
 * OpenTelemetry traces to an OTLP/HTTP collector. Imported (dynamically, by main.ts or by the
 * bench's preload) only when an OTLP endpoint is configured, and started before the app's modules load:
 * without tracing, not one module of the SDK is in the process.
 *
 * How each part gets its spans in this ESM app:
 * - knex and pg are CommonJS. The instrumentations hook `require`, and knex loads its own files and
 *   the pg driver through `require`, also when knex itself is imported from ESM; so they are patched
 *   as long as knex is loaded after `start()`. No ESM loader hook (import-in-the-middle) is needed:
 *   it would cost a loader thread (~20 MB) and intercept every import.
 * - Fastify is traced by @fastify/otel, which attaches to every Fastify instance as it is created
 *   (the `fastify.initialization` diagnostics channel): nothing to patch.
 * - Node's `http`/`https` are patched on their `require` object; an ESM `import { request } from
 *   'node:http'` (the webhook sender) reads a separate copy of the exports, which Node brings up to
 *   date only when told (syncBuiltinESMExports). start() does both.
 */

/** The service name when neither OTEL_SERVICE_NAME nor OTEL_RESOURCE_ATTRIBUTES names one. */
export const DEFAULT_SERVICE_NAME = 'mentor-scheduling';

/** Span attributes that carry a request's address, and so whatever secret a caller put in it. */
const URL_ATTRIBUTES = ['http.url', 'http.target', 'url.full', 'url.path'] as const;

/** The token of a calendar feed is its credential (see loggedRequestOf in app.ts). */
const CALENDAR_FEED = /(\/api\/calendar-feeds\/)[^/?#]+/;

/**
 * An address as a trace may keep it: the path with a calendar feed's token hidden, and the names of
 * the query parameters without their values, as the request log keeps them.
 */
export function scrubbedUrl(value: string): string {
  const queryAt = value.indexOf('?');
  const head = (queryAt < 0 ? value : value.slice(0, queryAt)).replace(CALENDAR_FEED, '$1<token>');
  if (queryAt < 0) return head;
  const names = queryNamesOf(value.slice(queryAt + 1));
  return names === '' ? head : `${head}?${names}`;
}

/** `a=1&b=2` → `a&b` (a tRPC query's `input` holds the call's input). */
function queryNamesOf(query: string): string {
  return [...new URLSearchParams(query).keys()].join('&');
}

/**
 * Rewrites the address attributes of each span as it starts, before any exporter sees it. The HTTP
 * instrumentation and @fastify/otel set them when they start a span; a processor's onStart runs
 * right after, on the span itself.
 */
class AddressScrubber implements SpanProcessor {
  onStart(span: Span, _parentContext: Context): void {
    for (const key of URL_ATTRIBUTES) {
      const value = span.attributes[key];
      if (typeof value === 'string') span.setAttribute(key, scrubbedUrl(value));
    }
    const query = span.attributes['url.query'];
    if (typeof query === 'string') span.setAttribute('url.query', queryNamesOf(query));
  }
  onEnd(): void {}
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

/**
 * Where http/metrics.ts serves Prometheus; not imported from there, which would load the app's
 * modules (knex among them) before the instrumentations are in place.
 */
const METRICS_PATH = '/metrics';

function isMetricsScrape(url: string | undefined): boolean {
  return (url ?? '').split('?', 1)[0] === METRICS_PATH;
}

export interface Tracing {
  /** Exports the spans still queued and stops: call it once the app has closed. */
  shutdown(): Promise<void>;
}

/** `OTEL_SERVICE_NAME`, else `service.name` of OTEL_RESOURCE_ATTRIBUTES, else the default. */
function serviceNameOf(env: NodeJS.ProcessEnv): string | undefined {
  if (env.OTEL_SERVICE_NAME?.trim()) return undefined;
  if (/(^|,)\s*service\.name\s*=/.test(env.OTEL_RESOURCE_ATTRIBUTES ?? '')) return undefined;
  return DEFAULT_SERVICE_NAME;
}

/**
 * Starts the OpenTelemetry Node SDK for traces only (metrics and logs have channels of their own),
 * exported as OTLP/HTTP JSON to OTEL_EXPORTER_OTLP_ENDPOINT (…/v1/traces) or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, batched and sampled as the standard OTEL_BSP_* and
 * OTEL_TRACES_SAMPLER* variables say.
 */
export function startTracing(env: NodeJS.ProcessEnv = process.env): Tracing {
  // The SDK is silent unless OTEL_LOG_LEVEL is set; an unreachable collector should not be.
  if (!env.OTEL_LOG_LEVEL) diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.WARN);
  const serviceName = serviceNameOf(env);
  const sdk = new NodeSDK({
    ...(serviceName ? { serviceName } : {}),
    spanProcessors: [new AddressScrubber(), new BatchSpanProcessor(new OTLPTraceExporter())],
    // Only traces: the SDK would otherwise also start OTLP metric and log exporters by default.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      // A Prometheus scrape is not a request of the service: a trace every few seconds would bury them.
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => isMetricsScrape(request.url) }),
      // Database spans only inside a request or another traced piece of work: the background loops
      // (outbox polling, the sweeper) would otherwise make a trace of every idle query.
      new KnexInstrumentation({ requireParentSpan: true }),
      new PgInstrumentation({ requireParentSpan: true }),
      new FastifyOtel.FastifyOtelInstrumentation({
        registerOnInitialization: true,
        ignorePaths: (route) => isMetricsScrape(route.url),
        // A span per hook would multiply the spans of every request by the app's dozen hooks.
        instrumentHooks: false,
        requestHook(span, request) {
          const attributes = {
            [SpanAttributes.requestId]: request.id,
            ...operationAttributesOf(request),
          };
          span.setAttributes(attributes);
          // Still active here: the HTTP server span the request arrived in, which backends show
          // as the request; @fastify/otel's own request span becomes active after this hook.
          const server = trace.getActiveSpan();
          if (server !== undefined && server !== span) server.setAttributes(attributes);
        },
      }),
    ],
  });
  sdk.start();
  // Patch http and https now, and show the patched functions to ES modules that import them.
  const require = createRequire(import.meta.url);
  require('node:http');
  require('node:https');
  syncBuiltinESMExports();
  return { shutdown: () => sdk.shutdown() };
}
