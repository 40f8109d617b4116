import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Writes a file generated from the contract, or with `--check` on the command line writes nothing and
 * fails when the committed file differs from what the contract produces, so a stale one never lands.
 */
export function writeOrCheckGenerated(target: string, rendered: string, name: string): void {
  if (!process.argv.includes('--check')) {
    writeFileSync(target, rendered);
    console.log(`Wrote ${target}`);
    return;
  }
  let committed = '';
  try {
    committed = readFileSync(target, 'utf8');
  } catch {
    // A missing file is as stale as a different one.
  }
  if (committed !== rendered) {
    console.error(`${name} is stale: run \`npm run openapi\` and commit the result.`);
    process.exit(1);
  }
  console.log(`${name} is up to date.`);
}
