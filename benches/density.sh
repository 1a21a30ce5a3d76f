#!/usr/bin/env bash
# Density: RSS of the server with N idle workers (one per app), and RSS
# stability as ttl:0 workers come and go.
#
#   benches/density.sh            # N=100
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100}
BIN=target/release/buntime-embedded
[ -x "$BIN" ] || { echo "build first: cargo build --release"; exit 1; }
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for i in $(seq "$N"); do
  mkdir -p "$dir/app$i/1.0.0"
  echo "export default { fetch() { return new Response('app $i') } }" > "$dir/app$i/1.0.0/index.js"
  echo '{ "ttl": 3600, "idleTimeout": 3600 }' > "$dir/app$i/1.0.0/worker.config.json"
done
mkdir -p "$dir/fresh/1.0.0"
echo "export default { fetch() { return new Response('fresh') } }" > "$dir/fresh/1.0.0/index.js"
APPS_DIR=$dir PORT=18280 V8_FLAGS="${V8_FLAGS:-}" MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-} POOL_SIZE=$((N + 10)) RUST_LOG=warn "$BIN" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:18280/ -o /dev/null && break; sleep 0.1; done
rss() { awk '/VmRSS/ { print $2 }' /proc/$pid/status; }
sleep 0.5
base=$(rss)
for i in $(seq "$N"); do curl -sf "http://127.0.0.1:18280/app$i/" -o /dev/null; done
sleep 1
loaded=$(rss)
echo "RSS with no app loaded:      $((base / 1024)) MB"
echo "RSS with $N idle workers:    $((loaded / 1024)) MB  ($(( (loaded - base) / N )) KB per worker)"
for _ in $(seq 100); do curl -sf http://127.0.0.1:18280/fresh/ -o /dev/null; done
after100=$(rss)
for _ in $(seq 2000); do curl -sf http://127.0.0.1:18280/fresh/ -o /dev/null; done
after2100=$(rss)
echo "RSS after 100 ttl:0 requests:  $((after100 / 1024)) MB; after 2,100: $((after2100 / 1024)) MB"
