#!/usr/bin/env bash
# Starts the built server on a free port and a temporary database (demo data, real clock), runs
# examples/book-a-session.ts against it with both typed clients, and stops the server. Needs
# `npm run build` first (the example imports the built @mentor-scheduling/client).
set -euo pipefail
cd "$(dirname "$0")/.."

workdir="$(mktemp -d)"
server=""
cleanup() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$workdir"
}
trap cleanup EXIT

port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
PORT="$port" HOST=127.0.0.1 NODE_ENV=development SEED_DEMO=true LOG_LEVEL=warn \
  DB_FILENAME="$workdir/example.sqlite" node apps/server/dist/main.js &
server=$!

for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/api/ready" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { echo "example: the server exited before it was ready" >&2; exit 1; }
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$port/api/ready" >/dev/null || { echo "example: the server never became ready" >&2; exit 1; }

API_URL="http://127.0.0.1:$port" npx tsx examples/book-a-session.ts

kill -TERM "$server"
wait "$server" || { echo "example: the server did not stop cleanly" >&2; exit 1; }
server=""
