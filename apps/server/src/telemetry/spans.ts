import {
  context,
  createContextKey,
  ROOT_CONTEXT,
  type Span,
  type SpanOptions,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

/**
 * What the rest of the server knows of tracing: @opentelemetry/api only. Without a started SDK
 * (tracing.ts, loaded only when OTEL_EXPORTER_OTLP_ENDPOINT is set) every call here is the API's
 * no-op: spans are non-recording objects that export nothing, and no context is ever propagated.
 */

/** The tracer of the server's own spans (group commits, outbox deliveries, SMTP sends). */
export const tracer = trace.getTracer('@mentor-scheduling/server');

/** Attributes the server puts on its spans, besides OpenTelemetry's semantic conventions. */
export const SpanAttributes = {
  /** The operation of the contract a request called (`bookings.create`), the same over REST and tRPC */
  operationId: 'operation.id',
  /** `rest` or `trpc`: the door the request came through */
  operationSurface: 'operation.surface',
  /** How many procedures a tRPC batch called (only on batches) */
  trpcBatchSize: 'trpc.batch_size',
  /** Fastify's request id: the `x-request-id` answered and the `reqId` of the request's log lines */
  requestId: 'request.id',
} as const;

/**
 * Whether tracing was asked for: an OTLP endpoint for traces is named, and neither the SDK nor the
 * trace exporter is switched off the standard way.
 */
export function tracingRequested(env: NodeJS.ProcessEnv): boolean {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!endpoint) return false;
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  return env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() !== 'none';
}

const probeKey = createContextKey('mentor-scheduling context probe');

/**
 * Whether a context manager carries the active span across async work, i.e. whether tracing runs in
 * this process (the API's no-op manager drops every context it is given). Asked once per app, so
 * that without tracing nothing is paid per log line or per request.
 */
export function tracingActive(): boolean {
  return context.with(
    ROOT_CONTEXT.setValue(probeKey, true),
    () => context.active().getValue(probeKey) === true,
  );
}

/**
 * pino's `mixin`: the trace and span a log line was written in, under the names OpenTelemetry's log
 * data model gives them, so a line leads to its trace and a trace to its lines (with `reqId`).
 * A new object every time: pino merges the line's own fields into it.
 */
export function traceLogFields(): object {
  const span = trace.getSpan(context.active());
  if (span === undefined) return {};
  const { traceId, spanId, traceFlags } = span.spanContext();
  return { trace_id: traceId, span_id: spanId, trace_flags: `0${traceFlags.toString(16)}` };
}

/** Marks a span failed by an error, keeping the error as an event (what backends show as the cause). */
export function recordFailure(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  const failure = error instanceof Error ? error : new Error(String(error));
  span.recordException(failure);
  span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
}

/** Runs `work` in a span of its own, ended when the work settles, and failed if it throws. */
export function inSpan<T>(name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, options, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      recordFailure(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * Runs `work` in a child span of the active span, when there is one to record into; otherwise just
 * runs it. For paths every request takes (a booking's transaction): no span, no cost, when tracing is
 * off or nothing is traced around it.
 */
export function inChildSpan<T>(name: string, options: SpanOptions, work: () => Promise<T>): Promise<T> {
  if (trace.getActiveSpan()?.isRecording() !== true) return work();
  return inSpan(name, options, work);
}

/**
 * `fn`, run later in the context active now, whoever calls it. A group commit runs every unit of its
 * batch from the turn of the event loop of the batch's first caller; without this, a unit's log lines
 * and spans would belong to that other request's trace.
 */
export function inCurrentContext<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  return context.bind(context.active(), fn);
}
