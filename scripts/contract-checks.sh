#!/usr/bin/env bash
# Contract verification with third-party tools: the spec, the server and the clients never drift.
# Runs from the repository root after `npm ci` and `npm run build`; every step fails the run.
#   1. spec lint (Redocly CLI, redocly.yaml): zero errors, zero warnings
#   2. client contract: the REST and tRPC clients' types against the zod schemas (type-level tests),
#      and the example program's types
#   3. change safety: breaking changes since the previous commit (Optic), acknowledged in openapi/BREAKING.md
#   4. property-based fuzzing of every REST operation (fast-check, seeded) and the end-to-end run
#      through Prism's validation proxy (every operation, every documented status)
#   5. REST/tRPC parity generated from the operation table
#   6. the example program with both clients against a running server
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== contract: %s ===\n' "$*"; }
started=$SECONDS

step "spec lint (Redocly CLI $(node -p 'require("@redocly/cli/package.json").version'), rules in redocly.yaml)"
bash scripts/lint-spec.sh

step "client contract: REST and tRPC client types match the contract (tsc over packages/client/test/contract-types.test.ts)"
npm run typecheck --workspace @mentor-scheduling/client
npx --no-install tsc -p examples/tsconfig.json

step "change safety: breaking changes since the previous commit (Optic)"
node scripts/openapi-breaking.mjs

step "fuzzing every REST operation (fast-check) and the end-to-end run through Prism $(node -p 'require("@stoplight/prism-cli/package.json").version') --errors"
(cd apps/server && npx --no-install vitest run --config vitest.contract.config.ts)

step "REST/tRPC parity generated from the operation table"
(cd apps/server && npx --no-install vitest run --project better-sqlite3 test/http/parity-table.test.ts)

step "example program: both clients against a running server"
bash scripts/run-example.sh

printf '\ncontract checks passed in %ss\n' "$((SECONDS - started))"
