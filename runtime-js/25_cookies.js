// `req.cookies` and `Bun.CookieMap`/`Bun.Cookie`: the request's cookies as
// a map; what a handler sets or deletes becomes `Set-Cookie` headers on its
// response (30_serve.js asks `setCookieHeaders(req)`).
import { request as requestMod } from "ext:buntime/00_web_globals.js";

const { Request } = requestMod;

function decode(value) {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export class Cookie {
  constructor(name, value, options) {
    if (typeof name === "object" && name !== null) {
      options = name;
      ({ name, value } = name);
    }
    this.name = String(name);
    this.value = String(value ?? "");
    this.domain = options?.domain ?? null;
    this.path = options?.path ?? "/";
    this.expires = options?.expires === undefined ? null : new Date(options.expires);
    this.maxAge = options?.maxAge ?? null;
    this.secure = options?.secure ?? false;
    this.httpOnly = options?.httpOnly ?? false;
    this.sameSite = options?.sameSite ?? "lax";
    this.partitioned = options?.partitioned ?? false;
  }

  isExpired() {
    return (this.expires !== null && this.expires.getTime() <= Date.now()) || this.maxAge === 0;
  }

  serialize() {
    let out = `${encodeURIComponent(this.name)}=${encodeURIComponent(this.value)}`;
    if (this.domain) out += `; Domain=${this.domain}`;
    if (this.path) out += `; Path=${this.path}`;
    if (this.expires) out += `; Expires=${this.expires.toUTCString()}`;
    if (this.maxAge !== null) out += `; Max-Age=${this.maxAge}`;
    if (this.secure) out += "; Secure";
    if (this.httpOnly) out += "; HttpOnly";
    if (this.partitioned) out += "; Partitioned";
    if (this.sameSite) out += `; SameSite=${this.sameSite[0].toUpperCase()}${this.sameSite.slice(1).toLowerCase()}`;
    return out;
  }

  toString() {
    return this.serialize();
  }

  toJSON() {
    return { ...this };
  }

  static parse(header) {
    const [pair, ...attributes] = String(header).split(";");
    const eq = pair.indexOf("=");
    const cookie = new Cookie(decode(pair.slice(0, eq).trim()), decode(pair.slice(eq + 1).trim()));
    for (const attribute of attributes) {
      const [key, ...rest] = attribute.split("=");
      const value = rest.join("=").trim();
      switch (key.trim().toLowerCase()) {
        case "domain": cookie.domain = value; break;
        case "path": cookie.path = value; break;
        case "expires": cookie.expires = new Date(value); break;
        case "max-age": cookie.maxAge = Number(value); break;
        case "secure": cookie.secure = true; break;
        case "httponly": cookie.httpOnly = true; break;
        case "samesite": cookie.sameSite = value.toLowerCase(); break;
        case "partitioned": cookie.partitioned = true; break;
      }
    }
    return cookie;
  }
}

export class CookieMap {
  #values = new Map();
  /** name -> Cookie set (or expired, for a delete) by the handler. */
  #changes = new Map();

  constructor(init) {
    if (typeof init === "string") {
      for (const part of init.split(";")) {
        const eq = part.indexOf("=");
        if (eq === -1) continue;
        const name = decode(part.slice(0, eq).trim());
        if (name && !this.#values.has(name)) this.#values.set(name, decode(part.slice(eq + 1).trim()));
      }
    } else if (Array.isArray(init)) {
      for (const [name, value] of init) this.#values.set(String(name), String(value));
    } else if (init && typeof init === "object") {
      for (const [name, value] of Object.entries(init)) this.#values.set(name, String(value));
    }
  }

  get size() {
    return this.#values.size;
  }

  get(name) {
    return this.#values.get(name) ?? null;
  }

  has(name) {
    return this.#values.has(name);
  }

  set(name, value, options) {
    const cookie = name instanceof Cookie ? name : new Cookie(name, value, options);
    this.#values.set(cookie.name, cookie.value);
    this.#changes.set(cookie.name, cookie);
  }

  delete(name) {
    const options = typeof name === "object" && name !== null ? name : { name };
    const cookie = new Cookie(options.name, "", {
      path: options.path ?? "/",
      domain: options.domain,
      expires: new Date(0),
    });
    this.#values.delete(cookie.name);
    this.#changes.set(cookie.name, cookie);
  }

  toSetCookieHeaders() {
    return [...this.#changes.values()].map((cookie) => cookie.serialize());
  }

  toJSON() {
    return Object.fromEntries(this.#values);
  }

  entries() {
    return this.#values.entries();
  }

  keys() {
    return this.#values.keys();
  }

  values() {
    return this.#values.values();
  }

  forEach(fn, thisArg) {
    this.#values.forEach((value, key) => fn.call(thisArg, value, key, this));
  }

  [Symbol.iterator]() {
    return this.#values.entries();
  }
}

/** Request -> its CookieMap, made on first access of `req.cookies`. */
const cookieMaps = new WeakMap();

Object.defineProperty(Request.prototype, "cookies", {
  get() {
    let map = cookieMaps.get(this);
    if (map === undefined) {
      map = new CookieMap(this.headers.get("cookie") ?? "");
      cookieMaps.set(this, map);
    }
    return map;
  },
  enumerable: false,
  configurable: true,
});

/** `Set-Cookie` values a handler produced through `req.cookies` (null when it never looked). */
export function setCookieHeaders(req) {
  const map = cookieMaps.get(req);
  return map === undefined ? null : map.toSetCookieHeaders();
}

globalThis.Bun.Cookie = Cookie;
globalThis.Bun.CookieMap = CookieMap;
