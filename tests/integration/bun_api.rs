//! The Bun API extras (`Bun.hash`, `CryptoHasher`, `password`, …) and
//! `bun:sqlite`, exercised by real apps over HTTP. Expected values that are
//! not standard test vectors were produced by Bun 1.4 itself.

use serde_json::json;

use crate::harness::{Apps, Server};

/// One app per test: `body` is the inside of an async `fetch` that returns
/// a JSON-able value.
fn json_app(apps: &Apps, name: &str, body: &str) {
  json_app_with(apps, name, "", body);
}

/// The same with module-level code (imports) before the handler.
fn json_app_with(apps: &Apps, name: &str, prelude: &str, body: &str) {
  apps.js(
    &format!("{name}/1.0.0"),
    &format!(
      "{prelude}\nexport default {{ async fetch(req) {{\n{body}\n}} }};\n\
       const big = (v) => typeof v === 'bigint' ? v.toString() : v;\n"
    ),
  );
}

#[tokio::test]
async fn hashes_match_bun() {
  let apps = Apps::new();
  json_app(
    &apps,
    "hashes",
    r#"return Response.json({
      hello: big(Bun.hash("hello")),
      seeded: big(Bun.hash("hello", 42)),
      bigSeed: big(Bun.hash("hello", 2n ** 64n - 1n)),
      empty: big(Bun.hash("")),
      long: big(Bun.hash("The quick brown fox jumps over the lazy dog, again and again and again!")),
      bytes: big(Bun.hash(new TextEncoder().encode("hello"))),
      wyhash: big(Bun.hash.wyhash("hello")),
      type: typeof Bun.hash("hello"),
      crc32: Bun.hash.crc32("hello"),
      crc32Seeded: Bun.hash.crc32("hello", 5),
      adler32: Bun.hash.adler32("hello"),
      xxHash32: Bun.hash.xxHash32("hello"),
      xxHash64: big(Bun.hash.xxHash64("hello")),
      xxHash3: big(Bun.hash.xxHash3("hello")),
    });"#,
  );
  let server = Server::start(&apps);
  let json = server.get("/hashes").await.json();
  assert_eq!(
    json,
    json!({
      "hello": "1019145960556548909",
      "seeded": "1063083450050639729",
      "bigSeed": "17673094562417653020",
      "empty": "290873116282709081",
      "long": "15510749539503889474",
      "bytes": "1019145960556548909",
      "wyhash": "1019145960556548909",
      "type": "bigint",
      "crc32": 907060870,
      "crc32Seeded": 4277152246u32,
      "adler32": 103547413,
      "xxHash32": 4211111929u32,
      "xxHash64": "2794345569481354659",
      "xxHash3": "10760762337991515389",
    })
  );
}

#[tokio::test]
async fn crypto_hasher_digests() {
  let apps = Apps::new();
  json_app(
    &apps,
    "hasher",
    r#"const h = new Bun.CryptoHasher("sha256");
    h.update("a");
    const forked = h.copy();
    h.update("bc");
    const abc = h.digest("hex");
    const afterReset = h.digest("hex");
    const raw = new Bun.CryptoHasher("sha1").update("abc").digest();
    const out = new Uint8Array(16);
    Bun.CryptoHasher.hash("md5", "abc", out);
    let unknown;
    try { new Bun.CryptoHasher("nope"); } catch (e) { unknown = `${e.name}: ${e.message}`; }
    return Response.json({
      abc, afterReset,
      forked: forked.digest("base64"),
      sha1: [raw instanceof Uint8Array, raw.length, raw[0], raw[19]],
      md5: Bun.CryptoHasher.hash("md5", "abc", "hex"),
      md5Into: Array.from(out.slice(0, 2)),
      hmac: new Bun.CryptoHasher("sha256", "key").update("abc").digest("hex"),
      sha512: new Bun.CryptoHasher("sha512").update("abc").digest("hex").slice(0, 16),
      hexInput: new Bun.CryptoHasher("sha256").update("616263", "hex").digest("hex"),
      SHA256: Bun.SHA256.hash("abc", "hex"),
      algorithm: h.algorithm, byteLength: h.byteLength,
      unknown,
    });"#,
  );
  let server = Server::start(&apps);
  let json = server.get("/hasher").await.json();
  let sha256_abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  assert_eq!(json["abc"], sha256_abc);
  assert_eq!(
    json["afterReset"],
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
  );
  assert_eq!(
    json["forked"],
    "ypeBEsobvcr6wjGzmiPcTaeG7/gUfE5yuYB3ha/uSLs="
  );
  // SHA-1("abc") = a9993e36...9cd0d89d
  assert_eq!(json["sha1"], json!([true, 20, 0xa9, 0x9d]));
  assert_eq!(json["md5"], "900150983cd24fb0d6963f7d28e17f72");
  assert_eq!(json["md5Into"], json!([0x90, 0x01]));
  assert_eq!(
    json["hmac"],
    "9c196e32dc0175f86f4b1cb89289d6619de6bee699e4c378e68309ed97a1a6ab"
  );
  assert_eq!(json["sha512"], "ddaf35a193617aba");
  assert_eq!(json["hexInput"], sha256_abc);
  assert_eq!(json["SHA256"], sha256_abc);
  assert_eq!(json["algorithm"], "sha256");
  assert_eq!(json["byteLength"], 32);
  assert_eq!(json["unknown"], "TypeError: Unsupported algorithm nope");
}

#[tokio::test]
async fn compression_round_trips_and_reads_python_gzip() {
  let apps = Apps::new();
  json_app(
    &apps,
    "zip",
    r#"// gzip.compress(b"hello from python " * 3, mtime=0) in Python.
    const fromPython = Uint8Array.from(atob("H4sIAAAAAAACA8tIzcnJV0grys9VKKgsycjPU8ggQgQAzEOttjYAAAA="), (c) => c.charCodeAt(0));
    const big = "buntime ".repeat(1000);
    const gz = Bun.gzipSync(big);
    const dec = new TextDecoder();
    let bad;
    try { Bun.gunzipSync(new Uint8Array([1, 2, 3])); } catch (e) { bad = e.name; }
    return Response.json({
      python: dec.decode(Bun.gunzipSync(fromPython)),
      roundTrip: dec.decode(Bun.gunzipSync(gz)) === big,
      smaller: gz.length < big.length / 10,
      isBytes: gz instanceof Uint8Array,
      gzipHello: Array.from(Bun.gzipSync("hello hello hello hello")),
      deflateHello: Array.from(Bun.deflateSync("hello")),
      inflate: dec.decode(Bun.inflateSync(Bun.deflateSync(new TextEncoder().encode("abc"), { level: 9 }))),
      level0: Bun.gzipSync(big, { level: 0 }).length > big.length,
      bad,
    });"#,
  );
  let server = Server::start(&apps);
  let json = server.get("/zip").await.json();
  assert_eq!(json["python"], "hello from python ".repeat(3));
  assert_eq!(json["roundTrip"], true);
  assert_eq!(json["smaller"], true);
  assert_eq!(json["isBytes"], true);
  // Byte for byte what Bun produces (raw deflate for deflateSync).
  assert_eq!(
    json["gzipHello"],
    json!([
      31, 139, 8, 0, 0, 0, 0, 0, 0, 3, 203, 72, 205, 201, 201, 87, 200, 64, 39, 1, 227, 81, 61,
      141, 23, 0, 0, 0
    ])
  );
  assert_eq!(json["deflateHello"], json!([203, 72, 205, 201, 201, 7, 0]));
  assert_eq!(json["inflate"], "abc");
  assert_eq!(json["level0"], true);
  assert_eq!(json["bad"], "Error");
}

#[tokio::test]
async fn passwords_hash_and_verify() {
  let apps = Apps::new();
  json_app(
    &apps,
    "pw",
    r#"const fast = { algorithm: "argon2id", memoryCost: 1024, timeCost: 1 };
    const argon = await Bun.password.hash("hunter2", fast);
    const argonI = Bun.password.hashSync("hunter2", { algorithm: "argon2i", memoryCost: 1024, timeCost: 1 });
    const dflt = await Bun.password.hash("hunter2");
    const bcrypt = await Bun.password.hash("hunter2", { algorithm: "bcrypt", cost: 4 });
    // Made by Bun 1.4: Bun.password.hash("pw") and ("pw", {algorithm: "bcrypt", cost: 4}),
    // and ("x".repeat(100), bcrypt cost 4), which Bun pre-hashes with SHA-512.
    const bunArgon = "$argon2id$v=19$m=65536,t=2,p=1$3Obngf8WyScHZ+ecHhdcH8jkeoI5w8CHjgRACvQEWu0$nuJIkXRIADu7MyS5QDBPGGapP9KAadP43SAQ3xRS10A";
    const bunBcrypt = "$2b$04$t9Bb2mnlTtMYQdEgOT/5cOelUp1Q.ptzmPR.72OsXtWLSlVOl5aBu";
    const bunLong = "$2b$04$KDR.S/gCMyz7dQ35a9ks7e9nuO4ZZGPzatQ.JV0ZEM9PIHgNfgxxK";
    // OpenBSD/Openwall bcrypt test vector.
    const openwall = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW";
    let bad;
    try { await Bun.password.verify("x", "not a hash"); } catch (e) { bad = e.name; }
    return Response.json({
      argonPrefix: argon.slice(0, 30),
      argonIPrefix: argonI.slice(0, 10),
      defaultPrefix: dflt.slice(0, 31),
      bcryptPrefix: bcrypt.slice(0, 7), bcryptLength: bcrypt.length,
      argonOk: await Bun.password.verify("hunter2", argon),
      argonWrong: await Bun.password.verify("hunter3", argon),
      argonIOk: Bun.password.verifySync("hunter2", argonI),
      defaultOk: await Bun.password.verify("hunter2", dflt),
      bcryptOk: await Bun.password.verify("hunter2", bcrypt),
      bcryptWrong: Bun.password.verifySync("hunter3", bcrypt),
      bunArgon: [await Bun.password.verify("pw", bunArgon), await Bun.password.verify("pW", bunArgon)],
      bunBcrypt: [await Bun.password.verify("pw", bunBcrypt), await Bun.password.verify("px", bunBcrypt)],
      bunLong: [await Bun.password.verify("x".repeat(100), bunLong), await Bun.password.verify("x".repeat(72), bunLong)],
      openwall: [Bun.password.verifySync("U*U", openwall), Bun.password.verifySync("U*V", openwall)],
      promise: Bun.password.hash("a", fast) instanceof Promise,
      bad,
    });"#,
  );
  let server = Server::start(&apps);
  let json = server.get("/pw").await.json();
  assert_eq!(json["argonPrefix"], "$argon2id$v=19$m=1024,t=1,p=1$");
  assert_eq!(json["argonIPrefix"], "$argon2i$v");
  assert_eq!(json["defaultPrefix"], "$argon2id$v=19$m=65536,t=2,p=1$");
  assert_eq!(json["bcryptPrefix"], "$2b$04$");
  assert_eq!(json["bcryptLength"], 60);
  for key in ["argonOk", "argonIOk", "defaultOk", "bcryptOk"] {
    assert_eq!(json[key], true, "{key}");
  }
  for key in ["argonWrong", "bcryptWrong"] {
    assert_eq!(json[key], false, "{key}");
  }
  for key in ["bunArgon", "bunBcrypt", "bunLong", "openwall"] {
    assert_eq!(json[key], json!([true, false]), "{key}");
  }
  assert_eq!(json["promise"], true);
  assert_eq!(json["bad"], "TypeError");
}

#[tokio::test]
async fn small_utilities_behave_like_bun() {
  let apps = Apps::new();
  json_app(
    &apps,
    "utils",
    r#"const ids = Array.from({ length: 200 }, () => Bun.randomUUIDv7());
    const sorted = [...ids].sort();
    const at = Bun.randomUUIDv7("hex", 1000);
    const buf = Bun.randomUUIDv7("buffer");
    const enc = new TextEncoder();
    let lengthError;
    try { crypto.timingSafeEqual(new Uint8Array(1), new Uint8Array(2)); } catch (e) { lengthError = [e.name, e.code]; }
    const s = Bun.semver;
    const cyc = { a: 1 }; cyc.self = cyc;
    const cyc2 = { a: 1 }; cyc2.self = cyc2;
    return Response.json({
      uuidFormat: ids.every((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id)),
      uuidOrdered: ids.every((id, i) => id === sorted[i]),
      uuidUnique: new Set(ids).size === ids.length,
      uuidTime: Math.abs(parseInt(ids[0].replace(/-/g, "").slice(0, 12), 16) - Date.now()) < 60000,
      uuidAt: at.slice(0, 14),
      uuidB64: Bun.randomUUIDv7("base64").length,
      uuidB64url: /^[A-Za-z0-9_-]{22}$/.test(Bun.randomUUIDv7("base64url")),
      uuidBuffer: [buf instanceof Uint8Array, buf.length, buf[6] >> 4],
      escape: Bun.escapeHTML(`<a href="x">'&'</a>`),
      escapePlain: Bun.escapeHTML("plain"),
      escapeNumber: Bun.escapeHTML(42),
      deep: [
        Bun.deepEquals({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }),
        Bun.deepEquals({ a: 1, b: undefined }, { a: 1 }),
        Bun.deepEquals({ a: 1, b: undefined }, { a: 1 }, true),
        Bun.deepEquals([1, , 3], [1, undefined, 3]),
        Bun.deepEquals([1, , 3], [1, undefined, 3], true),
        Bun.deepEquals(NaN, NaN),
        Bun.deepEquals(0, -0),
        Bun.deepEquals(new Map([[1, { a: 1 }]]), new Map([[1, { a: 1 }]])),
        Bun.deepEquals(new Set([1, 2]), new Set([2, 1])),
        Bun.deepEquals(/a/g, /a/i),
        Bun.deepEquals(new Uint8Array([1]), [1]),
        Bun.deepEquals(new (class A { constructor() { this.a = 1; } })(), { a: 1 }),
        Bun.deepEquals(new (class A { constructor() { this.a = 1; } })(), { a: 1 }, true),
        Bun.deepEquals(new Date(5), new Date(5)),
        Bun.deepEquals(1, "1"),
        Bun.deepEquals(cyc, cyc2),
      ],
      semver: [
        s.satisfies("1.2.3", "^1.2 || >=3"),
        s.satisfies("2.0.0", "^1.2 || >=3"),
        s.satisfies("3.1.0", "^1.2 || >=3"),
        s.satisfies("1.5.0", "1.x"),
        s.satisfies("1.3.0", "1.2"),
        s.satisfies("2.0.5", "1.2.3 - 2.0"),
        s.satisfies("1.2.3", ">= 1.2.0 < 2"),
        s.satisfies("1.0.0-rc.1", "^1.0.0"),
        s.satisfies("1.0.0-rc.2", ">=1.0.0-rc.1"),
        s.satisfies("v1.2.3", "~1.2"),
        s.satisfies("0.3.0", "^0.2.3"),
      ],
      order: [s.order("1.0.0", "1.0.1"), s.order("1.0.0-beta", "1.0.0"), s.order("2.0.0", "2.0.0+build"), s.order("1.0.0-beta.11", "1.0.0-beta.2")],
      timingSafe: [crypto.timingSafeEqual(enc.encode("abc"), enc.encode("abc")), crypto.timingSafeEqual(enc.encode("abc"), enc.encode("abd"))],
      lengthError,
      gc: typeof Bun.gc(true),
      inspect: Bun.inspect({ a: [1, "x"] }).replace(/\s+/g, " "),
      revision: typeof Bun.revision,
    });"#,
  );
  let server = Server::start(&apps);
  let json = server.get("/utils").await.json();
  for key in [
    "uuidFormat",
    "uuidOrdered",
    "uuidUnique",
    "uuidTime",
    "uuidB64url",
  ] {
    assert_eq!(json[key], true, "{key}: {json}");
  }
  assert_eq!(json["uuidAt"], "00000000-03e8-");
  assert_eq!(json["uuidB64"], 24);
  assert_eq!(json["uuidBuffer"], json!([true, 16, 7]));
  assert_eq!(
    json["escape"],
    "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;"
  );
  assert_eq!(json["escapePlain"], "plain");
  assert_eq!(json["escapeNumber"], "42");
  // The same answers as Bun 1.4 for the same calls.
  assert_eq!(
    json["deep"],
    json!([
      true, true, false, true, false, true, false, true, true, false, false, true, false, true,
      false, true
    ])
  );
  assert_eq!(
    json["semver"],
    json!([true, false, true, true, false, true, true, false, true, true, false])
  );
  assert_eq!(json["order"], json!([-1, -1, 0, 1]));
  assert_eq!(json["timingSafe"], json!([true, false]));
  assert_eq!(
    json["lengthError"],
    json!(["RangeError", "ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH"])
  );
  assert_eq!(json["gc"], "number");
  assert!(
    json["inspect"]
      .as_str()
      .unwrap()
      .contains("a: [ 1, \"x\" ]"),
    "{}",
    json["inspect"]
  );
  assert_eq!(json["revision"], "string");
}

#[tokio::test]
async fn unsupported_apis_throw_a_type_error_naming_them() {
  let apps = Apps::new();
  json_app_with(
    &apps,
    "unsupported",
    r#"import { spawn as importedSpawn, hash as importedHash } from "bun";"#,
    r#"const tryIt = (f) => { try { f(); return "no error"; } catch (e) { return `${e.name}: ${e.message}`; } };
    return Response.json({
      spawn: tryIt(() => Bun.spawn(["ls"])),
      write: tryIt(() => Bun.write("x.txt", "x")),
      shell: tryIt(() => Bun.$`ls`),
      listen: tryIt(() => Bun.listen({})),
      dns: tryIt(() => Bun.dns.lookup("example.com")),
      cityHash: tryIt(() => Bun.hash.cityHash32("x")),
      typeofSpawn: typeof Bun.spawn,
      keys: Object.keys(Bun).includes("spawn"),
      imported: tryIt(() => importedSpawn("ls")),
      importedHash: importedHash("hello").toString(),
    });"#,
  );
  let server = Server::start(&apps);
  let json = server.get("/unsupported").await.json();
  assert_eq!(
    json["spawn"],
    "TypeError: Bun.spawn is not supported in Buntime (see README: Bun API support)"
  );
  assert_eq!(
    json["write"],
    "TypeError: Bun.write is not supported in Buntime (see README: Bun API support)"
  );
  assert_eq!(
    json["shell"],
    "TypeError: Bun.$ is not supported in Buntime (see README: Bun API support)"
  );
  assert!(json["listen"]
    .as_str()
    .unwrap()
    .starts_with("TypeError: Bun.listen is not supported"));
  assert!(json["dns"]
    .as_str()
    .unwrap()
    .starts_with("TypeError: Bun.dns is not supported"));
  assert!(json["cityHash"]
    .as_str()
    .unwrap()
    .starts_with("TypeError: Bun.hash.cityHash32 is not supported"));
  assert_eq!(json["typeofSpawn"], "function");
  assert_eq!(
    json["imported"],
    "TypeError: Bun.spawn is not supported in Buntime (see README: Bun API support)"
  );
  assert_eq!(json["importedHash"], "1019145960556548909");
  assert_eq!(json["keys"], false);
}

const SQLITE_IMPORT: &str = r#"import { Database } from "bun:sqlite";"#;

#[tokio::test]
async fn sqlite_statements_types_and_transactions() {
  let apps = Apps::new();
  json_app_with(
    &apps,
    "sql",
    SQLITE_IMPORT,
    r#"const db = new Database(":memory:");
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, score REAL, data BLOB, flag INTEGER)");
    const insert = db.prepare("INSERT INTO t (name, score, data, flag) VALUES (?, ?, ?, ?)");
    const first = insert.run("ada", 1.5, new Uint8Array([1, 2, 3]), true);
    insert.run("bob", null, null, false);
    const named = db.query("INSERT INTO t (name, score) VALUES ($name, $score)").run({ $name: "cy", $score: 2 });
    const strictDb = new Database(":memory:", { strict: true });
    strictDb.exec("CREATE TABLE k (a, b)");
    strictDb.query("INSERT INTO k VALUES (:a, @b)").run({ a: 1, b: "two" });
    let missing;
    try { strictDb.query("INSERT INTO k VALUES ($a, $b)").run({ a: 1 }); } catch (e) { missing = e.message; }
    let unique;
    try { insert.run("ada", 0, null, 0); } catch (e) { unique = [e.name, e.message]; }
    let syntax;
    try { db.query("SELEC nope"); } catch (e) { syntax = e.message; }
    const q = db.query("SELECT * FROM t WHERE id = ?1");
    const row = q.get(1);
    const none = q.get(1000);
    const move = db.transaction((from, to) => {
      db.run("UPDATE t SET score = score - 1 WHERE id = ?", from);
      db.run("UPDATE t SET score = score + 1 WHERE id = ?", to);
      if (to === 99) throw new Error("no such account");
    });
    move(1, 3);
    let rolledBack;
    try { move(1, 99); } catch (e) { rolledBack = e.message; }
    const nested = db.transaction(() => {
      db.run("INSERT INTO t (name) VALUES ('outer')");
      try { db.transaction(() => { db.run("INSERT INTO t (name) VALUES ('inner')"); throw new Error("x"); })(); } catch {}
      return db.inTransaction;
    });
    const wasInTx = nested.immediate();
    const big = new Database(":memory:", { safeIntegers: true });
    const bigRow = big.query("SELECT 9007199254740993 AS n, 1 AS one").get();
    const iterated = [];
    for (const r of db.query("SELECT name FROM t ORDER BY id").iterate()) iterated.push(r.name);
    const fin = db.prepare("SELECT 1");
    fin.finalize();
    let finalized;
    try { fin.all(); } catch (e) { finalized = e.message; }
    const scores = db.query("SELECT id, score FROM t WHERE id IN (1, 3) ORDER BY id").values();
    db.close();
    let closed;
    try { db.query("SELECT 1"); } catch (e) { closed = e.message; }
    return Response.json({
      first: { changes: first.changes, lastInsertRowid: first.lastInsertRowid },
      named: named.lastInsertRowid,
      strictRows: strictDb.query("SELECT * FROM k").all(),
      missing, unique, syntax,
      row: { ...row, data: Array.from(row.data), dataType: row.data.constructor.name },
      none,
      columns: q.columnNames,
      values: new Database().query("SELECT 1 AS a, 'x' AS b UNION ALL SELECT 2, NULL").values(),
      scores,
      rolledBack, wasInTx,
      bigRow: { n: typeof bigRow.n, text: bigRow.n.toString(), one: typeof bigRow.one },
      iterated, finalized, closed,
      filename: db.filename,
      memoryDefault: new Database().filename,
    });"#,
  );
  let server = Server::start(&apps);
  let json = server.get("/sql").await.json();
  assert_eq!(
    json["first"],
    json!({"changes": 1, "lastInsertRowid": 1}),
    "{json}"
  );
  assert_eq!(json["named"], 3);
  assert_eq!(json["strictRows"], json!([{"a": 1, "b": "two"}]));
  assert_eq!(json["missing"], "Missing parameter \"b\"");
  assert_eq!(
    json["unique"],
    json!(["SQLiteError", "UNIQUE constraint failed: t.name"])
  );
  assert!(
    json["syntax"].as_str().unwrap().contains("syntax error"),
    "{}",
    json["syntax"]
  );
  assert_eq!(
    json["row"],
    json!({"id": 1, "name": "ada", "score": 1.5, "data": [1, 2, 3], "dataType": "Uint8Array", "flag": 1})
  );
  assert_eq!(json["none"], serde_json::Value::Null);
  assert_eq!(
    json["columns"],
    json!(["id", "name", "score", "data", "flag"])
  );
  assert_eq!(json["values"], json!([[1, "x"], [2, null]]));
  assert_eq!(json["rolledBack"], "no such account");
  // The committed move, not the rolled-back one.
  assert_eq!(json["scores"], json!([[1, 0.5], [3, 3]]));
  assert_eq!(json["wasInTx"], true);
  assert_eq!(
    json["bigRow"],
    json!({"n": "bigint", "text": "9007199254740993", "one": "bigint"})
  );
  // "inner" was rolled back to its savepoint, "outer" committed.
  assert_eq!(json["iterated"], json!(["ada", "bob", "cy", "outer"]));
  assert_eq!(json["finalized"], "Statement has been finalized");
  assert_eq!(json["closed"], "Cannot use a closed database");
  assert_eq!(json["filename"], ":memory:");
  assert_eq!(json["memoryDefault"], ":memory:");
}

#[tokio::test]
async fn sqlite_todo_app_keeps_its_data_across_fresh_isolates() {
  let apps = Apps::new();
  // ttl 0: every request runs in a new isolate that opens the file again.
  apps.file("todo/1.0.0/worker.config.json", r#"{"ttl": 0}"#);
  apps.js(
    "todo/1.0.0",
    &format!(
      r#"{SQLITE_IMPORT}
    const db = new Database("data/todos.db", {{ create: true }});
    db.exec("CREATE TABLE IF NOT EXISTS todos (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, done INTEGER DEFAULT 0)");
    export default {{
      async fetch(req) {{
        const url = new URL(req.url);
        if (url.pathname === "/escape") {{
          const out = {{}};
          for (const path of ["../x.db", "/tmp/x.db", "data/../../x.db", "out/x.db", "data/link.db"]) {{
            try {{ new Database(path); out[path] = "opened"; }} catch (e) {{ out[path] = e.message; }}
          }}
          return Response.json(out);
        }}
        if (url.pathname === "/escape-500") return Response.json(new Database("/tmp/buntime-escape.db").filename);
        if (req.method === "POST") {{
          const {{ title }} = await req.json();
          const {{ lastInsertRowid }} = db.query("INSERT INTO todos (title) VALUES ($title)").run({{ $title: title }});
          return Response.json({{ id: lastInsertRowid }}, {{ status: 201 }});
        }}
        return Response.json(db.query("SELECT id, title, done FROM todos ORDER BY id").all());
      }},
    }};"#
    ),
  );
  std::fs::create_dir_all(apps.path().join("todo/1.0.0/data")).unwrap();
  // Symlinks out of the app folder: a folder and a database file.
  let outside = tempfile::tempdir().unwrap();
  std::fs::write(outside.path().join("real.db"), b"").unwrap();
  std::os::unix::fs::symlink(outside.path(), apps.path().join("todo/1.0.0/out")).unwrap();
  std::os::unix::fs::symlink(
    outside.path().join("real.db"),
    apps.path().join("todo/1.0.0/data/link.db"),
  )
  .unwrap();
  let server = Server::start(&apps);
  for title in ["milk", "eggs"] {
    let reply = server
      .post("/todo", format!(r#"{{"title":"{title}"}}"#))
      .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
  }
  let list = server.get("/todo").await;
  assert_eq!(list.status, 200, "{}", list.body);
  assert_eq!(
    list.json(),
    json!([{"id": 1, "title": "milk", "done": 0}, {"id": 2, "title": "eggs", "done": 0}])
  );
  assert!(apps.path().join("todo/1.0.0/data/todos.db").is_file());

  let escape = server.get("/todo/escape").await.json();
  for path in [
    "../x.db",
    "/tmp/x.db",
    "data/../../x.db",
    "out/x.db",
    "data/link.db",
  ] {
    let message = escape[path].as_str().unwrap();
    assert!(
      message.contains(path) && message.contains("inside the app folder"),
      "{path}: {message}"
    );
  }
  assert!(!apps.path().join("todo/x.db").exists());
  assert!(!outside.path().join("x.db").exists());
  assert_eq!(
    std::fs::metadata(outside.path().join("real.db"))
      .unwrap()
      .len(),
    0
  );

  // Uncaught, the error answers 500 JSON naming the path.
  let reply = server.get("/todo/escape-500").await;
  assert_eq!(reply.status, 500);
  assert!(
    reply.error().contains("/tmp/buntime-escape.db"),
    "{}",
    reply.body
  );
  assert!(!std::path::Path::new("/tmp/buntime-escape.db").exists());
}
