// Loads every polyfill with Node-only globals (Buffer, process, global,
// setImmediate, require-ish helpers) removed, to catch accidental reliance
// on them. Replaces `process` with the small stand-in Buntime provides.
// Run by check.mjs in a child process; prints "ok N" on success.
import { register } from "node:module";

register("./hooks.mjs", import.meta.url);
const realProcess = globalThis.process;
const exit = (code) => realProcess.exit(code);
const write = (s) => realProcess.stdout.write(s);
for (const name of ["Buffer", "global", "setImmediate", "clearImmediate"]) delete globalThis[name];
globalThis.process = {
  env: {},
  platform: "linux",
  version: "v20.0.0",
  versions: {},
  cwd: () => "/app",
  nextTick: (fn, ...args) => queueMicrotask(() => fn(...args)),
};

let n = 0;
const check = (cond, label) => {
  if (!cond) throw new Error(`bare-globals check failed: ${label}`);
  n++;
};
try {
  const { Buffer } = await import("node:buffer");
  check(Buffer.from("hi").toString("hex") === "6869", "buffer");
  const util = (await import("node:util")).default;
  check(util.inspect({ b: Buffer.from("a") }) === "{ b: <Buffer 61> }", "util.inspect buffer");
  check(util.format("%s=%d", "x", 5) === "x=5", "util.format");
  const EventEmitter = (await import("node:events")).default;
  const e = new EventEmitter();
  let got;
  e.on("x", (v) => (got = v));
  e.emit("x", 1);
  check(got === 1, "events");
  const path = (await import("node:path")).default;
  check(path.resolve("a") === "/app/a", "path.resolve uses process.cwd");
  const url = await import("node:url");
  check(url.parse("http://a.com/x?y=1", true).query.y === "1", "url.parse");
  check(url.pathToFileURL("rel").href === "file:///app/rel", "pathToFileURL");
  const qs = await import("node:querystring");
  check(qs.unescapeBuffer("%41").toString() === "A", "querystring.unescapeBuffer");
  const { StringDecoder } = await import("node:string_decoder");
  check(new StringDecoder("utf8").write(Buffer.from([0xe2])) === "", "string_decoder");
  const crypto = await import("node:crypto");
  check(crypto.createHash("sha256").update("abc").digest("hex").startsWith("ba7816bf"), "crypto hash");
  check(crypto.randomBytes(4).length === 4, "crypto randomBytes");
  const stream = await import("node:stream");
  const out = await stream.Readable.from(["a", "b"]).toArray();
  check(out.join("") === "ab", "stream");
  const sp = await import("node:stream/promises");
  const sink = [];
  await sp.pipeline(stream.Readable.from(["q"]), new stream.Writable({ objectMode: true, write(c, enc, cb) { sink.push(c); cb(); } }));
  check(sink[0] === "q", "stream/promises pipeline");
  const assert = (await import("node:assert")).default;
  assert.deepStrictEqual({ a: [1] }, { a: [1] });
  check(true, "assert");
  const os = await import("node:os");
  check(os.platform() === "linux" && os.homedir() === "/", "os");
  const timers = await import("node:timers");
  await new Promise((r) => timers.setImmediate(r));
  const tp = await import("node:timers/promises");
  check((await tp.setTimeout(1, "v")) === "v", "timers/promises");
  await import("node:util/types");
  await import("node:path/posix");
  await import("node:assert/strict");
  write(`ok ${n}\n`);
  exit(0);
} catch (err) {
  write(`${err && err.stack}\n`);
  exit(1);
}
