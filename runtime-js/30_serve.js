// The serve loop: takes requests from the worker's inbox, hands them to the
// app (`routes` first, then `fetch`), and streams the answers back. Many
// requests run at once; the loop never waits for one to finish.
import {
  op_conditional_is_fresh,
  op_exchange_next,
  op_exchange_body_read,
  op_exchange_end,
  op_exchange_write,
  op_exchange_respond_bytes,
  op_exchange_fail,
  op_exchange_respond_stream,
  op_exchange_respond_text,
  op_exchange_respond_typed,
  op_exchange_headers,
  op_exchange_remote,
  op_exchange_done,
  op_node_fs_read,
  op_node_fs_stat,
  op_exchange_set_timeout,
  op_socket_buffered,
  op_socket_close,
  op_socket_control,
  op_socket_forget,
  op_socket_events,
  op_socket_send_binary,
  op_socket_send_text,
  op_socket_upgrade,
  op_bun_gc,
} from "ext:core/ops";
import {
  body as bodyMod,
  request as requestMod,
  response as responseMod,
  EXCHANGE,
} from "ext:buntime/00_web_globals.js";
import { core } from "ext:core/mod.js";
import { serveStatic } from "ext:buntime/20_static.js";
import { BunFile } from "ext:buntime/10_bun.js";
import { setCookieHeaders } from "ext:buntime/25_cookies.js";

const {
  Response,
  toInnerResponse,
  serveFastStatusKey,
  serveFastBodyKey,
  serveFastHeaderKindKey,
  serveFastContentTypeKey,
  serveFastConsumedKey,
  SERVE_FAST_HEADER_DEFAULT_TEXT,
  SERVE_FAST_HEADER_CONTENT_TYPE,
} = responseMod;
const { fromInnerRequest, toInnerRequest } = requestMod;
const { getAsyncContext, setAsyncContext } = core;
const { InnerBody } = bodyMod;
const encoder = new TextEncoder();
const HOOK_LIMIT_MS = 1000;
/** Indexed by the method code of `IncomingMessage` (src/ext/ops.rs). */
const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"];

/**
 * The inner request behind each served `Request`, in the shape deno_fetch's
 * `Request` reads (method, headerList, body, url(), urlList, ...). A class
 * rather than `newInnerRequest`'s object literal: its accessors live on the
 * prototype instead of being defined again on every request, and the
 * headers and the client's address stay on the Rust side until the app
 * reads them (most handlers never do). It also carries what
 * `server.requestIP/timeout/upgrade` need, so no side tables are kept.
 */
class ServedInner {
  constructor(id, method, url, body, upgradable) {
    this.method = method;
    this.headerListInner = null;
    this.body = body;
    this.redirectMode = "follow";
    this.redirectCount = 0;
    this.urlInner = url;
    this.urlListInner = null;
    this.urlListProcessedInner = null;
    this.clientRid = null;
    this.blobUrlEntry = null;
    this.servedId = id;
    /** [address, port] once read, null before, false when unknown. */
    this.remote = null;
    /** 0: not a WebSocket handshake, 1: one, 2: one the app accepted. */
    this.handshake = upgradable ? 1 : 0;
  }

  get headerList() {
    if (this.headerListInner === null) {
      const flat = op_exchange_headers(this.servedId);
      if (flat === null) {
        throw new TypeError("The request's headers were not read before its response was sent; read them while handling it");
      }
      const list = new Array(flat.length >> 1);
      for (let i = 0; i < flat.length; i += 2) list[i >> 1] = [flat[i], flat[i + 1]];
      this.headerListInner = list;
    }
    return this.headerListInner;
  }

  set headerList(value) {
    this.headerListInner = value;
  }

  get urlList() {
    if (this.urlListInner === null) {
      const url = this.urlInner;
      this.urlListInner = [() => url];
    }
    return this.urlListInner;
  }

  set urlList(value) {
    this.urlListInner = value;
  }

  get urlListProcessed() {
    this.urlListProcessedInner ??= [this.urlInner];
    return this.urlListProcessedInner;
  }

  set urlListProcessed(value) {
    this.urlListProcessedInner = value;
  }

  url() {
    return this.urlInner;
  }

  /** [address, port], or null when unknown or asked after the answer. */
  remoteAddress() {
    if (this.remote === null) this.remote = op_exchange_remote(this.servedId) ?? false;
    return this.remote || null;
  }

  currentUrl() {
    const list = this.urlListInner;
    if (list === null || list.length <= 1) return this.urlInner;
    const processed = this.urlListProcessed;
    const last = list.length - 1;
    if (processed[last] === undefined) processed[last] = list[last]();
    return processed[last];
  }
}

/** The serve loop's facts about `req`, or null for a Request the app made. */
function servedInner(req) {
  let inner;
  try {
    inner = toInnerRequest(req);
  } catch {
    return null;
  }
  return inner instanceof ServedInner ? inner : null;
}

/**
 * A compiled `routes` table in Bun's order: at each path segment a literal
 * beats a `:param`, which beats a `*` (so exact > `:param` > `/prefix/*` >
 * `/*`); equal shapes keep the order they were written in.
 */
function compileRoutes(routes) {
  const compiled = [];
  for (const [pattern, value] of Object.entries(routes)) {
    if (typeof pattern !== "string" || !pattern.startsWith("/")) {
      throw new TypeError(`route "${pattern}" must start with "/"`);
    }
    const names = [];
    const shape = [];
    const source = pattern.split("/").slice(1).map((part) => {
      if (part === "*") {
        shape.push(2);
        return ".*";
      }
      if (part.startsWith(":")) {
        shape.push(1);
        names.push(part.slice(1));
        return "([^/]+)";
      }
      shape.push(0);
      return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    }).join("/");
    // "/files/*" also matches "/files".
    const regex = new RegExp(`^${`/${source}`.replace(/\/\.\*$/, "(?:/.*)?")}$`);
    const ok = value === false || value instanceof Response || value instanceof BunFile ||
      typeof value === "function" || (typeof value === "object" && value !== null);
    if (!ok) {
      throw new TypeError(
        `route "${pattern}" must map to a handler, a Response, Bun.file(), { GET, POST, ... } or false`,
      );
    }
    compiled.push({ regex, names, shape, value, etag: null });
  }
  const compare = (a, b) => {
    for (let i = 0; i < Math.min(a.shape.length, b.shape.length); i++) {
      if (a.shape[i] !== b.shape[i]) return a.shape[i] - b.shape[i];
    }
    return 0;
  };
  // Array.prototype.sort is stable: ties keep their written order.
  return compiled.sort(compare);
}

function setParams(req, params) {
  Object.defineProperty(req, "params", { value: params, enumerable: true, configurable: true });
}

/** A weak validator for a static route Response, from its bytes (FNV-1a). */
async function etagOf(res) {
  const bytes = new Uint8Array(await res.clone().arrayBuffer());
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    hash ^= bytes[i];
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `W/"${bytes.length.toString(16)}-${hash.toString(16)}"`;
}

async function staticResponse(route, req) {
  const res = route.value;
  if (res.status !== 200 || res.headers.has("etag")) return res.clone();
  route.etag ??= etagOf(res);
  const etag = await route.etag;
  if (op_conditional_is_fresh(req.headers.get("if-none-match") ?? "", "", etag, -1)) {
    return new Response(null, { status: 304, headers: { etag } });
  }
  const out = res.clone();
  out.headers.set("etag", etag);
  return out;
}

/** A `Bun.file()` route: Last-Modified/304, single byte ranges, 404 when gone. */
function fileResponse(file, req) {
  let stat;
  try {
    stat = op_node_fs_stat(file.name);
  } catch {
    return Response.json({ error: `Not found: ${file.name}` }, { status: 404 });
  }
  if (!stat.isFile) return Response.json({ error: `Not found: ${file.name}` }, { status: 404 });
  const lastModified = new Date(Math.floor(stat.mtimeMs / 1000) * 1000).toUTCString();
  const headers = { "content-type": file.type, "last-modified": lastModified, "accept-ranges": "bytes" };
  const inm = req.headers.get("if-none-match") ?? "";
  const ims = req.headers.get("if-modified-since") ?? "";
  if (op_conditional_is_fresh(inm, ims, "", Math.floor(stat.mtimeMs / 1000))) {
    return new Response(null, { status: 304, headers: { "last-modified": lastModified } });
  }
  const bytes = op_node_fs_read(file.name);
  const range = req.headers.get("range");
  if (range === null) return new Response(bytes, { headers });
  const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  const size = bytes.byteLength;
  let start = -1;
  let end = size - 1;
  if (m && m[1] !== "") {
    start = Number(m[1]);
    if (m[2] !== "") end = Math.min(Number(m[2]), size - 1);
  } else if (m && m[2] !== "") {
    start = Math.max(0, size - Number(m[2]));
  }
  if (start < 0 || start > end || start >= size) {
    return new Response(null, { status: 416, headers: { "content-range": `bytes */${size}` } });
  }
  headers["content-range"] = `bytes ${start}-${end}/${size}`;
  return new Response(bytes.subarray(start, end + 1), { status: 206, headers });
}

// ---- WebSocket apps: `server.upgrade(req)` + the app's `websocket` handlers.

/** topic -> Set of ServerWebSocket subscribed to it (this worker's sockets). */
const topics = new Map();
let openSockets = 0;

function socketBytes(data) {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
}

function logSocketError(err) {
  console.error(`websocket handler failed: ${errorMessage(err)}`);
}

/** Bun's `ServerWebSocket`. */
class ServerWebSocket {
  #sid;
  #topics = new Set();

  constructor(sid, data, remoteAddress) {
    this.#sid = sid;
    this.data = data;
    this.remoteAddress = remoteAddress;
    this.readyState = 1;
    this.binaryType = "nodebuffer";
  }

  /** Bytes queued, -1 under backpressure (still queued), 0 when closed. */
  send(data, _compress) {
    if (this.readyState !== 1) return 0;
    if (typeof data === "string") return op_socket_send_text(this.#sid, data);
    const bytes = socketBytes(data);
    if (bytes === null) return op_socket_send_text(this.#sid, String(data));
    return op_socket_send_binary(this.#sid, bytes);
  }

  sendText(text, compress) {
    return this.send(String(text), compress);
  }

  sendBinary(data, compress) {
    return this.send(socketBytes(data) ?? new Uint8Array(0), compress);
  }

  ping(data) {
    if (this.readyState !== 1) return 0;
    return op_socket_control(this.#sid, false, socketBytes(data) ?? encoder.encode(String(data ?? "")));
  }

  pong(data) {
    if (this.readyState !== 1) return 0;
    return op_socket_control(this.#sid, true, socketBytes(data) ?? encoder.encode(String(data ?? "")));
  }

  close(code = 1000, reason = "") {
    if (this.readyState !== 1) return;
    this.readyState = 2;
    op_socket_close(this.#sid, code, String(reason));
  }

  terminate() {
    this.close(1001, "terminated");
  }

  subscribe(topic) {
    topic = String(topic);
    this.#topics.add(topic);
    let set = topics.get(topic);
    if (set === undefined) topics.set(topic, (set = new Set()));
    set.add(this);
  }

  unsubscribe(topic) {
    topic = String(topic);
    this.#topics.delete(topic);
    const set = topics.get(topic);
    if (set === undefined) return;
    set.delete(this);
    if (set.size === 0) topics.delete(topic);
  }

  isSubscribed(topic) {
    return this.#topics.has(String(topic));
  }

  get subscriptions() {
    return [...this.#topics];
  }

  /** Sends to every subscriber of `topic` but this socket. */
  publish(topic, data, compress) {
    return publish(String(topic), data, compress, this);
  }

  publishText(topic, text, compress) {
    return this.publish(topic, String(text), compress);
  }

  publishBinary(topic, data, compress) {
    return this.publish(topic, socketBytes(data) ?? new Uint8Array(0), compress);
  }

  cork(fn) {
    return fn(this);
  }

  getBufferedAmount() {
    return op_socket_buffered(this.#sid);
  }

  /** The socket ended: leave every topic. */
  _ended() {
    this.readyState = 3;
    for (const topic of [...this.#topics]) this.unsubscribe(topic);
  }
}

function publish(topic, data, compress, except) {
  const set = topics.get(topic);
  if (set === undefined) return 0;
  let sent = 0;
  for (const ws of set) {
    if (ws !== except) sent += Math.max(0, ws.send(data, compress));
  }
  return sent;
}

function binaryMessage(ws, bytes) {
  switch (ws.binaryType) {
    case "arraybuffer":
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    case "uint8array":
      return bytes;
    default:
      return globalThis.Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
}

function callHandler(handlers, name, ...args) {
  const fn = handlers[name];
  if (typeof fn !== "function") return;
  try {
    const result = fn.apply(handlers, args);
    if (result !== null && typeof result?.then === "function") result.then(undefined, logSocketError);
  } catch (err) {
    logSocketError(err);
  }
}

/** sid -> [ServerWebSocket, handlers] of every open socket of this worker. */
const socketsById = new Map();
let pumping = false;

function openSocket(sid, ws, handlers) {
  openSockets++;
  socketCountChanged(1);
  socketsById.set(sid, [ws, handlers]);
  callHandler(handlers, "open", ws);
  if (!pumping) {
    pumping = true;
    pumpSocketEvents();
  }
}

/**
 * Delivers the events of every socket of this worker: one op call takes
 * all that are queued (see op_socket_events for the layout).
 */
async function pumpSocketEvents() {
  while (true) {
    const events = await op_socket_events();
    if (events.length === 0) return;
    for (let i = 0; i < events.length; i += 5) {
      const sid = events[i];
      const entry = socketsById.get(sid);
      if (entry === undefined) continue;
      const ws = entry[0];
      const handlers = entry[1];
      switch (events[i + 1]) {
        case 0:
          callHandler(handlers, "message", ws, events[i + 2]);
          break;
        case 1:
          callHandler(handlers, "message", ws, binaryMessage(ws, events[i + 2]));
          break;
        case 2:
          callHandler(handlers, "ping", ws, binaryMessage(ws, events[i + 2]));
          break;
        case 3:
          callHandler(handlers, "pong", ws, binaryMessage(ws, events[i + 2]));
          break;
        case 4:
          callHandler(handlers, "drain", ws);
          break;
        case 5:
          ws._ended();
          try {
            callHandler(handlers, "close", ws, events[i + 3], events[i + 4]);
          } finally {
            socketsById.delete(sid);
            op_socket_forget(sid);
            openSockets--;
            socketCountChanged(-1);
          }
          break;
      }
    }
  }
}

function upgrade(req, options) {
  const inner = servedInner(req);
  if (inner === null || inner.handshake !== 1) return false;
  const handlers = current?.websocket;
  if (!handlers) {
    throw new TypeError(
      "server.upgrade() needs WebSocket handlers: export `websocket: { message(ws, msg) { ... } }` next to fetch (see README: WebSocket apps)",
    );
  }
  const headers = options?.headers ? [...new Headers(options.headers)] : [];
  // Read before the upgrade ends the request.
  const remote = inner.remoteAddress();
  const sid = op_socket_upgrade(inner.servedId, headers);
  if (sid === 0) return false;
  inner.handshake = 2;
  const ws = new ServerWebSocket(sid, options?.data, remote?.[0] ?? "");
  openSocket(sid, ws, handlers);
  return true;
}

/** What `Bun.serve(options)` registered, when the app called it. */
let served = null;

function captureServe(options) {
  if (options === null || typeof options !== "object") {
    throw new TypeError("Bun.serve() expects an options object");
  }
  served = options;
  return server;
}

/** The `server` handed to handlers (and returned by `Bun.serve`). */
const server = {
  hostname: "localhost",
  port: 0,
  url: new URL("http://localhost/"),
  development: false,
  id: "buntime",
  pendingRequests: 0,
  requestIP(req) {
    const remote = servedInner(req)?.remoteAddress();
    if (!remote) return null;
    const address = remote[0];
    return { address, family: address.includes(":") ? "IPv6" : "IPv4", port: remote[1] };
  },
  timeout(req, seconds) {
    const inner = servedInner(req);
    if (inner !== null) op_exchange_set_timeout(inner.servedId, Math.max(0, Number(seconds) || 0));
  },
  upgrade,
  publish: (topic, data, compress) => publish(String(topic), data, compress, null),
  subscriberCount: (topic) => topics.get(String(topic))?.size ?? 0,
  get pendingWebSockets() {
    return openSockets;
  },
  stop() {},
  reload(options) {
    served = { ...served, ...options };
    current = null;
    return server;
  },
  ref() {},
  unref() {},
};

let current = null;
let appModule = null;

function buildHandler(mod) {
  const exported = mod?.default ?? mod;
  // Prefer the default export; an app written for `bun run` calls
  // Bun.serve() instead (Elysia's `.listen()`), and that is served.
  const hasOwn = exported && (typeof exported.fetch === "function" ||
    (typeof exported.routes === "object" && exported.routes !== null && !Array.isArray(exported.routes)));
  const app = hasOwn ? exported : served;
  const fetch = typeof app?.fetch === "function" ? app.fetch.bind(app) : null;
  // Hono keeps an array in `app.routes`: that is not a routes table.
  const routes =
    app && typeof app.routes === "object" && app.routes !== null && !Array.isArray(app.routes)
      ? compileRoutes(app.routes)
      : null;
  if (!fetch && !routes) {
    throw new TypeError(
      "The app's default export must be an object with fetch(request) or a routes table, e.g. export default { fetch(req) { return new Response(\"hi\") } }",
    );
  }
  const onError = typeof app.error === "function" ? app.error.bind(app) : null;
  const websocket = typeof app.websocket === "object" && app.websocket !== null ? app.websocket : null;
  const hooks = exported ?? {};
  return {
    onIdle: typeof hooks.onIdle === "function" ? hooks.onIdle.bind(hooks) : null,
    onTerminate: typeof hooks.onTerminate === "function" ? hooks.onTerminate.bind(hooks) : null,
    onError,
    websocket,
    /** The handler's answer: a Response, or a promise of one. */
    dispatch(req, pathname) {
      if (routes) {
        const method = req.method;
        for (const route of routes) {
          const m = route.regex.exec(pathname);
          if (!m) continue;
          let value = route.value;
          if (value === false) break;
          if (typeof value === "object" && !(value instanceof Response) && !(value instanceof BunFile)) {
            value = value[method] ?? (method === "HEAD" ? value.GET : undefined);
            // Not this route's method: the next matching route, then fetch.
            if (value === undefined) continue;
          }
          if (value instanceof Response) {
            return route.value === value ? staticResponse(route, req) : value.clone();
          }
          if (value instanceof BunFile) return fileResponse(value, req);
          const params = {};
          for (let i = 0; i < route.names.length; i++) {
            const raw = m[i + 1];
            try {
              params[route.names[i]] = decodeURIComponent(raw);
            } catch {
              params[route.names[i]] = raw;
            }
          }
          setParams(req, params);
          return value(req, server);
        }
      }
      if (fetch) return fetch(req, server);
      return Response.json({ error: `No route for ${pathname}` }, { status: 404 });
    },
  };
}

// The functions a worker runs from its start to its first answer are
// written `(function ...)`: V8 compiles a parenthesised function with the
// module, at snapshot time, so its bytecode is in the snapshot and a fresh
// isolate (every `ttl: 0` request) does not parse and compile it again.

/** Checks the app and returns how to dispatch to it. */
export const makeHandler = (function makeHandler(mod) {
  appModule = mod;
  current = buildHandler(mod);
  return {
    get onIdle() {
      return current.onIdle;
    },
    get onTerminate() {
      return current.onTerminate;
    },
    get onError() {
      return current.onError;
    },
    dispatch: (function dispatch(req, pathname) {
      // `server.reload()` swaps the handlers.
      current ??= buildHandler(appModule);
      return current.dispatch(req, pathname);
    }),
  };
});

globalThis.Bun.serve = captureServe;

function requestBody(id) {
  return new ReadableStream({
    async pull(controller) {
      const chunk = await op_exchange_body_read(id);
      if (chunk.byteLength === 0) controller.close();
      else controller.enqueue(chunk);
    },
  });
}

function describe(value) {
  if (value === null) return "null";
  if (typeof value !== "object") return typeof value;
  return value.constructor?.name ?? "object";
}

/**
 * The raw header list, flattened (no sorting or combining as the Headers
 * iterator would do; Set-Cookie stays one header per cookie).
 */
function responseHeaders(inner, cookies) {
  const headers = [];
  const list = inner.headerList;
  for (let i = 0; i < list.length; i++) headers.push(list[i][0], list[i][1]);
  if (cookies !== null) for (const cookie of cookies) headers.push("set-cookie", cookie);
  return headers;
}

/**
 * The value of the only header of `list` when that is the content type,
 * "" for no headers, null otherwise.
 */
function onlyContentType(list) {
  if (list.length === 0) return "";
  if (list.length !== 1) return null;
  const name = list[0][0];
  return name === "content-type" || name.toLowerCase() === "content-type" ? list[0][1] : null;
}

/**
 * Answers request `id` with `res`. Returns nothing (undefined or null)
 * when the answer went in one op (a string or byte body), a promise while a
 * stream is written.
 */
const sendResponse = (function sendResponse(id, res, req) {
  if (!(res instanceof Response)) {
    throw new TypeError(`The app's handler must return a Response, got ${describe(res)}`);
  }
  // `new Response("hi")`, `Response.json(...)`: deno_fetch keeps such an
  // answer unbuilt (status, body, content type) until something reads it;
  // answered from those fields it is never built.
  // What the handler set through `req.cookies`, if it looked at them.
  const cookies = setCookieHeaders(req);
  const fastStatus = res[serveFastStatusKey];
  if (fastStatus !== 0 && fastStatus !== undefined && !res[serveFastConsumedKey]) {
    const text = res[serveFastBodyKey];
    if (typeof text === "string" && cookies === null) {
      const kind = res[serveFastHeaderKindKey];
      const type = kind === SERVE_FAST_HEADER_DEFAULT_TEXT
        ? "text/plain;charset=UTF-8"
        : kind === SERVE_FAST_HEADER_CONTENT_TYPE
        ? res[serveFastContentTypeKey]
        : "";
      return op_exchange_respond_typed(id, fastStatus, type, text);
    }
  }
  const inner = toInnerResponse(res);
  const status = inner.status;
  const body = inner.body;
  const source = body === null ? null : body.streamOrStatic;
  const text = body === null ? "" : source instanceof ReadableStream ? null : source.body;
  if (typeof text === "string" && cookies === null) {
    // The common shapes (`new Response("hi")`, `Response.json(...)`): no
    // header list crosses into Rust.
    const type = onlyContentType(inner.headerList);
    if (type !== null) return op_exchange_respond_typed(id, status, type, text);
  }
  const headers = responseHeaders(inner, cookies);
  if (text !== null) {
    // A string or byte body given to `new Response(...)`: one op, no stream.
    if (typeof text === "string") return op_exchange_respond_text(id, status, headers, text);
    if (text instanceof Uint8Array) return op_exchange_respond_bytes(id, status, headers, text);
  }
  return streamBody(id, status, headers, body);
});

async function streamBody(id, status, headers, body) {
  const reader = body.stream.getReader();
  op_exchange_respond_stream(id, status, headers);
  // A stream that errors is not ended here: the error reaches `fail`,
  // which cuts the body short so the client cannot take it for complete.
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    const chunk = typeof value === "string" ? encoder.encode(value) : value;
    if (!(chunk instanceof Uint8Array)) {
      await reader.cancel().catch(() => {});
      throw new TypeError(`Response stream chunks must be Uint8Array or string, got ${describe(value)}`);
    }
    if (chunk.byteLength === 0) continue;
    if (!(await op_exchange_write(id, chunk))) {
      // The client went away: stop the app's stream.
      await reader.cancel().catch(() => {});
      break;
    }
  }
  op_exchange_end(id);
}

/**
 * The error with its stack, minus Buntime's own frames (the front end
 * keeps only the app's own frames for the client; the log gets it all).
 */
function errorMessage(err) {
  if (!(err instanceof Error)) return String(err);
  const stack = err.stack ?? `${err.name}: ${err.message}`;
  return stack.split("\n").filter((line) => !line.includes("(ext:") && !line.includes(" ext:")).join("\n");
}


/**
 * Hands one request to the app. A handler that answers synchronously with a
 * string or byte body is answered without a promise or a microtask;
 * anything else returns a promise that settles once the answer is sent.
 */
// A request's async context: one shape for every request (a literal with
// a computed key would be a dictionary object each time). AsyncVariable
// copies its own properties when it nests a value inside.
class RequestContext {
  constructor(id) {
    this[EXCHANGE] = id;
  }
}

const handleRequest = (function handleRequest(handler, msg, config) {
  // See IncomingMessage in src/ext/ops.rs for the layout.
  const id = msg[1];
  const method = typeof msg[2] === "number" ? METHODS[msg[2]] : msg[2];
  const url = msg[3];
  const flags = msg[4];
  const fullBody = msg[5];
  // Everything this request starts runs in its own async context, so its
  // log lines carry its id.
  const outer = getAsyncContext();
  setAsyncContext(new RequestContext(id));
  try {
    const pathStart = url.indexOf("/", url.indexOf("//") + 2);
    const queryStart = url.indexOf("?", pathStart);
    const pathname = queryStart === -1 ? url.slice(pathStart) : url.slice(pathStart, queryStart);
    if (pathname === "/health" && (method === "GET" || method === "HEAD")) {
      return op_exchange_respond_typed(id, 200, "", "OK");
    }
    if (config.staticEntry !== null) {
      return serveStatic(id, method, pathname, config.staticEntry).then(undefined, (err) =>
        failed(id, method, url, err)
      );
    }
    // TRACE, TRACK and CONNECT are methods the Fetch standard refuses.
    if (method === "TRACE" || method === "TRACK" || method === "CONNECT") {
      return op_exchange_fail(id, "bad_request", `Bad request: method ${method} is not supported`);
    }
    // Built from an inner request, as Deno.serve does: the head came from
    // hyper already parsed and valid, so the Request constructor's
    // re-validation of every header is skipped.
    let body = null;
    if ((flags & 1) !== 0 && method !== "GET" && method !== "HEAD") {
      if (fullBody != null) {
        body = new InnerBody({ body: fullBody, consumed: false });
        body.length = fullBody.byteLength;
      } else {
        body = new InnerBody(requestBody(id));
      }
    }
    const inner = new ServedInner(id, method, url, body, (flags & 2) !== 0);
    const req = fromInnerRequest(inner, "request");
    let res;
    try {
      res = handler.dispatch(req, pathname);
    } catch (err) {
      // Bun.serve's `error(err)` option answers for a failing handler.
      if (!handler.onError) throw err;
      res = handler.onError(err);
    }
    if (!(res instanceof Response)) return answerLater(handler, id, method, url, inner, req, res);
    const sending = sendResponse(id, res, req);
    // Ops answer undefined or null.
    if (sending != null) return sending.then(undefined, (err) => failed(id, method, url, err));
  } catch (err) {
    failed(id, method, url, err);
  } finally {
    setAsyncContext(outer);
  }
});

/**
 * The rest of `handleRequest` for a handler that answers with a promise:
 * two promise reactions (an async function with awaits took five ticks).
 * The returned promise never rejects.
 */
function answerLater(handler, id, method, url, inner, req, pending) {
  const fail = (err) => failed(id, method, url, err);
  // An accepted handshake was answered by the upgrade itself; otherwise a
  // streamed answer's promise, whose failure `fail` reports.
  const answer = (res) => (inner.handshake === 2 ? undefined : sendResponse(id, res, req));
  const onError = handler.onError;
  const recover = onError ? (err) => Promise.resolve(onError(err)).then(answer) : fail;
  return Promise.resolve(pending).then(answer, recover).then(undefined, fail);
}

/**
 * An unhandled rejection: the request whose code made it (its async
 * context) fails at once, 500 before its head is sent, an aborted body
 * after, rather than waiting for its deadline.
 */
export function failUnhandled(reason) {
  const id = getAsyncContext()?.[EXCHANGE] ?? -1;
  if (id !== -1) op_exchange_fail(id, "app_error", `Unhandled promise rejection: ${errorMessage(reason)}`);
}

function failed(id, method, url, err) {
  console.error(`request ${method} ${url} failed: ${errorMessage(err)}`);
  op_exchange_fail(id, "app_error", errorMessage(err));
}

const runHook = (async function runHook(name, hook) {
  if (!hook) return;
  let timer;
  try {
    await Promise.race([
      hook(),
      new Promise((resolve) => (timer = setTimeout(resolve, HOOK_LIMIT_MS))),
    ]);
  } catch (err) {
    console.error(`${name}() failed: ${errorMessage(err)}`);
  } finally {
    clearTimeout(timer);
  }
});

/** Requests being handled plus open WebSockets: the worker ends at zero. */
let inFlight = 0;
let drained = null;

function socketCountChanged(delta) {
  inFlight += delta;
  if (inFlight === 0 && drained) drained();
}

/**
 * `lowMemory` apps: a full GC shortly after the worker goes idle, so an
 * idle isolate holds only live objects (debounced: a busy worker that is
 * idle for an instant between requests is not collected every time).
 */
let collectTimer = null;
const collectWhenIdle = (function collectWhenIdle(config) {
  if (!config.lowMemory || inFlight !== 0 || collectTimer !== null) return;
  collectTimer = setTimeout(() => {
    collectTimer = null;
    if (inFlight === 0) op_bun_gc(true);
  }, 100);
});

/** Runs until the inbox closes and every request and socket has finished. */
export const serve = (async function serve(handler, config) {
  const finished = (function finished() {
    if (--inFlight === 0 && drained) drained();
    collectWhenIdle(config);
  });
  let open = true;
  while (open) {
    // Every message queued since the last turn, in order.
    const batch = await op_exchange_next();
    for (let i = 0; i < batch.length; i++) {
      const msg = batch[i];
      if (msg[0] === 2) {
        open = false;
        break;
      }
      if (msg[0] === 1) {
        runHook("onIdle", handler?.onIdle);
        continue;
      }
      if (msg[0] === 3) {
        // Retired for good: clients should reconnect (to the new code).
        for (const entry of socketsById.values()) entry[0].close(1001, "Going away");
        continue;
      }
      inFlight++;
      const pending = handleRequest(handler, msg, config);
      // `pending` never rejects; `.then` is a tick cheaper than `.finally`.
      if (pending == null) finished();
      else pending.then(finished, finished);
    }
  }
  if (inFlight > 0) await new Promise((resolve) => (drained = resolve));
  await runHook("onTerminate", handler?.onTerminate);
  op_exchange_done();
});

/**
 * Runs the request path once while the snapshot is made, without ops: the
 * functions it touches are compiled then and their bytecode is kept in the
 * snapshot, so a new isolate (a `ttl: 0` request, a cold start) does not
 * parse and compile them again. Leaves no state behind.
 */
export function warmUp() {
  const list = [["host", "localhost"], ["accept", "*/*"], ["cookie", "a=1"]];
  const get = new ServedInner(0, "GET", "http://localhost/items/7?x=1&y=2", null, false);
  get.headerList = list;
  const req = fromInnerRequest(get, "request");
  const url = new URL(req.url);
  Object.fromEntries(url.searchParams);
  void [req.method, url.pathname, req.headers.get("accept"), [...req.headers], servedInner(req)];
  void req.cookies.get("a");
  const handler = buildHandler({
    default: {
      routes: { "/items/:id": (r) => Response.json({ id: r.params.id }), "/static": new Response("s") },
      fetch: () => new Response("fetch"),
    },
  });
  const answered = (res) => responseHeaders(toInnerResponse(res), setCookieHeaders(req));
  Promise.resolve(handler.dispatch(req, url.pathname)).then(answered);
  Promise.resolve(handler.dispatch(req, "/other")).then(answered);
  onlyContentType(toInnerResponse(new Response("hi")).headerList);
  const bytes = encoder.encode('{"a":[1,2]}');
  for (const read of ["json", "text", "arrayBuffer"]) {
    const body = new InnerBody({ body: bytes, consumed: false });
    body.length = bytes.byteLength;
    const inner = new ServedInner(0, "POST", "http://localhost/", body, false);
    inner.headerList = list;
    const post = fromInnerRequest(inner, "request");
    post[read]().then(() => {});
  }
  answered(new Response("hi"));
  const fast = Response.json({ ok: true });
  void [fast[serveFastStatusKey], fast[serveFastBodyKey], fast[serveFastHeaderKindKey], fast[serveFastContentTypeKey]];
  answered(new Response(bytes, { status: 201, headers: { "content-type": "application/json" } }));
  answered(new Response(null, { status: 204 }));
  answered(Response.json({ ok: true }));
  new TextDecoder().decode(bytes);
  errorMessage(new Error("warm"));
}
