// node:string_decoder -- decodes byte chunks to strings without splitting
// multi-byte characters across chunk boundaries.
import { Buffer } from "node:buffer";

function normalize(enc) {
  const e = enc === undefined || enc === null ? "utf8" : String(enc).toLowerCase();
  switch (e) {
    case "utf8": case "utf-8": case "": return "utf8";
    case "ucs2": case "ucs-2": case "utf16le": case "utf-16le": return "utf16le";
    case "latin1": case "binary": return "latin1";
    case "base64": case "base64url": case "ascii": case "hex": return e;
  }
  const err = new TypeError(`Unknown encoding: ${enc}`);
  err.code = "ERR_UNKNOWN_ENCODING";
  throw err;
}

function toBuffer(buf) {
  if (typeof buf === "string") return Buffer.from(buf);
  if (buf instanceof Uint8Array) return buf instanceof Buffer ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (ArrayBuffer.isView(buf)) return Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const err = new TypeError('The "buf" argument must be an instance of Buffer, TypedArray, or DataView.');
  err.code = "ERR_INVALID_ARG_TYPE";
  throw err;
}

class StringDecoder {
  constructor(encoding) {
    this.encoding = normalize(encoding);
    this._pending = Buffer.alloc(0);
    this._need = 0;
  }

  write(buf) {
    if (typeof buf === "string") return buf;
    buf = toBuffer(buf);
    switch (this.encoding) {
      case "utf8":
        return this._utf8(buf);
      case "utf16le":
        return this._utf16(buf, false);
      case "base64":
      case "base64url":
        return this._grouped(buf, 3);
      default:
        return buf.toString(this.encoding);
    }
  }

  end(buf) {
    let out = buf === undefined ? "" : this.write(buf);
    switch (this.encoding) {
      case "utf8":
        if (this._pending.length) out += this._pending.toString("utf8");
        this._pending = Buffer.alloc(0);
        this._need = 0;
        break;
      case "utf16le":
        out += this._utf16(Buffer.alloc(0), true);
        break;
      case "base64":
      case "base64url":
        if (this._pending.length) out += this._pending.toString(this.encoding);
        this._pending = Buffer.alloc(0);
        break;
    }
    return out;
  }

  text(buf, offset) {
    return this.write(toBuffer(buf).subarray(offset));
  }

  get lastNeed() {
    if (this.encoding === "base64" || this.encoding === "base64url") return this._pending.length ? 3 - this._pending.length : 0;
    if (this.encoding === "utf16le") return this._pending.length % 2;
    if (this.encoding === "utf8") return this._need;
    return 0;
  }

  get lastTotal() {
    return this._pending.length + this.lastNeed;
  }

  // Complete a held character first (a non-continuation byte abandons it),
  // then hold back an incomplete character at the end of this chunk.
  _utf8(buf) {
    let out = "";
    let i = 0;
    if (this._need > 0) {
      const held = Array.from(this._pending);
      while (i < buf.length && this._need > 0) {
        if ((buf[i] & 0xc0) !== 0x80) {
          this._need = 0;
          break;
        }
        held.push(buf[i++]);
        this._need--;
      }
      this._pending = Buffer.from(held);
      if (this._need > 0) return "";
      out = this._pending.toString("utf8");
      this._pending = Buffer.alloc(0);
    }
    const rest = buf.subarray(i);
    const len = rest.length;
    let keep = 0;
    for (let k = 1; k <= Math.min(4, len); k++) {
      const b = rest[len - k];
      if ((b & 0xc0) === 0x80) continue;
      const size = b >= 0xf0 && b < 0xf8 ? 4 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xc0 && b < 0xe0 ? 2 : 1;
      if (size > k) {
        keep = k;
        this._need = size - k;
      }
      break;
    }
    if (keep > 0) this._pending = Buffer.from(rest.subarray(len - keep));
    return out + rest.toString("utf8", 0, len - keep);
  }

  _grouped(buf, size) {
    const all = this._pending.length ? Buffer.concat([this._pending, buf]) : buf;
    const n = all.length - (all.length % size);
    this._pending = Buffer.from(all.subarray(n));
    return all.subarray(0, n).toString(this.encoding);
  }

  _utf16(buf, final) {
    let all = this._pending.length ? Buffer.concat([this._pending, buf]) : buf;
    let n = all.length - (all.length % 2);
    // Hold back a trailing high surrogate until its pair arrives.
    if (!final && n >= 2 && all.length % 2 === 0) {
      const last = all[n - 2] | (all[n - 1] << 8);
      if (last >= 0xd800 && last <= 0xdbff) n -= 2;
    }
    if (final) {
      const out = all.subarray(0, n).toString("utf16le");
      this._pending = Buffer.alloc(0);
      return out;
    }
    this._pending = Buffer.from(all.subarray(n));
    return all.subarray(0, n).toString("utf16le");
  }
}

export { StringDecoder };
export default { StringDecoder };
