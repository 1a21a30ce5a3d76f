import os, * as osNamed from "node:os";
import timers, * as timersNamed from "node:timers";
import timersPromises from "node:timers/promises";
import utilTypes, { isDate } from "node:util/types";
import util from "node:util";

export default async function (t) {
  const realOs = t.real("os");
  t.eq(os.EOL, realOs.EOL, "os.EOL");
  t.eq(os.platform(), "linux", "os.platform");
  t.eq(os.type(), "Linux", "os.type");
  t.eq(os.arch(), "x64", "os.arch");
  t.eq(os.endianness(), realOs.endianness(), "os.endianness");
  t.eq(os.hostname(), "localhost", "os.hostname");
  t.eq(os.tmpdir(), realOs.tmpdir(), "os.tmpdir follows TMPDIR like Node");
  t.ok(typeof os.homedir() === "string" && os.homedir().startsWith("/"), "os.homedir");
  t.ok(os.totalmem() > os.freemem() && os.freemem() > 0, "os memory plausible");
  t.ok(Array.isArray(os.cpus()) && os.cpus().length <= 1, "os.cpus");
  t.ok(os.availableParallelism() >= 1, "availableParallelism");
  t.ok(typeof os.release() === "string" && typeof os.uptime() === "number", "release/uptime");
  t.eq(os.constants.signals.SIGTERM, realOs.constants.signals.SIGTERM, "os.constants.signals");
  t.eq(os.constants.errno.ENOENT, realOs.constants.errno.ENOENT, "os.constants.errno");
  t.eq(os.loadavg().length, 3, "loadavg");
  t.ok(osNamed.platform === os.platform && os.devNull === "/dev/null", "os named exports");
  t.eq(Object.keys(os.userInfo()).sort(), Object.keys(realOs.userInfo()).sort(), "userInfo keys");

  // timers
  t.ok(timers.setTimeout && timersNamed.clearInterval && typeof timers.setImmediate === "function", "timers exports");
  {
    const order = [];
    const start = Promise.resolve().then(() => order.push("micro"));
    timers.setImmediate(() => order.push("imm1"));
    const cancelled = timers.setImmediate(() => order.push("cancelled"));
    timers.clearImmediate(cancelled);
    timers.setImmediate((a, b) => {
      order.push(`imm2:${a}${b}`);
      timers.setImmediate(() => order.push("nested"));
    }, "x", "y");
    order.push("sync");
    await start;
    await new Promise((r) => setTimeout(r, 20));
    t.eq(order, ["sync", "micro", "imm1", "imm2:xy", "nested"], "setImmediate order/args/clear");
    const imm = timers.setImmediate(() => {});
    t.ok(imm.hasRef() && imm.unref() === imm && !imm.hasRef(), "Immediate ref/unref");
    t.throws(() => timers.setImmediate(5), (e) => e.code === "ERR_INVALID_ARG_TYPE", "setImmediate non-function");
  }
  {
    const t0 = Date.now();
    const v = await timersPromises.setTimeout(15, "value");
    t.ok(v === "value" && Date.now() - t0 >= 10, "timers/promises setTimeout");
    t.eq(await timersPromises.setImmediate("imm"), "imm", "timers/promises setImmediate");
    const ac = new AbortController();
    const p = timersPromises.setTimeout(1000, null, { signal: ac.signal });
    ac.abort();
    try { await p; t.ok(false, "abort"); } catch (e) { t.eq([e.name, e.code], ["AbortError", "ABORT_ERR"], "timers/promises abort"); }
    const ticks = [];
    for await (const v2 of timersPromises.setInterval(3, "tick")) {
      ticks.push(v2);
      if (ticks.length === 3) break;
    }
    t.eq(ticks, ["tick", "tick", "tick"], "timers/promises setInterval iterator");
    t.ok(timers.promises.setTimeout === timersPromises.setTimeout, "timers.promises");
  }
  // util/types
  t.ok(utilTypes === util.types && isDate(new Date()) && !isDate({}), "util/types");
}
