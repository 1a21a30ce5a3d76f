#!/usr/bin/env python3
"""A/B of two buntime binaries where the machine's speed drifts: both
servers run at once and take turns, 1 s of wrk hello each (2 threads, 32
connections), the order alternating; the figure is the median of the
per-pair ratios (new / old), with its quartiles. An A/A run (a binary
against a copy of itself) shows the noise floor on the day.

    benches/ab_pairs.py OLD_BINARY NEW_BINARY [PAIRS]

Drift between minutes lands on both sides of each pair, so this resolves
a few percent where whole-run medians (benches/ab.py) do not. Needs wrk.
"""
import os
import re
import statistics
import subprocess
import sys

APPS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "apps")
PORTS = (18601, 18602)


def start(binary, port):
    env = dict(os.environ, APPS_DIR=APPS, PORT=str(port), HOST="127.0.0.1", RUST_LOG="warn")
    proc = subprocess.Popen([binary], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    proc.stdout.readline()  # "listening on ..."
    return proc


def rps(port, seconds=1):
    out = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{seconds}s", f"http://127.0.0.1:{port}/hello/"],
        capture_output=True, text=True,
    ).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def main():
    old, new = sys.argv[1], sys.argv[2]
    pairs = int(sys.argv[3]) if len(sys.argv) > 3 else 40
    servers = [start(old, PORTS[0]), start(new, PORTS[1])]
    try:
        for port in PORTS:
            rps(port, 2)  # warm both
        olds, news, ratios = [], [], []
        for i in range(pairs):
            if i % 2 == 0:
                a = rps(PORTS[0])
                b = rps(PORTS[1])
            else:
                b = rps(PORTS[1])
                a = rps(PORTS[0])
            olds.append(a)
            news.append(b)
            ratios.append(b / a)
        q1, _, q3 = statistics.quantiles(ratios, n=4)
        print(f"hello req/s median: old {statistics.median(olds):.0f}, new {statistics.median(news):.0f}; "
              f"new/old per pair: median {statistics.median(ratios):.3f} (quartiles {q1:.3f}..{q3:.3f}, {pairs} pairs)")
    finally:
        for server in servers:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
