#!/usr/bin/env bash
# Instructions the server executes per request (user space, every thread),
# counted by callgrind: the same figure on every run, where request rates on
# these shared machines move by ±20% between minutes. For comparing two
# builds of one change, not for comparing with other servers.
#
#   benches/instructions.sh                          # /hello/ on target/release
#   benches/instructions.sh /json-echo/?a=1 /tmp/old-binary
#   TOP=30 benches/instructions.sh                   # also the costliest functions
#   BODY='{"a":1}' benches/instructions.sh /json-echo/?x=1   # POSTs BODY as JSON
#   KEEP=1 benches/instructions.sh                   # keeps the profiles
#
# Runs the server twice under valgrind, serving SHORT and then LONG requests
# on one keep-alive connection (one connection: each request is its own turn
# of the worker's event loop), and divides the difference of the two totals
# by the difference in requests, so start-up and shutdown cancel out. JIT
# compilation still shifts with timing under valgrind: changes of a few
# hundred instructions in JavaScript-heavy paths are within its noise.
# Needs valgrind (apt-get install -y valgrind); takes about a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
path=${1:-/hello/}
bin=${2:-target/release/buntime-embedded}
short=${SHORT:-300}
long=${LONG:-2300}
port=${PORT:-18570}
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install -y valgrind)"; exit 1; }
[ -x "$bin" ] || { echo "no binary at $bin (cargo build --release)"; exit 1; }
out=$(mktemp -d)
# KEEP=1 leaves the two callgrind profiles for callgrind_annotate.
if [ -n "${KEEP:-}" ]; then echo "profiles in $out"; else trap 'rm -rf "$out"' EXIT; fi

count() { # requests -> total instructions; leaves the profile in $out/cg.<requests>
  APPS_DIR=$PWD/benches/apps NODE_ENV=production RUST_LOG=warn HOST=127.0.0.1 PORT=$port \
    valgrind --tool=callgrind --smc-check=all-non-file \
    --callgrind-out-file="$out/cg.$1" "$bin" >"$out/log.$1" 2>&1 &
  local server=$!
  BODY=${BODY:-} python3 - "$port" "$1" "$path" <<'PY'
import http.client, os, sys, time
port, n, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
body = os.environ["BODY"].encode() or None
for _ in range(300):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port)
        c.request("GET", "/_/health")
        c.getresponse().read()
        break
    except OSError:
        time.sleep(0.2)
c = http.client.HTTPConnection("127.0.0.1", port)
for _ in range(n):
    if body is None:
        c.request("GET", path)
    else:
        c.request("POST", path, body, {"content-type": "application/json"})
    r = c.getresponse()
    r.read()
    if r.status != 200:
        sys.exit(f"{path} answered {r.status}")
PY
  kill -INT "$server"
  wait "$server" || true
  sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out/log.$1" | tail -1
}

a=$(count "$short")
b=$(count "$long")
echo "$path on $bin: $(( (b - a) / (long - short) )) instructions per request ($short and $long requests on one connection)"
if [ -n "${TOP:-}" ]; then
  # The same difference per function (self cost), costliest first.
  python3 - "$out/cg.$short" "$out/cg.$long" "$(( long - short ))" "$TOP" <<'PY'
import re, subprocess, sys
def costs(path):
    text = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", path],
                          capture_output=True, text=True).stdout
    found = {}
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)$", line)
        if m:
            name = re.sub(r" \[[^\]]*\]$", "", m.group(2)).replace("???:", "")
            found[name] = found.get(name, 0) + int(m.group(1).replace(",", ""))
    return found
a, b = costs(sys.argv[1]), costs(sys.argv[2])
n, top = int(sys.argv[3]), int(sys.argv[4])
rows = sorted(((b.get(k, 0) - a.get(k, 0)) / n, k) for k in set(a) | set(b))
for per_request, name in reversed(rows[-top:]):
    print(f"{per_request:8.0f}  {name[:150]}")
PY
fi
