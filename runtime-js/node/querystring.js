// node:querystring -- legacy query string parse/stringify.
import { Buffer } from "node:buffer";

function escape(str) {
  if (typeof str !== "string") {
    if (typeof str === "object") str = String(str);
    else str += "";
  }
  try {
    return encodeURIComponent(str);
  } catch {
    const err = new URIError("URI malformed");
    err.code = "ERR_INVALID_URI";
    throw err;
  }
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function hexVal(c) {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

// Lenient decoding: valid %XX escapes become bytes, anything else is kept.
function unescapeBytes(s, decodeSpaces) {
  const src = encoder.encode(s);
  const out = new Uint8Array(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === 43 && decodeSpaces) {
      out[n++] = 32;
    } else if (c === 37 && i + 2 < src.length && hexVal(src[i + 1]) >= 0 && hexVal(src[i + 2]) >= 0) {
      out[n++] = hexVal(src[i + 1]) * 16 + hexVal(src[i + 2]);
      i += 2;
    } else {
      out[n++] = c;
    }
  }
  return out.subarray(0, n);
}

function unescapeBuffer(s, decodeSpaces) {
  return Buffer.from(unescapeBytes(String(s), decodeSpaces));
}

function unescape(s, decodeSpaces) {
  try {
    return decodeURIComponent(s);
  } catch {
    return decoder.decode(unescapeBytes(String(s), decodeSpaces));
  }
}

function stringifyPrimitive(v) {
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isFinite(v)) return `${v}`;
  if (typeof v === "bigint") return `${v}`;
  if (typeof v === "boolean") return v ? "true" : "false";
  return "";
}

function stringify(obj, sep, eq, options) {
  sep = sep || "&";
  eq = eq || "=";
  const encode = options && typeof options.encodeURIComponent === "function" ? options.encodeURIComponent : escape;
  if (obj === null || typeof obj !== "object") return "";
  const parts = [];
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    const ks = encode(stringifyPrimitive(k)) + eq;
    if (Array.isArray(v)) {
      for (const item of v) parts.push(ks + encode(stringifyPrimitive(item)));
    } else {
      parts.push(ks + encode(stringifyPrimitive(v)));
    }
  }
  return parts.join(sep);
}

function decodeStr(s, decoder) {
  try {
    return decoder(s);
  } catch {
    return unescape(s, true);
  }
}

function parse(qs, sep, eq, options) {
  const obj = Object.create(null);
  if (typeof qs !== "string" || qs.length === 0) return obj;
  sep = sep ? String(sep) : "&";
  eq = eq ? String(eq) : "=";
  let maxKeys = 1000;
  if (options && typeof options.maxKeys === "number") maxKeys = options.maxKeys;
  const decode = options && typeof options.decodeURIComponent === "function" ? options.decodeURIComponent : unescape;
  let parts = qs.split(sep);
  if (maxKeys > 0 && parts.length > maxKeys) parts = parts.slice(0, maxKeys);
  for (const part of parts) {
    if (part.length === 0) continue;
    const idx = part.indexOf(eq);
    let k, v;
    if (idx >= 0) {
      k = part.slice(0, idx);
      v = part.slice(idx + eq.length);
    } else {
      k = part;
      v = "";
    }
    k = decodeStr(k.replace(/\+/g, " "), decode);
    v = decodeStr(v.replace(/\+/g, " "), decode);
    const cur = obj[k];
    if (cur === undefined) obj[k] = v;
    else if (Array.isArray(cur)) cur.push(v);
    else obj[k] = [cur, v];
  }
  return obj;
}

const decode = parse;
const encode = stringify;

export { escape, unescape, unescapeBuffer, stringify, parse, decode, encode };
export default { escape, unescape, unescapeBuffer, stringify, parse, decode, encode };
