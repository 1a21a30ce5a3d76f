import stream, * as named from "node:stream";
import streamPromises from "node:stream/promises";

const tick = () => new Promise((r) => setTimeout(r, 5));

// Each scenario runs against a stream module and returns an event log.
const scenarios = {
  async readablePushAll(S) {
    const log = [];
    const r = new S.Readable({ read() {} });
    r.push("a");
    r.push("b");
    r.push(null);
    r.on("data", (c) => log.push(["data", c.toString()]));
    r.on("end", () => log.push("end"));
    r.on("close", () => log.push("close"));
    await tick();
    return log;
  },
  async readableLazy(S) {
    const log = [];
    let i = 0;
    const r = new S.Readable({
      highWaterMark: 4,
      read(size) {
        log.push(["read", size]);
        i++;
        if (i > 4) this.push(null);
        else this.push(Buffer.from("xy" + i));
      },
    });
    r.on("data", (c) => log.push(["data", c.toString()]));
    r.on("end", () => log.push("end"));
    await tick();
    return log;
  },
  async pausedMode(S) {
    const log = [];
    const r = new S.Readable({ read() {} });
    r.on("readable", () => {
      let chunk;
      log.push("readable");
      while ((chunk = r.read()) !== null) log.push(["read", chunk.toString()]);
    });
    r.on("end", () => log.push("end"));
    r.push("one");
    r.push("two");
    await tick();
    r.push("three");
    r.push(null);
    await tick();
    return log;
  },
  async readSizes(S) {
    const log = [];
    const r = new S.Readable({ read() {} });
    r.push("abcdefgh");
    r.push("ijkl");
    r.push(null);
    await tick();
    log.push(String(r.read(3)), String(r.read(6)), String(r.read(10)), String(r.read()), r.readableLength);
    r.on("end", () => log.push("end"));
    r.resume();
    await tick();
    return log;
  },
  async objectMode(S) {
    const log = [];
    const r = new S.Readable({ objectMode: true, read() {} });
    r.push({ a: 1 });
    r.push(2);
    r.push("three");
    r.push(null);
    for await (const x of r) log.push(x);
    log.push(r.readableEnded, r.destroyed);
    return log;
  },
  async setEncoding(S) {
    const log = [];
    const r = new S.Readable({ read() {} });
    r.setEncoding("utf8");
    const euro = Buffer.from("\u20ac");
    r.push(euro.subarray(0, 1));
    r.push(euro.subarray(1));
    r.push(Buffer.from("x"));
    r.push(null);
    r.on("data", (c) => log.push([typeof c, c]));
    r.on("end", () => log.push("end"));
    await tick();
    return log;
  },
  async pauseResume(S) {
    const log = [];
    const r = new S.Readable({ read() {} });
    r.on("data", (c) => {
      log.push(["data", c.toString()]);
      if (c.toString() === "1") {
        r.pause();
        log.push(["paused", r.isPaused()]);
        setTimeout(() => r.resume(), 2);
      }
    });
    r.on("pause", () => log.push("pause"));
    r.on("resume", () => log.push("resume"));
    r.on("end", () => log.push("end"));
    r.push("1");
    r.push("2");
    r.push(null);
    await tick();
    await tick();
    return log;
  },
  async writableBasics(S) {
    const log = [];
    const chunks = [];
    const w = new S.Writable({
      highWaterMark: 3,
      write(chunk, enc, cb) {
        chunks.push([chunk.toString(), enc]);
        setTimeout(cb, 1);
      },
      final(cb) {
        log.push("final");
        cb();
      },
    });
    w.on("drain", () => log.push("drain"));
    w.on("finish", () => log.push("finish"));
    w.on("prefinish", () => log.push("prefinish"));
    w.on("close", () => log.push("close"));
    log.push(["write1", w.write("ab", () => log.push("cb1"))]);
    log.push(["write2", w.write("cd", () => log.push("cb2"))]);
    log.push(["len", w.writableLength, w.writableNeedDrain]);
    await tick();
    log.push(["write3", w.write(Buffer.from("e"))]);
    w.end("f", () => log.push("endcb"));
    log.push(["ended", w.writableEnded, w.writableFinished]);
    await tick();
    await tick();
    log.push(["done", w.writableFinished, w.destroyed, chunks]);
    return log;
  },
  async writableSync(S) {
    const log = [];
    const w = new S.Writable({
      write(chunk, enc, cb) {
        log.push(["write", chunk.toString()]);
        cb();
      },
    });
    w.on("finish", () => log.push("finish"));
    w.write("a", () => log.push("cb-a"));
    w.write("b", () => log.push("cb-b"));
    log.push("sync-end");
    w.end();
    await tick();
    return log;
  },
  async writev(S) {
    const log = [];
    const w = new S.Writable({
      write(chunk, enc, cb) {
        log.push(["write", chunk.toString()]);
        setTimeout(cb, 1);
      },
      writev(chunks, cb) {
        log.push(["writev", chunks.map((c) => c.chunk.toString())]);
        setTimeout(cb, 1);
      },
    });
    w.write("1");
    w.write("2");
    w.write("3");
    w.cork();
    w.write("4");
    w.write("5");
    setTimeout(() => w.uncork(), 3);
    await tick();
    w.end();
    await tick();
    return log;
  },
  async writeErrors(S) {
    const log = [];
    const w = new S.Writable({ write(c, e, cb) { cb(); } });
    w.on("error", (e) => log.push(["error", e.code]));
    w.end();
    w.write("late", (err) => log.push(["cb", err && err.code]));
    await tick();
    try {
      new S.Writable({ write(c, e, cb) { cb(); } }).write(null);
    } catch (e) {
      log.push(["null", e.code]);
    }
    try {
      new S.Writable({ write(c, e, cb) { cb(); } }).write(5);
    } catch (e) {
      log.push(["num", e.code]);
    }
    const w2 = new S.Writable({ write(c, e, cb) { cb(new Error("boom")); } });
    w2.on("error", (e) => log.push(["w2error", e.message]));
    w2.on("close", () => log.push("w2close"));
    w2.write("x", (err) => log.push(["w2cb", err && err.message]));
    await tick();
    log.push(["w2", w2.destroyed, w2.errored && w2.errored.message]);
    return log;
  },
  async transform(S) {
    const log = [];
    const t = new S.Transform({
      transform(chunk, enc, cb) {
        cb(null, chunk.toString().toUpperCase());
      },
      flush(cb) {
        this.push("!");
        cb();
      },
    });
    t.on("data", (c) => log.push(["data", c.toString()]));
    t.on("finish", () => log.push("finish"));
    t.on("end", () => log.push("end"));
    t.on("close", () => log.push("close"));
    t.write("a");
    t.write("b");
    t.end("c");
    await tick();
    return log;
  },
  async transformBackpressure(S) {
    const log = [];
    const t = new S.Transform({
      highWaterMark: 2,
      objectMode: true,
      transform(chunk, enc, cb) {
        log.push(["t", chunk]);
        cb(null, chunk * 10);
      },
    });
    for (let i = 0; i < 6; i++) log.push(["w", i, t.write(i)]);
    await tick();
    log.push(["buffered", t.readableLength, t.writableLength]);
    t.on("data", (d) => log.push(["d", d]));
    t.end();
    await tick();
    return log;
  },
  async passThroughPipe(S) {
    const log = [];
    const src = new S.Readable({ read() {} });
    const pt = new S.PassThrough();
    const out = [];
    const sink = new S.Writable({
      highWaterMark: 2,
      write(chunk, enc, cb) {
        out.push(chunk.toString());
        setTimeout(cb, 1);
      },
    });
    sink.on("pipe", () => log.push("pipe"));
    sink.on("finish", () => log.push("finish"));
    src.pipe(pt).pipe(sink);
    for (const c of ["aa", "bb", "cc", "dd", "ee"]) src.push(c);
    src.push(null);
    await tick();
    await tick();
    await tick();
    log.push(out.join(""));
    return log;
  },
  async pipelineCallback(S) {
    const log = [];
    const src = S.Readable.from(["x", "y", "z"]);
    const up = new S.Transform({ objectMode: true, transform(c, e, cb) { cb(null, c.toUpperCase()); } });
    const got = [];
    const sink = new S.Writable({ objectMode: true, write(c, e, cb) { got.push(c); cb(); } });
    await new Promise((resolve) => S.pipeline(src, up, sink, (err) => { log.push(["done", err ? err.message : err]); resolve(); }));
    log.push(got);
    return log;
  },
  async pipelineError(S) {
    const log = [];
    const src = new S.Readable({ read() {} });
    const bad = new S.Transform({ transform(c, e, cb) { cb(new Error("transform failed")); } });
    const sink = new S.Writable({ write(c, e, cb) { cb(); } });
    const p = new Promise((resolve) => S.pipeline(src, bad, sink, (err) => { log.push(["done", err && err.message]); resolve(); }));
    src.push("data");
    await p;
    await tick();
    log.push([src.destroyed, bad.destroyed, sink.destroyed]);
    return log;
  },
  async pipelineGenerators(S) {
    const got = [];
    const res = await S.promises.pipeline(
      async function* () { yield "a"; yield "b"; yield "c"; },
      async function* (source) { for await (const c of source) yield c + c; },
      new S.Writable({ objectMode: true, write(c, e, cb) { got.push(c); cb(); } }),
    );
    const res2 = await S.promises.pipeline(S.Readable.from([1, 2, 3]), async function (source) { let s = 0; for await (const x of source) s += x; return s; });
    return [got, res, res2];
  },
  async finishedCases(S) {
    const log = [];
    const r = new S.Readable({ read() {} });
    S.finished(r, (err) => log.push(["r", err ? err.code : "ok"]));
    r.push(null);
    r.resume();
    const w = new S.Writable({ write(c, e, cb) { cb(); } });
    S.finished(w, (err) => log.push(["w", err ? err.code : "ok"]));
    w.end("x");
    const d = new S.Readable({ read() {} });
    S.finished(d, (err) => log.push(["destroyed", err ? err.code : "ok"]));
    d.destroy();
    const e = new S.Readable({ read() {} });
    S.finished(e, (err) => log.push(["errored", err ? err.message : "ok"]));
    e.destroy(new Error("bad"));
    e.on("error", () => {});
    await tick();
    return log;
  },
  async readableFrom(S) {
    const a = await S.Readable.from(["a", "b"]).toArray();
    const b = await S.Readable.from((function* () { yield 1; yield 2; })()).toArray();
    const c = await S.Readable.from("whole string").toArray();
    const d = [];
    for await (const x of S.Readable.from(Buffer.from("buf"))) d.push(x.toString());
    const e = await S.Readable.from([1, 2, 3, 4]).map((x) => x * 2).filter((x) => x > 2).toArray();
    return [a, b, c, d, e];
  },
  async asyncIterBreak(S) {
    const log = [];
    const r = new S.Readable({ objectMode: true, read() {} });
    [1, 2, 3, 4].forEach((x) => r.push(x));
    r.on("close", () => log.push("close"));
    for await (const x of r) {
      log.push(x);
      if (x === 2) break;
    }
    await tick();
    log.push(r.destroyed);
    return log;
  },
  async asyncIterError(S) {
    const r = new S.Readable({ read() {} });
    setTimeout(() => r.destroy(new Error("iter fail")), 1);
    try {
      for await (const _ of r);
      return "no error";
    } catch (e) {
      return e.message;
    }
  },
  async destroyEvents(S) {
    const log = [];
    const r = new S.Readable({ read() {}, destroy(err, cb) { log.push(["_destroy", err && err.message]); cb(err); } });
    r.on("error", (e) => log.push(["error", e.message]));
    r.on("close", () => log.push("close"));
    r.destroy(new Error("d1"));
    r.destroy(new Error("d2"));
    log.push(["sync", r.destroyed]);
    await tick();
    return log;
  },
  async duplex(S) {
    const log = [];
    const d = new S.Duplex({
      read() {},
      write(c, e, cb) {
        log.push(["w", c.toString()]);
        this.push(c.toString().split("").reverse().join(""));
        cb();
      },
      final(cb) {
        this.push(null);
        cb();
      },
    });
    d.on("data", (c) => log.push(["r", c.toString()]));
    d.on("end", () => log.push("end"));
    d.on("finish", () => log.push("finish"));
    d.on("close", () => log.push("close"));
    d.write("abc");
    d.end("xyz");
    await tick();
    log.push([d instanceof S.Writable, d instanceof S.Readable, d.destroyed]);
    return log;
  },
  async inheritsStyle(S) {
    const util = await import("node:util");
    function Src(opts) { S.Readable.call(this, opts); this.n = 0; }
    util.inherits(Src, S.Readable);
    Src.prototype._read = function () { this.n++; this.push(this.n <= 2 ? String(this.n) : null); };
    const out = [];
    const s = new Src();
    s.on("data", (c) => out.push(c.toString()));
    await new Promise((r) => s.on("end", r));
    return [out, s instanceof S.Readable, s instanceof S.Stream];
  },
  async classStyle(S) {
    class Counter extends S.Readable {
      constructor() { super({ objectMode: true }); this.i = 0; }
      _read() { this.i++; this.push(this.i > 3 ? null : this.i); }
    }
    class Sum extends S.Writable {
      constructor() { super({ objectMode: true }); this.total = 0; }
      _write(c, e, cb) { this.total += c; cb(); }
    }
    const sum = new Sum();
    await S.promises.pipeline(new Counter(), sum);
    return sum.total;
  },
  async highWaterMarkBackpressure(S) {
    const log = [];
    const r = new S.Readable({ highWaterMark: 5, read() {} });
    log.push(r.push("abc"), r.push("def"), r.push("g"), r.readableLength, r.readableHighWaterMark);
    const w = new S.Writable({ highWaterMark: 4, write(c, e, cb) { setTimeout(cb, 1); } });
    log.push(w.write("ab"), w.write("cd"), w.writableNeedDrain, w.writableHighWaterMark);
    await new Promise((res) => w.once("drain", res));
    log.push("drained", w.writableLength);
    return log;
  },
  async unshiftAndPushAfterEOF(S) {
    const log = [];
    const r = new S.Readable({ read() {} });
    r.push("world");
    r.unshift("hello ");
    r.push(null);
    r.on("error", (e) => log.push(["error", e.code]));
    r.push("late");
    await tick();
    log.push(String(r.read()));
    return log;
  },
};

export default async function (t) {
  const real = t.real("stream");
  t.ok(stream.Readable && stream.Writable && stream.Duplex && stream.Transform && stream.PassThrough, "classes on default");
  t.ok(stream.Stream === stream && named.Readable === stream.Readable, "Stream.Stream and named exports");
  t.ok(typeof streamPromises.pipeline === "function" && typeof streamPromises.finished === "function", "stream/promises");
  t.ok(new stream.Readable() instanceof stream.Stream && new stream.Readable() instanceof (await import("node:events")).EventEmitter, "instanceof Stream/EventEmitter");
  for (const [name, fn] of Object.entries(scenarios)) {
    let mine, theirs;
    try { mine = await fn(stream); } catch (e) { mine = `threw ${e && e.stack}`; }
    try { theirs = await fn(real); } catch (e) { theirs = `threw ${e && e.message}`; }
    t.eq(mine, theirs, `scenario ${name}`);
  }
  // web interop
  {
    const rs = stream.Readable.toWeb(stream.Readable.from([Buffer.from("a"), Buffer.from("b")], { objectMode: false }));
    const reader = rs.getReader();
    const parts = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      parts.push(Buffer.from(value).toString());
    }
    t.eq(parts.join(""), "ab", "Readable.toWeb");
    const web = new ReadableStream({ start(c) { c.enqueue(new Uint8Array([104, 105])); c.close(); } });
    const back = await stream.Readable.fromWeb(web).toArray();
    t.eq(Buffer.concat(back).toString(), "hi", "Readable.fromWeb");
    const sunk = [];
    const ws = stream.Writable.toWeb(new stream.Writable({ write(c, e, cb) { sunk.push(c.toString()); cb(); } }));
    const writer = ws.getWriter();
    await writer.write(new Uint8Array([111, 107]));
    await writer.close();
    t.eq(sunk, ["ok"], "Writable.toWeb");
  }
}
