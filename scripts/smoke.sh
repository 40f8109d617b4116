#!/usr/bin/env bash
# Starts the built server as a newcomer would (embedded SQLite, demo data), calls the first backend's
# two documented endpoints and the docs, then stops it with SIGTERM and expects a clean exit.
set -euo pipefail
port="${SMOKE_PORT:-5099}"
workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT

PORT="$port" DB_FILENAME="$workdir/data/smoke.sqlite" LOG_LEVEL=warn node apps/server/dist/main.js &
server=$!
for _ in $(seq 1 50); do
  curl -fsS "http://127.0.0.1:$port/api/ready" >/dev/null 2>&1 && break
  sleep 0.2
done

fail() { echo "smoke: $*" >&2; kill "$server" 2>/dev/null || true; exit 1; }
mentors=$(curl -fsS "http://127.0.0.1:$port/api/mentors?area_of_expertise=Equity%20Research") || fail "GET /api/mentors failed"
echo "$mentors" | grep -q '"availability":\["' || fail "mentors have no availability: $mentors"
read -r mentor_id slot < <(echo "$mentors" | node -e \
  'const [m] = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(m.id, m.availability[0])')
token=$(curl -fsS -X POST "http://127.0.0.1:$port/api/auth/login" -H 'content-type: application/json' \
  -d '{"email":"aarav.sharma@example.com","password":"demo-password"}' |
  node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).token)') || fail "demo login failed"
booking=$(curl -fsS -X POST "http://127.0.0.1:$port/api/bookings" -H 'content-type: application/json' \
  -H "Authorization: Bearer $token" \
  -d "{\"student_id\":1,\"mentor_id\":$mentor_id,\"start_time\":\"$slot\",\"duration\":30,\"cost\":2000}") ||
  fail "POST /api/bookings failed"
echo "$booking" | grep -q '"message":"Booking confirmed","booking_id":' || fail "unexpected booking answer: $booking"
curl -fsS "http://127.0.0.1:$port/docs/" | grep -qi 'swagger' || fail "/docs does not serve the reference"

kill -TERM "$server"
wait "$server" || fail "server did not exit cleanly on SIGTERM"
echo "smoke: install-and-start path works (mentors, booking, docs, graceful shutdown)"
