/**
 * Preloaded (`--import`) into a server process under test: as the process exits, writes to
 * LOADED_MODULES_FILE the OpenTelemetry modules it had loaded. The SDK, its exporters and the
 * instrumentations are CommonJS packages, so Node's require cache lists them however they were
 * imported.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const file = process.env.LOADED_MODULES_FILE;

if (file) {
  process.on('exit', () => {
    const loaded = Object.keys(require.cache).filter((path) =>
      /[/\\](@opentelemetry|@fastify[/\\]otel|require-in-the-middle|import-in-the-middle)[/\\]/.test(path),
    );
    writeFileSync(file, JSON.stringify(loaded));
  });
}
