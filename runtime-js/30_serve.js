// The serve loop: takes requests from the worker's inbox, hands them to the
// app (`routes` first, then `fetch`), and streams the answers back. Many
// requests run at once; the loop never waits for one to finish.
import {
  op_buntime_next_message,
  op_buntime_req_body_read,
  op_buntime_resp_end,
  op_buntime_resp_write,
  op_buntime_respond_bytes,
  op_buntime_respond_error,
  op_buntime_respond_stream,
  op_buntime_respond_text,
  op_buntime_worker_done,
  op_buntime_fs_read,
  op_buntime_fs_stat,
  op_buntime_set_timeout,
} from "ext:core/ops";
import { request as requestMod, response as responseMod } from "ext:buntime/00_web_globals.js";
import { serveStatic } from "ext:buntime/20_static.js";
import { BunFile } from "ext:buntime/10_bun.js";
import { setCookieHeaders } from "ext:buntime/25_cookies.js";

const { Response, toInnerResponse } = responseMod;
const { Request } = requestMod;
const encoder = new TextEncoder();
const HOOK_LIMIT_MS = 1000;
/** Request -> the client's `{ address, family, port }`, for `server.requestIP`. */
const remotes = new WeakMap();

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
  const match = req.headers.get("if-none-match");
  if (match !== null && match.split(",").some((tag) => tag.trim() === etag || tag.trim() === "*")) {
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
    stat = op_buntime_fs_stat(file.name);
  } catch {
    return Response.json({ error: `Not found: ${file.name}` }, { status: 404 });
  }
  if (!stat.isFile) return Response.json({ error: `Not found: ${file.name}` }, { status: 404 });
  const lastModified = new Date(Math.floor(stat.mtimeMs / 1000) * 1000).toUTCString();
  const headers = { "content-type": file.type, "last-modified": lastModified, "accept-ranges": "bytes" };
  const since = Date.parse(req.headers.get("if-modified-since") ?? "");
  if (!Number.isNaN(since) && Math.floor(stat.mtimeMs / 1000) * 1000 <= since) {
    return new Response(null, { status: 304, headers: { "last-modified": lastModified } });
  }
  const bytes = op_buntime_fs_read(file.name);
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
  pendingWebSockets: 0,
  requestIP: (req) => remotes.get(req) ?? null,
  timeout(req, seconds) {
    const id = requestIds.get(req);
    if (id !== undefined) op_buntime_set_timeout(id, Math.max(0, Number(seconds) || 0));
  },
  upgrade: () => false,
  publish: () => 0,
  subscriberCount: () => 0,
  stop() {},
  reload(options) {
    served = { ...served, ...options };
    current = null;
    return server;
  },
  ref() {},
  unref() {},
};

/** Request -> inflight id, for `server.timeout`. */
const requestIds = new WeakMap();
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
  const hooks = exported ?? {};
  return {
    onIdle: typeof hooks.onIdle === "function" ? hooks.onIdle.bind(hooks) : null,
    onTerminate: typeof hooks.onTerminate === "function" ? hooks.onTerminate.bind(hooks) : null,
    onError,
    async dispatch(req, pathname) {
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

/** Checks the app and returns how to dispatch to it. */
export function makeHandler(mod) {
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
    dispatch(req, pathname) {
      // `server.reload()` swaps the handlers.
      current ??= buildHandler(appModule);
      return current.dispatch(req, pathname);
    },
  };
}

globalThis.Bun.serve = captureServe;

function requestBody(id) {
  return new ReadableStream({
    async pull(controller) {
      const chunk = await op_buntime_req_body_read(id);
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

async function sendResponse(id, res, req) {
  if (!(res instanceof Response)) {
    throw new TypeError(`The app's handler must return a Response, got ${describe(res)}`);
  }
  const inner = toInnerResponse(res);
  const status = inner.status;
  const headers = [];
  for (const pair of res.headers) headers.push(pair);
  if (req !== undefined) {
    for (const cookie of setCookieHeaders(req)) headers.push(["set-cookie", cookie]);
  }
  const body = inner.body;
  if (body === null) return op_buntime_respond_text(id, status, headers, "");
  const source = body.streamOrStatic;
  if (!(source instanceof ReadableStream)) {
    // A string or byte body given to `new Response(...)`: one op, no stream.
    if (typeof source.body === "string") return op_buntime_respond_text(id, status, headers, source.body);
    if (source.body instanceof Uint8Array) return op_buntime_respond_bytes(id, status, headers, source.body);
  }
  const reader = body.stream.getReader();
  op_buntime_respond_stream(id, status, headers);
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      const chunk = typeof value === "string" ? encoder.encode(value) : value;
      if (!(chunk instanceof Uint8Array)) {
        throw new TypeError(`Response stream chunks must be Uint8Array or string, got ${describe(value)}`);
      }
      if (chunk.byteLength === 0) continue;
      if (!(await op_buntime_resp_write(id, chunk))) {
        // The client went away: stop the app's stream.
        await reader.cancel().catch(() => {});
        break;
      }
    }
  } finally {
    op_buntime_resp_end(id);
  }
}

/** The error with its stack, minus Buntime's own frames. */
function errorMessage(err) {
  if (!(err instanceof Error)) return String(err);
  const stack = err.stack ?? `${err.name}: ${err.message}`;
  return stack.split("\n").filter((line) => !line.includes("(ext:") && !line.includes(" ext:")).join("\n");
}

async function handleRequest(handler, msg, config) {
  const { id, method, url, headers, hasBody, remoteAddress, remotePort } = msg;
  try {
    const pathStart = url.indexOf("/", url.indexOf("//") + 2);
    const queryStart = url.indexOf("?", pathStart);
    const pathname = queryStart === -1 ? url.slice(pathStart) : url.slice(pathStart, queryStart);
    if (pathname === "/health" && (method === "GET" || method === "HEAD")) {
      return op_buntime_respond_text(id, 200, [], "OK");
    }
    if (config.staticEntry !== null) {
      return await serveStatic(id, method, pathname, config.staticEntry);
    }
    const init = { method, headers };
    if (hasBody && method !== "GET" && method !== "HEAD") {
      init.body = requestBody(id);
      init.duplex = "half";
    }
    const req = new Request(url, init);
    requestIds.set(req, id);
    if (remoteAddress) {
      const family = remoteAddress.includes(":") ? "IPv6" : "IPv4";
      remotes.set(req, { address: remoteAddress, family, port: remotePort });
    }
    let res;
    try {
      res = await handler.dispatch(req, pathname);
    } catch (err) {
      // Bun.serve's `error(err)` option answers for a failing handler.
      if (!handler.onError) throw err;
      res = await handler.onError(err);
    }
    await sendResponse(id, res, req);
  } catch (err) {
    console.error(`request ${method} ${url} failed: ${errorMessage(err)}`);
    op_buntime_respond_error(id, 500, errorMessage(err));
  }
}

async function runHook(name, hook) {
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
}

/** Runs until the inbox closes and every request has finished. */
export async function serve(handler, config) {
  let inFlight = 0;
  let drained = null;
  while (true) {
    const msg = await op_buntime_next_message();
    if (msg.kind === "closed") break;
    if (msg.kind === "idle") {
      runHook("onIdle", handler?.onIdle);
      continue;
    }
    inFlight++;
    handleRequest(handler, msg, config).finally(() => {
      if (--inFlight === 0 && drained) drained();
    });
  }
  if (inFlight > 0) await new Promise((resolve) => (drained = resolve));
  await runHook("onTerminate", handler?.onTerminate);
  op_buntime_worker_done();
}
