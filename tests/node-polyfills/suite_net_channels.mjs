import net from "node:net";
import dc from "node:diagnostics_channel";
import wt from "node:worker_threads";

const addresses = [
  "", "1.2.3.4", "255.255.255.255", "256.1.1.1", "01.2.3.4", "1.2.3", "1.2.3.4.5", " 1.2.3.4", "::", "::1", "1::",
  "fe80::1%eth0", "2001:db8::8a2e:370:7334", "2001:0db8:0000:0000:0000:ff00:0042:8329", "::ffff:192.0.2.128",
  "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1::2::3", ":::", "g::1", "::ffff:1.2.3", "localhost", "[::1]", "1.2.3.4/24",
];

export default async function (t) {
  const real = t.real("net");
  for (const a of addresses) {
    for (const f of ["isIP", "isIPv4", "isIPv6"]) t.same(`${f}(${JSON.stringify(a)})`, net, real, (m) => m[f](a));
  }
  let threw = null;
  try {
    net.connect(80, "example.com");
  } catch (e) {
    threw = e.code;
  }
  t.eq(threw, "ERR_NOT_SUPPORTED", "connect says it is not supported");

  const realDc = t.real("diagnostics_channel");
  for (const m of [dc, realDc]) {
    const name = `test:${m === dc ? "ours" : "node"}`;
    const seen = [];
    const onMessage = (message, channelName) => seen.push([message.n, channelName]);
    const before = m.hasSubscribers(name);
    m.subscribe(name, onMessage);
    const channel = m.channel(name);
    const during = [m.hasSubscribers(name), channel.hasSubscribers, m.channel(name) === channel];
    channel.publish({ n: 1 });
    const removed = m.unsubscribe(name, onMessage);
    const again = m.unsubscribe(name, onMessage);
    channel.publish({ n: 2 });
    const tracing = m.tracingChannel(`${name}:trace`);
    const events = [];
    tracing.subscribe({
      start: () => events.push("start"),
      end: () => events.push("end"),
      error: () => events.push("error"),
    });
    const result = tracing.traceSync((x) => x * 2, { a: 1 }, null, 21);
    try {
      tracing.traceSync(() => {
        throw new Error("x");
      }, {});
    } catch {}
    const summary = { before, during, seen: seen.map(([n]) => n), removed, again, result, events };
    if (m === dc) t.ours = summary;
    else t.eq(t.ours, summary, "diagnostics_channel behaves like Node's");
  }
  t.eq([wt.isMainThread, wt.parentPort, wt.threadId], [true, null, 0], "worker_threads on the main thread");
}
