/**
 * Preloaded (`--import`) into the server process by `--otlp`: starts tracing before the server's
 * modules load, as the server's main.ts does when OTEL_EXPORTER_OTLP_ENDPOINT is set.
 */
import { startTracing } from '@mentor-scheduling/server/tracing';

startTracing(process.env);
