import EE, * as named from "node:events";

function scenario(E) {
  const log = [];
  const e = new E();
  e.on("newListener", (n) => log.push(["new", String(n)]));
  e.on("removeListener", (n) => log.push(["rm", String(n)]));
  const a = (x) => log.push(["a", x]);
  const b = (x) => log.push(["b", x]);
  const c = (x) => log.push(["c", x]);
  e.on("x", a);
  e.prependListener("x", b);
  e.once("x", c);
  e.prependOnceListener("x", (x) => log.push(["p1", x]));
  log.push(["count", e.listenerCount("x")]);
  log.push(["emit1", e.emit("x", 1)]);
  log.push(["emit2", e.emit("x", 2)]);
  log.push(["emitNone", e.emit("none")]);
  e.off("x", a);
  log.push(["names", e.eventNames().map(String)]);
  e.emit("x", 3);
  e.on("x", a);
  e.on("x", a);
  e.removeListener("x", a);
  log.push(["count2", e.listenerCount("x"), e.listenerCount("x", a)]);
  const o = () => {};
  e.once("y", o);
  log.push(["raw", e.rawListeners("y")[0] === o, e.listeners("y")[0] === o, typeof e.rawListeners("y")[0].listener]);
  e.removeListener("y", o);
  log.push(["y gone", e.listenerCount("y")]);
  e.removeAllListeners("x");
  log.push(["names2", e.eventNames().map(String)]);
  e.removeAllListeners();
  log.push(["names3", e.eventNames().map(String)]);
  // listener removed during emit still runs for that emit
  const f = new E();
  const g1 = () => { log.push("g1"); f.removeListener("z", g2); };
  const g2 = () => log.push("g2");
  f.on("z", g1);
  f.on("z", g2);
  f.emit("z");
  f.emit("z");
  // this binding and args
  f.on("t", function (...args) { log.push(["this", this === f, args]); });
  f.emit("t", 1, "two", null);
  // error handling
  try { f.emit("error", new Error("boom")); } catch (err) { log.push(["thrown", err.message]); }
  try { f.emit("error", "str"); } catch (err) { log.push(["thrown2", err.code, err.message]); }
  try { f.emit("error"); } catch (err) { log.push(["thrown3", err.code]); }
  f.on(E.errorMonitor, (err) => log.push(["monitor", err.message]));
  f.on("error", (err) => log.push(["handled", err.message]));
  f.emit("error", new Error("e2"));
  log.push(["max", f.getMaxListeners(), E.defaultMaxListeners]);
  f.setMaxListeners(1);
  log.push(["max2", f.getMaxListeners()]);
  try { f.on("q", 5); } catch (err) { log.push(["badListener", err.code, err.name]); }
  try { f.setMaxListeners(-1); } catch (err) { log.push(["badMax", err.code]); }
  // symbols as events
  const s = Symbol("s");
  f.on(s, () => log.push("sym"));
  f.emit(s);
  log.push(["symnames", f.eventNames().filter((n) => typeof n === "symbol").length]);
  // old-style inheritance
  function Old() { E.call(this); this.tag = 1; }
  Object.setPrototypeOf(Old.prototype, E.prototype);
  const old = new Old();
  old.on("k", (v) => log.push(["old", v]));
  old.emit("k", 9);
  // class subclassing
  class Sub extends E {}
  const sub = new Sub();
  sub.once("k", (v) => log.push(["sub", v]));
  sub.emit("k", 1);
  sub.emit("k", 2);
  log.push(["static count", E.listenerCount(old, "k")]);
  // removeListener event while removeAll
  const h = new E();
  h.on("a", () => {});
  h.on("b", () => {});
  h.on("removeListener", (n) => log.push(["hrm", n]));
  h.removeAllListeners();
  log.push(["h", h.eventNames()]);
  log.push(["EE.EE", E.EventEmitter === E, typeof E.once, typeof E.on]);
  return log;
}

export default async function (t) {
  const real = t.real("events");
  t.eq(scenario(EE), scenario(real), "sync scenario matches Node");
  t.ok(EE.EventEmitter === EE && named.EventEmitter === EE, "exports");
  t.ok(typeof named.errorMonitor === "symbol" && named.errorMonitor === EE.errorMonitor, "errorMonitor");
  t.eq(named.defaultMaxListeners, 10, "defaultMaxListeners");

  // static once
  {
    const e = new EE();
    const p = EE.once(e, "ready");
    e.emit("ready", 1, 2);
    t.eq(await p, [1, 2], "once resolves args");
    const p2 = EE.once(e, "ready");
    e.emit("error", new Error("bad"));
    await t.rejects(p2, "once rejects on error");
    t.eq(e.listenerCount("error"), 0, "once cleans error listener");
    const et = new EventTarget();
    const p3 = EE.once(et, "ping");
    et.dispatchEvent(new Event("ping"));
    const [ev] = await p3;
    t.eq(ev.type, "ping", "once with EventTarget");
    const ac = new AbortController();
    const p4 = EE.once(e, "never", { signal: ac.signal });
    ac.abort();
    try { await p4; t.ok(false, "abort"); } catch (err) { t.eq(err.name, "AbortError", "once abort"); }
  }
  // static on
  {
    const e = new EE();
    const got = [];
    setTimeout(() => { e.emit("d", 1); e.emit("d", 2); e.emit("d", 3); }, 1);
    for await (const [v] of EE.on(e, "d")) {
      got.push(v);
      if (v === 3) break;
    }
    t.eq(got, [1, 2, 3], "on async iterator");
    t.eq(e.listenerCount("d"), 0, "on cleans up after break");
    const it = EE.on(e, "d");
    e.emit("error", new Error("x"));
    await t.rejects(it.next(), "on rejects on error");
  }
  // captureRejections
  {
    const e = new EE({ captureRejections: true });
    const errs = [];
    e.on("error", (err) => errs.push(err.message));
    e.on("ev", async () => { throw new Error("async fail"); });
    e.emit("ev");
    await new Promise((r) => setTimeout(r, 5));
    t.eq(errs, ["async fail"], "captureRejections routes to error");
  }
  // max listeners warning only once
  {
    const warns = [];
    const origEmit = process.emitWarning;
    process.emitWarning = (w) => warns.push(w.name);
    const e = new EE();
    e.setMaxListeners(2);
    for (let i = 0; i < 5; i++) e.on("m", () => {});
    process.emitWarning = origEmit;
    t.eq(warns, ["MaxListenersExceededWarning"], "max listeners warns once");
  }
}
