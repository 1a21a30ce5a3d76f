#!/usr/bin/env bash
# Proxy overhead: wrk against an upstream directly and through a Buntime
# proxy rule, same run. Prints medians of ROUNDS rounds.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/v8-archive.sh
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
cargo build --release --example upstream -q
BIN=target/release/buntime-embedded
[ -x "$BIN" ] || { echo "build first: cargo build --release"; exit 1; }
dir=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$dir"' EXIT
mkdir -p "$dir/gw/1.0.0"
echo '{ "proxy": { "^/(.*)$": { "target": "http://127.0.0.1:18300", "rewrite": "/$1" } } }' > "$dir/gw/1.0.0/worker.config.json"
target/release/examples/upstream 18300 & pids+=($!)
APPS_DIR=$dir PORT=18301 RUST_LOG=warn "$BIN" >/dev/null 2>&1 & pids+=($!)
for _ in $(seq 100); do curl -sf http://127.0.0.1:18301/gw/x -o /dev/null && break; sleep 0.1; done
# A peer measured in the same run: nginx as a reverse proxy (keep-alive to
# the upstream, one worker process per core), when installed.
NGINX=${NGINX:-$(command -v nginx || ls /usr/sbin/nginx 2>/dev/null || true)}
if [ -n "$NGINX" ]; then
  mkdir -p "$dir/nginx"
  cat > "$dir/nginx/nginx.conf" <<CONF
worker_processes auto;
error_log $dir/nginx/error.log;
pid $dir/nginx/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  upstream up { server 127.0.0.1:18300; keepalive 64; }
  server {
    listen 127.0.0.1:18302;
    location /gw/ {
      proxy_pass http://up/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
CONF
  "$NGINX" -c "$dir/nginx/nginx.conf" -g 'daemon off;' 2>/dev/null & pids+=($!)
  for _ in $(seq 100); do curl -sf http://127.0.0.1:18302/gw/x -o /dev/null && break; sleep 0.1; done
fi
run() {
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$1" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /^ +99%/ { p99 = ms($2) } /^Requests\/sec/ { rps = $2 } END { printf "%.0f %.3f\n", rps, p99 }'
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
direct=(); proxied=(); nginx=()
for _ in $(seq "$ROUNDS"); do
  direct+=("$(run http://127.0.0.1:18300/hello)")
  proxied+=("$(run http://127.0.0.1:18301/gw/hello)")
  [ -n "$NGINX" ] && nginx+=("$(run http://127.0.0.1:18302/gw/hello)")
done
d_rps=$(printf '%s\n' "${direct[@]}" | cut -d' ' -f1 | median); d_p99=$(printf '%s\n' "${direct[@]}" | cut -d' ' -f2 | median)
p_rps=$(printf '%s\n' "${proxied[@]}" | cut -d' ' -f1 | median); p_p99=$(printf '%s\n' "${proxied[@]}" | cut -d' ' -f2 | median)
echo "upstream direct:  $d_rps req/s  p99 $d_p99 ms"
echo "through proxy:    $p_rps req/s  p99 $p_p99 ms"
awk -v p="$p_rps" -v d="$d_rps" -v pp="$p_p99" -v dp="$d_p99" 'BEGIN { printf "ratio %.2fx, added p99 %.3f ms\n", p / d, pp - dp }'
if [ ${#nginx[@]} -gt 0 ]; then
  n_rps=$(printf '%s\n' "${nginx[@]}" | cut -d' ' -f1 | median); n_p99=$(printf '%s\n' "${nginx[@]}" | cut -d' ' -f2 | median)
  echo "through nginx:    $n_rps req/s  p99 $n_p99 ms"
  awk -v p="$p_rps" -v n="$n_rps" -v d="$d_rps" 'BEGIN { printf "nginx ratio %.2fx; buntime / nginx %.2fx\n", n / d, p / n }'
fi
