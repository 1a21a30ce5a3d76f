#!/usr/bin/env python3
"""Issue 7: the first request to a never-seen TypeScript app.

Generates TS_COPIES (default 20) copies of a ~1,000-line TypeScript app
(benches/gen_ts_app.py; each copy a new app name and a different seed baked
into every module, so neither the resolver nor the transpile cache has seen
it) into a temporary APPS_DIR, starts buntime, and for each copy times the
first request and then a second one with curl's time_total. The apps keep
their worker (`ttl` 60), so the second request shows the warm path. Between
copies it waits WAIT seconds (0.3) so the standby isolates are back, as on
a server that is not under load. Writes benches/.results/ts-<time>.json.
"""
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "benches")
BIN = os.path.join(ROOT, "target", "release", "buntime-embedded")
COPIES = int(os.environ.get("TS_COPIES", "20"))
LINES = int(os.environ.get("TS_LINES", "1000"))
WAIT = float(os.environ.get("WAIT", "0.3"))
PORT = 18500

sys.path.insert(0, BENCH)
from gen_ts_app import generate  # noqa: E402


def curl(url):
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total}", url],
                         capture_output=True, text=True, check=True).stdout.split()
    return int(out[0]), float(out[1]) * 1000


def main():
    apps = tempfile.mkdtemp(prefix="buntime-ts-")
    lines = modules = 0
    for k in range(COPIES):
        folder = os.path.join(apps, f"ts{k}", "1.0.0")
        lines, modules = generate(folder, f"copy{k}", LINES)
        with open(os.path.join(folder, "worker.config.json"), "w") as f:
            f.write('{ "ttl": 60, "idleTimeout": 60 }\n')
    env = dict(os.environ, APPS_DIR=apps, PORT=str(PORT), HOST="127.0.0.1", NODE_ENV="production",
               RUST_LOG="warn")
    server = subprocess.Popen([BIN], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    first, second, statuses = [], [], []
    try:
        for _ in range(100):
            try:
                if curl(f"http://127.0.0.1:{PORT}/_/health")[0] == 200:
                    break
            except subprocess.CalledProcessError:
                pass
            time.sleep(0.1)
        time.sleep(1.0)  # the standby isolates
        for k in range(COPIES):
            s1, t1 = curl(f"http://127.0.0.1:{PORT}/ts{k}/e3")
            s2, t2 = curl(f"http://127.0.0.1:{PORT}/ts{k}/e4")
            first.append(t1)
            second.append(t2)
            statuses += [s1, s2]
            time.sleep(WAIT)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()
        shutil.rmtree(apps, ignore_errors=True)
    ok = all(s == 200 for s in statuses)
    result = {
        "kind": "ts_first_request", "copies": COPIES, "lines": lines, "modules": modules, "all_200": ok,
        "first_ms": first, "second_ms": second,
        "first_median_ms": statistics.median(first), "first_max_ms": max(first), "first_min_ms": min(first),
        "second_median_ms": statistics.median(second), "second_max_ms": max(second),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }
    print(f"TS app ({lines} lines, {modules} modules), {COPIES} never-seen copies: first request median "
          f"{result['first_median_ms']:.1f} ms (min {result['first_min_ms']:.1f}, max {result['first_max_ms']:.1f}); "
          f"second {result['second_median_ms']:.2f} ms; all 200: {ok}", file=sys.stderr)
    os.makedirs(os.path.join(BENCH, ".results"), exist_ok=True)
    out = os.path.join(BENCH, ".results", time.strftime("ts-%Y%m%d-%H%M%S.json"))
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
    print(out)


if __name__ == "__main__":
    main()
