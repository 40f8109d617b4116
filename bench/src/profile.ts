/**
 * A small reader of V8 `.cpuprofile` files: self time per function and per package, optionally only
 * between two instants (the start and end of one scenario), so a profile of a whole run can be split
 * by scenario.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  where: string;
  ms: number;
  /** Share of the busy (non-idle) time of the window. */
  percent: number;
}

export interface ProfileSummary {
  windowMs: number;
  busyMs: number;
  idleMs: number;
  topFunctions: SelfTime[];
  byPackage: { name: string; ms: number; percent: number }[];
}

const root = process.cwd().replace(/\/bench$/, '');

/** esbuild starts each module of a bundle with a `// path/of/module.ts` line: where each one begins. */
const bundleSections = new Map<string, { line: number; module: string }[]>();

function sectionsOf(url: string): { line: number; module: string }[] {
  let sections = bundleSections.get(url);
  if (!sections) {
    sections = [];
    const path = url.startsWith('file://') ? fileURLToPath(url) : url;
    if (url.endsWith('.mjs') && existsSync(path)) {
      readFileSync(path, 'utf8')
        .split('\n')
        .forEach((text, line) => {
          const module = /^\/\/ ((?:apps|packages|bench)\/\S+\.ts)$/.exec(text)?.[1];
          if (module) sections?.push({ line, module });
        });
    }
    bundleSections.set(url, sections);
  }
  return sections;
}

/** The source module a line of a bundle came from, or null outside bundles. */
function moduleAt(url: string, line: number): string | null {
  const sections = sectionsOf(url);
  let found: string | null = null;
  for (const section of sections) {
    if (section.line > line) break;
    found = section.module;
  }
  return found;
}

function shortUrl(url: string): string {
  return url
    .replace(/^file:\/\//, '')
    .replace(`${root}/`, '')
    .replace(/^.*node_modules\//, '');
}

/** Who a frame's time belongs to: a package of node_modules, a folder of our sources, or Node itself. */
function packageOf(frame: ProfileNode['callFrame']): string {
  const { functionName } = frame;
  const url = moduleAt(frame.url, frame.lineNumber) ?? frame.url;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node (internals)';
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (inModules) return inModules[1] as string;
  const ours = /(apps\/[^/]+\/src\/[^/]+|packages\/[^/]+\/src|bench\/src)/.exec(url);
  return ours ? (ours[1] as string) : shortUrl(url);
}

export function summariseProfile(
  path: string,
  window: { fromMicros?: number; toMicros?: number } = {},
  top = 15,
): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map<number, number>();
  const from = window.fromMicros ?? Number.NEGATIVE_INFINITY;
  const to = window.toMicros ?? Number.POSITIVE_INFINITY;
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    // A sample stands for the time until the next one.
    const span = profile.timeDeltas[i + 1] ?? 0;
    if (at < from || at >= to) continue;
    const id = profile.samples[i] as number;
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + span);
  }

  const byFunction = new Map<string, { name: string; where: string; micros: number }>();
  const byPackage = new Map<string, number>();
  let idle = 0;
  let total = 0;
  for (const [id, micros] of selfMicros) {
    const frame = (nodes.get(id) as ProfileNode).callFrame;
    total += micros;
    if (frame.functionName === '(idle)') {
      idle += micros;
      continue;
    }
    const name = frame.functionName || '(anonymous)';
    const module = frame.url ? moduleAt(frame.url, frame.lineNumber) : null;
    const where = module ?? (frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '');
    const key = `${name} ${where}`;
    const entry = byFunction.get(key) ?? { name, where, micros: 0 };
    entry.micros += micros;
    byFunction.set(key, entry);
    const owner = packageOf(frame);
    byPackage.set(owner, (byPackage.get(owner) ?? 0) + micros);
  }
  const busy = total - idle;
  const ms = (micros: number) => Math.round(micros / 100) / 10;
  const percent = (micros: number) => (busy > 0 ? Math.round((micros / busy) * 1000) / 10 : 0);
  return {
    windowMs: ms(total),
    busyMs: ms(busy),
    idleMs: ms(idle),
    topFunctions: [...byFunction.values()]
      .sort((a, b) => b.micros - a.micros)
      .slice(0, top)
      .map((entry) => ({
        name: entry.name,
        where: entry.where,
        ms: ms(entry.micros),
        percent: percent(entry.micros),
      })),
    byPackage: [...byPackage]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => ({ name, ms: ms(micros), percent: percent(micros) })),
  };
}

export function formatProfileSummary(title: string, summary: ProfileSummary): string {
  const lines = [
    `${title}: ${summary.busyMs} ms busy, ${summary.idleMs} ms idle`,
    '  top self time:',
    ...summary.topFunctions.map(
      (entry) => `    ${String(entry.percent).padStart(5)}%  ${entry.name}  ${entry.where}`,
    ),
    '  by package:',
    ...summary.byPackage
      .slice(0, 10)
      .map((entry) => `    ${String(entry.percent).padStart(5)}%  ${entry.name}`),
  ];
  return lines.join('\n');
}

// `tsx src/profile.ts <file.cpuprofile>`: summarise a profile on its own.
if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: tsx src/profile.ts <file.cpuprofile>');
    process.exit(1);
  }
  console.log(formatProfileSummary(file, summariseProfile(file)));
}
