#!/usr/bin/env bash
# Density: RSS of the server with N idle workers (one per app, each app
# requested once, configured to keep its worker), for each N in COUNTS, a
# fresh server each time; then RSS stability as ttl:0 workers come and go.
# With BUN set (or benches/.peers/bun present) also the original model's
# figure: one Bun process holding N idle Workers (N ≤ BUN_MAX, 100).
#
#   benches/density.sh                   # COUNTS="1 100 1000"
#   COUNTS=100 WORKER_HEAP_MB=32 benches/density.sh
#   OUT=1 benches/density.sh             # also writes benches/.results/density-*.json, prints its path
set -euo pipefail
cd "$(dirname "$0")/.."
COUNTS=${COUNTS:-1 100 1000}
CHURN=${CHURN:-1}
BUN=${BUN:-$( [ -x benches/.peers/bun ] && echo "$PWD/benches/.peers/bun" || true )}
BUN_MAX=${BUN_MAX:-100}
BIN=target/release/buntime-embedded
[ -x "$BIN" ] || { echo "build first: cargo build --release"; exit 1; }
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
say() { echo "$@" >&2; }
rss() { awk '/^VmRSS/ { print $2 }' /proc/$1/status; }
threads() { awk '/^Threads/ { print $2 }' /proc/$1/status; }
PORT=18280

max=0; for n in $COUNTS; do [ "$n" -gt "$max" ] && max=$n; done
for i in $(seq "$max"); do
  mkdir -p "$dir/app$i/1.0.0"
  echo "export default { fetch() { return new Response('app $i') } }" > "$dir/app$i/1.0.0/index.js"
  echo '{ "ttl": 600, "idleTimeout": 600, "maxRequests": 1000000 }' > "$dir/app$i/1.0.0/worker.config.json"
done
mkdir -p "$dir/fresh/1.0.0"
echo "export default { fetch() { return new Response('fresh') } }" > "$dir/fresh/1.0.0/index.js"

start() { # pool size
  export WORKER_HEAP_MB
  APPS_DIR=$dir PORT=$PORT HOST=127.0.0.1 NODE_ENV=production POOL_SIZE=$1 WATCH=false \
    V8_FLAGS="${V8_FLAGS:-}" RUST_LOG=warn "$BIN" >/dev/null 2>"$dir/server.err" &
  pid=$!
  for _ in $(seq 100); do curl -sf http://127.0.0.1:$PORT/_/health -o /dev/null && break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null || { say "server did not start: $(cat "$dir/server.err")"; exit 1; }
  sleep 1 # standby isolates
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }

rows=()
for n in $COUNTS; do
  start $((n + 10))
  base=$(rss $pid)
  for i in $(seq "$n"); do echo "url = \"http://127.0.0.1:$PORT/app$i/\""; echo 'output = "/dev/null"'; done |
    curl -sf --no-progress-meter --parallel --parallel-max 4 -K - || { say "requests failed"; exit 1; }
  sleep 2
  loaded=$(rss $pid)
  active=$(curl -sf http://127.0.0.1:$PORT/_/metrics | python3 -c 'import json,sys; print(json.load(sys.stdin)["activeWorkers"])')
  t=$(threads $pid)
  per=$(( (loaded - base) / n ))
  say "buntime: RSS $((base / 1024)) MB before, $((loaded / 1024)) MB with $n idle workers (active $active, $t threads): $per KB per worker"
  rows+=("{\"target\":\"buntime\",\"n\":$n,\"base_kb\":$base,\"loaded_kb\":$loaded,\"active\":$active,\"threads\":$t,\"per_worker_kb\":$per}")
  stop
done

if [ "$CHURN" = 1 ]; then
  start 20
  for _ in $(seq 100); do curl -sf http://127.0.0.1:$PORT/fresh/ -o /dev/null; done
  after100=$(rss $pid)
  for _ in $(seq 2000); do curl -sf http://127.0.0.1:$PORT/fresh/ -o /dev/null; done
  after2100=$(rss $pid)
  say "buntime: RSS after 100 ttl:0 requests $((after100 / 1024)) MB; after 2,100: $((after2100 / 1024)) MB"
  rows+=("{\"target\":\"buntime-ttl0-churn\",\"after100_kb\":$after100,\"after2100_kb\":$after2100}")
  stop
fi

if [ -n "$BUN" ]; then
  for n in $COUNTS; do
    [ "$n" -gt "$BUN_MAX" ] && continue
    "$BUN" benches/peers/bun-idle-workers.js "$dir" "$n" > "$dir/bun.out" 2>&1 &
    pid=$!
    for _ in $(seq 600); do grep -q '^ready' "$dir/bun.out" && break; sleep 0.1; done
    grep -q '^ready' "$dir/bun.out" || { say "bun idle workers did not start: $(cat "$dir/bun.out")"; exit 1; }
    base=$(awk '/^ready/ { print $2 }' "$dir/bun.out")
    sleep 2
    loaded=$(rss $pid)
    per=$(( (loaded - base) / n ))
    say "original model (Bun $("$BUN" --version) + Worker per app): RSS $((base / 1024)) MB before, $((loaded / 1024)) MB with $n idle workers: $per KB per worker"
    rows+=("{\"target\":\"bun-worker-per-app\",\"n\":$n,\"base_kb\":$base,\"loaded_kb\":$loaded,\"per_worker_kb\":$per}")
    stop
  done
fi

if [ -n "${OUT:-}" ]; then
  mkdir -p benches/.results
  out=benches/.results/density-$(date +%Y%m%d-%H%M%S).json
  (IFS=,; echo "{\"kind\":\"density\",\"worker_heap_mb\":\"${WORKER_HEAP_MB:-default}\",\"rows\":[${rows[*]}]}") > "$out"
  echo "$PWD/$out"
fi
