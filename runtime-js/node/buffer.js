// node:buffer -- Buffer as a Uint8Array subclass with Node's encodings,
// integer/float accessors and inspect output.

const kMaxLength = 2 ** 32;
const kStringMaxLength = 2 ** 29 - 24;
const INSPECT_MAX_BYTES = 50;
const customInspect = Symbol.for("nodejs.util.inspect.custom");

function nodeError(Base, code, message) {
  const err = new Base(message);
  Object.defineProperty(err, "code", { value: code, writable: true, configurable: true, enumerable: false });
  err.name = Base.name;
  Object.defineProperty(err, "name", { value: Base.name, writable: true, configurable: true, enumerable: false });
  return err;
}

function describeReceived(v) {
  if (v == null) return ` Received ${v}`;
  if (typeof v === "function") return ` Received function ${v.name}`;
  if (typeof v === "object") {
    const n = v.constructor && v.constructor.name;
    return n ? ` Received an instance of ${n}` : ` Received ${String(v)}`;
  }
  let s = typeof v === "string" ? `'${v.length > 25 ? v.slice(0, 25) + "..." : v}'` : String(v);
  if (typeof v === "bigint") s += "n";
  return ` Received type ${typeof v} (${s})`;
}

function argTypeError(name, expected, value) {
  return nodeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "${name}" argument must be ${expected}.${describeReceived(value)}`);
}

function rangeError(name, range, value) {
  return nodeError(RangeError, "ERR_OUT_OF_RANGE", `The value of "${name}" is out of range. It must be ${range}. Received ${String(value)}${typeof value === "bigint" ? "n" : ""}`);
}

function unknownEncoding(enc) {
  return nodeError(TypeError, "ERR_UNKNOWN_ENCODING", `Unknown encoding: ${enc}`);
}

// ---- encodings -----------------------------------------------------------

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { ignoreBOM: true });

function normalizeEncoding(enc) {
  if (enc === undefined || enc === null || enc === "utf8" || enc === "utf-8") return "utf8";
  switch (String(enc).toLowerCase()) {
    case "utf8": case "utf-8": return "utf8";
    case "hex": return "hex";
    case "base64": return "base64";
    case "base64url": return "base64url";
    case "latin1": case "binary": return "latin1";
    case "ascii": return "ascii";
    case "ucs2": case "ucs-2": case "utf16le": case "utf-16le": return "utf16le";
    case "": return "utf8";
    default: return undefined;
  }
}

function getEncoding(enc) {
  const e = normalizeEncoding(enc);
  if (e === undefined) throw unknownEncoding(enc);
  return e;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64_LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64_LOOKUP[B64.charCodeAt(i)] = i;
B64_LOOKUP[45] = 62; // '-'
B64_LOOKUP[95] = 63; // '_'

function base64Encode(bytes, url) {
  const table = url ? B64URL : B64;
  let out = "";
  const len = bytes.length;
  let i = 0;
  const parts = [];
  for (; i + 2 < len; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += table[n >> 18] + table[(n >> 12) & 63] + table[(n >> 6) & 63] + table[n & 63];
    if (out.length > 8192) { parts.push(out); out = ""; }
  }
  const rest = len - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += table[n >> 18] + table[(n >> 12) & 63] + (url ? "" : "==");
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += table[n >> 18] + table[(n >> 12) & 63] + table[(n >> 6) & 63] + (url ? "" : "=");
  }
  parts.push(out);
  return parts.join("");
}

// Lenient like Node: accepts both alphabets, skips junk, stops at '='.
function base64Decode(str) {
  const out = new Uint8Array(((str.length + 3) >> 2) * 3);
  let acc = 0, bits = 0, n = 0;
  for (let i = 0; i < str.length; i++) {
    const c = str.charCodeAt(i);
    if (c === 61) break;
    const v = c < 128 ? B64_LOOKUP[c] : -1;
    if (v < 0) continue;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 255;
    }
  }
  return out.subarray(0, n);
}

function base64ByteLength(str) {
  let len = str.length;
  if (len > 0 && str.charCodeAt(len - 1) === 61) len--;
  if (len > 1 && str.charCodeAt(len - 1) === 61) len--;
  return (len * 3) >>> 2;
}

function hexDecode(str) {
  const n = str.length >>> 1;
  const out = new Uint8Array(n);
  let i = 0;
  for (; i < n; i++) {
    const hi = hexVal(str.charCodeAt(2 * i));
    const lo = hexVal(str.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) break;
    out[i] = (hi << 4) | lo;
  }
  return out.subarray(0, i);
}

function hexVal(c) {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

const HEX = [];
for (let i = 0; i < 256; i++) HEX.push((i < 16 ? "0" : "") + i.toString(16));

function hexEncode(bytes) {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]];
  return out;
}

function latin1Decode(bytes, mask) {
  let out = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    const chunk = bytes.subarray(i, Math.min(i + 4096, bytes.length));
    if (mask) {
      const tmp = new Uint8Array(chunk.length);
      for (let j = 0; j < chunk.length; j++) tmp[j] = chunk[j] & 0x7f;
      out += String.fromCharCode.apply(null, tmp);
    } else {
      out += String.fromCharCode.apply(null, chunk);
    }
  }
  return out;
}

function latin1Encode(str) {
  const out = new Uint8Array(str.length);
  for (let i = 0; i < str.length; i++) out[i] = str.charCodeAt(i) & 255;
  return out;
}

function utf16Decode(bytes) {
  let out = "";
  const n = bytes.length >>> 1;
  const codes = [];
  for (let i = 0; i < n; i++) {
    codes.push(bytes[2 * i] | (bytes[2 * i + 1] << 8));
    if (codes.length === 4096) { out += String.fromCharCode.apply(null, codes); codes.length = 0; }
  }
  return out + String.fromCharCode.apply(null, codes);
}

function utf16Encode(str) {
  const out = new Uint8Array(str.length * 2);
  for (let i = 0; i < str.length; i++) {
    const c = str.charCodeAt(i);
    out[2 * i] = c & 255;
    out[2 * i + 1] = c >> 8;
  }
  return out;
}

function utf8ByteLength(str) {
  let n = 0;
  for (let i = 0; i < str.length; i++) {
    const c = str.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < str.length) {
      const d = str.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) { n += 4; i++; } else n += 3;
    } else n += 3;
  }
  return n;
}

function encodeString(str, enc) {
  switch (enc) {
    case "utf8": return utf8Encoder.encode(str);
    case "hex": return hexDecode(str);
    case "base64": case "base64url": return base64Decode(str);
    case "latin1": case "ascii": return latin1Encode(str);
    case "utf16le": return utf16Encode(str);
  }
  throw unknownEncoding(enc);
}

function decodeBytes(bytes, enc) {
  switch (enc) {
    case "utf8": return utf8Decoder.decode(bytes);
    case "hex": return hexEncode(bytes);
    case "base64": return base64Encode(bytes, false);
    case "base64url": return base64Encode(bytes, true);
    case "latin1": return latin1Decode(bytes, false);
    case "ascii": return latin1Decode(bytes, true);
    case "utf16le": return utf16Decode(bytes);
  }
  throw unknownEncoding(enc);
}

// ---- Buffer ---------------------------------------------------------------

// Instances are made by FastBuffer; Buffer itself stays callable without
// `new` (old code does `Buffer(x)`), and both share one prototype.
class FastBuffer extends Uint8Array {}

function Buffer(arg, encodingOrOffset, length) {
  if (typeof arg === "number") {
    if (typeof encodingOrOffset === "string") {
      throw argTypeError("string", "of type string", arg);
    }
    return Buffer.alloc(arg);
  }
  return Buffer.from(arg, encodingOrOffset, length);
}

Buffer.prototype = FastBuffer.prototype;
Object.defineProperty(FastBuffer.prototype, "constructor", { value: Buffer, writable: true, configurable: true, enumerable: false });
Object.setPrototypeOf(Buffer, Uint8Array);
Object.defineProperty(Buffer, Symbol.species, { get() { return FastBuffer; }, configurable: true });

Buffer.poolSize = 8192;

function wrap(u8) {
  return new FastBuffer(u8.buffer, u8.byteOffset, u8.length);
}

function checkSize(size) {
  if (typeof size !== "number") throw argTypeError("size", "of type number", size);
  if (!(size >= 0 && size <= kMaxLength)) throw rangeError("size", `>= 0 && <= ${kMaxLength}`, size);
}

Buffer.alloc = function alloc(size, fill, encoding) {
  checkSize(size);
  const buf = new FastBuffer(size);
  if (fill !== undefined && fill !== 0 && size > 0) buf.fill(fill, 0, buf.length, encoding);
  return buf;
};

Buffer.allocUnsafe = function allocUnsafe(size) {
  checkSize(size);
  return new FastBuffer(size);
};

Buffer.allocUnsafeSlow = Buffer.allocUnsafe;

Buffer.from = function from(value, encodingOrOffset, length) {
  if (typeof value === "string") {
    return wrap(encodeString(value, getEncoding(encodingOrOffset)));
  }
  if (typeof value === "object" && value !== null) {
    if (value instanceof ArrayBuffer || (typeof SharedArrayBuffer !== "undefined" && value instanceof SharedArrayBuffer)) {
      const off = encodingOrOffset === undefined ? 0 : +encodingOrOffset || 0;
      if (off > value.byteLength) throw nodeError(RangeError, "ERR_BUFFER_OUT_OF_BOUNDS", '"offset" is outside of buffer bounds');
      const max = value.byteLength - off;
      let len = length === undefined ? max : +length || 0;
      if (len > max) throw nodeError(RangeError, "ERR_BUFFER_OUT_OF_BOUNDS", '"length" is outside of buffer bounds');
      return new FastBuffer(value, off, len);
    }
    if (ArrayBuffer.isView(value)) {
      if (value instanceof Uint8Array) {
        const buf = new FastBuffer(value.length);
        buf.set(value);
        return buf;
      }
      if (value instanceof DataView) {
        return new FastBuffer(new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength)).buffer);
      }
      return fromArrayLike(value);
    }
    const prim = value.valueOf && value.valueOf();
    if (prim != null && prim !== value && (typeof prim === "string" || typeof prim === "object")) {
      return Buffer.from(prim, encodingOrOffset, length);
    }
    if (value.type === "Buffer" && Array.isArray(value.data)) return fromArrayLike(value.data);
    if (typeof value.length === "number") return fromArrayLike(value);
    if (typeof value[Symbol.toPrimitive] === "function") {
      const p = value[Symbol.toPrimitive]("string");
      if (typeof p === "string") return Buffer.from(p, encodingOrOffset);
    }
  }
  throw argTypeError("first argument", "of type string or an instance of Buffer, ArrayBuffer, or Array or an Array-like Object", value);
};

function fromArrayLike(arr) {
  const len = arr.length > 0 ? arr.length >>> 0 : 0;
  const buf = new FastBuffer(len);
  for (let i = 0; i < len; i++) buf[i] = arr[i];
  return buf;
}

Buffer.of = function of(...items) {
  return fromArrayLike(items);
};

Buffer.isBuffer = function isBuffer(b) {
  return b instanceof Buffer;
};

Buffer.isEncoding = function isEncoding(enc) {
  return typeof enc === "string" && enc.length !== 0 && normalizeEncoding(enc) !== undefined;
};

Buffer.byteLength = function byteLength(value, encoding) {
  if (typeof value !== "string") {
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || (typeof SharedArrayBuffer !== "undefined" && value instanceof SharedArrayBuffer)) {
      return value.byteLength;
    }
    throw argTypeError("string", "of type string or an instance of Buffer or ArrayBuffer", value);
  }
  const enc = normalizeEncoding(encoding) || "utf8";
  switch (enc) {
    case "utf8": return utf8ByteLength(value);
    case "latin1": case "ascii": return value.length;
    case "utf16le": return value.length * 2;
    case "hex": return value.length >>> 1;
    case "base64": case "base64url": return base64ByteLength(value);
  }
  return utf8ByteLength(value);
};

function isUint8(v) {
  return v instanceof Uint8Array;
}

Buffer.compare = function compare(a, b) {
  if (!isUint8(a)) throw argTypeError("buf1", "an instance of Buffer or Uint8Array", a);
  if (!isUint8(b)) throw argTypeError("buf2", "an instance of Buffer or Uint8Array", b);
  return compareBytes(a, 0, a.length, b, 0, b.length);
};

function compareBytes(a, aStart, aEnd, b, bStart, bEnd) {
  const n = Math.min(aEnd - aStart, bEnd - bStart);
  for (let i = 0; i < n; i++) {
    const x = a[aStart + i], y = b[bStart + i];
    if (x !== y) return x < y ? -1 : 1;
  }
  const la = aEnd - aStart, lb = bEnd - bStart;
  return la < lb ? -1 : la > lb ? 1 : 0;
}

Buffer.concat = function concat(list, totalLength) {
  if (!Array.isArray(list)) throw argTypeError("list", "an instance of Array", list);
  if (list.length === 0) return new FastBuffer(0);
  if (totalLength === undefined) {
    totalLength = 0;
    for (let i = 0; i < list.length; i++) {
      if (!isUint8(list[i])) throw argTypeError(`list[${i}]`, "an instance of Buffer or Uint8Array", list[i]);
      totalLength += list[i].length;
    }
  }
  const out = Buffer.alloc(totalLength);
  let pos = 0;
  for (let i = 0; i < list.length && pos < totalLength; i++) {
    const item = list[i];
    if (!isUint8(item)) throw argTypeError(`list[${i}]`, "an instance of Buffer or Uint8Array", item);
    const n = Math.min(item.length, totalLength - pos);
    out.set(n === item.length ? item : item.subarray(0, n), pos);
    pos += n;
  }
  return out;
};

Buffer.copyBytesFrom = function copyBytesFrom(view, offset = 0, length) {
  const bpe = view.BYTES_PER_ELEMENT || 1;
  const end = length === undefined ? view.length : Math.min(view.length, offset + length);
  const start = Math.min(offset, view.length);
  const u8 = new Uint8Array(view.buffer, view.byteOffset + start * bpe, Math.max(0, end - start) * bpe);
  return Buffer.from(u8);
};

const proto = Buffer.prototype;

function clampIndex(v, len, dflt) {
  if (v === undefined) return dflt;
  v = Math.trunc(+v) || 0;
  if (v < 0) return 0;
  return v > len ? len : v;
}

proto.toString = function toString(encoding, start, end) {
  if (arguments.length === 0) return utf8Decoder.decode(this);
  const len = this.length;
  start = clampIndex(start, len, 0);
  end = end === undefined ? len : clampIndex(end, len, len);
  if (end <= start) return "";
  const enc = getEncoding(encoding);
  return decodeBytes(start === 0 && end === len ? this : this.subarray(start, end), enc);
};

proto.toLocaleString = proto.toString;

proto.equals = function equals(other) {
  if (!isUint8(other)) throw argTypeError("otherBuffer", "an instance of Buffer or Uint8Array", other);
  if (this === other) return true;
  if (this.length !== other.length) return false;
  return compareBytes(this, 0, this.length, other, 0, other.length) === 0;
};

proto.compare = function compare(target, targetStart, targetEnd, sourceStart, sourceEnd) {
  if (!isUint8(target)) throw argTypeError("target", "an instance of Buffer or Uint8Array", target);
  const ts = targetStart === undefined ? 0 : checkRangeArg("targetStart", targetStart, kMaxLength);
  const te = targetEnd === undefined ? target.length : checkRangeArg("targetEnd", targetEnd, target.length);
  const ss = sourceStart === undefined ? 0 : checkRangeArg("sourceStart", sourceStart, kMaxLength);
  const se = sourceEnd === undefined ? this.length : checkRangeArg("sourceEnd", sourceEnd, this.length);
  if (ss >= se) return ts >= te ? 0 : -1;
  if (ts >= te) return 1;
  return compareBytes(this, ss, se, target, ts, te);
};

function checkRangeArg(name, v, max) {
  if (typeof v !== "number") throw argTypeError(name, "of type number", v);
  if (!Number.isInteger(v) || v < 0 || v > max) throw rangeError(name, `>= 0 and <= ${max}`, v);
  return v;
}

proto.copy = function copy(target, targetStart, sourceStart, sourceEnd) {
  if (!isUint8(target)) throw argTypeError("target", "an instance of Buffer or Uint8Array", target);
  targetStart = targetStart === undefined ? 0 : Math.trunc(+targetStart) || 0;
  sourceStart = sourceStart === undefined ? 0 : Math.trunc(+sourceStart) || 0;
  sourceEnd = sourceEnd === undefined ? this.length : Math.trunc(+sourceEnd) || 0;
  if (targetStart < 0) throw rangeError("targetStart", ">= 0", targetStart);
  if (sourceStart < 0 || sourceStart > this.length) throw rangeError("sourceStart", `>= 0 && <= ${this.length}`, sourceStart);
  if (sourceEnd < 0) throw rangeError("sourceEnd", ">= 0", sourceEnd);
  if (sourceEnd > this.length) sourceEnd = this.length;
  if (targetStart >= target.length || sourceStart >= sourceEnd) return 0;
  const n = Math.min(sourceEnd - sourceStart, target.length - targetStart);
  target.set(this.subarray(sourceStart, sourceStart + n), targetStart);
  return n;
};

proto.slice = function slice(start, end) {
  return this.subarray(start, end);
};

proto.subarray = function subarray(start, end) {
  const len = this.length;
  let s = start === undefined ? 0 : Math.trunc(+start) || 0;
  let e = end === undefined ? len : Math.trunc(+end) || 0;
  if (s < 0) s = Math.max(len + s, 0); else if (s > len) s = len;
  if (e < 0) e = Math.max(len + e, 0); else if (e > len) e = len;
  if (e < s) e = s;
  return new FastBuffer(this.buffer, this.byteOffset + s, e - s);
};

proto.write = function write(string, offset, length, encoding) {
  if (typeof string !== "string") throw argTypeError("argument", "of type string", string);
  if (typeof offset === "string") { encoding = offset; offset = 0; length = this.length; }
  else if (typeof length === "string") { encoding = length; length = undefined; }
  offset = offset === undefined ? 0 : +offset;
  if (!Number.isInteger(offset) || offset < 0 || offset > this.length) throw rangeError("offset", `>= 0 && <= ${this.length}`, offset);
  const remaining = this.length - offset;
  length = length === undefined ? remaining : Math.min(remaining, +length);
  if (length < 0 || Number.isNaN(length)) throw rangeError("length", `>= 0 && <= ${remaining}`, length);
  const enc = getEncoding(encoding);
  if (enc === "utf8") {
    return utf8Encoder.encodeInto(string, this.subarray(offset, offset + length)).written;
  }
  let bytes = encodeString(string, enc);
  let n = Math.min(bytes.length, length);
  if (enc === "utf16le") n -= n & 1;
  this.set(bytes.subarray(0, n), offset);
  return n;
};

for (const enc of ["utf8", "hex", "base64", "base64url", "latin1", "ascii", "ucs2", "utf16le", "binary"]) {
  proto[enc + "Slice"] = function (start, end) { return this.toString(enc, start, end); };
  proto[enc + "Write"] = function (str, offset, length) { return this.write(str, offset, length, enc); };
}

proto.toJSON = function toJSON() {
  return { type: "Buffer", data: Array.from(this) };
};

proto.fill = function fill(value, offset, end, encoding) {
  if (typeof offset === "string") { encoding = offset; offset = 0; end = this.length; }
  else if (typeof end === "string") { encoding = end; end = this.length; }
  offset = offset === undefined ? 0 : offset;
  end = end === undefined ? this.length : end;
  if (typeof offset !== "number") throw argTypeError("offset", "of type number", offset);
  if (offset < 0 || offset > this.length) throw rangeError("offset", `>= 0 && <= ${this.length}`, offset);
  if (end < 0 || end > this.length) throw rangeError("end", `>= 0 && <= ${this.length}`, end);
  if (end <= offset) return this;
  if (typeof value === "number" || typeof value === "boolean") {
    Uint8Array.prototype.fill.call(this, Number(value) & 255, offset, end);
    return this;
  }
  let bytes;
  if (typeof value === "string") {
    const enc = getEncoding(encoding);
    if (value.length === 1 && enc === "utf8" && value.charCodeAt(0) < 128) {
      Uint8Array.prototype.fill.call(this, value.charCodeAt(0), offset, end);
      return this;
    }
    bytes = encodeString(value, enc);
    if (bytes.length === 0) {
      if (value.length !== 0) throw nodeError(TypeError, "ERR_INVALID_ARG_VALUE", `The argument 'value' is invalid. Received '${value}'`);
      Uint8Array.prototype.fill.call(this, 0, offset, end);
      return this;
    }
  } else if (isUint8(value)) {
    bytes = value;
  } else if (ArrayBuffer.isView(value)) {
    bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  } else {
    Uint8Array.prototype.fill.call(this, Number(value) & 255, offset, end);
    return this;
  }
  if (bytes.length === 0) throw nodeError(TypeError, "ERR_INVALID_ARG_VALUE", "The argument 'value' is invalid.");
  for (let i = offset, j = 0; i < end; i++) {
    this[i] = bytes[j];
    if (++j === bytes.length) j = 0;
  }
  return this;
};

function needleBytes(value, encoding) {
  if (typeof value === "string") return encodeString(value, getEncoding(encoding));
  if (isUint8(value)) return value;
  throw argTypeError("value", "one of type number or string or an instance of Buffer or Uint8Array", value);
}

function search(buf, value, byteOffset, encoding, dir) {
  if (typeof byteOffset === "string") { encoding = byteOffset; byteOffset = undefined; }
  const len = buf.length;
  let off = byteOffset === undefined || byteOffset === null ? (dir ? 0 : len) : +byteOffset;
  if (Number.isNaN(off)) off = dir ? 0 : len;
  off = Math.trunc(off);
  if (off < 0) off += len;
  if (typeof value === "number") {
    const byte = value & 255;
    if (dir) {
      for (let i = Math.max(off, 0); i < len; i++) if (buf[i] === byte) return i;
    } else {
      for (let i = Math.min(off, len - 1); i >= 0; i--) if (buf[i] === byte) return i;
    }
    return -1;
  }
  const needle = needleBytes(value, encoding);
  const n = needle.length;
  if (dir) {
    if (off < 0) off = 0;
    if (n === 0) return off > len ? len : off;
    for (let i = off; i <= len - n; i++) {
      let j = 0;
      while (j < n && buf[i + j] === needle[j]) j++;
      if (j === n) return i;
    }
  } else {
    if (n === 0) return off < 0 ? 0 : off > len ? len : off;
    if (off < 0) return -1;
    for (let i = Math.min(off, len - n); i >= 0; i--) {
      let j = 0;
      while (j < n && buf[i + j] === needle[j]) j++;
      if (j === n) return i;
    }
  }
  return -1;
}

proto.indexOf = function indexOf(value, byteOffset, encoding) {
  return search(this, value, byteOffset, encoding, true);
};
proto.lastIndexOf = function lastIndexOf(value, byteOffset, encoding) {
  return search(this, value, byteOffset, encoding, false);
};
proto.includes = function includes(value, byteOffset, encoding) {
  return this.indexOf(value, byteOffset, encoding) !== -1;
};

function swapper(size) {
  return function () {
    if (this.length % size !== 0) {
      throw nodeError(RangeError, "ERR_INVALID_BUFFER_SIZE", `Buffer size must be a multiple of ${size * 8}-bits`);
    }
    for (let i = 0; i < this.length; i += size) {
      for (let a = i, b = i + size - 1; a < b; a++, b--) {
        const t = this[a]; this[a] = this[b]; this[b] = t;
      }
    }
    return this;
  };
}
proto.swap16 = swapper(2);
proto.swap32 = swapper(4);
proto.swap64 = swapper(8);

Object.defineProperty(proto, "parent", { get() { return this instanceof Buffer ? this.buffer : undefined; }, enumerable: true, configurable: true });
Object.defineProperty(proto, "offset", { get() { return this instanceof Buffer ? this.byteOffset : undefined; }, enumerable: true, configurable: true });

proto[customInspect] = function inspect() {
  const max = INSPECT_MAX_BYTES;
  const n = Math.min(max, this.length);
  const parts = [];
  for (let i = 0; i < n; i++) parts.push(HEX[this[i]]);
  let str = parts.join(" ");
  const rest = this.length - max;
  if (rest > 0) str += ` ... ${rest} more byte${rest > 1 ? "s" : ""}`;
  return `<${this.constructor.name} ${str}>`;
};
proto.inspect = proto[customInspect];

// ---- numeric accessors -------------------------------------------------

function checkOffset(buf, offset, size) {
  if (offset === undefined) offset = 0;
  if (typeof offset !== "number") throw argTypeError("offset", "of type number", offset);
  const max = buf.length - size;
  if (!Number.isInteger(offset)) throw rangeError("offset", "an integer", offset);
  if (offset < 0 || offset > max) {
    if (max < 0) throw nodeError(RangeError, "ERR_BUFFER_OUT_OF_BOUNDS", "Attempt to access memory outside buffer bounds");
    throw rangeError("offset", `>= 0 and <= ${max}`, offset);
  }
  return offset;
}

function checkByteLength(bl) {
  if (typeof bl !== "number") throw argTypeError("byteLength", "of type number", bl);
  if (!Number.isInteger(bl) || bl < 1 || bl > 6) throw rangeError("byteLength", ">= 1 and <= 6", bl);
}

function checkValue(value, min, max, size) {
  if (typeof value === "bigint") {
    if (value > max || value < min) {
      const range = min === 0n ? `>= 0n and < 2n ** ${size * 8}n` : `>= -(2n ** ${size * 8 - 1}n) and < 2n ** ${size * 8 - 1}n`;
      throw rangeError("value", range, value);
    }
    return;
  }
  if (value > max || value < min) {
    let range;
    if (size > 4) range = min === 0 ? `>= 0 and < 2 ** ${size * 8}` : `>= -(2 ** ${size * 8 - 1}) and < 2 ** ${size * 8 - 1}`;
    else range = `>= ${min} and <= ${max}`;
    throw rangeError("value", range, value);
  }
}

function readUIntLEAt(buf, offset, size) {
  let v = 0, mul = 1;
  for (let i = 0; i < size; i++) { v += buf[offset + i] * mul; mul *= 256; }
  return v;
}
function readUIntBEAt(buf, offset, size) {
  let v = 0;
  for (let i = 0; i < size; i++) v = v * 256 + buf[offset + i];
  return v;
}
function toSigned(v, size) {
  const lim = 2 ** (size * 8 - 1);
  return v >= lim ? v - lim * 2 : v;
}
function writeLE(buf, value, offset, size) {
  let v = value < 0 ? value + 2 ** (size * 8) : value;
  for (let i = 0; i < size; i++) { buf[offset + i] = v & 255; v = Math.floor(v / 256); }
  return offset + size;
}
function writeBE(buf, value, offset, size) {
  let v = value < 0 ? value + 2 ** (size * 8) : value;
  for (let i = size - 1; i >= 0; i--) { buf[offset + i] = v & 255; v = Math.floor(v / 256); }
  return offset + size;
}

for (const size of [1, 2, 4]) {
  const bits = size * 8;
  const umax = 2 ** bits - 1, smin = -(2 ** (bits - 1)), smax = 2 ** (bits - 1) - 1;
  const ends = size === 1 ? [""] : ["LE", "BE"];
  for (const e of ends) {
    const rd = e === "BE" ? readUIntBEAt : readUIntLEAt;
    const wr = e === "BE" ? writeBE : writeLE;
    proto[`readUInt${bits}${e}`] = function (offset) {
      offset = checkOffset(this, offset, size);
      return rd(this, offset, size);
    };
    proto[`readInt${bits}${e}`] = function (offset) {
      offset = checkOffset(this, offset, size);
      return toSigned(rd(this, offset, size), size);
    };
    proto[`writeUInt${bits}${e}`] = function (value, offset) {
      value = +value;
      checkValue(value, 0, umax, size);
      offset = checkOffset(this, offset, size);
      return wr(this, Math.trunc(value) || 0, offset, size);
    };
    proto[`writeInt${bits}${e}`] = function (value, offset) {
      value = +value;
      checkValue(value, smin, smax, size);
      offset = checkOffset(this, offset, size);
      return wr(this, Math.trunc(value) || 0, offset, size);
    };
    proto[`readUint${bits}${e}`] = proto[`readUInt${bits}${e}`];
    proto[`writeUint${bits}${e}`] = proto[`writeUInt${bits}${e}`];
  }
}

for (const e of ["LE", "BE"]) {
  const rd = e === "BE" ? readUIntBEAt : readUIntLEAt;
  const wr = e === "BE" ? writeBE : writeLE;
  proto[`readUInt${e}`] = function (offset, byteLength) {
    checkByteLength(byteLength);
    offset = checkOffset(this, offset, byteLength);
    return rd(this, offset, byteLength);
  };
  proto[`readInt${e}`] = function (offset, byteLength) {
    checkByteLength(byteLength);
    offset = checkOffset(this, offset, byteLength);
    return toSigned(rd(this, offset, byteLength), byteLength);
  };
  proto[`writeUInt${e}`] = function (value, offset, byteLength) {
    checkByteLength(byteLength);
    value = +value;
    checkValue(value, 0, 2 ** (byteLength * 8) - 1, byteLength);
    offset = checkOffset(this, offset, byteLength);
    return wr(this, Math.trunc(value) || 0, offset, byteLength);
  };
  proto[`writeInt${e}`] = function (value, offset, byteLength) {
    checkByteLength(byteLength);
    value = +value;
    checkValue(value, -(2 ** (byteLength * 8 - 1)), 2 ** (byteLength * 8 - 1) - 1, byteLength);
    offset = checkOffset(this, offset, byteLength);
    return wr(this, Math.trunc(value) || 0, offset, byteLength);
  };
  proto[`readUint${e}`] = proto[`readUInt${e}`];
  proto[`writeUint${e}`] = proto[`writeUInt${e}`];

  const le = e === "LE";
  for (const [kind, size] of [["Float", 4], ["Double", 8]]) {
    proto[`read${kind}${e}`] = function (offset) {
      offset = checkOffset(this, offset, size);
      const dv = new DataView(this.buffer, this.byteOffset, this.byteLength);
      return size === 4 ? dv.getFloat32(offset, le) : dv.getFloat64(offset, le);
    };
    proto[`write${kind}${e}`] = function (value, offset) {
      value = +value;
      offset = checkOffset(this, offset, size);
      const dv = new DataView(this.buffer, this.byteOffset, this.byteLength);
      if (size === 4) dv.setFloat32(offset, value, le); else dv.setFloat64(offset, value, le);
      return offset + size;
    };
  }

  proto[`readBigUInt64${e}`] = function (offset) {
    offset = checkOffset(this, offset, 8);
    return new DataView(this.buffer, this.byteOffset, this.byteLength).getBigUint64(offset, le);
  };
  proto[`readBigInt64${e}`] = function (offset) {
    offset = checkOffset(this, offset, 8);
    return new DataView(this.buffer, this.byteOffset, this.byteLength).getBigInt64(offset, le);
  };
  proto[`writeBigUInt64${e}`] = function (value, offset) {
    checkValue(value, 0n, 2n ** 64n - 1n, 8);
    offset = checkOffset(this, offset, 8);
    if (typeof value !== "bigint") throw new TypeError("Cannot mix BigInt and other types, use explicit conversions");
    new DataView(this.buffer, this.byteOffset, this.byteLength).setBigUint64(offset, value, le);
    return offset + 8;
  };
  proto[`writeBigInt64${e}`] = function (value, offset) {
    checkValue(value, -(2n ** 63n), 2n ** 63n - 1n, 8);
    offset = checkOffset(this, offset, 8);
    if (typeof value !== "bigint") throw new TypeError("Cannot mix BigInt and other types, use explicit conversions");
    new DataView(this.buffer, this.byteOffset, this.byteLength).setBigInt64(offset, value, le);
    return offset + 8;
  };
  proto[`readBigUint64${e}`] = proto[`readBigUInt64${e}`];
  proto[`writeBigUint64${e}`] = proto[`writeBigUInt64${e}`];
}

// ---- module surface ------------------------------------------------------

function SlowBuffer(size) {
  return Buffer.allocUnsafeSlow(size);
}
SlowBuffer.prototype = Buffer.prototype;

const constants = { MAX_LENGTH: kMaxLength, MAX_STRING_LENGTH: kStringMaxLength };

function transcode(source, fromEnc, toEnc) {
  if (!isUint8(source)) throw argTypeError("source", "an instance of Buffer or Uint8Array", source);
  const str = decodeBytes(source, getEncoding(fromEnc));
  return wrap(encodeString(str, getEncoding(toEnc)));
}

function isUtf8(input) {
  const bytes = ArrayBuffer.isView(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength) : new Uint8Array(input);
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function isAscii(input) {
  const bytes = ArrayBuffer.isView(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength) : new Uint8Array(input);
  for (let i = 0; i < bytes.length; i++) if (bytes[i] > 127) return false;
  return true;
}

const Blob = globalThis.Blob;
const File = globalThis.File;
const atob = globalThis.atob;
const btoa = globalThis.btoa;

function resolveObjectURL() {
  return undefined;
}

export {
  Buffer, SlowBuffer, Blob, File, atob, btoa, constants, kMaxLength, kStringMaxLength,
  INSPECT_MAX_BYTES, transcode, isUtf8, isAscii, resolveObjectURL,
};

export default {
  Buffer, SlowBuffer, Blob, File, atob, btoa, constants, kMaxLength, kStringMaxLength,
  INSPECT_MAX_BYTES, transcode, isUtf8, isAscii, resolveObjectURL,
};
