#!/usr/bin/env bash
# Starts the built server on a free port and a temporary database (demo data, real clock), runs
# examples/book-a-session.ts against it with both typed clients, and stops the server. Needs
# `npm run build` first (the example imports the built @mentor-scheduling/client).
set -euo pipefail
cd "$(dirname "$0")/.."
demo_server_label=example
# shellcheck source=lib/demo-server.sh
source scripts/lib/demo-server.sh

workdir="$(mktemp -d)"
cleanup() {
  kill_demo_server
  rm -rf "$workdir"
}
trap cleanup EXIT

start_demo_server "$workdir"
API_URL="http://127.0.0.1:$port" npx tsx examples/book-a-session.ts
stop_demo_server
