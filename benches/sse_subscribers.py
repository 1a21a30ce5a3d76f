"""SSE fan-out cost: N clients on /_/sse for 10 s; prints the server's CPU use.

    python3 benches/sse_subscribers.py 500 PORT SERVER_PID
"""
import asyncio, os, sys, time
N = int(sys.argv[1]); PORT = int(sys.argv[2]); PID = int(sys.argv[3]); SECS = 10
events = 0
async def sub():
    global events
    r, w = await asyncio.open_connection("127.0.0.1", PORT)
    w.write(b"GET /_/sse HTTP/1.1\r\nHost: x\r\n\r\n"); await w.drain()
    while True:
        line = await r.readline()
        if not line: return
        if line.startswith(b"data: "): events += 1
def cpu():
    f = open(f"/proc/{PID}/stat").read().split(")")[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
async def main():
    tasks = [asyncio.create_task(sub()) for _ in range(N)]
    await asyncio.sleep(2)
    c0, t0, e0 = cpu(), time.time(), events
    await asyncio.sleep(SECS)
    c1, t1, e1 = cpu(), time.time(), events
    print(f"{N} SSE subscribers: server CPU {100*(c1-c0)/(t1-t0):.1f}% of one core, {(e1-e0)/(t1-t0):.0f} events/s delivered")
    for t in tasks: t.cancel()
asyncio.run(main())
