// More of Bun's API on the `Bun` global (defined in 10_bun.js): hashing,
// CryptoHasher, compression, passwords, semver, UUIDv7, escapeHTML,
// deepEquals, inspect, plus `crypto.timingSafeEqual`. APIs Buntime does not
// offer throw a TypeError that names them instead of being undefined.
import "ext:buntime/10_bun.js";
import { core } from "ext:core/mod.js";
import {
  op_bun_compress,
  op_bun_decompress,
  op_bun_digest,
  op_bun_gc,
  op_bun_hash32,
  op_bun_hash64,
  op_bun_hasher_copy,
  op_bun_hasher_digest,
  op_bun_hasher_new,
  op_bun_hasher_update,
  op_bun_password_hash,
  op_bun_password_hash_sync,
  op_bun_password_verify,
  op_bun_password_verify_sync,
  op_bun_semver_order,
  op_bun_semver_satisfies,
} from "ext:core/ops";

const Bun = globalThis.Bun;
const EMPTY = new Uint8Array(0);

// ---------------------------------------------------------------------------
// Bytes in and out

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function toHex(bytes) {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]];
  return out;
}

function toBinaryString(bytes) {
  let out = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return out;
}

function toBase64(bytes, url) {
  const b64 = btoa(toBinaryString(bytes));
  return url ? b64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "") : b64;
}

function fromBase64(text) {
  let b64 = text.replace(/-/g, "+").replace(/_/g, "/").replace(/\s/g, "");
  while (b64.length % 4 !== 0) b64 += "=";
  const binary = atob(b64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function fromHex(text) {
  const out = new Uint8Array(text.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(i * 2, 2), 16);
  return out;
}

/** A string in `encoding` (utf8 by default) or binary data, as a Uint8Array. */
function toBytes(data, encoding) {
  if (typeof data === "string") {
    switch (encoding) {
      case undefined:
      case "utf8":
      case "utf-8":
        return core.encode(data);
      case "hex":
        return fromHex(data);
      case "base64":
      case "base64url":
        return fromBase64(data);
      case "latin1":
      case "binary": {
        const out = new Uint8Array(data.length);
        for (let i = 0; i < data.length; i++) out[i] = data.charCodeAt(i) & 0xff;
        return out;
      }
      default:
        throw new TypeError(`Unknown encoding: ${encoding}`);
    }
  }
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer || data instanceof SharedArrayBuffer) return new Uint8Array(data);
  throw new TypeError("Expected a string, ArrayBuffer or TypedArray");
}

/** Bytes handed back to the app: a Buffer once node:buffer exists, else a Uint8Array. */
function bytesOut(bytes) {
  const B = globalThis.Buffer;
  return typeof B?.from === "function" ? B.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes;
}

function encodeOutput(bytes, encoding) {
  if (encoding === undefined || encoding === null || encoding === "buffer") return bytesOut(bytes);
  if (ArrayBuffer.isView(encoding)) {
    const target = toBytes(encoding);
    if (target.byteLength < bytes.byteLength) {
      throw new RangeError(`Output buffer needs ${bytes.byteLength} bytes`);
    }
    target.set(bytes);
    return encoding;
  }
  switch (encoding) {
    case "hex":
      return toHex(bytes);
    case "base64":
      return toBase64(bytes, false);
    case "base64url":
      return toBase64(bytes, true);
    case "latin1":
    case "binary":
      return toBinaryString(bytes);
    case "utf8":
    case "utf-8":
      return core.decode(bytes);
    default:
      throw new TypeError(`Unknown encoding: ${encoding}`);
  }
}

// ---------------------------------------------------------------------------
// Unsupported APIs: a clear error instead of "undefined is not a function".

function unsupportedError(name) {
  return new TypeError(`${name} is not supported in Buntime (see README: Bun API support)`);
}

function unsupportedFunction(name) {
  const fn = function () {
    throw unsupportedError(name);
  };
  Object.defineProperty(fn, "name", { value: name.slice(name.lastIndexOf(".") + 1) });
  return fn;
}

const value = (v) => ({ value: v, writable: true, enumerable: true, configurable: true });
const hidden = (v) => ({ value: v, writable: true, enumerable: false, configurable: true });
const throwingGetter = (name) => ({
  get() {
    throw unsupportedError(name);
  },
  enumerable: false,
  configurable: true,
});

// ---------------------------------------------------------------------------
// Bun.hash

function seed64(seed) {
  return seed === undefined ? 0n : BigInt.asUintN(64, BigInt(seed));
}

function hash(data, seed) {
  return op_bun_hash64(0, toBytes(data), seed64(seed));
}
Object.assign(hash, {
  wyhash: (data, seed) => op_bun_hash64(0, toBytes(data), seed64(seed)),
  xxHash64: (data, seed) => op_bun_hash64(1, toBytes(data), seed64(seed)),
  xxHash3: (data, seed) => op_bun_hash64(2, toBytes(data), seed64(seed)),
  crc32: (data, seed) => op_bun_hash32(0, toBytes(data), (seed ?? 0) >>> 0),
  adler32: (data) => op_bun_hash32(1, toBytes(data), 0),
  xxHash32: (data, seed) => op_bun_hash32(2, toBytes(data), (seed ?? 0) >>> 0),
});
for (const name of ["cityHash32", "cityHash64", "murmur32v2", "murmur32v3", "murmur64v2", "rapidhash"]) {
  hash[name] = unsupportedFunction(`Bun.hash.${name}`);
}

// ---------------------------------------------------------------------------
// Bun.CryptoHasher: the state lives in a Rust resource; a collected hasher
// releases it.

const hasherRegistry = new FinalizationRegistry((rid) => core.tryClose(rid));
const DIGEST_LENGTH = {
  md5: 16,
  sha1: 20,
  sha224: 28,
  sha256: 32,
  sha384: 48,
  sha512: 64,
  "sha512-224": 28,
  "sha512-256": 32,
};
let forkedRid = null;

class CryptoHasher {
  #rid;
  #algorithm;

  constructor(algorithm, hmacKey) {
    if (typeof algorithm !== "string") {
      throw new TypeError("CryptoHasher expects an algorithm name such as \"sha256\"");
    }
    if (forkedRid !== null) {
      this.#rid = forkedRid;
      forkedRid = null;
    } else {
      const keyed = hmacKey !== undefined && hmacKey !== null;
      this.#rid = op_bun_hasher_new(algorithm, keyed ? toBytes(hmacKey) : EMPTY, keyed);
    }
    this.#algorithm = algorithm.toLowerCase();
    hasherRegistry.register(this, this.#rid);
  }

  get algorithm() {
    return this.#algorithm;
  }

  get byteLength() {
    return DIGEST_LENGTH[this.#algorithm];
  }

  update(data, encoding) {
    op_bun_hasher_update(this.#rid, toBytes(data, encoding));
    return this;
  }

  /** The digest (and a fresh start, as in Bun). */
  digest(encoding) {
    return encodeOutput(op_bun_hasher_digest(this.#rid), encoding);
  }

  copy() {
    forkedRid = op_bun_hasher_copy(this.#rid);
    return new CryptoHasher(this.#algorithm);
  }

  static hash(algorithm, data, encoding) {
    return encodeOutput(op_bun_digest(algorithm, toBytes(data)), encoding);
  }

  static get algorithms() {
    return Object.keys(DIGEST_LENGTH);
  }
}

/** `Bun.SHA256` & co.: a CryptoHasher with the algorithm fixed. */
function fixedHasher(algorithm) {
  return class extends CryptoHasher {
    constructor() {
      super(algorithm);
    }
    static byteLength = DIGEST_LENGTH[algorithm];
    static hash(data, encoding) {
      return CryptoHasher.hash(algorithm, data, encoding);
    }
  };
}

// ---------------------------------------------------------------------------
// Compression (Bun's deflateSync/inflateSync are raw deflate, no zlib header)

function level(options) {
  const l = options?.level;
  return l === undefined ? -1 : l;
}

// ---------------------------------------------------------------------------
// Bun.password: argon2id by default with Bun's costs (64 MiB, t=2).

function passwordArgs(password, options) {
  const bytes = toBytes(password);
  if (bytes.byteLength === 0) throw new Error("password must not be empty");
  let algorithm = "argon2id";
  let memoryCost = 65536;
  let timeCost = 2;
  let cost = 10;
  if (typeof options === "string") {
    algorithm = options;
  } else if (options !== undefined && options !== null) {
    algorithm = options.algorithm ?? algorithm;
    memoryCost = options.memoryCost ?? memoryCost;
    timeCost = options.timeCost ?? timeCost;
    cost = options.cost ?? cost;
  }
  // A copy: the async op keeps the bytes while the app goes on.
  return [bytes.slice(), String(algorithm), memoryCost >>> 0, timeCost >>> 0, cost >>> 0];
}

function verifyArgs(password, hashed) {
  if (typeof hashed !== "string" && !ArrayBuffer.isView(hashed)) {
    throw new TypeError("Bun.password.verify expects the hash as a string");
  }
  return [toBytes(password).slice(), typeof hashed === "string" ? hashed : core.decode(toBytes(hashed))];
}

const password = {
  hash: async (pw, options) => op_bun_password_hash(...passwordArgs(pw, options)),
  hashSync: (pw, options) => op_bun_password_hash_sync(...passwordArgs(pw, options)),
  async verify(pw, hashed) {
    const [bytes, text] = verifyArgs(pw, hashed);
    return bytes.byteLength === 0 ? false : op_bun_password_verify(bytes, text);
  },
  verifySync(pw, hashed) {
    const [bytes, text] = verifyArgs(pw, hashed);
    return bytes.byteLength === 0 ? false : op_bun_password_verify_sync(bytes, text);
  },
};

// ---------------------------------------------------------------------------
// Bun.randomUUIDv7 (RFC 9562): 48-bit ms timestamp, then a 12-bit counter in
// rand_a that starts at a random value each millisecond and counts up within
// it, so ids from one isolate sort in creation order even inside one ms or
// when the clock steps back.

let lastMs = -1;
let sequence = 0;
const uuidBytes = new Uint8Array(16);

function randomUUIDv7(encoding, timestamp) {
  let ms;
  if (timestamp === undefined) ms = Date.now();
  else ms = timestamp instanceof Date ? timestamp.getTime() : Number(timestamp);
  if (!Number.isFinite(ms) || ms < 0) throw new TypeError("Invalid timestamp for Bun.randomUUIDv7");
  ms = Math.floor(ms);
  crypto.getRandomValues(uuidBytes);
  if (ms === lastMs || (timestamp === undefined && ms < lastMs)) {
    ms = lastMs;
    sequence++;
    if (sequence > 0xfff) {
      ms++;
      sequence = 0;
    }
  } else {
    // Leave headroom below 0xfff so a busy millisecond rarely spills over.
    sequence = ((uuidBytes[6] << 8) | uuidBytes[7]) & 0x7ff;
  }
  lastMs = ms;
  const high = Math.floor(ms / 0x100000000);
  const low = ms >>> 0;
  const b = uuidBytes;
  b[0] = (high >>> 8) & 0xff;
  b[1] = high & 0xff;
  b[2] = low >>> 24;
  b[3] = (low >>> 16) & 0xff;
  b[4] = (low >>> 8) & 0xff;
  b[5] = low & 0xff;
  b[6] = 0x70 | (sequence >>> 8);
  b[7] = sequence & 0xff;
  b[8] = 0x80 | (b[8] & 0x3f);
  switch (encoding ?? "hex") {
    case "hex": {
      const h = toHex(b);
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    }
    case "base64":
      return toBase64(b, false);
    case "base64url":
      return toBase64(b, true);
    case "buffer":
      return bytesOut(b.slice());
    default:
      throw new TypeError(`Unknown encoding for Bun.randomUUIDv7: ${encoding}`);
  }
}

// ---------------------------------------------------------------------------
// Bun.escapeHTML

const HTML_SPECIAL = /[&<>"']/;
const HTML_SPECIAL_ALL = /[&<>"']/g;
const HTML_ENTITY = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;" };

function escapeHTML(input) {
  const text = typeof input === "string" ? input : String(input);
  return HTML_SPECIAL.test(text) ? text.replace(HTML_SPECIAL_ALL, (c) => HTML_ENTITY[c]) : text;
}

// ---------------------------------------------------------------------------
// Bun.deepEquals: Bun's (Jest's toEqual) rules. Loose: properties holding
// undefined count as missing and array holes as undefined. Strict: they
// count, and class instances must share a prototype.

const objectToString = Object.prototype.toString;
const hasOwn = Object.prototype.hasOwnProperty;

function isPlainProto(proto) {
  return proto === null || proto === Object.prototype;
}

function ownKeys(object, strict) {
  const keys = Object.keys(object);
  for (const symbol of Object.getOwnPropertySymbols(object)) {
    if (Object.prototype.propertyIsEnumerable.call(object, symbol)) keys.push(symbol);
  }
  return strict ? keys : keys.filter((key) => object[key] !== undefined);
}

function bytesEqual(a, b) {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

function equals(a, b, strict, seen) {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  const tag = objectToString.call(a);
  if (tag !== objectToString.call(b)) return false;
  const protoA = Object.getPrototypeOf(a);
  const protoB = Object.getPrototypeOf(b);
  if (strict && protoA !== protoB && !(isPlainProto(protoA) && isPlainProto(protoB))) return false;
  // Cycles: a pair already being compared is taken as equal.
  let partners = seen.get(a);
  if (partners?.has(b)) return true;
  if (!partners) seen.set(a, (partners = new Set()));
  partners.add(b);

  switch (tag) {
    case "[object Date]":
      return Object.is(a.getTime(), b.getTime());
    case "[object RegExp]":
      return a.source === b.source && a.flags === b.flags;
    case "[object Number]":
    case "[object String]":
    case "[object Boolean]":
    case "[object BigInt]":
    case "[object Symbol]":
      if (!Object.is(a.valueOf(), b.valueOf())) return false;
      break;
    case "[object Error]":
      if (a.name !== b.name || a.message !== b.message) return false;
      break;
    case "[object ArrayBuffer]":
      return bytesEqual(new Uint8Array(a), new Uint8Array(b));
    case "[object DataView]":
      return bytesEqual(toBytes(a), toBytes(b));
    case "[object Map]": {
      if (a.size !== b.size) return false;
      for (const [key, va] of a) {
        if (b.has(key)) {
          if (!equals(va, b.get(key), strict, seen)) return false;
          continue;
        }
        let found = false;
        for (const [kb, vb] of b) {
          if (equals(key, kb, strict, seen) && equals(va, vb, strict, seen)) {
            found = true;
            break;
          }
        }
        if (!found) return false;
      }
      return true;
    }
    case "[object Set]": {
      if (a.size !== b.size) return false;
      for (const va of a) {
        if (b.has(va)) continue;
        let found = false;
        for (const vb of b) {
          if (equals(va, vb, strict, seen)) {
            found = true;
            break;
          }
        }
        if (!found) return false;
      }
      return true;
    }
  }
  if (ArrayBuffer.isView(a)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(a)) {
    if (strict && a.length !== b.length) return false;
    const length = Math.max(a.length, b.length);
    for (let i = 0; i < length; i++) {
      if (strict && hasOwn.call(a, i) !== hasOwn.call(b, i)) return false;
      if (!equals(a[i], b[i], strict, seen)) return false;
    }
    return true;
  }
  const keysA = ownKeys(a, strict);
  const keysB = ownKeys(b, strict);
  if (keysA.length !== keysB.length) return false;
  for (const key of keysA) {
    if (!hasOwn.call(b, key) || !equals(a[key], b[key], strict, seen)) return false;
  }
  return true;
}

function deepEquals(a, b, strict = false) {
  return equals(a, b, Boolean(strict), new Map());
}

// ---------------------------------------------------------------------------
// Bun.inspect: Deno's console formatter for now (the node:util work may
// replace it with a closer match to Bun's output).

function inspect(input, options) {
  const consoleModule = core.loadExtScript("ext:deno_web/01_console.js");
  return consoleModule.inspect(input, {
    depth: options?.depth ?? 4,
    colors: Boolean(options?.colors),
    sorted: Boolean(options?.sorted),
  });
}

// ---------------------------------------------------------------------------
// crypto.timingSafeEqual (node:crypto's, on the global crypto object as Bun
// has it). `crypto` is a lazy getter (00_web_globals.js); it is wrapped so
// the function is added the first time crypto is touched.

function timingSafeEqual(a, b) {
  if (!ArrayBuffer.isView(a) && !(a instanceof ArrayBuffer)) {
    throw new TypeError("timingSafeEqual expects ArrayBuffer or ArrayBufferView arguments");
  }
  if (!ArrayBuffer.isView(b) && !(b instanceof ArrayBuffer)) {
    throw new TypeError("timingSafeEqual expects ArrayBuffer or ArrayBufferView arguments");
  }
  const x = toBytes(a);
  const y = toBytes(b);
  if (x.byteLength !== y.byteLength) {
    const err = new RangeError("Input buffers must have the same byte length");
    err.code = "ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH";
    throw err;
  }
  // No early exit: the time taken does not depend on where they differ.
  let diff = 0;
  for (let i = 0; i < x.byteLength; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}

const cryptoGetter = Object.getOwnPropertyDescriptor(globalThis, "crypto").get;
let cryptoPatched = false;
Object.defineProperty(globalThis, "crypto", {
  get() {
    const webCrypto = cryptoGetter();
    if (!cryptoPatched) {
      cryptoPatched = true;
      Object.defineProperty(webCrypto, "timingSafeEqual", hidden(timingSafeEqual));
    }
    return webCrypto;
  },
  enumerable: true,
  configurable: true,
});

// ---------------------------------------------------------------------------
// Small helpers Bun has

function concatArrayBuffers(buffers, maxLength = Infinity, asUint8Array = false) {
  const parts = Array.from(buffers, (part) => toBytes(part));
  const total = Math.min(
    parts.reduce((n, part) => n + part.byteLength, 0),
    maxLength,
  );
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    if (offset >= total) break;
    const take = part.subarray(0, total - offset);
    out.set(take, offset);
    offset += take.byteLength;
  }
  return asUint8Array ? out : out.buffer;
}

Object.defineProperties(Bun, {
  hash: value(hash),
  CryptoHasher: value(CryptoHasher),
  MD5: value(fixedHasher("md5")),
  SHA1: value(fixedHasher("sha1")),
  SHA224: value(fixedHasher("sha224")),
  SHA256: value(fixedHasher("sha256")),
  SHA384: value(fixedHasher("sha384")),
  SHA512: value(fixedHasher("sha512")),
  SHA512_256: value(fixedHasher("sha512-256")),
  gzipSync: value((data, options) => op_bun_compress(0, toBytes(data), level(options))),
  gunzipSync: value((data) => op_bun_decompress(0, toBytes(data))),
  deflateSync: value((data, options) => op_bun_compress(1, toBytes(data), level(options))),
  inflateSync: value((data) => op_bun_decompress(1, toBytes(data))),
  password: value(password),
  randomUUIDv7: value(randomUUIDv7),
  escapeHTML: value(escapeHTML),
  deepEquals: value(deepEquals),
  inspect: value(inspect),
  semver: value({
    satisfies: (version, range) => op_bun_semver_satisfies(String(version), String(range)),
    order: (a, b) => op_bun_semver_order(String(a), String(b)),
  }),
  gc: value((force) => op_bun_gc(Boolean(force))),
  allocUnsafe: value((size) => new Uint8Array(size)),
  concatArrayBuffers: value(concatArrayBuffers),
  readableStreamToArrayBuffer: value((stream) => new Response(stream).arrayBuffer()),
  readableStreamToBytes: value(async (stream) => new Uint8Array(await new Response(stream).arrayBuffer())),
  readableStreamToText: value((stream) => new Response(stream).text()),
  readableStreamToJSON: value((stream) => new Response(stream).json()),
  readableStreamToBlob: value((stream) => new Response(stream).blob()),
  readableStreamToArray: value(async (stream) => {
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    return chunks;
  }),
  fileURLToPath: value((url) => decodeURIComponent(new URL(url).pathname)),
  pathToFileURL: value((path) => new URL(`file://${encodeURI(path)}`)),
});

// Bun APIs an app host does not offer (processes, sockets, the file system
// beyond reading the app's files, the bundler): functions that throw, or
// getters that throw for the namespaces, so the error names the API.
const UNSUPPORTED_FUNCTIONS = [
  "spawn",
  "spawnSync",
  "write",
  "listen",
  "connect",
  "$",
  "build",
  "plugin",
  "udpSocket",
  "which",
  "openInEditor",
  "generateHeapSnapshot",
  "mmap",
  "resolve",
  "resolveSync",
  "sleepSync",
  "stringWidth",
  "peek",
  "color",
  "Transpiler",
  "FileSystemRouter",
  "Glob",
  "S3Client",
  "SQL",
  "RedisClient",
];
const UNSUPPORTED_NAMESPACES = ["dns", "s3", "sql", "redis", "stdin", "stdout", "stderr", "embeddedFiles"];

for (const name of UNSUPPORTED_FUNCTIONS) {
  if (!(name in Bun)) Object.defineProperty(Bun, name, hidden(unsupportedFunction(`Bun.${name}`)));
}
for (const name of UNSUPPORTED_NAMESPACES) {
  if (!(name in Bun)) Object.defineProperty(Bun, name, throwingGetter(`Bun.${name}`));
}

export { toBytes };
