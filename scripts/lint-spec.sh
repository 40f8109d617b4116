#!/usr/bin/env bash
# Spec lint over openapi/openapi.yaml: Redocly CLI with the rules in redocly.yaml (fails on any error
# and on any warning, the bar is zero problems, and on a configuration Redocly does not accept), then
# Spectral with its default OpenAPI rules (`spectral:oas`, .spectral.yaml), which fails on any error.
set -euo pipefail
cd "$(dirname "$0")/.."
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true

# Redocly prints a Node 20 deprecation banner; keep its own findings only (pipefail keeps its status).
quiet() { "$@" 2>&1 | { grep -v -e '[║╔╚]' -e '^[[:space:]]*$' || true; }; }

quiet npx --no-install redocly check-config
quiet npx --no-install redocly lint --format=stylish
npx --no-install redocly lint --format=json 2>/dev/null | node -e '
  const { totals } = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
  if (totals.errors + totals.warnings > 0) {
    console.error(`lint-spec: ${totals.errors} error(s), ${totals.warnings} warning(s): the bar is zero`);
    process.exit(1);
  }
  console.log("lint-spec: 0 errors, 0 warnings");
'

npx --no-install spectral lint openapi/openapi.yaml --ruleset .spectral.yaml --fail-severity=error
echo "lint-spec: Spectral (spectral:oas) found no errors"
