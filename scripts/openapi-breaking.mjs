#!/usr/bin/env node
// Change safety for the published contract: compares openapi/openapi.yaml with the one of the previous
// commit (OPENAPI_BASE_REF, default HEAD~1) using Optic's breaking-change rules (`optic diff --check`),
// prints the breaking changes it finds, grouped, and fails when there are some and openapi/BREAKING.md
// was not changed since that commit (the acknowledgement: a note for the clients, in the same commit).
// No previous commit (first commit, shallow clone) or no spec there: nothing to compare, success.
//   node scripts/openapi-breaking.mjs [--full]   (--full also prints Optic's whole report)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const specFile = 'openapi/openapi.yaml';
const noteFile = 'openapi/BREAKING.md';
// biome-ignore lint/suspicious/noUndeclaredEnvVars: read by this script only, never by a turbo task
const baseRef = process.env.OPENAPI_BASE_REF ?? 'HEAD~1';
const say = (line) => console.log(`openapi-breaking: ${line}`);

function git(...args) {
  const result = spawnSync('git', args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return result.status === 0 ? result.stdout : null;
}

const baseCommit = git('rev-parse', '--verify', '--quiet', `${baseRef}^{commit}`)?.trim();
if (!baseCommit) {
  say(`no commit ${baseRef} (first commit or shallow clone): nothing to compare`);
  process.exit(0);
}
const baseSpec = git('show', `${baseCommit}:${specFile}`);
if (baseSpec === null) {
  say(`${baseRef} (${baseCommit.slice(0, 7)}) has no ${specFile}: nothing to compare`);
  process.exit(0);
}
const headSpec = readFileSync(join(root, specFile), 'utf8');
if (headSpec === baseSpec) {
  say(`${specFile} is unchanged since ${baseRef} (${baseCommit.slice(0, 7)})`);
  process.exit(0);
}

const require = createRequire(import.meta.url);
const opticPackage = require.resolve('@useoptic/optic/package.json');
const opticVersion = JSON.parse(readFileSync(opticPackage, 'utf8')).version;
const optic = join(dirname(opticPackage), 'build/index.js');

const dir = mkdtempSync(join(tmpdir(), 'openapi-breaking-'));
let report;
let status;
try {
  const basePath = join(dir, 'base.yaml');
  writeFileSync(basePath, baseSpec);
  say(`comparing ${specFile} with ${baseRef} (${baseCommit.slice(0, 7)}) using Optic ${opticVersion}…`);
  const result = spawnSync(process.execPath, [optic, 'diff', basePath, join(root, specFile), '--check'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, OPTIC_TELEMETRY_LEVEL: 'off', NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  report = stripVTControlCharacters(`${result.stdout ?? ''}${result.stderr ?? ''}`);
  status = result.status;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (process.argv.includes('--full')) console.log(report);

// Optic's report: per operation ("x POST /api/bookings:"), its parts ("- response 409:"), and each
// failed check ("x [rule] message. This is a breaking change.").
const findings = new Map();
let operation = '';
let part = '';
for (const line of report.split('\n')) {
  const operationLine = /^[x✔]\s+((?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+\S+?):?\s*$/.exec(line.trim());
  if (operationLine && !line.startsWith(' ')) {
    operation = operationLine[1];
    part = '';
    continue;
  }
  const partLine =
    /^ {2}- ((?:response|path parameter|query parameter|header parameter|request body|cookie parameter)[^:]*):/.exec(
      line,
    );
  if (partLine) part = partLine[1];
  const finding = /x \[([^\]]+)\] (.+?)(?: This is a breaking change\.)?$/.exec(line.trim());
  if (finding) {
    const key = `[${finding[1]}] ${finding[2]}`;
    const places = findings.get(key) ?? [];
    places.push([operation, part].filter(Boolean).join(' '));
    findings.set(key, places);
  }
}

if (status !== 0 && findings.size === 0) {
  console.log(report);
  say(`Optic failed (exit ${status}) without reporting a breaking change: see its output above`);
  process.exit(1);
}
if (findings.size === 0) {
  say(`no breaking changes since ${baseRef}`);
  process.exit(0);
}

say(`${findings.size} breaking change(s) since ${baseRef}:`);
for (const [finding, places] of findings) {
  const operations = [...new Set(places.map((place) => place.split(' ').slice(0, 2).join(' ')))];
  const shown = operations.slice(0, 6).join(', ');
  const more = operations.length > 6 ? `, … (${operations.length} operations)` : '';
  console.log(`  - ${finding}\n      ${places.length} place(s) in ${shown}${more}`);
}

const baseNote = git('show', `${baseCommit}:${noteFile}`);
const headNote = existsSync(join(root, noteFile)) ? readFileSync(join(root, noteFile), 'utf8') : null;
if (headNote !== null && headNote !== baseNote) {
  say(`acknowledged: ${noteFile} changed since ${baseRef}, so clients are told. Passing.`);
  process.exit(0);
}
say(
  `not acknowledged: describe these changes for clients in ${noteFile} (in the same commit), or make the change compatible. Failing.`,
);
process.exit(1);
