//! Node built-ins inside the isolate: the modules of `runtime-js/node/`,
//! their Rust ops (hashing, confined file reads) and the `Buffer`,
//! `setImmediate` and `process` globals.

use crate::harness::{assert_neighbour_serves, with_neighbour, Apps, Server};

#[tokio::test]
async fn node_builtins_work_inside_an_app() {
  let apps = Apps::new();
  apps
    .js(
      "node/1.0.0",
      r#"import { createHash, createHmac, randomBytes, timingSafeEqual, randomUUID } from "node:crypto";
import { EventEmitter, once } from "node:events";
import path from "path";
import { format, inspect, promisify } from "node:util";
import { readFileSync, existsSync, readdirSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import qs from "node:querystring";
import assert from "node:assert";
import { fileURLToPath } from "node:url";

export default {
  async fetch(req) {
    const emitter = new EventEmitter();
    const got = once(emitter, "ping");
    emitter.emit("ping", 42);
    const chunks = [];
    for await (const chunk of Readable.from(["a", "b", "c"])) chunks.push(chunk);
    let denied = null;
    try { readFileSync("../../etc/passwd"); } catch (e) { denied = e.code; }
    let missing = null;
    try { readFileSync("nope.txt"); } catch (e) { missing = e.code; }
    const decoder = new StringDecoder("utf8");
    const euro = Buffer.from("\u20ac");
    const immediate = await new Promise((resolve) => setImmediate(resolve, "immediate"));
    assert.deepStrictEqual({ a: [1] }, { a: [1] });
    return Response.json({
      sha256: createHash("sha256").update("abc").digest("hex"),
      md5: createHash("md5").update("a").update("bc").digest("base64"),
      sha224: createHash("SHA224").update("abc").digest("hex"),
      hmac: createHmac("sha1", "key").update("The quick brown fox jumps over the lazy dog").digest("hex"),
      random: randomBytes(8).length,
      uuid: randomUUID().length,
      safeEqual: timingSafeEqual(Buffer.from("ab"), Buffer.from("ab")),
      event: (await got)[0],
      join: path.join("/a/b", "../c", "d.txt"),
      ext: path.extname("x/y.tar.gz"),
      format: format("%s has %d items: %j", "cart", 3, { ok: true }),
      inspect: inspect({ a: 1, b: "two", c: [1, 2] }),
      promisified: await promisify((x, cb) => cb(null, x * 2))(21),
      file: readFileSync("data.txt", "utf8"),
      fileAbsolute: readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), "data.txt")).toString("hex"),
      fileAsync: await readFile("data.txt", { encoding: "base64" }),
      exists: [existsSync("data.txt"), existsSync("nope.txt"), existsSync("/etc/passwd")],
      dir: readdirSync("."),
      size: statSync("data.txt").size,
      isFile: statSync("data.txt").isFile(),
      denied,
      missing,
      stream: chunks.join(""),
      decoded: decoder.write(euro.subarray(0, 2)) + decoder.write(euro.subarray(2)),
      bufferHex: Buffer.from("hi").toString("hex"),
      bufferIsGlobal: typeof globalThis.Buffer === "function",
      qs: qs.stringify({ a: [1, 2], b: "x y" }),
      immediate,
      cwd: process.cwd() === path.dirname(fileURLToPath(import.meta.url)),
      builtin: typeof process.getBuiltinModule("node:path").join,
    });
  },
};
"#,
    )
    .file("node/1.0.0/data.txt", "hello");
  let server = Server::start(&apps);
  let reply = server.get("/node").await;
  assert_eq!(reply.status, 200, "{}", reply.body);
  let json = reply.json();
  let expect = serde_json::json!({
    "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    "md5": "kAFQmDzST7DWlj99KOF/cg==",
    "sha224": "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7",
    "hmac": "de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9",
    "random": 8,
    "uuid": 36,
    "safeEqual": true,
    "event": 42,
    "join": "/a/c/d.txt",
    "ext": ".gz",
    "format": "cart has 3 items: {\"ok\":true}",
    "inspect": "{ a: 1, b: 'two', c: [ 1, 2 ] }",
    "promisified": 42,
    "file": "hello",
    "fileAbsolute": "68656c6c6f",
    "fileAsync": "aGVsbG8=",
    "exists": [true, false, false],
    "dir": ["data.txt", "index.js"],
    "size": 5,
    "isFile": true,
    "denied": "EACCES",
    "missing": "ENOENT",
    "stream": "abc",
    "decoded": "\u{20ac}",
    "bufferHex": "6869",
    "bufferIsGlobal": true,
    "qs": "a=1&a=2&b=x%20y",
    "immediate": "immediate",
    "cwd": true,
    "builtin": "function",
  });
  assert_eq!(json, expect);
}

/// Modules packages import at the top (undici, pino, thread-stream) load;
/// their pure parts work; sockets, processes and threads throw a named
/// error when called, and the server and its other apps carry on.
#[tokio::test]
async fn socket_and_process_builtins_import_and_refuse_when_called() {
  let apps = Apps::new();
  crate::harness::with_neighbour(&apps);
  apps.js(
    "stubs/1.0.0",
    r#"import net from "node:net";
import tls from "tls";
import dgram from "node:dgram";
import { isMainThread, Worker } from "node:worker_threads";
import dc from "node:diagnostics_channel";
import http2 from "node:http2";
import { exec, spawnSync } from "node:child_process";
import cluster from "node:cluster";
import vm from "node:vm";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const code = (f) => { try { f(); return "ran"; } catch (e) { return e.code + ": " + e.message; } };

export default {
  fetch() {
    const seen = [];
    dc.subscribe("app:event", (message) => seen.push(message.n));
    dc.channel("app:event").publish({ n: 7 });
    return Response.json({
      isIP: [net.isIP("10.0.0.1"), net.isIP("::1"), net.isIP("nope")],
      mainThread: isMainThread,
      primary: cluster.isPrimary,
      seen,
      vm: vm.runInThisContext("6 * 7"),
      script: new vm.Script("[1, 2].length").runInThisContext(),
      required: typeof require("net").isIPv4 === "function" && require("worker_threads").isMainThread,
      http2Status: http2.constants.HTTP2_HEADER_STATUS,
      connect: code(() => net.connect(80, "127.0.0.1")),
      tls: code(() => tls.connect(443, "example.com")),
      udp: code(() => dgram.createSocket("udp4")),
      worker: code(() => new Worker("./x.js")),
      exec: code(() => exec("cat /etc/passwd")),
      spawn: code(() => spawnSync("sh")),
      fork: code(() => cluster.fork()),
      context: code(() => vm.runInNewContext("1")),
    });
  },
};
"#,
  );
  let mut server = Server::start(&apps);
  let reply = server.get("/stubs").await;
  assert_eq!(reply.status, 200, "{}", reply.body);
  let seen = reply.json();
  assert_eq!(seen["isIP"], serde_json::json!([4, 6, 0]));
  assert_eq!(seen["mainThread"], true);
  assert_eq!(seen["primary"], true);
  assert_eq!(seen["seen"], serde_json::json!([7]));
  assert_eq!(seen["vm"], 42);
  assert_eq!(seen["script"], 2);
  assert_eq!(seen["required"], true);
  assert_eq!(seen["http2Status"], ":status");
  for key in [
    "connect", "tls", "udp", "worker", "exec", "spawn", "fork", "context",
  ] {
    let refusal = seen[key].as_str().unwrap_or_default();
    assert!(
      refusal.starts_with("ERR_NOT_SUPPORTED: node:")
        && refusal.contains("not supported by Buntime"),
      "{key}: {refusal}"
    );
  }
  crate::harness::assert_neighbour_serves(&mut server).await;
}

/// node:zlib in its three forms, interoperable with other implementations
/// (the test decodes the app's gzip with flate2), and bounded like
/// Bun.gunzipSync: a bomb is refused and the worker serves on.
#[tokio::test]
async fn zlib_compresses_in_sync_callback_and_stream_forms() {
  let apps = Apps::new();
  crate::harness::with_neighbour(&apps);
  apps.js(
    "zip/1.0.0",
    r#"import zlib from "node:zlib";
import { gzipSync, gunzipSync, createGzip, createGunzip } from "zlib";
import { promisify } from "node:util";
import { pipeline } from "node:stream/promises";
import { Readable, Writable } from "node:stream";

const text = "hello zlib ".repeat(100);
export default {
  async fetch(req) {
    const path = new URL(req.url).pathname;
    if (path === "/gzip") return new Response(gzipSync(text));
    if (path === "/bomb") {
      try { zlib.gunzipSync(gzipSync(new Uint8Array(4 << 20))); return new Response("inflated"); }
      catch (e) { return new Response(e.code + " " + (e instanceof RangeError)); }
    }
    const inflated = await promisify(zlib.inflate)(await promisify(zlib.deflate)(text));
    const chunks = [];
    await pipeline(Readable.from([text.slice(0, 500), text.slice(500)]), createGzip(), createGunzip(),
      new Writable({ write(chunk, _e, done) { chunks.push(chunk); done(); } }));
    let corrupt;
    try { gunzipSync(Buffer.from("not gzip")); } catch (e) { corrupt = e.code; }
    return Response.json({
      sync: gunzipSync(gzipSync(text, { level: 9 })).toString() === text,
      callback: inflated.toString() === text,
      stream: Buffer.concat(chunks).toString() === text,
      raw: zlib.inflateRawSync(zlib.deflateRawSync(text)).toString() === text,
      brotli: zlib.brotliDecompressSync(zlib.brotliCompressSync(text)).toString() === text,
      unzip: [zlib.unzipSync(gzipSync("a")).toString(), zlib.unzipSync(zlib.deflateSync("b")).toString()],
      crc32: zlib.crc32("hello"),
      corrupt,
    });
  },
};"#,
  );
  let mut server = Server::start_with(&apps, &[("MAX_DECOMPRESSED_MB", "1")]);
  let reply = server.get("/zip").await;
  assert_eq!(reply.status, 200, "{}", reply.body);
  let seen = reply.json();
  for key in ["sync", "callback", "stream", "raw", "brotli"] {
    assert_eq!(seen[key], true, "{key}: {seen}");
  }
  assert_eq!(seen["unzip"], serde_json::json!(["a", "b"]));
  assert_eq!(seen["crc32"], 907_060_870u64);
  assert_eq!(seen["corrupt"], "Z_DATA_ERROR");
  let gzipped = reqwest::get(server.url("/zip/gzip"))
    .await
    .unwrap()
    .bytes()
    .await
    .unwrap();
  let mut decoded = String::new();
  std::io::Read::read_to_string(
    &mut flate2::read::GzDecoder::new(&gzipped[..]),
    &mut decoded,
  )
  .unwrap();
  assert_eq!(decoded, "hello zlib ".repeat(100));
  assert_eq!(
    server.get("/zip/bomb").await.body,
    "ERR_BUFFER_TOO_LARGE true"
  );
  crate::harness::assert_neighbour_serves(&mut server).await;
}

/// AES through the Rust op gives Node's bytes (values computed with Node's
/// own crypto), round-trips, and refuses a tampered GCM tag.
#[tokio::test]
async fn aes_ciphers_match_node_and_refuse_tampering() {
  let apps = Apps::new();
  apps.js(
    "aes/1.0.0",
    r#"import { createCipheriv, createDecipheriv } from "node:crypto";
export default {
  fetch() {
    const key = Buffer.alloc(32, 7), iv = Buffer.alloc(12, 3);
    const gcm = createCipheriv("aes-256-gcm", key, iv);
    gcm.setAAD(Buffer.from("hdr"));
    const sealed = gcm.update("attack at dawn", "utf8", "hex") + gcm.final("hex");
    const tag = gcm.getAuthTag();
    const open = createDecipheriv("aes-256-gcm", key, iv);
    open.setAAD(Buffer.from("hdr"));
    open.setAuthTag(tag);
    const opened = open.update(sealed, "hex", "utf8") + open.final("utf8");
    const bad = createDecipheriv("aes-256-gcm", key, iv);
    bad.setAuthTag(Buffer.alloc(16));
    bad.update(sealed, "hex");
    let tampered;
    try { bad.final(); tampered = "accepted"; } catch (e) { tampered = e.message; }
    const cbc = createCipheriv("aes-128-cbc", Buffer.alloc(16, 1), Buffer.alloc(16, 2));
    return Response.json({
      sealed, tag: tag.toString("hex"), opened, tampered,
      cbc: cbc.update("attack at dawn", "utf8", "base64") + cbc.final("base64"),
    });
  },
};"#,
  );
  let server = Server::start(&apps);
  let reply = server.get("/aes").await;
  assert_eq!(reply.status, 200, "{}", reply.body);
  assert_eq!(
    reply.json(),
    serde_json::json!({
      "sealed": "448ad76239437e230e60273d9c39",
      "tag": "d105a8cc0cb6ef9893d489a9e3fff16c",
      "opened": "attack at dawn",
      "tampered": "Unsupported state or unable to authenticate data",
      "cbc": "YqkZJkYWzQALyFZCP97Sig==",
    })
  );
}

/// An app that is a Node HTTP server (`http.createServer(handler).listen()`)
/// is served in its isolate: status and headers, streamed writes, request
/// bodies as 'data' events, HEAD. A handler that throws answers 500 and one
/// that never ends times out; the neighbour answers throughout.
#[tokio::test]
async fn a_node_http_server_app_is_served() {
  let apps = Apps::new();
  crate::harness::with_neighbour(&apps);
  apps.file("nodesrv/1.0.0/worker.config.json", r#"{ "timeout": 1 }"#);
  apps.js(
    "nodesrv/1.0.0",
    r#"import http from "node:http";
http.createServer((req, res) => {
  if (req.url === "/throw") throw new Error("handler threw");
  // Busy elsewhere (a timer pending), never answering: the timeout ends it.
  if (req.url === "/never") { setTimeout(() => {}, 60000); return; }
  if (req.url === "/stream") {
    res.writeHead(200, { "content-type": "text/plain" });
    res.write("a ");
    setTimeout(() => { res.write("b "); res.end("c"); }, 10);
    return;
  }
  if (req.method === "POST") {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ got: Buffer.concat(chunks).toString(), url: req.url }));
    });
    return;
  }
  res.statusCode = 201;
  res.setHeader("x-node", ["a", "b"]);
  res.end(`hello ${req.method} ${req.url}`);
}).listen(3000);
"#,
  );
  let mut server = Server::start(&apps);
  let hello = server.get("/nodesrv/x?y=1").await;
  assert_eq!(
    (hello.status, hello.body.as_str()),
    (201, "hello GET /x?y=1")
  );
  // Fetch headers join repeated values into one list.
  assert_eq!(hello.header("x-node"), "a, b");
  assert_eq!(server.get("/nodesrv/stream").await.body, "a b c");
  let posted = server.post("/nodesrv/in", "some body").await;
  assert_eq!(
    posted.json(),
    serde_json::json!({ "got": "some body", "url": "/in" })
  );
  let head = reqwest::Client::new()
    .head(server.url("/nodesrv/x"))
    .send()
    .await
    .unwrap();
  assert_eq!(head.status(), 201);
  let thrown = server.get("/nodesrv/throw").await;
  assert_eq!(thrown.status, 500);
  assert!(thrown.error().contains("handler threw"), "{}", thrown.body);
  assert_eq!(server.get("/nodesrv/never").await.status, 504);
  crate::harness::assert_neighbour_serves(&mut server).await;
  assert_eq!(server.get("/nodesrv/x").await.status, 201);
}

/// node:dns answers literals and localhost and refuses to resolve other
/// names (fetch does that under the address policy); perf_hooks is the
/// Web `performance`.
#[tokio::test]
async fn dns_lookup_answers_only_literals_and_localhost() {
  let apps = Apps::new();
  crate::harness::with_neighbour(&apps);
  apps.js(
    "dns/1.0.0",
    r#"import dns from "node:dns";
import { lookup } from "node:dns/promises";
import { performance } from "node:perf_hooks";
export default {
  async fetch() {
    const local = await lookup("localhost", { all: true });
    const literal = await new Promise((resolve) => dns.lookup("10.1.2.3", (err, address, family) => resolve([address, family])));
    let named;
    try { await lookup("internal.example.com"); named = "resolved"; } catch (e) { named = e.code; }
    return Response.json({ local: local.map((a) => a.address), literal, named, perf: typeof performance.now() });
  },
};"#,
  );
  let mut server = Server::start(&apps);
  let reply = server.get("/dns").await;
  assert_eq!(reply.status, 200, "{}", reply.body);
  assert_eq!(
    reply.json(),
    serde_json::json!({ "local": ["127.0.0.1", "::1"], "literal": ["10.1.2.3", 4], "named": "ENOTFOUND", "perf": "number" })
  );
  crate::harness::assert_neighbour_serves(&mut server).await;
}

#[tokio::test]
async fn generate_key_pair_makes_rsa_and_p256_keys_and_refuses_the_rest() {
  let apps = Apps::new();
  with_neighbour(&apps);
  apps.js(
    "keys/1.0.0",
    r#"import crypto from "node:crypto";
const code = (f) => { try { f(); return "ok"; } catch (err) { return err.code ?? err.name; } };
export default {
  async fetch() {
    const { publicKey, privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 1024 });
    const signature = crypto.sign("sha256", Buffer.from("data"), privateKey);
    const ec = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
    const ecSig = crypto.createSign("SHA256").update("data").sign(ec.privateKey);
    const viaCallback = await new Promise((resolve) =>
      crypto.generateKeyPair("ec", { namedCurve: "prime256v1" }, (err, pub, priv) => resolve(err ? err.code : pub.type + "/" + priv.type)));
    return Response.json({
      types: [publicKey.type, privateKey.type, publicKey.asymmetricKeyType],
      verified: crypto.verify("sha256", Buffer.from("data"), publicKey, signature),
      forged: crypto.verify("sha256", Buffer.from("other"), publicKey, signature),
      ecVerified: crypto.createVerify("SHA256").update("data").verify(ec.publicKey, ecSig),
      viaCallback,
      huge: code(() => crypto.generateKeyPairSync("rsa", { modulusLength: 1 << 20 })),
      tiny: code(() => crypto.generateKeyPairSync("rsa", { modulusLength: 256 })),
      evenExponent: code(() => crypto.generateKeyPairSync("rsa", { modulusLength: 1024, publicExponent: 4 })),
      noLength: code(() => crypto.generateKeyPairSync("rsa", {})),
      curve: code(() => crypto.generateKeyPairSync("ec", { namedCurve: "secp256k1" })),
      ed25519: code(() => crypto.generateKeyPairSync("ed25519")),
      der: code(() => crypto.generateKeyPairSync("ec", { namedCurve: "P-256", publicKeyEncoding: { type: "spki", format: "der" } })),
    });
  },
};"#,
  );
  let mut server = Server::start(&apps);
  let reply = server.get("/keys").await;
  assert_eq!(reply.status, 200, "{}", reply.body);
  assert_eq!(
    reply.json(),
    serde_json::json!({
      "types": ["public", "private", "rsa"],
      "verified": true, "forged": false, "ecVerified": true, "viaCallback": "public/private",
      "huge": "RangeError", "tiny": "RangeError", "evenExponent": "RangeError",
      "noLength": "ERR_INVALID_ARG_TYPE", "curve": "ERR_CRYPTO_INVALID_CURVE",
      "ed25519": "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM", "der": "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM"
    })
  );
  assert_eq!(server.get("/keys").await.status, 200);
  assert_neighbour_serves(&mut server).await;
}
