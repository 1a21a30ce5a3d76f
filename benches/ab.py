#!/usr/bin/env python3
"""Interleaved A/B of two buntime binaries on one machine: hello req/s
(wrk, 32 connections) and the latency of a `ttl: 0` request (one client,
paced, so each request meets a primed isolate as in production).

    benches/ab.py OLD_BINARY NEW_BINARY [ROUNDS]

Rounds alternate A, B, A, B ... with a fresh server each, so drift in the
machine's speed lands on both; the summary quotes medians and the ratio
of medians (new / old). Needs wrk.
"""
import http.client
import os
import re
import statistics
import subprocess
import sys
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
APPS = os.path.join(BENCH, "apps")
PORT = 18590


def start(binary):
    env = dict(os.environ, APPS_DIR=APPS, PORT=str(PORT), HOST="127.0.0.1", RUST_LOG="warn")
    proc = subprocess.Popen([binary], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    proc.stdout.readline()  # "listening on ..."
    return proc


def hello_rps(seconds):
    subprocess.run(["wrk", "-t2", "-c32", "-d1s", f"http://127.0.0.1:{PORT}/hello/"], capture_output=True)
    out = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{seconds}s", f"http://127.0.0.1:{PORT}/hello/"],
        capture_output=True, text=True,
    ).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def ttl0_ms(count):
    conn = http.client.HTTPConnection("127.0.0.1", PORT)
    times = []
    for i in range(count + 20):
        start = time.perf_counter()
        conn.request("GET", "/fresh/")
        response = conn.getresponse()
        response.read()
        elapsed = (time.perf_counter() - start) * 1e3
        assert response.status == 200, response.status
        if i >= 20:
            times.append(elapsed)
        time.sleep(0.01)  # room for the next isolate to be primed
    conn.close()
    return statistics.median(times)


def main():
    old, new = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    results = {"old": {"rps": [], "ttl0": []}, "new": {"rps": [], "ttl0": []}}
    for round_ in range(rounds):
        for name, binary in (("old", old), ("new", new)) if round_ % 2 == 0 else (("new", new), ("old", old)):
            proc = start(binary)
            try:
                time.sleep(0.5)
                results[name]["rps"].append(hello_rps(5))
                results[name]["ttl0"].append(ttl0_ms(150))
            finally:
                proc.terminate()
                proc.wait()
            print(name, round_, results[name]["rps"][-1], round(results[name]["ttl0"][-1], 3), flush=True)
    med = {k: {m: statistics.median(v) for m, v in d.items()} for k, d in results.items()}
    print(f"hello req/s median: old {med['old']['rps']:.0f}, new {med['new']['rps']:.0f}, "
          f"new/old {med['new']['rps'] / med['old']['rps']:.3f}")
    print(f"ttl:0 request median ms: old {med['old']['ttl0']:.3f}, new {med['new']['ttl0']:.3f}, "
          f"new-old {med['new']['ttl0'] - med['old']['ttl0']:+.3f}")


if __name__ == "__main__":
    main()
