import { readFileSync } from 'node:fs';

/**
 * The Node flags the server ships with: those of apps/server's `start` script (a bounded heap, so a
 * small machine knows the server's footprint). The bench runs the server with them, so it measures
 * what production runs; `--server-flags` adds to them (a later flag wins).
 */
export function productionNodeFlags(): string[] {
  const manifest = JSON.parse(
    readFileSync(new URL('../../apps/server/package.json', import.meta.url), 'utf8'),
  ) as { scripts?: { start?: string } };
  const start = manifest.scripts?.start ?? '';
  const match = /^node((?:\s+--[\w-]+(?:=\S+)?)*)\s+dist\/main\.js$/.exec(start.trim());
  if (!match) throw new Error(`apps/server's start script is not "node [--flags] dist/main.js": ${start}`);
  return (match[1] ?? '').trim().split(/\s+/).filter(Boolean);
}
