/**
 * Writes openapi/openapi.yaml from the contract. With --check, writes nothing and fails when the
 * committed document differs from what the contract produces, so a stale spec never lands.
 */
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { buildOpenApiDocument } from '../src/openapi.js';
import { writeOrCheckGenerated } from './generated-file.js';

const target = fileURLToPath(new URL('../../../openapi/openapi.yaml', import.meta.url));
const header = '# Generated from packages/contracts by `npm run openapi`. Do not edit by hand.\n';
// YAML 1.1 quoting: many generators read the file with YAML 1.1 parsers (SnakeYAML in openapi-generator,
// PyYAML), which take an unquoted `19:00` for the number 1140 and `2026-12-01T19:00:00Z` for a date.
const rendered =
  header + stringify(buildOpenApiDocument(), { lineWidth: 0, aliasDuplicateObjects: false, version: '1.1' });

writeOrCheckGenerated(target, rendered, 'openapi/openapi.yaml');
