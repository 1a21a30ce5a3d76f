#!/usr/bin/env bash
# bun:sqlite point query in a handler: wrk against buntime and, with BUN
# set, against Bun running the same handler with Bun.serve.
#
#   benches/sqlite.sh
#   BUN=/path/to/bun benches/sqlite.sh
#   BIN=target/debug/buntime-embedded benches/sqlite.sh   # smoke run
#
# Both open the same kind of database (10,000 rows, made at start-up in
# the app folder) and answer GET /?id=N with one row as JSON.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
BIN=${BIN:-target/release/buntime-embedded}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 1; }
[ -x "$BIN" ] || { echo "build first: cargo build --release"; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# The handler, shared by both servers (without ?id= a counter walks the
# rows). Buntime resolves the relative path against the app folder; Bun's
# server sets BENCH_DB to a path beside it.
handler='import { Database } from "bun:sqlite";
const db = new Database(globalThis.BENCH_DB ?? "bench.db");
db.exec("PRAGMA journal_mode = WAL");
db.exec("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT, price REAL)");
if (db.query("SELECT count(*) AS n FROM items").get().n === 0) {
  const insert = db.prepare("INSERT INTO items (name, price) VALUES (?, ?)");
  db.transaction(() => { for (let i = 0; i < 10000; i++) insert.run("item " + i, i / 100); })();
}
const byId = db.query("SELECT id, name, price FROM items WHERE id = ?");
let n = 0;
export const handle = (req) => {
  const id = Number(new URL(req.url).searchParams.get("id")) || (n++ % 10000) + 1;
  return Response.json(byId.get(id));
};'

mkdir -p "$work/apps/sq/1.0.0" "$work/bun"
printf '%s\nexport default { fetch: handle };\n' "$handler" > "$work/apps/sq/1.0.0/index.js"
echo '{"ttl": 3600, "maxRequests": 100000000}' > "$work/apps/sq/1.0.0/worker.config.json"
printf '%s\n' "$handler" > "$work/bun/handler.js"
printf 'globalThis.BENCH_DB = import.meta.dir + "/bench.db";\nconst { handle } = await import("./handler.js");\nBun.serve({ port: Number(process.env.PORT), fetch: handle });\n' \
  > "$work/bun/server.js"

start() { # port command...
  local port=$1; shift
  PORT=$port "$@" >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/$PROBE" -o /dev/null && return; sleep 0.1; done
  echo "server on $port did not start"; exit 1
}

report() { # label url
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$2" | awk -v label="$1" '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) } /^Requests\/sec/ { rps = $2 }
    END { printf "%-28s %10.0f req/s   p50 %8.3f ms   p99 %8.3f ms\n", label, rps, p50, p99 }'
}

PROBE="sq/?id=1" start 18190 env APPS_DIR="$work/apps" NODE_ENV=production RUST_LOG=warn "$BIN"
echo "sqlite point query, $DURATION, c$CONNECTIONS, $(nproc) cores"
curl -s "http://127.0.0.1:18190/sq/?id=4242"; echo
report "buntime bun:sqlite" "http://127.0.0.1:18190/sq/?id=4242"
if [ -n "${BUN:-}" ]; then
  PROBE="?id=1" start 18191 "$BUN" "$work/bun/server.js"
  report "Bun bun:sqlite" "http://127.0.0.1:18191/?id=4242"
fi
