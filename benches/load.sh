#!/usr/bin/env bash
# Load benchmark: wrk against the release binary on loopback.
#
#   benches/load.sh                 # buntime only
#   BUN=/path/to/bun benches/load.sh  # plus Bun.serve and a Bun
#                                     # worker-per-app peer, same run
#
# Prints, per target, the median over ROUNDS runs of requests/s and p99
# latency (keep-alive, CONNECTIONS connections), then the ttl:0 figures:
# one connection, so each request's latency is isolate creation + app load
# + the request itself.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
BIN=target/release/buntime-embedded
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 1; }
[ -x "$BIN" ] || { echo "build first: cargo build --release"; exit 1; }

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

start() { # name port command...
  local port=$2; shift 2
  PORT=$port "$@" >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/" -o /dev/null && return; sleep 0.1; done
  echo "server on $port did not start"; exit 1
}

# wrk → "req/s p50_ms p99_ms"
measure() { # url connections
  local threads=2; [ "$2" -lt 2 ] && threads=1
  wrk -t"$threads" -c"$2" -d"$DURATION" --latency "$1" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) } /^Requests\/sec/ { rps = $2 }
    END { printf "%.0f %.3f %.3f\n", rps, p50, p99 }'
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

report() { # label url connections
  local rows=()
  for _ in $(seq "$ROUNDS"); do rows+=("$(measure "$2" "$3")"); done
  local rps p50 p99
  rps=$(printf '%s\n' "${rows[@]}" | cut -d' ' -f1 | median)
  p50=$(printf '%s\n' "${rows[@]}" | cut -d' ' -f2 | median)
  p99=$(printf '%s\n' "${rows[@]}" | cut -d' ' -f3 | median)
  printf '%-34s %10s req/s   p50 %8s ms   p99 %8s ms\n' "$1" "$rps" "$p50" "$p99"
}

start buntime 18180 env APPS_DIR=benches/apps NODE_ENV=production RUST_LOG=warn "$BIN"
curl -sf http://127.0.0.1:18180/hello/ >/dev/null
echo "buntime-embedded $(git rev-parse --short HEAD 2>/dev/null), $ROUNDS x $DURATION, $(nproc) cores"
report "buntime hello (ttl 3600, c$CONNECTIONS)" http://127.0.0.1:18180/hello/ "$CONNECTIONS"
if [ -n "${BUN:-}" ]; then
  start bun 18181 "$BUN" benches/peers/bun-serve.js
  start bun-worker 18182 "$BUN" benches/peers/bun-worker-per-app.js
  report "Bun.serve (c$CONNECTIONS)" http://127.0.0.1:18181/ "$CONNECTIONS"
  report "Bun worker-per-app (c$CONNECTIONS)" http://127.0.0.1:18182/ "$CONNECTIONS"
fi
report "buntime ttl:0 (new isolate, c1)" http://127.0.0.1:18180/fresh/ 1
report "buntime ttl:0 (new isolate, c$CONNECTIONS)" http://127.0.0.1:18180/fresh/ "$CONNECTIONS"
