import crypto, * as named from "node:crypto";

export default async function (t) {
  const real = t.real("crypto");
  const RB = t.real("buffer").Buffer;
  const inputs = ["", "abc", "h\u00e9llo \u{1F600}", "x".repeat(1000), RB.from([0, 1, 2, 255]), new Uint8Array([9, 8, 7]), new Uint16Array([1, 2])];
  const algs = ["md5", "sha1", "sha256", "sha384", "sha512", "SHA256", "sha-256", "RSA-SHA256", "SHA1"];
  for (const alg of algs) {
    for (const input of inputs) {
      for (const enc of ["hex", "base64", "base64url", "latin1", undefined]) {
        t.same(`createHash(${alg}) ${typeof input === "string" ? input.length : input.constructor.name} ${enc}`, crypto, real, (m) => m.createHash(alg).update(input).digest(enc));
        t.same(`createHmac(${alg}) ${enc}`, crypto, real, (m) => m.createHmac(alg, "secret-key").update(input).digest(enc));
      }
    }
  }
  t.same("hash multiple updates", crypto, real, (m) => m.createHash("sha256").update("a").update("b").update(RB.from("c")).digest("hex"));
  t.same("hash input encodings", crypto, real, (m) => [m.createHash("sha1").update("6869", "hex").digest("hex"), m.createHash("sha1").update("aGk=", "base64").digest("hex"), m.createHash("sha1").update("\u00e9", "latin1").digest("hex")]);
  t.same("hmac buffer key", crypto, real, (m) => m.createHmac("sha512", RB.from([1, 2, 3])).update("data").digest("base64"));
  t.same("hmac long key", crypto, real, (m) => m.createHmac("sha256", "k".repeat(200)).update("data").digest("hex"));
  t.same("hmac empty key", crypto, real, (m) => m.createHmac("md5", "").update("data").digest("hex"));
  t.same("unknown digest", crypto, real, (m) => m.createHash("whirlpool9"));
  t.same("unknown hmac digest", crypto, real, (m) => m.createHmac("nope", "k"));
  t.same("digest twice", crypto, real, (m) => { const h = m.createHash("md5"); h.digest(); return h.digest(); });
  t.same("update after digest", crypto, real, (m) => { const h = m.createHash("md5"); h.digest(); return h.update("x"); });
  t.same("copy", crypto, real, (m) => {
    const h = m.createHash("sha256").update("one");
    const c = h.copy();
    c.update("two");
    return [h.digest("hex"), c.digest("hex")];
  });
  t.same("buffer reuse before digest", crypto, real, (m) => {
    const b = RB.from("aaaa");
    const h = m.createHash("sha1").update(b);
    b.fill(0);
    return h.digest("hex");
  });
  t.same("update number throws", crypto, real, (m) => m.createHash("sha1").update(5));
  t.ok(crypto.createHash("sha1").digest() instanceof Uint8Array && typeof crypto.createHash("sha1").digest().readUInt8 === "function", "digest() returns Buffer");
  t.same("pbkdf2Sync", crypto, real, (m) => m.pbkdf2Sync("password", "salt", 1000, 48, "sha256").toString("hex"));
  t.same("pbkdf2Sync sha1 short", crypto, real, (m) => m.pbkdf2Sync("pw", RB.from("salt"), 2, 10, "sha1").toString("hex"));
  t.same("hkdfSync", crypto, real, (m) => RB.from(m.hkdfSync("sha256", "key", "salt", "info", 42)).toString("hex"));
  t.same("hkdfSync empty salt", crypto, real, (m) => RB.from(m.hkdfSync("sha512", "key", "", "", 70)).toString("hex"));
  if (typeof real.hash === "function") t.same("crypto.hash", crypto, real, (m) => m.hash("sha1", "abc"));
  {
    const got = await new Promise((res) => crypto.pbkdf2("p", "s", 1, 8, "sha256", (err, key) => res(key.toString("hex"))));
    t.eq(got, real.pbkdf2Sync("p", "s", 1, 8, "sha256").toString("hex"), "pbkdf2 callback");
  }
  // timingSafeEqual
  t.same("timingSafeEqual equal", crypto, real, (m) => m.timingSafeEqual(RB.from("abc"), RB.from("abc")));
  t.same("timingSafeEqual differ", crypto, real, (m) => m.timingSafeEqual(RB.from("abc"), RB.from("abd")));
  t.same("timingSafeEqual length", crypto, real, (m) => m.timingSafeEqual(RB.from("abc"), RB.from("ab")));
  t.same("timingSafeEqual typed", crypto, real, (m) => m.timingSafeEqual(new Uint16Array([1]), new Uint8Array([1, 0])));
  t.same("timingSafeEqual string", crypto, real, (m) => m.timingSafeEqual("a", "a"));
  // randomness
  const rb = crypto.randomBytes(32);
  t.ok(rb.length === 32 && typeof rb.readUInt8 === "function", "randomBytes returns Buffer");
  t.ok(crypto.randomBytes(16).toString("hex") !== crypto.randomBytes(16).toString("hex"), "randomBytes random");
  t.ok(crypto.randomBytes(100000).length === 100000, "randomBytes > 65536");
  t.same("randomBytes negative", crypto, real, (m) => m.randomBytes(-1));
  t.same("randomBytes string", crypto, real, (m) => m.randomBytes("1"));
  const cbBytes = await new Promise((res) => crypto.randomBytes(8, (err, b) => res(b)));
  t.ok(cbBytes.length === 8, "randomBytes callback");
  {
    const buf = new Uint8Array(16);
    crypto.randomFillSync(buf, 8);
    t.ok(buf.slice(0, 8).every((x) => x === 0) && buf.slice(8).some((x) => x !== 0), "randomFillSync offset");
    const u32 = new Uint32Array(4);
    crypto.randomFillSync(u32, 1, 2);
    t.ok(u32[0] === 0 && u32[3] === 0, "randomFillSync element offsets");
  }
  t.same("randomFillSync out of range", crypto, real, (m) => m.randomFillSync(new Uint8Array(4), 5));
  {
    const seen = new Set();
    let inRange = true;
    for (let i = 0; i < 2000; i++) {
      const n = crypto.randomInt(-3, 4);
      if (n < -3 || n >= 4 || !Number.isInteger(n)) inRange = false;
      seen.add(n);
    }
    t.ok(inRange && seen.size === 7, "randomInt range covered");
    t.ok(crypto.randomInt(5) < 5, "randomInt(max)");
    const viaCb = await new Promise((res) => crypto.randomInt(10, (err, n) => res(n)));
    t.ok(viaCb >= 0 && viaCb < 10, "randomInt callback");
  }
  t.same("randomInt max<=min", crypto, real, (m) => m.randomInt(5, 5));
  t.same("randomInt float", crypto, real, (m) => m.randomInt(1.5));
  t.ok(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID()), "randomUUID v4");
  t.ok(crypto.getRandomValues(new Uint8Array(4)).length === 4, "getRandomValues");
  t.ok(crypto.webcrypto === globalThis.crypto && crypto.subtle === globalThis.crypto.subtle, "webcrypto/subtle");
  t.ok(crypto.getHashes().includes("sha256"), "getHashes");
  t.ok(typeof crypto.constants === "object", "constants");
  t.ok(named.createHash === crypto.createHash, "named exports");

  // Secret KeyObjects, as jsonwebtoken and jwa use them.
  for (const key of ["s3cret", RB.from([1, 2, 3]), ""]) {
    const label = `createSecretKey(${JSON.stringify(String(key))})`;
    t.same(`${label} shape`, crypto, real, (m) => {
      const k = m.createSecretKey(key);
      return [k.type, k.symmetricKeySize, k.asymmetricKeyType, k.export().toString("hex"), k.export({ format: "jwk" }), k instanceof m.KeyObject];
    });
    t.same(`${label} hmac`, crypto, real, (m) => m.createHmac("sha256", m.createSecretKey(key)).update("data").digest("hex"));
    t.same(`${label} equals`, crypto, real, (m) => [m.createSecretKey(key).equals(m.createSecretKey(key)), m.createSecretKey(key).equals(m.createSecretKey("other"))]);
  }
  t.same("new KeyObject() throws", crypto, real, (m) => new m.KeyObject("secret"));

  // AES: update() + final() as callers write it, tags, round trips, refusals.
  const texts = ["", "attack at dawn", "x".repeat(100), RB.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15])];
  for (const alg of ["aes-128-gcm", "aes-192-gcm", "aes-256-gcm", "aes-128-cbc", "aes-256-cbc", "aes-128-ctr", "aes-256-ctr"]) {
    const bits = Number(alg.split("-")[1]);
    const key = RB.alloc(bits / 8, 7);
    const iv = RB.alloc(alg.endsWith("gcm") ? 12 : 16, 3);
    for (const text of texts) {
      const label = `${alg} ${typeof text === "string" ? text.length : "bytes"}`;
      t.same(`${label} encrypt`, crypto, real, (m) => {
        const c = m.createCipheriv(alg, key, iv);
        if (alg.endsWith("gcm")) c.setAAD(RB.from("header"));
        const out = c.update(text, typeof text === "string" ? "utf8" : undefined, "hex") + c.final("hex");
        return alg.endsWith("gcm") ? [out, c.getAuthTag().toString("hex")] : out;
      });
      t.same(`${label} round trip`, crypto, real, (m) => {
        const c = m.createCipheriv(alg, key, iv);
        const sealed = RB.concat([c.update(text), c.final()]);
        const d = m.createDecipheriv(alg, key, iv);
        if (alg.endsWith("gcm")) d.setAuthTag(c.getAuthTag());
        return RB.concat([d.update(sealed), d.final()]).toString("hex");
      });
    }
    t.same(`${alg} wrong key length`, crypto, real, (m) => m.createCipheriv(alg, RB.alloc(5), iv));
  }
  t.same("gcm tampered tag", crypto, real, (m) => {
    const key = RB.alloc(32, 1);
    const iv = RB.alloc(12, 2);
    const c = m.createCipheriv("aes-256-gcm", key, iv);
    const sealed = RB.concat([c.update("secret"), c.final()]);
    const tag = c.getAuthTag();
    tag[0] ^= 1;
    const d = m.createDecipheriv("aes-256-gcm", key, iv);
    d.setAuthTag(tag);
    d.update(sealed);
    return d.final();
  });
  t.same("unknown cipher", crypto, real, (m) => m.createCipheriv("rot13", RB.alloc(16), RB.alloc(16)));

  // Asymmetric keys made by Node itself: our sign/verify agree with Node's
  // (RSA signatures are deterministic; ECDSA ones are checked both ways).
  for (const [type, opts] of [["rsa", { modulusLength: 1024 }], ["ec", { namedCurve: "P-256" }]]) {
    const { privateKey, publicKey } = real.generateKeyPairSync(type, opts);
    const privPem = privateKey.export({ type: "pkcs8", format: "pem" });
    const pubPem = publicKey.export({ type: "spki", format: "pem" });
    t.same(`${type} key objects`, crypto, real, (m) => {
      const priv = m.createPrivateKey(privPem);
      const pub = m.createPublicKey(priv);
      return [priv.type, priv.asymmetricKeyType, pub.type, pub.asymmetricKeyType, pub.asymmetricKeyDetails, pub.export({ type: "spki", format: "pem" })];
    });
    const mine = crypto.createSign("RSA-SHA256").update("payload").sign(privPem);
    const theirs = real.createSign("RSA-SHA256").update("payload").sign(privPem);
    if (type === "rsa") t.eq(mine.toString("hex"), theirs.toString("hex"), "rsa signatures are Node's");
    t.ok(real.createVerify("RSA-SHA256").update("payload").verify(pubPem, mine), `${type}: Node verifies ours`);
    t.ok(crypto.createVerify("RSA-SHA256").update("payload").verify(pubPem, theirs), `${type}: we verify Node's`);
    t.ok(!crypto.verify("sha256", Buffer.from("other"), pubPem, theirs), `${type}: wrong data fails`);
  }
}
