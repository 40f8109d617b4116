import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const scriptsOf = (relativePath: string) =>
  (
    JSON.parse(readFileSync(new URL(relativePath, import.meta.url), 'utf8')) as {
      scripts: Record<string, string>;
    }
  ).scripts;
const nodeFlagsOf = (command: string) =>
  command.match(/\bnode((?:\s+--[\w-]+(?:=\S+)?)*)\s+\S*main\.js/)?.[1]?.trim();

describe('start scripts', () => {
  it('start the server with the same Node flags from the root and from apps/server (the bench uses them too)', () => {
    const serverFlags = nodeFlagsOf(scriptsOf('../package.json').start ?? '');
    expect(serverFlags).toMatch(/--max-old-space-size=\d+/);
    expect(nodeFlagsOf(scriptsOf('../../../package.json').start ?? '')).toBe(serverFlags);
  });
});
