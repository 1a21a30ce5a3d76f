#!/usr/bin/env python3
"""Renders benches/RESULTS.md from the JSON files compare.py,
ts_first_request.py and density.sh wrote (paths as arguments; by default the
newest of each kind in benches/.results/)."""
import glob
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "benches")
BUN = os.environ.get("BUN") or os.path.join(BENCH, ".peers", "bun")
DENO = os.environ.get("DENO") or os.path.join(BENCH, ".peers", "deno")
from compare import LABELS  # noqa: E402 (benches/ is this script's folder)
ORIGINAL_TTL0_RPS = 91  # the original Buntime's ttl 0 figure from Issue 8
# workload → (peer, minimum ratio ours/peer) or a special rule, judged at 32 connections
TARGETS = {
    "hello": ("bun", 1.0),
    "json-echo": ("bun", 1.0),
    "static": ("bun", 1.0),
    "cpu": ("bun", 0.9),
    "hono": ("original", 5.0),
}


def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT).stdout.strip()
    except OSError:
        return "?"


def newest(kind):
    files = sorted(glob.glob(os.path.join(BENCH, ".results", f"{kind}-*.json")))
    return files[-1] if files else None


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) // 1024 // 1024
    wrk = sh("wrk", "-v").splitlines()
    rev = sh("git", "rev-parse", "--short", "HEAD")
    dirty = sh("git", "status", "--porcelain", "--untracked-files=no")
    hono = "?"
    try:
        hono = json.load(open(os.path.join(BENCH, "apps/hono/1.0.0/node_modules/hono/package.json")))["version"]
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(), "cpu": cpu, "mem_gb": mem, "kernel": platform.release(),
        "rev": rev + (" (with uncommitted changes)" if dirty else ""),
        "bun": sh(BUN, "--version"), "deno": (sh(DENO, "--version").splitlines() or ["?"])[0],
        "wrk": wrk[0].split(" [")[0] if wrk else "?", "hono": hono,
    }


def fmt(n, digits=0):
    if n is None:
        return "–"
    return f"{n:,.{digits}f}"


def throughput(data):
    meta, runs = data["meta"], data["runs"]
    groups = {}
    for r in runs:
        groups.setdefault((r["workload"], r["conns"], r["target"]), []).append(r)
    med = {}
    for key, rs in groups.items():
        pick = lambda k: statistics.median([r[k] for r in rs if r.get(k) is not None]) if any(r.get(k) is not None for r in rs) else None
        med[key] = {
            "rps": pick("rps"), "p50": pick("p50_ms"), "p99": pick("p99_ms"),
            "errors": sum(r["errors"] for r in rs), "rss_mb": max(r["server_rss_kb"] for r in rs) / 1024,
            "server_cpu": pick("server_cpu_pct"),
            "wrk_cpu": max((r["wrk_cpu_max_thread_pct"] or 0) for r in rs),
            "gbps": pick("bytes_per_s") / 1e9 if pick("bytes_per_s") else None,
            "passes": [r.get("rps", 0) for r in sorted(rs, key=lambda r: r["passno"])],
        }
    workloads = list(dict.fromkeys(r["workload"] for r in runs))
    conns = list(dict.fromkeys(r["conns"] for r in runs))
    out = []
    verdicts = []
    # summary
    out.append("### Summary (median req/s; ratio = buntime / peer)\n")
    out.append("| workload | conns | buntime | Bun.serve | Deno.serve | original model | ours/Bun | ours/Deno | ours/original |")
    out.append("|---|---|---|---|---|---|---|---|---|")
    for w in workloads:
        for c in conns:
            ours = med.get((w, c, "buntime"))
            if not ours:
                continue
            cells = []
            ratios = []
            for t in ("bun", "deno", "original"):
                peer = med.get((w, c, t)) or (med.get((w, c, "original-per-request")) if t == "original" else None)
                cells.append(fmt(peer["rps"]) if peer else "–")
                ratios.append(f"{ours['rps'] / peer['rps']:.2f}×" if peer and peer["rps"] else "–")
            extra = f" ({ours['gbps']:.2f} GB/s)" if w == "stream" and ours["gbps"] else ""
            out.append(f"| {w} | {c} | {fmt(ours['rps'])}{extra} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    out.append("")
    # verdicts at 32 connections (or the largest count measured)
    c = max(conns)
    for w in workloads:
        ours = med.get((w, c, "buntime"))
        if not ours:
            continue
        if w in TARGETS:
            peer_name, need = TARGETS[w]
            peer = med.get((w, c, peer_name))
            if peer:
                ratio = ours["rps"] / peer["rps"]
                verdicts.append((f"{w} ≥ {need:g}× {LABELS[peer_name]} (c{c})", f"{ratio:.2f}×", ratio >= need))
        elif w == "ttl0":
            need = 20 * ORIGINAL_TTL0_RPS
            best = max(v["rps"] for (ww, cc, t), v in med.items() if ww == w and t == "buntime")
            verdicts.append((f"ttl0 ≥ 20× the original's {ORIGINAL_TTL0_RPS} req/s = {need:,} req/s (best of c1/c{c})",
                             f"{best:,.0f} req/s ({best / ORIGINAL_TTL0_RPS:.1f}×)", best >= need))
        elif w == "stream":
            best = max(v["gbps"] or 0 for (ww, cc, t), v in med.items() if ww == w and t == "buntime")
            verdicts.append(("stream ≥ 1 GB/s (best of c1/c32)", f"{best:.2f} GB/s", best >= 1.0))
    # details
    out.append("### Every target\n")
    out.append("Medians over the passes (req/s of each pass in the last column). "
               "Errors: non-2xx/3xx answers plus socket errors, summed over the passes. Peak RSS: the "
               "largest VmRSS of the server process sampled every 250 ms while wrk ran. Server CPU: % of "
               "one core. wrk: the busiest wrk thread, % of one core; ⚠ when ≥ 90% (the load generator "
               "is then the bound).\n")
    out.append("| workload | conns | target | req/s | p50 ms | p99 ms | errors | peak RSS MB | server CPU | wrk thread | ours/peer | passes |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for w in workloads:
        for c in conns:
            ours = med.get((w, c, "buntime"))
            for t in ("buntime", "bun", "deno", "original", "original-per-request"):
                m = med.get((w, c, t))
                if not m:
                    continue
                ratio = f"{ours['rps'] / m['rps']:.2f}×" if t != "buntime" and ours and m["rps"] else ""
                flag = " ⚠" if m["wrk_cpu"] >= 90 else ""
                rps = fmt(m["rps"]) + (f" ({m['gbps']:.2f} GB/s)" if w == "stream" and m["gbps"] else "")
                out.append(f"| {w} | {c} | {LABELS[t]} | {rps} | {m['p50']:.3f} | {m['p99']:.3f} | {m['errors']} | "
                           f"{m['rss_mb']:.0f} | {fmt(m['server_cpu'])}% | {m['wrk_cpu']:.0f}%{flag} | {ratio} | "
                           + " / ".join(fmt(p) for p in m["passes"]) + " |")
    out.append("")
    paced = meta.get("paced", {})
    if paced:
        out.append("### Worker start (`ttl: 0`, requests one at a time)\n")
        gap = next(iter(paced.values()))["gap_ms"]
        out.append(f"Latency of single requests sent {gap:g} ms apart on one keep-alive connection (raw socket "
                   "client), so a worker can be made ready between them: every `ttl: 0` request still runs in "
                   "an isolate of its own. `warm worker` is the same buntime server answering `hello` from a "
                   "reused worker: the floor.\n")
        out.append("| target | p50 ms | p99 ms | requests |")
        out.append("|---|---|---|---|")
        for key, r in paced.items():
            w, t = key.split("/", 1)
            label = "buntime, warm worker (hello)" if t == "buntime-warm" else LABELS[t]
            out.append(f"| {label} | {r['p50_ms']:.3f} | {r['p99_ms']:.3f} | {r['n']} |")
        out.append("")
        ours = paced.get("ttl0/buntime")
        if ours:
            verdicts.append(("ttl0 worker start ≤ 1 ms (p50, requests 20 ms apart)",
                             f"p50 {ours['p50_ms']:.2f} ms, p99 {ours['p99_ms']:.2f} ms", ours["p50_ms"] <= 1.0))
    probes = meta.get("probes", {})
    if probes:
        out.append("Response checked before each run (status, body bytes): " + "; ".join(
            f"{k} {v[0]} {v[1]} B" for k, v in probes.items()) + ".\n")
    return out, verdicts


def ts_section(data):
    out = ["## First request to a never-seen TypeScript app (Issue 7)\n"]
    out.append(f"`benches/ts_first_request.py`: {data['copies']} copies of a generated {data['lines']}-line "
               f"TypeScript app ({data['modules']} modules: interfaces, enums, const enums, generics, abstract "
               "and derived classes), each a new app name with its own seed in every module, so nothing is "
               "cached; curl `time_total` on loopback, 0.3 s between apps so the standby isolates are back.\n")
    out.append("| request | median ms | min ms | max ms |")
    out.append("|---|---|---|---|")
    out.append(f"| first (resolve, take a standby isolate, load + transpile {data['modules']} modules, answer) | "
               f"{data['first_median_ms']:.1f} | {data['first_min_ms']:.1f} | {data['first_max_ms']:.1f} |")
    out.append(f"| second (warm worker) | {data['second_median_ms']:.2f} | {min(data['second_ms']):.2f} | "
               f"{data['second_max_ms']:.2f} |")
    out.append("")
    out.append(f"All answers 200: {data['all_200']}.\n")
    verdict = (f"TS first request ≤ 50 ms ({data['lines']}-line app)", f"{data['first_median_ms']:.1f} ms median",
               data["first_median_ms"] <= 50)
    return out, [verdict]


def density_section(data):
    out = ["## Memory: idle workers (Issue 8 part 3)\n"]
    out.append("`benches/density.sh`: a fresh server per count; N apps (a one-line `fetch`), each requested "
               "once with `{\"ttl\": 600, \"idleTimeout\": 600}` so its worker stays; `POOL_SIZE` = N + 10; "
               f"`WORKER_HEAP_MB` {data['worker_heap_mb']}. RSS of the server before (two standby isolates "
               "already exist) and 2 s after the last app answered. The original model's figure: one Bun "
               "process holding N idle Workers with the same app (`benches/peers/bun-idle-workers.js`).\n")
    out.append("| target | idle workers | RSS before MB | RSS after MB | per worker | threads |")
    out.append("|---|---|---|---|---|---|")
    verdicts = []
    for r in data["rows"]:
        if r["target"] == "buntime-ttl0-churn":
            continue
        label = "buntime" if r["target"] == "buntime" else "original model (Bun Workers)"
        out.append(f"| {label} | {r['n']:,} | {r['base_kb'] / 1024:.0f} | {r['loaded_kb'] / 1024:.0f} | "
                   f"{r['per_worker_kb'] / 1024:.2f} MB | {r.get('threads', '–')} |")
    out.append("")
    for r in data["rows"]:
        if r["target"] == "buntime-ttl0-churn":
            out.append(f"RSS stability with `ttl: 0` (an isolate created and dropped per request): "
                       f"{r['after100_kb'] / 1024:.0f} MB after 100 requests, {r['after2100_kb'] / 1024:.0f} MB after 2,100.\n")
    ours = [r for r in data["rows"] if r["target"] == "buntime"]
    if ours:
        big = max(ours, key=lambda r: r["n"])
        verdicts.append((f"RSS per idle worker (N = {big['n']:,})", f"{big['per_worker_kb'] / 1024:.2f} MB", None))
    return out, verdicts


def main():
    paths = sys.argv[1:] or [p for p in (newest("compare"), newest("ts"), newest("density")) if p]
    m = machine()
    body, verdicts = [], []
    meta = None
    for path in paths:
        data = json.load(open(path))
        if "runs" in data:
            meta = data["meta"]
            out, v = throughput(data)
            body += ["## Throughput\n"] + out
        elif data.get("kind") == "ts_first_request":
            out, v = ts_section(data)
            body += out
        elif data.get("kind") == "density":
            out, v = density_section(data)
            body += out
        else:
            continue
        verdicts += v
    head = ["# Benchmark results\n",
            f"Generated by `benches/compare.sh` on {time.strftime('%Y-%m-%d %H:%M %Z')}.\n",
            f"- Machine: {m['nproc']} cores ({m['cpu']}), {m['mem_gb']} GB, Linux {m['kernel']}; shared with "
            "other engineers' builds, so absolute numbers are noisy: compare the ratios (every peer measured "
            "in the same run, targets alternated between passes).",
            f"- Versions: buntime-embedded {m['rev']}, Bun {m['bun']}, {m['deno']}, {m['wrk']}, hono {m['hono']}."]
    if meta:
        head.append(f"- wrk on loopback, keep-alive, 2 threads (1 for one connection), `--timeout 10s`: "
                    f"{meta['warmup_s']:g} s warm-up then {meta['duration_s']:g} s measured per target and "
                    f"connection count, {meta['passes']} passes (median; with 2 passes the mean of the two). "
                    f"Load average {meta['loadavg_start']} at the start, {meta['loadavg_end']} at the end.")
    head.append("- Every target imports the same app module (`benches/apps/<workload>/1.0.0/`); buntime serves "
                "`/<app>/…` from `benches/apps` with `NODE_ENV=production` and a reused worker (`ttl` 3600), "
                "except `ttl0` (`fresh`, `{\"ttl\": 0}`).\n")
    if verdicts:
        head.append("## Targets\n")
        head.append("| target | measured | met |")
        head.append("|---|---|---|")
        for name, value, ok in verdicts:
            head.append(f"| {name} | {value} | {'yes' if ok else 'no' if ok is not None else '–'} |")
        head.append("")
    # The hand-kept history of A/B measurements of single changes survives
    # a regeneration.
    results = os.path.join(BENCH, "RESULTS.md")
    kept = ""
    if os.path.exists(results):
        previous = open(results).read()
        at = previous.find(HISTORY)
        if at >= 0:
            kept = "\n" + previous[at:].rstrip() + "\n"
    with open(results, "w") as f:
        f.write("\n".join(head + body).rstrip() + "\n" + kept)
    print(os.path.join(BENCH, "RESULTS.md"))


HISTORY = "## Change measurements (interleaved A/B, kept by hand)"


if __name__ == "__main__":
    main()
