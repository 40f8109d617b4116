/**
 * Bundles a child process's entry (the server under test, or the ceiling) into one plain JavaScript
 * file with the sources of the workspace packages inside (the `source` condition, as tsx resolves
 * them) and every npm dependency left external. The child then runs on bare `node`, as the server
 * does in production: no loader thread, whose extra isolate would add about 40 MB to the server's
 * measured memory.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export async function bundleEntry(entry: string, outfile: string): Promise<string> {
  await build({
    absWorkingDir: repoRoot,
    entryPoints: [fileURLToPath(new URL(`./${entry}`, import.meta.url))],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['source'],
    logLevel: 'warning',
    plugins: [
      {
        name: 'npm-dependencies-stay-external',
        setup(plugin) {
          plugin.onResolve({ filter: /^[^./]/ }, async (args) => {
            if (args.path.startsWith('@mentor-scheduling/') || args.pluginData === 'resolving')
              return undefined;
            if (args.path.startsWith('node:')) return { path: args.path, external: true };
            // Resolved from the importing package (the bundle lives elsewhere), then left external.
            const resolved = await plugin.resolve(args.path, {
              kind: args.kind,
              resolveDir: args.resolveDir,
              importer: args.importer,
              pluginData: 'resolving',
            });
            if (resolved.errors.length > 0) return { errors: resolved.errors };
            return { path: resolved.path, external: true };
          });
        },
      },
    ],
  });
  return outfile;
}
