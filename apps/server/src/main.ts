import { ConfigError, loadConfig, loadDotEnv } from './config.js';
import { tracingRequested } from './telemetry/spans.js';

/** After the drain, closing the database and the rest gets this long; then the shutdown is abandoned (exit 1). */
const SHUTDOWN_AFTER_DRAIN_MS = 10_000;

async function main(): Promise<void> {
  loadDotEnv();
  const config = loadConfig();
  // Tracing starts before the app's modules load (knex and pg are patched as they load), and is not
  // even loaded without an OTLP endpoint. Hence app.js is imported here, not at the top.
  const tracing = tracingRequested(process.env)
    ? (await import('./telemetry/tracing.js')).startTracing(process.env)
    : null;
  const { buildApp } = await import('./app.js');
  const app = await buildApp(config);

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    const forced = setTimeout(() => {
      app.log.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.timeouts.shutdownDrainMs + SHUTDOWN_AFTER_DRAIN_MS);
    forced.unref();
    // Requests in flight get the drain period to finish; connections still open after it (a client
    // that stalls mid-body, a request that cannot finish) are closed, so the process exits cleanly.
    const drained = setTimeout(() => app.server.closeAllConnections(), config.timeouts.shutdownDrainMs);
    drained.unref();
    // The spans of the last requests are still queued for export: sent before exiting, whether
    // the close went well or not (a failed close is what its trace is most needed for).
    const exportLastSpans = () =>
      tracing?.shutdown().catch((error: unknown) => {
        app.log.warn({ err: error }, 'could not export the last traces');
      });
    app.close().then(
      async () => {
        await exportLastSpans();
        process.exit(0);
      },
      async (error: unknown) => {
        app.log.error({ err: error }, 'error while shutting down');
        await exportLastSpans();
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  await app.listen({ port: config.port, host: config.host });
  app.log.info(
    { docs: `http://localhost:${config.port}/docs`, database: config.database.client },
    'mentor scheduling service ready',
  );
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    console.error('Failed to start:', error instanceof Error ? error.message : error);
  }
  process.exit(1);
});
