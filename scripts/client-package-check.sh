#!/usr/bin/env bash
# The client package as someone outside this repository gets it: `npm pack` packages/client, install
# the tarball (and the repository's TypeScript) into a fresh folder from the npm registry, type-check a
# small program that uses both clients with `tsc --strict` (skipLibCheck off) under moduleResolution
# bundler, node16 and nodenext, and run it against the built server on a temporary database.
# Fails when the tarball does not install, when its declarations reach server internals, when a check
# fails or takes more than twice as long as the same check of a program that uses @trpc/client alone,
# or when the program gets a wrong answer. Needs `npm run build` first. Prints files and seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"

demo_server_label=client-package
# shellcheck source=lib/demo-server.sh
source scripts/lib/demo-server.sh

workdir="$(mktemp -d)"
cleanup() {
  kill_demo_server
  rm -rf "$workdir"
}
trap cleanup EXIT

# 1. Pack and install, as a consumer would (the npm registry for the dependencies).
npm pack --workspace @mentor-scheduling/client --pack-destination "$workdir" --silent >/dev/null
tarball="$(ls "$workdir"/*.tgz)"
echo "client-package: packed $(basename "$tarball") ($(du -k "$tarball" | cut -f1) kB)"
consumer="$workdir/consumer"
mkdir "$consumer"
cp scripts/client-package-check/*.ts "$consumer/"
printf '{ "name": "client-consumer", "private": true, "type": "module" }\n' >"$consumer/package.json"
typescript="typescript@$(node -p 'require("./package.json").devDependencies.typescript')"
(cd "$consumer" && npm install --no-audit --no-fund --loglevel=error "$tarball" "$typescript" >/dev/null)
# @trpc/server is a peer dependency (of @trpc/client and of this package): npm installs it with them.
installed="$(cd "$consumer" && node -e '
  const lock = require("./package-lock.json").packages;
  console.log(Object.keys(lock).filter((p) => p).map((p) => p.replace(/^node_modules\//, "") + "@" + lock[p].version).join(" "));
')"
echo "client-package: installed $installed"
for required in @trpc/client @trpc/server openapi-fetch; do
  [ -d "$consumer/node_modules/$required" ] || { echo "client-package: $required was not installed" >&2; exit 1; }
done
deps="$(node -p 'Object.keys(require(process.argv[1]).dependencies).sort().join(" ")' "$consumer/node_modules/@mentor-scheduling/client/package.json")"
[ "$deps" = "@trpc/client openapi-fetch" ] || { echo "client-package: dependencies are '$deps'" >&2; exit 1; }

# 2. Type-check under each module resolution, against a program that uses @trpc/client alone.
cd "$consumer"
tsc() { node node_modules/typescript/bin/tsc "$@"; }
# No @types/node: `fetch` comes from the DOM library; @trpc/server's declarations need `Disposable`.
tsconfig_for() { # program module resolution
  cat >"tsconfig.$1.$3.json" <<JSON
{
  "compilerOptions": {
    "strict": true, "skipLibCheck": false, "noEmit": true, "types": [],
    "target": "es2023", "lib": ["es2023", "esnext.disposable", "dom"],
    "module": "$2", "moduleResolution": "$3"
  },
  "files": ["$1.ts"]
}
JSON
  echo "tsconfig.$1.$3.json"
}
# Type-checks a program twice (failing on any error), listing its files into <tsconfig>.files, and
# answers "<seconds> <files>": the lower CPU time (user + system) of the two runs, which the other
# work on a shared machine disturbs less than wall time does.
check() {
  local best="" seconds run
  for run in 1 2; do
    { time tsc -p "$1" --listFiles >"$1.files" 2>&1; } 2>"$1.time" || {
      grep -v '^/' "$1.files" >&2
      echo "client-package: $1 does not type-check" >&2
      return 1
    }
    seconds="$(awk '{ printf "%.2f", $1 + $2 }' "$1.time")"
    if [ -z "$best" ] || awk -v a="$seconds" -v b="$best" 'BEGIN { exit !(a < b) }'; then best="$seconds"; fi
  done
  echo "$best $(grep -c '^/' "$1.files")"
}
TIMEFORMAT='%U %S'
leaks='node_modules/(@mentor-scheduling/(server|contracts)|fastify|@fastify|knex|tarn|pino|ajv|zod|zod-openapi|objection)/'
status=0
for setting in "esnext bundler" "node16 node16" "nodenext nodenext"; do
  read -r module resolution <<<"$setting"
  client="$(tsconfig_for consumer "$module" "$resolution")"
  alone="$(tsconfig_for trpc-only "$module" "$resolution")"
  read -r seconds files <<<"$(check "$client")"
  read -r alone_seconds alone_files <<<"$(check "$alone")"
  if grep -E "$leaks" "$client.files"; then
    echo "client-package: the declarations reach server internals under $resolution (files above)" >&2
    status=1
  fi
  ratio="$(awk -v a="$seconds" -v b="$alone_seconds" 'BEGIN { printf "%.2f", a / b }')"
  printf 'client-package: tsc --strict (skipLibCheck off), moduleResolution %-8s  client: %3d files %5.2f s   @trpc/client alone: %3d files %5.2f s   ratio %s (CPU seconds)\n' \
    "$resolution" "$files" "$seconds" "$alone_files" "$alone_seconds" "$ratio"
  if awk -v r="$ratio" 'BEGIN { exit !(r > 2) }'; then
    echo "client-package: type-checking the client takes more than twice as long as @trpc/client alone" >&2
    status=1
  fi
done
[ "$status" -eq 0 ] || exit "$status"

# 3. Run the program against the built server on a temporary database (demo data, real clock).
tsc -p "$(tsconfig_for consumer nodenext nodenext)" --noEmit false --outDir out
cd "$repo"
start_demo_server "$workdir"
API_URL="http://127.0.0.1:$port" node "$consumer/out/consumer.js"
stop_demo_server
