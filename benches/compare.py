#!/usr/bin/env python3
"""Side-by-side throughput: buntime vs Bun.serve, Deno.serve and the
original Buntime's model (Bun + a Worker per app / per request), the same
app module in every target, wrk on loopback.

Run through benches/compare.sh (which builds the binary and installs the
peers). Settings (environment):

  WORKLOADS  space-separated subset (default: all, see WORKLOADS below)
  DURATION   measured seconds per run (10)    WARMUP  seconds before each (3)
  PASSES     passes over every target (2)     CONNS   connection counts ("32 1")
  TARGETS    subset of targets (default: all of each workload's)
  BUN, DENO  peer binaries (default benches/.peers/{bun,deno})

For every workload each target runs as its own fresh process; each pass
measures every target once per connection count (warm-up, then the
measured run), the order of the targets reversed on odd passes. While wrk
runs we sample the server's VmRSS and CPU time and wrk's per-thread CPU
time from /proc. Writes benches/.results/compare-<time>.json.
"""
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "benches")
APPS = os.path.join(BENCH, "apps")
PEERS = os.path.join(BENCH, "peers")
BIN = os.path.join(ROOT, "target", "release", "buntime-embedded")
BUN = os.environ.get("BUN") or os.path.join(BENCH, ".peers", "bun")
DENO = os.environ.get("DENO") or os.path.join(BENCH, ".peers", "deno")
DURATION = float(os.environ.get("DURATION", "10").rstrip("s"))
WARMUP = float(os.environ.get("WARMUP", "3").rstrip("s"))
PASSES = int(os.environ.get("PASSES", "2"))
CONNS = [int(c) for c in os.environ.get("CONNS", "32 1").split()]
TICK = os.sysconf("SC_CLK_TCK")

# workload → app folder under benches/apps, path the app sees, optional wrk
# script, targets. Every target imports benches/apps/<app>/1.0.0.
WORKLOADS = {
    "hello": dict(app="hello", path="/", targets=["buntime", "bun", "deno", "original"]),
    "json-echo": dict(app="json-echo", path="/?user=ada&page=2&sort=desc", lua="json-echo.lua",
                      targets=["buntime", "bun", "deno"]),
    "static": dict(app="static", path="/", targets=["buntime", "bun", "deno"]),
    "cpu": dict(app="cpu", path="/", targets=["buntime", "bun", "deno"]),
    "ttl0": dict(app="fresh", path="/", targets=["buntime", "original-per-request"], paced=True),
    "stream": dict(app="stream", path="/", targets=["buntime", "bun", "deno"]),
    "hono": dict(app="hono", path="/", targets=["buntime", "original", "bun", "deno"]),
}
# Worker start: requests one at a time, PACED_GAP_S apart (a worker can be
# made ready between them), on one keep-alive connection.
PACED_REQUESTS = int(os.environ.get("PACED_REQUESTS", "300"))
PACED_GAP_S = float(os.environ.get("PACED_GAP_MS", "20")) / 1e3
PORTS = {"buntime": 18400, "bun": 18401, "deno": 18402, "original": 18403, "original-per-request": 18404}
LABELS = {
    "buntime": "buntime",
    "bun": "Bun.serve",
    "deno": "Deno.serve",
    "original": "original model (Bun + Worker per app)",
    "original-per-request": "original model, ttl 0 (Bun + new Worker per request)",
}


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def spawn(target, workload):
    app_dir = os.path.join(APPS, workload["app"], "1.0.0")
    port = PORTS[target]
    env = dict(os.environ, PORT=str(port))
    cwd = ROOT
    if target == "buntime":
        env.update(APPS_DIR=APPS, NODE_ENV="production", RUST_LOG="warn", HOST="127.0.0.1")
        cmd = [BIN]
        url = f"http://127.0.0.1:{port}/{workload['app']}{workload['path']}"
    else:
        url = f"http://127.0.0.1:{port}{workload['path']}"
        entry = next(os.path.join(app_dir, f) for f in ("index.ts", "index.js", "index.mjs", "index.html")
                     if os.path.exists(os.path.join(app_dir, f)))
        if target == "bun":
            cmd = [BUN, os.path.join(PEERS, "serve-app.js"), app_dir]
        elif target == "deno":
            # from the app folder so Deno finds its package.json / node_modules
            env["DENO_DIR"] = os.path.join(BENCH, ".peers", "deno-cache")
            cmd = [DENO, "run", "-A", "--node-modules-dir=manual", os.path.join(PEERS, "serve-app.js"), app_dir]
            cwd = app_dir
        elif target == "original":
            cmd = [BUN, os.path.join(PEERS, "bun-worker-per-app.js"), entry]
        elif target == "original-per-request":
            cmd = [BUN, os.path.join(PEERS, "bun-worker-per-request.js"), entry]
        else:
            raise ValueError(target)
    logf = open(os.path.join(BENCH, ".results", f"{target}.log"), "ab")
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=logf, stderr=subprocess.STDOUT,
                            start_new_session=True)
    return proc, url


def probe(url, lua):
    """One request as wrk will send it: (status, body bytes) or None."""
    data, headers, method = None, {}, "GET"
    if lua:
        text = open(os.path.join(BENCH, "wrk", lua)).read()
        m = re.search(r"wrk\.body = '(.*)'", text)
        data = m.group(1).encode() if m else None
        headers = {"Content-Type": "application/json"}
        method = "POST"
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as res:
            return res.status, len(res.read())
    except urllib.error.HTTPError as e:
        return e.code, len(e.read())
    except Exception:
        return None


def wait_ready(proc, url, lua):
    deadline = time.time() + 30
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server for {url} exited with {proc.returncode}")
        got = probe(url, lua)
        if got:
            return got
        time.sleep(0.1)
    raise RuntimeError(f"server for {url} did not answer")


def proc_ticks(pid, task=None):
    path = f"/proc/{pid}/task/{task}/stat" if task else f"/proc/{pid}/stat"
    with open(path) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def vm(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])  # kB
    return 0


def ms(value):
    for unit, scale in (("us", 1e-3), ("ms", 1.0), ("s", 1e3), ("m", 6e4)):
        if value.endswith(unit):
            return float(value[: -len(unit)]) * scale
    return float(value)


def size(value):
    for unit, scale in (("KB", 2**10), ("MB", 2**20), ("GB", 2**30), ("B", 1)):
        if value.endswith(unit):
            return float(value[: -len(unit)]) * scale
    return float(value)


def wrk(url, conns, seconds, lua, server_pid, sample=True):
    threads = min(2, conns)
    cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds:g}s", "--timeout", "10s", "--latency"]
    if lua:
        cmd += ["-s", os.path.join(BENCH, "wrk", lua)]
    cmd.append(url)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    samples = {"rss": 0, "wrk_threads": {}, "server": None}
    stop = threading.Event()

    def sampler():
        time.sleep(0.3)
        while not stop.is_set():
            now = time.time()
            try:
                samples["rss"] = max(samples["rss"], vm(server_pid, "VmRSS"))
                ticks = proc_ticks(server_pid)
                if samples["server"] is None:
                    samples["server"] = [now, ticks, now, ticks]
                else:
                    samples["server"][2:] = [now, ticks]
                for tid in os.listdir(f"/proc/{proc.pid}/task"):
                    t = proc_ticks(proc.pid, tid)
                    first = samples["wrk_threads"].setdefault(tid, [now, t, now, t])
                    first[2:] = [now, t]
            except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
                pass
            stop.wait(0.25)

    th = threading.Thread(target=sampler, daemon=True)
    if sample:
        th.start()
    started = time.time()
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.time() - started
    stop.set()
    if sample:
        th.join()
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed: {out}")
    r = {"raw": out}
    for line in out.splitlines():
        line = line.strip()
        m = re.match(r"(50|99)(?:\.000)?%\s+(\S+)", line)
        if m:
            r[f"p{m.group(1)}_ms"] = ms(m.group(2))
        elif line.startswith("Requests/sec:"):
            r["rps"] = float(line.split()[1])
        elif line.startswith("Transfer/sec:"):
            r["bytes_per_s"] = size(line.split()[1])
        elif line.startswith("Non-2xx or 3xx responses:"):
            r["non2xx"] = int(line.split()[-1])
        elif line.startswith("Socket errors:"):
            r["socket_errors"] = sum(int(n) for n in re.findall(r"\d+", line))
        elif re.match(r"\d+ requests in", line):
            r["requests"] = int(line.split()[0])
    r["errors"] = r.get("non2xx", 0) + r.get("socket_errors", 0)
    r["wrk_cpu_total_pct"] = 100.0 * (usage.ru_utime + usage.ru_stime) / elapsed
    per_thread = [100.0 * (t[3] - t[1]) / TICK / (t[2] - t[0])
                  for t in samples["wrk_threads"].values() if t[2] - t[0] > 0.5]
    r["wrk_cpu_max_thread_pct"] = max(per_thread) if per_thread else None
    s = samples["server"]
    r["server_cpu_pct"] = 100.0 * (s[3] - s[1]) / TICK / (s[2] - s[0]) if s and s[2] - s[0] > 0.5 else None
    r["server_rss_kb"] = samples["rss"]
    return r


def paced(url, n=PACED_REQUESTS, gap=PACED_GAP_S):
    """Latency of `n` GET requests sent one at a time, `gap` apart, on one
    keep-alive connection (a raw socket: the client adds ~0.05 ms).
    Returns {"p50_ms", "p99_ms", "n"}; the first 5 (connection set-up,
    first load) are not counted."""
    import socket
    from urllib.parse import urlsplit
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    request = f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode()
    sock = socket.create_connection((parts.hostname, parts.port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    latencies = []
    for i in range(n + 5):
        started = time.perf_counter()
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        head, body = data.split(b"\r\n\r\n", 1)
        length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))
        while len(body) < length:
            body += sock.recv(65536)
        if i >= 5:
            latencies.append((time.perf_counter() - started) * 1e3)
        time.sleep(gap)
    sock.close()
    latencies.sort()
    return {"p50_ms": statistics.median(latencies), "p99_ms": latencies[int(len(latencies) * 0.99)],
            "n": len(latencies), "gap_ms": gap * 1e3}


def stop(proc):
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    os.makedirs(os.path.join(BENCH, ".results"), exist_ok=True)
    names = os.environ.get("WORKLOADS", "").split() or list(WORKLOADS)
    runs = []
    meta = {"started": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "duration_s": DURATION, "warmup_s": WARMUP,
            "passes": PASSES, "conns": CONNS, "loadavg_start": loadavg(), "probes": {}, "vmhwm_kb": {}}
    for name in names:
        w = dict(WORKLOADS[name])
        only = os.environ.get("TARGETS", "").split()
        if only:
            w["targets"] = [t for t in w["targets"] if t in only]
        servers = {}
        try:
            for target in w["targets"]:
                proc, url = spawn(target, w)
                servers[target] = (proc, url)
            for target, (proc, url) in servers.items():
                status = wait_ready(proc, url, w.get("lua"))
                meta["probes"][f"{name}/{target}"] = status
                log(f"[{name}] {target} ready at {url}: status {status[0]}, {status[1]} bytes")
            for p in range(PASSES):
                order = w["targets"] if p % 2 == 0 else list(reversed(w["targets"]))
                for conns in CONNS:
                    for target in order:
                        proc, url = servers[target]
                        if WARMUP > 0:
                            wrk(url, conns, WARMUP, w.get("lua"), proc.pid, sample=False)
                        r = wrk(url, conns, DURATION, w.get("lua"), proc.pid)
                        r.update(workload=name, target=target, conns=conns, passno=p, loadavg=loadavg())
                        runs.append(r)
                        cpu = r["wrk_cpu_max_thread_pct"]
                        log(f"[{name}] pass {p} c{conns} {target:22} {r.get('rps', 0):10.0f} req/s "
                            f"p50 {r.get('p50_ms', 0):7.3f} p99 {r.get('p99_ms', 0):7.3f} ms "
                            f"err {r['errors']} rss {r['server_rss_kb'] // 1024} MB "
                            f"wrk {cpu or 0:.0f}%/thread server {r['server_cpu_pct'] or 0:.0f}%")
            if w.get("paced"):
                # The same server's warm worker (hello) is the floor a started
                # worker is compared with.
                paced_urls = dict((t, u) for t, (_, u) in servers.items())
                if "buntime" in servers:
                    paced_urls["buntime-warm"] = servers["buntime"][1].replace(f"/{w['app']}/", "/hello/")
                for target, url in paced_urls.items():
                    r = paced(url)
                    meta.setdefault("paced", {})[f"{name}/{target}"] = r
                    log(f"[{name}] paced {target:22} p50 {r['p50_ms']:.3f} p99 {r['p99_ms']:.3f} ms "
                        f"({r['n']} requests {r['gap_ms']:g} ms apart)")
            for target, (proc, _) in servers.items():
                meta["vmhwm_kb"][f"{name}/{target}"] = vm(proc.pid, "VmHWM")
        finally:
            for proc, _ in servers.values():
                stop(proc)
    meta["loadavg_end"] = loadavg()
    out = os.path.join(BENCH, ".results", time.strftime("compare-%Y%m%d-%H%M%S.json"))
    with open(out, "w") as f:
        json.dump({"meta": meta, "runs": runs}, f, indent=1)
    log(f"wrote {out}")
    print(out)


if __name__ == "__main__":
    main()
