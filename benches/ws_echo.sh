#!/usr/bin/env bash
# WebSocket echo: messages/s and latency at CONNECTIONS clients (each sends,
# waits for its echo, repeats), Buntime vs Bun.serve running the same app
# module, alternating, median of ROUNDS rounds.
#
#   BUN=/path/to/bun benches/ws_echo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/v8-archive.sh
ROUNDS=${ROUNDS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
CONNECTIONS=${CONNECTIONS:-100}
BUN=${BUN:-bun}
cargo build --release -q --example ws_load
BIN=target/release/buntime-embedded
[ -x "$BIN" ] || { echo "build first: cargo build --release"; exit 1; }
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
APPS_DIR=benches/apps PORT=18400 RUST_LOG=warn "$BIN" >/dev/null 2>&1 & pids+=($!)
PORT=18401 "$BUN" benches/peers/bun-ws.js >/dev/null 2>&1 & pids+=($!)
for port in 18400 18401; do
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/" -o /dev/null && break; sleep 0.1; done
done
curl -sf http://127.0.0.1:18400/ws-echo/ -o /dev/null
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
ours=(); bun=()
for _ in $(seq "$ROUNDS"); do
  ours+=("$(target/release/examples/ws_load ws://127.0.0.1:18400/ws-echo/ "$CONNECTIONS" "$SECONDS_PER_RUN")")
  bun+=("$(target/release/examples/ws_load ws://127.0.0.1:18401/ "$CONNECTIONS" "$SECONDS_PER_RUN")")
done
report() { # name runs...
  local name=$1; shift
  local rate p99 errors
  rate=$(printf '%s\n' "$@" | cut -d' ' -f1 | median)
  p99=$(printf '%s\n' "$@" | cut -d' ' -f3 | median)
  errors=$(printf '%s\n' "$@" | cut -d' ' -f4 | paste -sd+ | bc)
  echo "$name: $rate msg/s  p99 $p99 ms  errors $errors"
  echo "$rate"
}
o=$(report buntime "${ours[@]}"); b=$(report "Bun.serve" "${bun[@]}")
echo "$o" | head -1; echo "$b" | head -1
awk -v o="$(echo "$o" | tail -1)" -v b="$(echo "$b" | tail -1)" 'BEGIN { printf "ratio %.2fx\n", o / b }'
