import { buildApp } from './app.js';
import { ConfigError, loadConfig, loadDotEnv } from './config.js';

/** After the drain, closing the database and the rest gets this long; then the shutdown is abandoned (exit 1). */
const SHUTDOWN_AFTER_DRAIN_MS = 10_000;

async function main(): Promise<void> {
  loadDotEnv();
  const config = loadConfig();
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
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'error while shutting down');
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
