#!/usr/bin/env bash
# The benchmark suite in one command: buntime against Bun.serve, Deno.serve
# and the original Buntime's model (Bun + Workers), same app modules, wrk on
# loopback; then Issue 7's first-request-to-a-TypeScript-app timing and the
# idle-worker memory figures; writes benches/RESULTS.md.
#
#   benches/compare.sh                      # everything (~25 minutes)
#   DURATION=2 WARMUP=1 PASSES=1 WORKLOADS="hello cpu" benches/compare.sh
#   SKIP="ts density" benches/compare.sh     # throughput only
#
# Builds the release binary if it is missing; installs Bun and Deno from npm
# into benches/.peers/ (BUN_VERSION, DENO_VERSION; or point BUN=/DENO= at
# binaries) and hono into benches/apps/hono/1.0.0/node_modules (npm ci).
# Settings of the throughput part: see benches/compare.py.
set -euo pipefail
cd "$(dirname "$0")/.."
BUN_VERSION=${BUN_VERSION:-1.4.5}
DENO_VERSION=${DENO_VERSION:-2.9.6}
SKIP=${SKIP:-}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install -y wrk)"; exit 1; }
command -v npm >/dev/null || { echo "needs npm (to install the peers)"; exit 1; }

if [ ! -x target/release/buntime-embedded ]; then
  [ -f .ci/v8-archive.sh ] && source .ci/v8-archive.sh
  cargo build --release
fi

peers=benches/.peers
mkdir -p "$peers" benches/.results
install_peer() { # npm package, file inside package/, destination
  local tmp; tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$1" >/dev/null && tar xzf ./*.tgz)
  install -m 755 "$tmp/package/$2" "$3"
  rm -rf "$tmp"
}
if [ -z "${BUN:-}" ]; then
  if [ ! -x "$peers/bun" ] || [ "$("$peers/bun" --version)" != "$BUN_VERSION" ]; then
    echo "installing Bun $BUN_VERSION from npm" >&2
    install_peer "@oven/bun-linux-x64@$BUN_VERSION" bin/bun "$peers/bun"
  fi
  export BUN=$PWD/$peers/bun
fi
if [ -z "${DENO:-}" ]; then
  if [ ! -x "$peers/deno" ] || ! "$peers/deno" --version | grep -q "^deno $DENO_VERSION "; then
    echo "installing Deno $DENO_VERSION from npm" >&2
    install_peer "@deno/linux-x64-glibc@$DENO_VERSION" deno "$peers/deno"
  fi
  export DENO=$PWD/$peers/deno
fi
[ -d benches/apps/hono/1.0.0/node_modules/hono ] ||
  (cd benches/apps/hono/1.0.0 && npm ci --ignore-scripts --no-audit --no-fund --silent)

results=()
results+=("$(python3 benches/compare.py)")
case " $SKIP " in *" ts "*) ;; *) results+=("$(python3 benches/ts_first_request.py)") ;; esac
case " $SKIP " in *" density "*) ;; *) results+=("$(OUT=1 benches/density.sh)") ;; esac
python3 benches/report.py "${results[@]}"
