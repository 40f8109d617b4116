# Sourced by scripts that run a program against the built server: starts it on a free loopback port
# and a temporary database with the demo data (development mode, real clock), and stops it.
# Needs `npm run build` first. Sets $port and $server; `stop_demo_server` fails unless it exits 0.

demo_server_label="${demo_server_label:-demo-server}"
server=""
port=""

# start_demo_server <folder for its database>
start_demo_server() {
  port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
  PORT="$port" HOST=127.0.0.1 NODE_ENV=development SEED_DEMO=true LOG_LEVEL=warn \
    DB_FILENAME="$1/demo-server.sqlite" node apps/server/dist/main.js &
  server=$!
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/api/ready" >/dev/null 2>&1 && return 0
    kill -0 "$server" 2>/dev/null || { echo "$demo_server_label: the server exited before it was ready" >&2; exit 1; }
    sleep 0.2
  done
  echo "$demo_server_label: the server never became ready" >&2
  exit 1
}

stop_demo_server() {
  kill -TERM "$server"
  wait "$server" || { echo "$demo_server_label: the server did not stop cleanly" >&2; exit 1; }
  server=""
}

# For an EXIT trap: stops a server still running, whatever happened.
kill_demo_server() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
}
