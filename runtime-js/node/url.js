// node:url -- WHATWG URL re-exported, file URL helpers and the legacy
// url.parse/format/resolve API.
import { parse as qsParse, stringify as qsStringify } from "node:querystring";
import { resolve as pathResolve } from "node:path";
import { nodeError, argType } from "node:_errors";

const URL = globalThis.URL;
const URLSearchParams = globalThis.URLSearchParams;



// ---- file URLs -------------------------------------------------------------

function fileURLToPath(path) {
  let url = path;
  if (typeof path === "string") url = new URL(path);
  else if (!(path instanceof URL) && !(path && typeof path.href === "string" && typeof path.protocol === "string")) {
    throw argType("path", "of type string or an instance of URL", path);
  }
  if (url.protocol !== "file:") throw nodeError(TypeError, "ERR_INVALID_URL_SCHEME", "The URL must be of scheme file");
  if (url.hostname !== "") {
    throw nodeError(TypeError, "ERR_INVALID_FILE_URL_HOST", 'File URL host must be "localhost" or empty on linux');
  }
  const pathname = url.pathname;
  for (let i = 0; i < pathname.length; i++) {
    if (pathname[i] === "%") {
      const third = pathname.codePointAt(i + 2) | 0x20;
      if (pathname[i + 1] === "2" && third === 102) {
        throw nodeError(TypeError, "ERR_INVALID_FILE_URL_PATH", "File URL path must not include encoded / characters");
      }
    }
  }
  return decodeURIComponent(pathname);
}

function pathToFileURL(filepath) {
  if (typeof filepath !== "string") throw argType("path", "of type string", filepath);
  let resolved = pathResolve(filepath);
  if (filepath.endsWith("/") && !resolved.endsWith("/")) resolved += "/";
  // Characters the URL path setter would not escape but that must not be
  // interpreted (percent first, so later escapes are not doubled).
  resolved = resolved
    .replace(/%/g, "%25")
    .replace(/\\/g, "%5C")
    .replace(/\n/g, "%0A")
    .replace(/\r/g, "%0D")
    .replace(/\t/g, "%09");
  const url = new URL("file://");
  url.pathname = resolved;
  return url;
}

function urlToHttpOptions(url) {
  const options = {
    protocol: url.protocol,
    hostname: typeof url.hostname === "string" && url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname,
    hash: url.hash,
    search: url.search,
    pathname: url.pathname,
    path: `${url.pathname || ""}${url.search || ""}`,
    href: url.href,
  };
  if (url.port !== "") options.port = Number(url.port);
  if (url.username || url.password) options.auth = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return options;
}

function domainToASCII(domain) {
  try {
    return new URL(`ws://${domain}`).hostname;
  } catch {
    return "";
  }
}

// Punycode (RFC 3492) decoding of "xn--" labels.
function punyDecode(input) {
  const base = 36, tMin = 1, tMax = 26, skew = 38, damp = 700;
  const out = [];
  let b = input.lastIndexOf("-");
  if (b < 0) b = 0;
  for (let j = 0; j < b; j++) out.push(input.charCodeAt(j));
  let n = 128, bias = 72, i = 0;
  for (let idx = b > 0 ? b + 1 : 0; idx < input.length;) {
    const oldi = i;
    let w = 1;
    for (let k = base; ; k += base) {
      if (idx >= input.length) throw new RangeError("bad punycode");
      const c = input.charCodeAt(idx++);
      const digit = c - 48 < 10 ? c - 22 : c - 65 < 26 ? c - 65 : c - 97 < 26 ? c - 97 : base;
      if (digit >= base) throw new RangeError("bad punycode");
      i += digit * w;
      const t = k <= bias ? tMin : k >= bias + tMax ? tMax : k - bias;
      if (digit < t) break;
      w *= base - t;
    }
    const len = out.length + 1;
    let delta = i - oldi;
    delta = oldi === 0 ? Math.floor(delta / damp) : delta >> 1;
    delta += Math.floor(delta / len);
    let k = 0;
    while (delta > ((base - tMin) * tMax) >> 1) {
      delta = Math.floor(delta / (base - tMin));
      k += base;
    }
    bias = k + Math.floor(((base - tMin + 1) * delta) / (delta + skew));
    n += Math.floor(i / len);
    i %= len;
    out.splice(i++, 0, n);
  }
  return String.fromCodePoint(...out);
}

function domainToUnicode(domain) {
  const ascii = domainToASCII(domain);
  if (ascii === "") return "";
  try {
    return ascii.split(".").map((l) => (l.startsWith("xn--") ? punyDecode(l.slice(4)) : l)).join(".");
  } catch {
    return "";
  }
}

// ---- legacy API --------------------------------------------------------------

function Url() {
  this.protocol = null;
  this.slashes = null;
  this.auth = null;
  this.host = null;
  this.port = null;
  this.hostname = null;
  this.hash = null;
  this.search = null;
  this.query = null;
  this.pathname = null;
  this.path = null;
  this.href = null;
}

const slashedProtocol = new Set(["http", "http:", "https", "https:", "ftp", "ftp:", "gopher", "gopher:", "file", "file:", "ws", "ws:", "wss", "wss:"]);
const hostlessProtocol = new Set(["javascript", "javascript:"]);
const unsafeProtocol = hostlessProtocol;
const autoEscape = { " ": "%20", '"': "%22", "'": "%27", "<": "%3C", ">": "%3E", "\\": "%5C", "^": "%5E", "`": "%60", "{": "%7B", "|": "%7C", "}": "%7D", "\t": "%09", "\n": "%0A", "\r": "%0D" };
const hostEndChars = new Set(["/", "?", "#", "\\"]);
const nonHostChars = new Set(["<", ">", '"', "`", " ", "\r", "\n", "\t", "{", "}", "|", "\\", "^", "'", "%", ";"]);

Url.prototype.parse = function parse(url, parseQueryString, slashesDenoteHost) {
  if (typeof url !== "string") throw argType("url", "of type string", url);
  let rest = url.trim();
  // Backslashes before the query become forward slashes, like browsers do.
  const qIdx = rest.search(/[?#]/);
  const head = qIdx === -1 ? rest : rest.slice(0, qIdx);
  rest = head.replace(/\\/g, "/") + (qIdx === -1 ? "" : rest.slice(qIdx));

  const simple = /^(\/\/?(?!\/)[^?\s]*)(\?[^\s]*)?$/.exec(rest);
  if (simple && !slashesDenoteHost && !rest.includes("#")) {
    this.path = rest;
    this.href = rest;
    this.pathname = simple[1];
    if (simple[2]) {
      this.search = simple[2];
      this.query = parseQueryString ? qsParse(this.search.slice(1)) : this.search.slice(1);
    } else if (parseQueryString) {
      this.query = Object.create(null);
    }
    return this;
  }

  let proto = /^[a-z0-9.+-]+:/i.exec(rest);
  let lowerProto;
  if (proto) {
    proto = proto[0];
    lowerProto = proto.toLowerCase();
    this.protocol = lowerProto;
    rest = rest.slice(proto.length);
  }

  let slashes;
  if (slashesDenoteHost || proto || /^\/\/[^@/]+@[^@/]+/.test(rest)) {
    slashes = rest.startsWith("//");
    if (slashes && !(proto && hostlessProtocol.has(lowerProto))) {
      rest = rest.slice(2);
      this.slashes = true;
    }
  }

  if (!hostlessProtocol.has(lowerProto) && (slashes || (proto && !slashedProtocol.has(proto)))) {
    let hostEnd = -1;
    let atSign = -1;
    let nonHost = -1;
    for (let i = 0; i < rest.length; i++) {
      const c = rest[i];
      if (hostEndChars.has(c)) {
        if (hostEnd === -1) hostEnd = i;
        break;
      }
      if (c === "@") atSign = i;
      else if (nonHost === -1 && nonHostChars.has(c)) nonHost = i;
    }
    let start = 0;
    if (atSign !== -1) {
      this.auth = decodeURIComponent(rest.slice(0, atSign));
      start = atSign + 1;
    }
    let end;
    if (nonHost !== -1 && nonHost > start) end = nonHost;
    else end = hostEnd === -1 ? rest.length : hostEnd;
    if (nonHost !== -1 && nonHost >= start && nonHost < end) end = nonHost;
    this.host = rest.slice(start, end);
    rest = rest.slice(end);
    const portMatch = /:[0-9]*$/.exec(this.host);
    let hostname = this.host;
    if (portMatch) {
      if (portMatch[0] !== ":") this.port = portMatch[0].slice(1);
      hostname = this.host.slice(0, this.host.length - portMatch[0].length);
    }
    const ipv6 = hostname.startsWith("[") && hostname.endsWith("]");
    if (ipv6) hostname = hostname.slice(1, -1);
    else hostname = hostname.toLowerCase();
    if (!ipv6 && hostname !== "") {
      const ascii = domainToASCII(hostname);
      if (ascii !== "") hostname = ascii;
    }
    this.hostname = hostname;
    const p = this.port ? `:${this.port}` : "";
    this.host = (ipv6 ? `[${hostname}]` : hostname) + p;
    if (ipv6 && rest[0] !== "/") rest = `/${rest}`;
  }

  if (!unsafeProtocol.has(lowerProto)) {
    let escaped = "";
    for (const ch of rest) escaped += autoEscape[ch] || ch;
    rest = escaped;
  }

  const hashIdx = rest.indexOf("#");
  if (hashIdx !== -1) {
    this.hash = rest.slice(hashIdx);
    rest = rest.slice(0, hashIdx);
  }
  const qm = rest.indexOf("?");
  if (qm !== -1) {
    this.search = rest.slice(qm);
    this.query = rest.slice(qm + 1);
    if (parseQueryString) this.query = qsParse(this.query);
    rest = rest.slice(0, qm);
  } else if (parseQueryString) {
    this.query = Object.create(null);
  }
  if (rest) this.pathname = rest;
  if (slashedProtocol.has(lowerProto) && this.hostname && !this.pathname) this.pathname = "/";
  if (this.pathname || this.search) this.path = (this.pathname || "") + (this.search || "");
  this.href = this.format();
  return this;
};

Url.prototype.format = function format() {
  let auth = this.auth || "";
  if (auth) auth = encodeURIComponent(auth).replace(/%3A/i, ":") + "@";
  let protocol = this.protocol || "";
  let pathname = this.pathname || "";
  let hash = this.hash || "";
  let host = "";
  let query = "";
  if (this.host) {
    host = auth + this.host;
  } else if (this.hostname) {
    host = auth + (this.hostname.includes(":") && !this.hostname.startsWith("[") ? `[${this.hostname}]` : this.hostname);
    if (this.port) host += `:${this.port}`;
  }
  if (this.query !== null && typeof this.query === "object") query = qsStringify(this.query);
  let search = this.search || (query && `?${query}`) || "";
  if (protocol && !protocol.endsWith(":")) protocol += ":";
  pathname = pathname.replace(/[?#]/g, (c) => encodeURIComponent(c));
  search = search.replace(/#/g, "%23");
  if (this.slashes || slashedProtocol.has(protocol)) {
    if (this.slashes || host) {
      if (pathname && pathname[0] !== "/") pathname = `/${pathname}`;
      host = `//${host}`;
    } else if (protocol.length >= 4 && protocol.startsWith("file") && pathname.startsWith("//")) {
      host = "//";
    }
  }
  if (hash && hash[0] !== "#") hash = `#${hash}`;
  if (search && search[0] !== "?") search = `?${search}`;
  return protocol + host + pathname + search + hash;
};

Url.prototype.resolve = function resolve(relative) {
  return urlResolve(this.format(), relative);
};

function urlParse(url, parseQueryString, slashesDenoteHost) {
  if (url instanceof Url) return url;
  const u = new Url();
  u.parse(url, parseQueryString, slashesDenoteHost);
  return u;
}

function urlFormat(obj, options) {
  if (typeof obj === "string") return urlParse(obj).format();
  if (obj === null || typeof obj !== "object") throw argType("urlObject", "one of type object or string", obj);
  if (obj instanceof URL) {
    const o = { auth: true, fragment: true, search: true, unicode: false, ...options };
    let out = `${obj.protocol}`;
    if (obj.host !== "" || obj.protocol === "file:") out += "//";
    if (o.auth && (obj.username || obj.password)) out += `${obj.username}${obj.password ? `:${obj.password}` : ""}@`;
    out += o.unicode ? domainToUnicode(obj.hostname) + (obj.port ? `:${obj.port}` : "") : obj.host;
    out += obj.pathname;
    if (o.search) out += obj.search;
    if (o.fragment) out += obj.hash;
    return out;
  }
  return Url.prototype.format.call(obj);
}

function urlResolve(source, relative) {
  const hasProto = /^[a-z][a-z0-9.+-]*:/i.test(source);
  try {
    if (hasProto) return new URL(relative, source).href;
    const base = new URL(source, "http://relative.invalid/");
    const out = new URL(relative, base);
    if (out.origin !== "http://relative.invalid") return out.href;
    const res = out.pathname + out.search + out.hash;
    // Keep a relative source relative.
    if (!source.startsWith("/") && res.startsWith("/") && !relative.startsWith("/")) return res.slice(1);
    return res;
  } catch {
    return relative;
  }
}

function urlResolveObject(source, relative) {
  return urlParse(urlResolve(typeof source === "string" ? source : urlFormat(source), relative));
}

export {
  URL, URLSearchParams, fileURLToPath, pathToFileURL, urlToHttpOptions, domainToASCII, domainToUnicode,
  Url, urlParse as parse, urlFormat as format, urlResolve as resolve, urlResolveObject as resolveObject,
};
export default {
  URL, URLSearchParams, fileURLToPath, pathToFileURL, urlToHttpOptions, domainToASCII, domainToUnicode,
  Url, parse: urlParse, format: urlFormat, resolve: urlResolve, resolveObject: urlResolveObject,
};
