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
} from "ext:core/ops";
import { request as requestMod, response as responseMod } from "ext:buntime/00_web_globals.js";
import { serveStatic } from "ext:buntime/20_static.js";

const { Response, toInnerResponse } = responseMod;
const { Request } = requestMod;
const encoder = new TextEncoder();
const HOOK_LIMIT_MS = 1000;
/** Request -> the client's `{ address, family, port }`, for `server.requestIP`. */
const remotes = new WeakMap();

/** A compiled `routes` table: exact paths, then `:params`, then wildcards. */
function compileRoutes(routes) {
  const compiled = [];
  for (const [pattern, value] of Object.entries(routes)) {
    if (typeof pattern !== "string" || !pattern.startsWith("/")) {
      throw new TypeError(`route "${pattern}" must start with "/"`);
    }
    const names = [];
    let rank = 0;
    const source = pattern.split("/").map((part) => {
      if (part === "*") {
        rank = Math.max(rank, 2);
        return ".*";
      }
      if (part.startsWith(":")) {
        rank = Math.max(rank, 1);
        names.push(part.slice(1));
        return "([^/]+)";
      }
      return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    }).join("/");
    // "/files/*" also matches "/files".
    const regex = new RegExp(`^${source.replace(/\/\.\*$/, "(?:/.*)?")}$`);
    if (!(value instanceof Response) && typeof value !== "function" && (typeof value !== "object" || value === null)) {
      throw new TypeError(`route "${pattern}" must map to a Response, a handler function or { GET, POST, ... }`);
    }
    compiled.push({ regex, names, rank, value, index: compiled.length });
  }
  compiled.sort((a, b) => a.rank - b.rank || a.index - b.index);
  return compiled;
}

function setParams(req, params) {
  Object.defineProperty(req, "params", { value: params, enumerable: true, configurable: true });
}

/** Checks the default export and returns how to dispatch to it. */
export function makeHandler(mod) {
  const app = mod?.default ?? mod;
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
  const server = {
    hostname: "localhost",
    development: false,
    requestIP: (req) => remotes.get(req) ?? null,
    upgrade: () => false,
    timeout() {},
  };
  return {
    onIdle: typeof app.onIdle === "function" ? app.onIdle.bind(app) : null,
    onTerminate: typeof app.onTerminate === "function" ? app.onTerminate.bind(app) : null,
    dispatch(req, pathname) {
      if (routes) {
        for (const route of routes) {
          const m = route.regex.exec(pathname);
          if (!m) continue;
          let value = route.value;
          if (!(value instanceof Response) && typeof value === "object") {
            value = value[req.method] ?? (req.method === "HEAD" ? value.GET : undefined);
            if (value === undefined) {
              if (fetch) break;
              return Response.json({ error: `Method ${req.method} not allowed` }, { status: 405 });
            }
          }
          if (value instanceof Response) return value.clone();
          const params = {};
          route.names.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1])));
          setParams(req, params);
          return value(req, server);
        }
      }
      if (fetch) return fetch(req, server);
      return Response.json({ error: `No route for ${pathname}` }, { status: 404 });
    },
  };
}

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

async function sendResponse(id, res) {
  if (!(res instanceof Response)) {
    throw new TypeError(`The app's handler must return a Response, got ${describe(res)}`);
  }
  const inner = toInnerResponse(res);
  const status = inner.status;
  const headers = [];
  for (const pair of res.headers) headers.push(pair);
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
    if (remoteAddress) {
      const family = remoteAddress.includes(":") ? "IPv6" : "IPv4";
      remotes.set(req, { address: remoteAddress, family, port: remotePort });
    }
    const res = await handler.dispatch(req, pathname);
    await sendResponse(id, res);
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
