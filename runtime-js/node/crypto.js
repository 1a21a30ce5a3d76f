// node:crypto -- hashes and HMACs via one-shot host functions (update()
// buffers, digest() hashes), randomness and webcrypto from the web globals.
import {
  cipher as hostCipher, digest as hostDigest, generateKeyPairPem, hmac as hostHmac, keyInfo, publicPem, sign as hostSign,
  verify as hostVerify,
} from "node:_host";
import { Buffer } from "node:buffer";
import { Writable } from "node:stream";
import { nodeError, argType } from "node:_errors";

const webcrypto = globalThis.crypto;
const subtle = webcrypto && webcrypto.subtle;



const ALGORITHMS = {
  md5: "md5", sha1: "sha1", "sha-1": "sha1", sha256: "sha256", "sha-256": "sha256",
  sha224: "sha224", "sha-224": "sha224", sha384: "sha384", "sha-384": "sha384", sha512: "sha512", "sha-512": "sha512",
  "sha512-224": "sha512-224", "sha512-256": "sha512-256",
  rsasha1: "sha1", "rsa-sha1": "sha1", "rsa-sha256": "sha256", "rsa-sha384": "sha384", "rsa-sha512": "sha512", "rsa-md5": "md5",
};

function normalizeAlgorithm(name, forHmac) {
  if (typeof name !== "string") throw argType(forHmac ? "hmac" : "algorithm", "of type string", name);
  const alg = ALGORITHMS[name.toLowerCase()];
  if (alg === undefined) {
    if (forHmac) throw nodeError(TypeError, "ERR_CRYPTO_INVALID_DIGEST", `Invalid digest: ${name}`);
    throw new Error("Digest method not supported");
  }
  return alg;
}

function toBytes(data, encoding, name = "data") {
  if (typeof data === "string") return Buffer.from(data, encoding === "buffer" ? "utf8" : encoding);
  if (data instanceof KeyObject && data.type === "secret") return keyMaterial(data);
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw argType(name, "of type string or an instance of Buffer, TypedArray, or DataView", data);
}

function encodeOutput(bytes, encoding) {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (encoding === undefined || encoding === "buffer") return buf;
  return buf.toString(encoding);
}

function concatChunks(chunks) {
  if (chunks.length === 1) return chunks[0];
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

// Minimal stream-ish surface (write/end/read) so hashes can be piped into.
class HashBase {
  constructor() {
    this._chunks = [];
    this._finalized = false;
    this._result = null;
  }
  update(data, inputEncoding) {
    if (this._finalized) throw nodeError(Error, "ERR_CRYPTO_HASH_FINALIZED", "Digest already called");
    // Copy: callers may reuse their buffer before digest().
    this._chunks.push(Uint8Array.from(toBytes(data, inputEncoding)));
    return this;
  }
  digest(encoding) {
    if (this._finalized) throw nodeError(Error, "ERR_CRYPTO_HASH_FINALIZED", "Digest already called");
    this._finalized = true;
    const out = this._compute(concatChunks(this._chunks.length ? this._chunks : [new Uint8Array(0)]));
    this._chunks = [];
    return encodeOutput(out, encoding);
  }
  write(chunk, encoding, cb) {
    this.update(chunk, typeof encoding === "string" ? encoding : undefined);
    if (typeof encoding === "function") encoding();
    else if (typeof cb === "function") cb();
    return true;
  }
  end(chunk, encoding, cb) {
    if (typeof chunk === "function") {
      cb = chunk;
      chunk = undefined;
    }
    if (chunk !== undefined && chunk !== null) this.update(chunk, typeof encoding === "string" ? encoding : undefined);
    this._result = this.digest();
    if (typeof encoding === "function") encoding();
    else if (typeof cb === "function") cb();
    return this;
  }
  read() {
    const r = this._result;
    this._result = null;
    return r;
  }
  on() {
    return this;
  }
  once() {
    return this;
  }
}

class Hash extends HashBase {
  constructor(algorithm, options) {
    super();
    this._alg = normalizeAlgorithm(algorithm);
    this._options = options;
  }
  _compute(data) {
    return hostDigest(this._alg, data);
  }
  copy(options) {
    if (this._finalized) throw nodeError(Error, "ERR_CRYPTO_HASH_FINALIZED", "Digest already called");
    const h = new Hash(this._alg, options);
    h._chunks = this._chunks.slice();
    return h;
  }
}

class Hmac extends HashBase {
  constructor(algorithm, key, options) {
    super();
    this._alg = normalizeAlgorithm(algorithm, true);
    if (key === null || key === undefined) throw argType("key", "of type string or an instance of ArrayBuffer, Buffer, TypedArray, DataView, KeyObject, or CryptoKey", key);
    if (key && typeof key === "object" && key.type === "secret" && typeof key.export === "function") key = key.export();
    this._key = Uint8Array.from(toBytes(key, options && options.encoding, "key"));
  }
  _compute(data) {
    return hostHmac(this._alg, this._key, data);
  }
}

function createHash(algorithm, options) {
  return new Hash(algorithm, options);
}

function createHmac(algorithm, key, options) {
  return new Hmac(algorithm, key, options);
}

function hash(algorithm, data, outputEncoding = "hex") {
  if (typeof data !== "string" && !ArrayBuffer.isView(data)) throw argType("data", "of type string or an instance of Buffer, TypedArray, or DataView", data);
  return encodeOutput(hostDigest(normalizeAlgorithm(algorithm), toBytes(data)), outputEncoding);
}

function getHashes() {
  return ["md5", "sha1", "sha256", "sha384", "sha512"];
}

// ---- randomness -----------------------------------------------------------

const MAX_RANDOM = 65536;

function fillRandom(u8) {
  for (let i = 0; i < u8.length; i += MAX_RANDOM) {
    webcrypto.getRandomValues(u8.subarray(i, Math.min(i + MAX_RANDOM, u8.length)));
  }
  return u8;
}

function checkSize(size, name = "size") {
  if (typeof size !== "number") throw argType(name, "of type number", size);
  if (!(size >= 0 && size <= 2 ** 31 - 1) || !Number.isInteger(size)) {
    throw nodeError(RangeError, "ERR_OUT_OF_RANGE", `The value of "${name}" is out of range. It must be >= 0 && <= 2147483647. Received ${size}`);
  }
}

function later(fn) {
  const p = globalThis.process;
  if (p && typeof p.nextTick === "function") p.nextTick(fn);
  else queueMicrotask(fn);
}

function randomBytes(size, callback) {
  checkSize(size);
  if (callback !== undefined && typeof callback !== "function") throw argType("callback", "of type function", callback);
  const buf = fillRandom(Buffer.alloc(size));
  if (callback) {
    later(() => callback(null, buf));
    return undefined;
  }
  return buf;
}

function viewBytes(buf) {
  if (buf instanceof ArrayBuffer) return new Uint8Array(buf);
  if (ArrayBuffer.isView(buf)) return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  throw argType("buf", "an instance of ArrayBuffer or ArrayBufferView", buf);
}

function randomFillSync(buf, offset = 0, size) {
  const bytes = viewBytes(buf);
  const elt = ArrayBuffer.isView(buf) && buf.BYTES_PER_ELEMENT ? buf.BYTES_PER_ELEMENT : 1;
  const start = offset * elt;
  const end = size === undefined ? bytes.length : start + size * elt;
  if (start < 0 || start > bytes.length) throw nodeError(RangeError, "ERR_OUT_OF_RANGE", `The value of "offset" is out of range. It must be >= 0 && <= ${bytes.length}. Received ${offset}`);
  if (end > bytes.length || end < start) throw nodeError(RangeError, "ERR_OUT_OF_RANGE", `The value of "size + offset" is out of range. It must be <= ${bytes.length}. Received ${end}`);
  fillRandom(bytes.subarray(start, end));
  return buf;
}

function randomFill(buf, offset, size, callback) {
  if (typeof offset === "function") {
    callback = offset;
    offset = 0;
    size = undefined;
  } else if (typeof size === "function") {
    callback = size;
    size = undefined;
  }
  if (typeof callback !== "function") throw argType("callback", "of type function", callback);
  randomFillSync(buf, offset, size);
  later(() => callback(null, buf));
}

function randomInt(min, max, callback) {
  if (max === undefined || typeof max === "function") {
    callback = max;
    max = min;
    min = 0;
  }
  if (!Number.isSafeInteger(min)) throw argType("min", "a safe integer", min);
  if (!Number.isSafeInteger(max)) throw argType("max", "a safe integer", max);
  if (max <= min) {
    throw nodeError(RangeError, "ERR_OUT_OF_RANGE", `The value of "max" is out of range. It must be greater than the value of "min" (${min}). Received ${max}`);
  }
  const range = max - min;
  if (range > 2 ** 48 - 1) throw nodeError(RangeError, "ERR_OUT_OF_RANGE", `The value of "max - min" is out of range. It must be <= 281474976710655. Received ${range}`);
  // Rejection sampling over 48 random bits avoids modulo bias.
  const limit = 2 ** 48 - (2 ** 48 % range);
  const six = new Uint8Array(6);
  let x;
  do {
    fillRandom(six);
    x = six[0] * 2 ** 40 + six[1] * 2 ** 32 + six[2] * 2 ** 24 + six[3] * 2 ** 16 + six[4] * 2 ** 8 + six[5];
  } while (x >= limit);
  const n = min + (x % range);
  if (typeof callback === "function") {
    later(() => callback(null, n));
    return undefined;
  }
  return n;
}

function randomUUID() {
  return webcrypto.randomUUID();
}

function getRandomValues(arr) {
  return webcrypto.getRandomValues(arr);
}

function timingSafeEqual(a, b) {
  if (!ArrayBuffer.isView(a) && !(a instanceof ArrayBuffer)) throw argType("buf1", "an instance of ArrayBuffer, Buffer, TypedArray, or DataView", a);
  if (!ArrayBuffer.isView(b) && !(b instanceof ArrayBuffer)) throw argType("buf2", "an instance of ArrayBuffer, Buffer, TypedArray, or DataView", b);
  const x = viewBytes(a);
  const y = viewBytes(b);
  if (x.length !== y.length) throw nodeError(RangeError, "ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH", "Input buffers must have the same byte length");
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}

// ---- key derivation built on HMAC -----------------------------------------

function pbkdf2Sync(password, salt, iterations, keylen, digest) {
  const alg = normalizeAlgorithm(digest);
  const pw = Uint8Array.from(toBytes(password, undefined, "password"));
  const s = toBytes(salt, undefined, "salt");
  if (!Number.isInteger(iterations) || iterations < 1) throw nodeError(RangeError, "ERR_OUT_OF_RANGE", `The value of "iterations" is out of range. It must be >= 1 && <= 2147483647. Received ${iterations}`);
  if (!Number.isInteger(keylen) || keylen < 0) throw nodeError(RangeError, "ERR_OUT_OF_RANGE", `The value of "keylen" is out of range. It must be >= 0 && <= 2147483647. Received ${keylen}`);
  const out = Buffer.alloc(keylen);
  let pos = 0;
  for (let block = 1; pos < keylen; block++) {
    const input = new Uint8Array(s.length + 4);
    input.set(s);
    input[s.length] = block >>> 24;
    input[s.length + 1] = (block >>> 16) & 255;
    input[s.length + 2] = (block >>> 8) & 255;
    input[s.length + 3] = block & 255;
    let u = hostHmac(alg, pw, input);
    const t = Uint8Array.from(u);
    for (let i = 1; i < iterations; i++) {
      u = hostHmac(alg, pw, u);
      for (let j = 0; j < t.length; j++) t[j] ^= u[j];
    }
    const n = Math.min(t.length, keylen - pos);
    out.set(t.subarray(0, n), pos);
    pos += n;
  }
  return out;
}

function pbkdf2(password, salt, iterations, keylen, digest, callback) {
  if (typeof callback !== "function") throw argType("callback", "of type function", callback);
  let result;
  try {
    result = pbkdf2Sync(password, salt, iterations, keylen, digest);
  } catch (err) {
    later(() => callback(err));
    return;
  }
  later(() => callback(null, result));
}

function hkdfSync(digest, ikm, salt, info, keylen) {
  const alg = normalizeAlgorithm(digest);
  const hashLen = hostDigest(alg, new Uint8Array(0)).length;
  let s = Uint8Array.from(toBytes(salt, undefined, "salt"));
  if (s.length === 0) s = new Uint8Array(hashLen);
  const prk = hostHmac(alg, s, toBytes(ikm, undefined, "ikm"));
  const inf = toBytes(info, undefined, "info");
  const out = new Uint8Array(keylen);
  let prev = new Uint8Array(0);
  let pos = 0;
  for (let i = 1; pos < keylen; i++) {
    const input = new Uint8Array(prev.length + inf.length + 1);
    input.set(prev);
    input.set(inf, prev.length);
    input[input.length - 1] = i;
    prev = hostHmac(alg, prk, input);
    const n = Math.min(prev.length, keylen - pos);
    out.set(prev.subarray(0, n), pos);
    pos += n;
  }
  return out.buffer;
}

function hkdf(digest, ikm, salt, info, keylen, callback) {
  let result;
  try {
    result = hkdfSync(digest, ikm, salt, info, keylen);
  } catch (err) {
    later(() => callback(err));
    return;
  }
  later(() => callback(null, result));
}

function unsupported(name) {
  return function () {
    throw nodeError(Error, "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM", `crypto.${name} is not available in this runtime`);
  };
}

// AES ciphers: update() collects, final() runs the one-shot host cipher
// and returns everything (so `update() + final()` is the whole text, as
// callers write it; update() alone returns nothing).
const CIPHERS = [
  "aes-128-gcm", "aes-192-gcm", "aes-256-gcm", "aes-128-cbc", "aes-192-cbc", "aes-256-cbc",
  "aes-128-ctr", "aes-192-ctr", "aes-256-ctr",
];

class CipherBase {
  #decrypt;
  #algorithm;
  #key;
  #iv;
  #chunks = [];
  #aad = new Uint8Array(0);
  #padding = true;
  #tag = null;
  #done = false;

  constructor(decrypt, algorithm, key, iv) {
    const name = String(algorithm).toLowerCase();
    if (!CIPHERS.includes(name)) throw nodeError(Error, "ERR_CRYPTO_UNKNOWN_CIPHER", "Unknown cipher");
    this.#decrypt = decrypt;
    this.#algorithm = name;
    this.#key = Uint8Array.from(toBytes(key, undefined, "key"));
    this.#iv = Uint8Array.from(toBytes(iv, undefined, "iv"));
    const keyBits = Number(name.split("-")[1]);
    if (this.#key.length * 8 !== keyBits) throw nodeError(RangeError, "ERR_CRYPTO_INVALID_KEYLEN", "Invalid key length");
    const ivLength = name.endsWith("-gcm") ? 12 : 16;
    if (this.#iv.length !== ivLength) throw nodeError(TypeError, "ERR_CRYPTO_INVALID_IV", "Invalid initialization vector");
  }

  get #gcm() {
    return this.#algorithm.endsWith("-gcm");
  }

  update(data, inputEncoding, outputEncoding) {
    if (this.#done) throw nodeError(Error, "ERR_CRYPTO_INVALID_STATE", "Invalid state for operation update");
    this.#chunks.push(Uint8Array.from(toBytes(data, inputEncoding)));
    return encodeOutput(new Uint8Array(0), outputEncoding);
  }

  final(outputEncoding) {
    if (this.#done) throw nodeError(Error, "ERR_CRYPTO_INVALID_STATE", "Invalid state for operation final");
    this.#done = true;
    let data = concatChunks(this.#chunks);
    if (this.#decrypt && this.#gcm) {
      if (this.#tag === null) throw nodeError(Error, "ERR_CRYPTO_INVALID_STATE", "Unsupported state or unable to authenticate data");
      const joined = new Uint8Array(data.length + this.#tag.length);
      joined.set(data);
      joined.set(this.#tag, data.length);
      data = joined;
    }
    let out;
    try {
      out = hostCipher(this.#algorithm, this.#key, this.#iv, data, this.#aad, this.#decrypt, this.#padding);
    } catch (err) {
      // Node's messages, without a code for a failed authentication.
      if (this.#gcm) throw new Error("Unsupported state or unable to authenticate data");
      throw nodeError(Error, "ERR_OSSL_BAD_DECRYPT", err.message);
    }
    if (!this.#decrypt && this.#gcm) {
      this.#tag = Buffer.from(out.subarray(out.length - 16));
      out = out.subarray(0, out.length - 16);
    }
    return encodeOutput(out, outputEncoding);
  }

  setAAD(buffer) {
    this.#aad = Uint8Array.from(toBytes(buffer, undefined, "buffer"));
    return this;
  }

  setAutoPadding(autoPadding = true) {
    this.#padding = Boolean(autoPadding);
    return this;
  }

  getAuthTag() {
    if (this.#decrypt || this.#tag === null) {
      throw nodeError(Error, "ERR_CRYPTO_INVALID_STATE", "Invalid state for operation getAuthTag");
    }
    return Buffer.from(this.#tag);
  }

  setAuthTag(tag) {
    if (!this.#decrypt || this.#done) {
      throw nodeError(Error, "ERR_CRYPTO_INVALID_STATE", "Invalid state for operation setAuthTag");
    }
    this.#tag = Uint8Array.from(toBytes(tag, undefined, "buffer"));
    return this;
  }
}

class Cipheriv extends CipherBase {
  constructor(algorithm, key, iv) {
    super(false, algorithm, key, iv);
  }
}

class Decipheriv extends CipherBase {
  constructor(algorithm, key, iv) {
    super(true, algorithm, key, iv);
  }
}

const createCipheriv = (algorithm, key, iv) => new Cipheriv(algorithm, key, iv);
const createDecipheriv = (algorithm, key, iv) => new Decipheriv(algorithm, key, iv);
const scryptSync = unsupported("scryptSync");
const scrypt = unsupported("scrypt");
/** RSA (512 to 4096 bits) and P-256 key pairs, as KeyObjects or PEM. */
function generateKeyPairSync(type, options) {
  if (typeof type !== "string") throw argType("type", "of type string", type);
  if (options !== undefined && (options === null || typeof options !== "object")) {
    throw argType("options", "of type object", options);
  }
  const { publicKeyEncoding, privateKeyEncoding } = options ?? {};
  let pems;
  if (type === "rsa") {
    const { modulusLength, publicExponent = 0x10001 } = options ?? {};
    if (!Number.isInteger(modulusLength) || modulusLength < 0 || modulusLength > 2 ** 31) {
      throw argType("options.modulusLength", "of type number", modulusLength);
    }
    if (!Number.isInteger(publicExponent) || publicExponent < 0 || publicExponent > 2 ** 31) {
      throw argType("options.publicExponent", "of type number", publicExponent);
    }
    pems = generateKeyPairPem("rsa", modulusLength, publicExponent);
  } else if (type === "ec") {
    const curve = options?.namedCurve;
    if (typeof curve !== "string") throw argType("options.namedCurve", "of type string", curve);
    if (curve !== "prime256v1" && curve !== "P-256") {
      throw nodeError(TypeError, "ERR_CRYPTO_INVALID_CURVE", `Curve ${curve} is not available here (prime256v1 is)`);
    }
    pems = generateKeyPairPem("ec", 0, 0);
  } else {
    throw nodeError(Error, "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM", `crypto.generateKeyPairSync("${type}") is not available in this runtime (rsa and ec are)`);
  }
  const [privatePem, publicPemText] = pems;
  return {
    publicKey: encodedKey("public", publicPemText, publicKeyEncoding, "spki", "publicKeyEncoding"),
    privateKey: encodedKey("private", privatePem, privateKeyEncoding, "pkcs8", "privateKeyEncoding"),
  };
}

/** A KeyObject, or its PEM when an encoding is asked for (PEM only). */
function encodedKey(type, pem, encoding, pemType, name) {
  if (encoding === undefined) return new KeyObject(constructing, type, pem, parsedKey(pem));
  if (encoding === null || typeof encoding !== "object") throw argType(`options.${name}`, "of type object", encoding);
  if (encoding.format !== "pem" || encoding.type !== pemType || encoding.cipher !== undefined) {
    throw nodeError(
      Error,
      "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM",
      `${name} ${JSON.stringify(encoding.type)}/${JSON.stringify(encoding.format)} is not available (${pemType}/pem, unencrypted, is)`,
    );
  }
  return pem;
}

function generateKeyPair(type, options, callback) {
  if (typeof options === "function") [options, callback] = [undefined, options];
  if (typeof callback !== "function") throw argType("callback", "of type function", callback);
  let pair;
  try {
    pair = generateKeyPairSync(type, options);
  } catch (err) {
    // Argument errors throw, as in Node; the rest go to the callback.
    if (err?.code === "ERR_INVALID_ARG_TYPE") throw err;
    setTimeout(() => callback(err), 0);
    return;
  }
  setTimeout(() => callback(null, pair.publicKey, pair.privateKey), 0);
}

// Node's KeyObject: secret keys (HMAC keys, what jsonwebtoken makes of a
// shared secret) and RSA / P-256 keys held as PEM for the signing ops.
const constructing = Symbol("KeyObject");
// A KeyObject's bytes (secret) or PEM (asymmetric), for this module only.
let keyMaterial;

class KeyObject {
  #type;
  #bytes;

  /** An asymmetric key's `[type, kind, bits, exponent]`, read once. */
  #info;

  constructor(token, type, bytes, info) {
    if (token !== constructing) {
      // As Node: only its own functions make KeyObjects.
      throw argType("handle", "of type object", type);
    }
    this.#type = type;
    this.#bytes = bytes;
    this.#info = info;
  }

  static {
    keyMaterial = (key) => key.#bytes;
  }

  static from(key) {
    throw argType("key", "an instance of CryptoKey whose key can be exported synchronously", key);
  }

  get type() {
    return this.#type;
  }

  get symmetricKeySize() {
    return this.#type === "secret" ? this.#bytes.length : undefined;
  }

  get asymmetricKeyType() {
    return this.#type === "secret" ? undefined : this.#info[1];
  }

  get asymmetricKeyDetails() {
    if (this.#type === "secret") return undefined;
    const [, kind, bits, exponent] = this.#info;
    return kind === "ec" ? { namedCurve: "prime256v1" } : { modulusLength: bits, publicExponent: BigInt(exponent) };
  }

  export(options) {
    if (this.#type !== "secret") {
      // Asymmetric keys hold their PEM (a public key's is SPKI).
      if (options && options.format === "der") throw nodeError(Error, "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM", "DER export is not available");
      return this.#bytes;
    }
    if (options && options.format === "jwk") return { kty: "oct", k: Buffer.from(this.#bytes).toString("base64url") };
    return Buffer.from(this.#bytes);
  }

  equals(other) {
    if (!(other instanceof KeyObject)) throw argType("otherKeyObject", "an instance of KeyObject", other);
    if (other.type !== this.#type) return false;
    const theirs = keyMaterial(other);
    return theirs.length === this.#bytes.length && timingSafeEqual(theirs, this.#bytes);
  }

  get [Symbol.toStringTag]() {
    return "KeyObject";
  }
}

/** PEM text of what `createPrivateKey`/`createPublicKey`/`sign` accept. */
function pemOf(key, name) {
  if (key instanceof KeyObject) {
    if (key.type === "secret") throw nodeError(TypeError, "ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE", `Invalid key object type secret, expected private or public.`);
    return keyMaterial(key);
  }
  if (key !== null && typeof key === "object" && !ArrayBuffer.isView(key) && "key" in key) {
    if (key.passphrase !== undefined) throw nodeError(Error, "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM", "Encrypted private keys are not available");
    if (key.format !== undefined && key.format !== "pem") throw nodeError(Error, "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM", `Key format ${key.format} is not available (PEM is)`);
    return pemOf(key.key, name);
  }
  if (typeof key === "string") return key;
  if (ArrayBuffer.isView(key)) return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("utf8");
  throw argType(name, "of type string or an instance of ArrayBuffer, Buffer, TypedArray, DataView, or KeyObject", key);
}

function parsedKey(pem) {
  try {
    return keyInfo(pem);
  } catch (err) {
    throw nodeError(Error, "ERR_OSSL_UNSUPPORTED", err.message);
  }
}

function createPrivateKey(key) {
  const pem = pemOf(key, "key");
  const info = parsedKey(pem);
  if (info[0] !== "private") throw nodeError(Error, "ERR_OSSL_UNSUPPORTED", "Not a private key");
  return new KeyObject(constructing, "private", pem, info);
}

function createPublicKey(key) {
  const pem = pemOf(key, "key");
  const [, kind, bits, exponent] = parsedKey(pem);
  return new KeyObject(constructing, "public", publicPem(pem), ["public", kind, bits, exponent]);
}

const signHash = (algorithm) => (algorithm == null ? "sha256" : normalizeAlgorithm(algorithm));

/** What Sign and Verify share: a Writable that collects the data. */
class SignatureBase extends Writable {
  #chunks = [];

  constructor(algorithm) {
    super();
    this.hash = signHash(algorithm);
  }

  _write(chunk, encoding, callback) {
    this.update(chunk, encoding);
    callback();
  }

  update(data, inputEncoding) {
    this.#chunks.push(Uint8Array.from(toBytes(data, inputEncoding)));
    return this;
  }

  collected() {
    return concatChunks(this.#chunks);
  }
}

class Sign extends SignatureBase {
  sign(key, outputEncoding) {
    return encodeOutput(hostSign(pemOf(key, "key"), this.hash, this.collected()), outputEncoding);
  }
}

class Verify extends SignatureBase {
  verify(key, signature, signatureEncoding) {
    const bytes = toBytes(signature, signatureEncoding, "signature");
    return hostVerify(pemOf(key, "key"), this.hash, this.collected(), Uint8Array.from(bytes));
  }
}

const createSign = (algorithm) => new Sign(algorithm);
const createVerify = (algorithm) => new Verify(algorithm);

/** One-shot `crypto.sign(algorithm, data, key)`. */
function sign(algorithm, data, key, callback) {
  const out = Buffer.from(hostSign(pemOf(key, "key"), signHash(algorithm), Uint8Array.from(toBytes(data))));
  if (typeof callback === "function") return queueMicrotask(() => callback(null, out));
  return out;
}

function verify(algorithm, data, key, signature, callback) {
  const ok = hostVerify(pemOf(key, "key"), signHash(algorithm), Uint8Array.from(toBytes(data)), Uint8Array.from(toBytes(signature, undefined, "signature")));
  if (typeof callback === "function") return queueMicrotask(() => callback(null, ok));
  return ok;
}

function createSecretKey(key, encoding) {
  if (key instanceof KeyObject) throw argType("key", "of type string or an instance of ArrayBuffer, Buffer, TypedArray, or DataView", key);
  return new KeyObject(constructing, "secret", Buffer.from(toBytes(key, encoding, "key")));
}

function getCiphers() {
  return [...CIPHERS];
}

function getCurves() {
  return [];
}

const constants = {};
const getFips = () => 0;
const setFips = () => {};

const api = {
  createHash, createHmac, hash, getHashes, randomBytes, randomFillSync, randomFill, randomInt, randomUUID,
  getRandomValues, timingSafeEqual, pbkdf2, pbkdf2Sync, hkdf, hkdfSync, webcrypto, subtle, constants,
  Hash, Hmac, createCipheriv, createDecipheriv, createSign, createVerify, scrypt, scryptSync,
  generateKeyPair, generateKeyPairSync, createPrivateKey, createPublicKey, createSecretKey, KeyObject,
  Cipheriv, Decipheriv, Sign, Verify, sign, verify, getCiphers, getCurves, getFips, setFips,
  pseudoRandomBytes: randomBytes, prng: randomBytes, rng: randomBytes,
};

export {
  createHash, createHmac, hash, getHashes, randomBytes, randomFillSync, randomFill, randomInt, randomUUID,
  getRandomValues, timingSafeEqual, pbkdf2, pbkdf2Sync, hkdf, hkdfSync, webcrypto, subtle, constants,
  Hash, Hmac, createCipheriv, createDecipheriv, createSign, createVerify, scrypt, scryptSync,
  generateKeyPair, generateKeyPairSync, createPrivateKey, createPublicKey, createSecretKey, KeyObject,
  Cipheriv, Decipheriv, Sign, Verify, sign, verify, getCiphers, getCurves, getFips, setFips,
};
export default api;
