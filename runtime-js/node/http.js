// node:http as a client: `request`/`get` with ClientRequest (a Writable)
// and IncomingMessage (a Readable whose body streams), over the isolate's
// fetch, so the same private-address policy applies. Redirects are left
// to the caller, as Node does; compressed bodies arrive decoded (fetch
// decodes them) without their Content-Encoding. Servers: see below.
import { Buffer } from "node:buffer";
import { EventEmitter } from "node:events";
import { Readable, Writable } from "node:stream";
import { nodeError } from "node:_errors";

// The Web classes as they were when this module loaded: some packages
// (@hono/node-server) replace the globals with their own look-alikes,
// which the serve loop cannot take.
const { Response: WebResponse, Headers: WebHeaders, ReadableStream: WebReadableStream, fetch: webFetch } = globalThis;

export const METHODS = [
  "ACL", "BIND", "CHECKOUT", "CONNECT", "COPY", "DELETE", "GET", "HEAD", "LINK", "LOCK", "M-SEARCH", "MERGE",
  "MKACTIVITY", "MKCALENDAR", "MKCOL", "MOVE", "NOTIFY", "OPTIONS", "PATCH", "POST", "PROPFIND", "PROPPATCH",
  "PURGE", "PUT", "QUERY", "REBIND", "REPORT", "SEARCH", "SOURCE", "SUBSCRIBE", "TRACE", "UNBIND", "UNLINK",
  "UNLOCK", "UNSUBSCRIBE",
];

export const STATUS_CODES = {
  100: "Continue", 101: "Switching Protocols", 102: "Processing", 103: "Early Hints", 200: "OK", 201: "Created",
  202: "Accepted", 203: "Non-Authoritative Information", 204: "No Content", 205: "Reset Content",
  206: "Partial Content", 207: "Multi-Status", 208: "Already Reported", 226: "IM Used", 300: "Multiple Choices",
  301: "Moved Permanently", 302: "Found", 303: "See Other", 304: "Not Modified", 305: "Use Proxy",
  307: "Temporary Redirect", 308: "Permanent Redirect", 400: "Bad Request", 401: "Unauthorized",
  402: "Payment Required", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable",
  407: "Proxy Authentication Required", 408: "Request Timeout", 409: "Conflict", 410: "Gone",
  411: "Length Required", 412: "Precondition Failed", 413: "Payload Too Large", 414: "URI Too Long",
  415: "Unsupported Media Type", 416: "Range Not Satisfiable", 417: "Expectation Failed", 418: "I'm a Teapot",
  421: "Misdirected Request", 422: "Unprocessable Entity", 423: "Locked", 424: "Failed Dependency",
  425: "Too Early", 426: "Upgrade Required", 428: "Precondition Required", 429: "Too Many Requests",
  431: "Request Header Fields Too Large", 451: "Unavailable For Legal Reasons", 500: "Internal Server Error",
  501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
  505: "HTTP Version Not Supported", 506: "Variant Also Negotiates", 507: "Insufficient Storage",
  508: "Loop Detected", 509: "Bandwidth Limit Exceeded", 510: "Not Extended",
  511: "Network Authentication Required",
};

const TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

export function validateHeaderName(name) {
  if (typeof name !== "string" || !TOKEN.test(name)) {
    throw nodeError(TypeError, "ERR_INVALID_HTTP_TOKEN", `Header name must be a valid HTTP token ["${name}"]`);
  }
}

export function validateHeaderValue(name, value) {
  if (value === undefined) {
    throw nodeError(TypeError, "ERR_HTTP_INVALID_HEADER_VALUE", `Invalid value "${value}" for header "${name}"`);
  }
  if (INVALID_VALUE.test(String(value))) {
    throw nodeError(TypeError, "ERR_INVALID_CHAR", `Invalid character in header content ["${name}"]`);
  }
}

/** Connection pooling belongs to fetch here: an Agent only carries options. */
export class Agent extends EventEmitter {
  constructor(options = {}) {
    super();
    this.options = { ...options };
    this.keepAlive = Boolean(options.keepAlive);
    this.maxSockets = options.maxSockets ?? Infinity;
    this.maxFreeSockets = options.maxFreeSockets ?? 256;
    this.sockets = {};
    this.freeSockets = {};
    this.requests = {};
    this.defaultPort = 80;
    this.protocol = "http:";
  }

  destroy() {}
}

export const globalAgent = new Agent();

/** What `req.socket` offers: enough for libraries that tune it. */
class FetchSocket extends EventEmitter {
  constructor() {
    super();
    this.remoteAddress = undefined;
    this.encrypted = false;
    // on-finished (Express, body-parser) reads these to tell a live
    // exchange from a finished one.
    this.readable = true;
    this.writable = true;
  }

  setKeepAlive() {
    return this;
  }

  setNoDelay() {
    return this;
  }

  setTimeout(ms, callback) {
    if (callback) this.once("timeout", callback);
    return this;
  }

  ref() {
    return this;
  }

  unref() {
    return this;
  }

  destroy() {
    return this;
  }
}

/** Content codings fetch decodes on its own. */
const DECODED = new Set(["gzip", "x-gzip", "deflate", "br", "zstd"]);

export class IncomingMessage extends Readable {
  constructor(response, socket) {
    super();
    this.socket = socket;
    this.connection = socket;
    this.httpVersion = "1.1";
    this.httpVersionMajor = 1;
    this.httpVersionMinor = 1;
    this.complete = false;
    this.statusCode = response?.status ?? 0;
    this.statusMessage = response?.statusText || STATUS_CODES[this.statusCode] || "";
    this.headers = {};
    this.rawHeaders = [];
    this.trailers = {};
    this.rawTrailers = [];
    this.url = "";
    this.method = null;
    if (response) {
      // fetch has already decoded these bodies: the client sees the body
      // it gets, described as such (else it would decode it again).
      const decoded = DECODED.has(response.headers.get("content-encoding")?.trim().toLowerCase());
      this.takeHeaders(response.headers, (name) => decoded && (name === "content-encoding" || name === "content-length"));
    }
    this.#reader = response?.body ? response.body.getReader() : null;
  }

  /** Node's `headers` (repeats joined by ", ", `set-cookie` a list) and
   * `rawHeaders` from Web headers, leaving out those `skip` names. */
  takeHeaders(webHeaders, skip = () => false) {
    for (const [name, value] of webHeaders) {
      if (skip(name)) continue;
      this.rawHeaders.push(name, value);
      if (name === "set-cookie") (this.headers[name] ??= []).push(value);
      else this.headers[name] = name in this.headers ? `${this.headers[name]}, ${value}` : value;
    }
  }

  /** A server request's body (a Web stream, or null). */
  setBody(body) {
    this.#reader = body ? body.getReader() : null;
  }

  #reader;
  #reading = false;

  _read() {
    if (this.#reading) return;
    this.#reading = true;
    const pump = async () => {
      try {
        while (true) {
          if (this.#reader === null) break;
          const { value, done } = await this.#reader.read();
          if (done) break;
          if (!this.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength))) {
            this.#reading = false;
            return;
          }
        }
        this.complete = true;
        this.push(null);
      } catch (err) {
        this.destroy(nodeError(Error, "ECONNRESET", `aborted: ${err?.message ?? err}`));
      }
    };
    pump();
  }

  _destroy(err, callback) {
    this.#reader?.cancel().catch(() => {});
    callback(err);
  }

  setTimeout(ms, callback) {
    if (callback) this.once("timeout", callback);
    return this;
  }
}

function urlOf(input, options) {
  if (typeof input === "string" || input instanceof URL) {
    const url = new URL(String(input));
    return { ...urlOptions(url), ...options };
  }
  return { ...input };
}

function urlOptions(url) {
  return {
    protocol: url.protocol,
    hostname: url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port,
    path: `${url.pathname || "/"}${url.search}`,
    auth: url.username ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` : undefined,
  };
}

/** Header handling shared by ClientRequest and ServerResponse, as in Node. */
export class OutgoingMessage extends Writable {
  #headers = new Map();

  setHeader(name, value) {
    if (this.headersSent) throw nodeError(Error, "ERR_HTTP_HEADERS_SENT", "Cannot set headers after they are sent to the client");
    validateHeaderName(name);
    validateHeaderValue(name, value);
    this.#headers.set(name.toLowerCase(), [name, value]);
    return this;
  }

  getHeader(name) {
    return this.#headers.get(String(name).toLowerCase())?.[1];
  }

  getHeaders() {
    const out = { __proto__: null };
    for (const [key, [, value]] of this.#headers) out[key] = value;
    return out;
  }

  getHeaderNames() {
    return [...this.#headers.keys()];
  }

  getRawHeaderNames() {
    return [...this.#headers.values()].map(([name]) => name);
  }

  hasHeader(name) {
    return this.#headers.has(String(name).toLowerCase());
  }

  removeHeader(name) {
    if (this.headersSent) throw nodeError(Error, "ERR_HTTP_HEADERS_SENT", "Cannot remove headers after they are sent to the client");
    this.#headers.delete(String(name).toLowerCase());
  }

  /** The headers for the fetch side. */
  webHeaders() {
    const headers = new WebHeaders();
    for (const [, [name, value]] of this.#headers) {
      if (Array.isArray(value)) for (const v of value) headers.append(name, String(v));
      else headers.set(name, String(value));
    }
    return headers;
  }
}

export class ClientRequest extends OutgoingMessage {
  #options;
  #chunks = [];
  #abort = new AbortController();
  #timer = null;
  #timeout = 0;
  #sent = false;

  constructor(input, options, callback, defaultProtocol = "http:") {
    // Finishing the request body must not destroy it: that would abort
    // the fetch waiting for the response.
    super({ autoDestroy: false });
    if (typeof options === "function") [callback, options] = [options, undefined];
    const opts = urlOf(input, options);
    const protocol = opts.protocol ?? opts.agent?.protocol ?? defaultProtocol;
    if (protocol !== "http:" && protocol !== "https:") {
      throw nodeError(TypeError, "ERR_INVALID_PROTOCOL", `Protocol "${protocol}" not supported. Expected "${defaultProtocol}"`);
    }
    this.#options = { ...opts, protocol };
    this.method = String(opts.method ?? "GET").toUpperCase();
    this.path = opts.path ?? "/";
    this.host = opts.hostname ?? opts.host?.replace(/:\d+$/, "") ?? "localhost";
    this.protocol = protocol;
    this.socket = new FetchSocket();
    this.connection = this.socket;
    this.aborted = false;
    this.reusedSocket = false;
    this.maxHeadersCount = null;
    const headers = opts.headers ?? {};
    const pairs = Array.isArray(headers) ? pairsOf(headers) : Object.entries(headers);
    for (const [name, value] of pairs) if (value !== undefined) this.setHeader(name, value);
    if (opts.auth && !this.hasHeader("authorization")) {
      this.setHeader("authorization", `Basic ${Buffer.from(opts.auth).toString("base64")}`);
    }
    if (opts.timeout) this.setTimeout(opts.timeout);
    if (opts.signal) {
      if (opts.signal.aborted) queueMicrotask(() => this.destroy(abortError()));
      else opts.signal.addEventListener("abort", () => this.destroy(abortError()), { once: true });
    }
    if (callback) this.once("response", callback);
    queueMicrotask(() => this.emit("socket", this.socket));
  }

  get headersSent() {
    return this.#sent;
  }

  flushHeaders() {}

  setNoDelay() {}

  setSocketKeepAlive() {}

  setTimeout(ms, callback) {
    this.#timeout = ms;
    if (callback) this.once("timeout", callback);
    this.#armTimer();
    return this;
  }

  #armTimer() {
    clearTimeout(this.#timer);
    if (this.#timeout > 0) {
      this.#timer = setTimeout(() => {
        this.emit("timeout");
        this.socket.emit("timeout");
      }, this.#timeout);
    }
  }

  abort() {
    if (this.aborted) return;
    this.aborted = true;
    this.emit("abort");
    this.destroy();
  }

  _write(chunk, encoding, callback) {
    this.#chunks.push(typeof chunk === "string" ? Buffer.from(chunk, encoding) : Buffer.from(chunk));
    callback();
  }

  _final(callback) {
    this.#sent = true;
    callback();
    this.#send();
  }

  _destroy(err, callback) {
    clearTimeout(this.#timer);
    this.#abort.abort(err ?? abortError());
    callback(err);
  }

  async #send() {
    const { protocol, port } = this.#options;
    const host = this.host.includes(":") ? `[${this.host}]` : this.host;
    const url = `${protocol}//${host}${port ? `:${port}` : ""}${this.path}`;
    const headers = this.webHeaders();
    const body = this.#chunks.length > 0 && this.method !== "GET" && this.method !== "HEAD"
      ? Buffer.concat(this.#chunks)
      : undefined;
    let response;
    try {
      response = await webFetch(url, {
        method: this.method,
        headers,
        body,
        redirect: "manual",
        signal: this.#abort.signal,
      });
    } catch (err) {
      clearTimeout(this.#timer);
      if (this.destroyed && this.#abort.signal.aborted) return;
      const error = nodeError(Error, "ECONNREFUSED", `request to ${url} failed: ${err?.message ?? err}`);
      error.cause = err;
      this.destroy(error);
      return;
    }
    clearTimeout(this.#timer);
    const message = new IncomingMessage(response, this.socket);
    message.req = this;
    this.res = message;
    if (this.listenerCount("response") === 0) message.resume();
    this.emit("response", message);
    this.emit("close");
  }
}

function pairsOf(flat) {
  const pairs = [];
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
  return pairs;
}

function abortError() {
  const err = new Error("The operation was aborted");
  err.name = "AbortError";
  err.code = "ABORT_ERR";
  return err;
}

/** `request` and `get` for a default protocol (node:https uses "https:"). */
export function clientFor(defaultProtocol) {
  const request = (input, options, callback) => new ClientRequest(input, options, callback, defaultProtocol);
  const get = (input, options, callback) => {
    const req = request(input, options, callback);
    req.end();
    return req;
  };
  return { request, get };
}

export const { request, get } = clientFor("http:");

// ---- Servers: `http.createServer(handler).listen(port)` (Express's
// `app.listen()`, Koa, Fastify) is served the way `Bun.serve()` is: the
// isolate's requests go to `handler(req, res)` through these adapters.

/** A server-side request: the fetch Request as a Node IncomingMessage. */
function serverRequest(request, socket) {
  const message = new IncomingMessage(null, socket);
  const url = new URL(request.url);
  message.method = request.method;
  message.url = `${url.pathname}${url.search}`;
  message.takeHeaders(request.headers);
  message.setBody(request.body);
  return message;
}

const NULL_BODY = new Set([101, 204, 205, 304]);

/** A server-side response, which becomes the fetch Response on its first
 * write (streamed) or at `end()`. */
export class ServerResponse extends OutgoingMessage {
  #resolve;
  #controller = null;
  #started = false;
  #head;

  constructor(req, resolve) {
    super({ autoDestroy: false });
    this.req = req;
    this.#resolve = resolve ?? (() => {});
    this.#head = req?.method === "HEAD";
    this.statusCode = 200;
    this.statusMessage = undefined;
    this.sendDate = true;
    this.finished = false;
    this.socket = req?.socket ?? new FetchSocket();
    this.connection = this.socket;
    this.locals = { __proto__: null };
  }

  get headersSent() {
    return this.#started;
  }

  get _header() {
    return this.#started ? "sent" : null;
  }

  appendHeader(name, value) {
    const existing = this.getHeader(name);
    const list = existing === undefined ? [] : Array.isArray(existing) ? existing : [existing];
    return this.setHeader(name, [...list, ...(Array.isArray(value) ? value : [value])]);
  }

  writeHead(statusCode, statusMessage, headers) {
    if (typeof statusMessage !== "string") [headers, statusMessage] = [statusMessage, undefined];
    this.statusCode = statusCode;
    if (statusMessage !== undefined) this.statusMessage = statusMessage;
    if (Array.isArray(headers)) {
      for (const [name, value] of pairsOf(headers.flat())) this.setHeader(name, value);
    } else if (headers) {
      for (const [name, value] of Object.entries(headers)) if (value !== undefined) this.setHeader(name, value);
    }
    return this;
  }

  flushHeaders() {
    this.#start(true);
  }

  writeContinue() {}

  writeEarlyHints() {}

  setTimeout(ms, callback) {
    if (callback) this.once("timeout", callback);
    return this;
  }

  assignSocket() {}

  detachSocket() {}

  /** Hands the Response over: streamed from here on unless `whole` ended it. */
  #start(streamed, whole) {
    if (this.#started) return;
    this.#started = true;
    const headers = this.webHeaders();
    const status = this.statusCode;
    let body = null;
    if (!NULL_BODY.has(status) && !this.#head) {
      if (streamed) {
        body = new WebReadableStream({
          start: (controller) => {
            this.#controller = controller;
          },
          cancel: () => {
            this.#controller = null;
            this.emit("close");
          },
        }, { highWaterMark: 0 });
      } else {
        body = whole;
      }
    }
    this.#resolve(new WebResponse(body, { status, statusText: this.statusMessage ?? STATUS_CODES[status] ?? "", headers }));
  }

  _write(chunk, encoding, callback) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk, encoding) : chunk;
    this.#start(true);
    if (this.#controller !== null && bytes.byteLength > 0) this.#controller.enqueue(new Uint8Array(bytes));
    callback();
  }

  end(chunk, encoding, callback) {
    if (typeof chunk === "function") [callback, chunk] = [chunk, undefined];
    if (typeof encoding === "function") [callback, encoding] = [encoding, undefined];
    if (!this.#started && chunk !== undefined && chunk !== null) {
      // The whole body at once: no stream, and its length is known.
      const bytes = typeof chunk === "string" ? Buffer.from(chunk, encoding) : chunk;
      this.#start(false, bytes);
      chunk = undefined;
    }
    return super.end(chunk, encoding, callback);
  }

  _final(callback) {
    this.#start(false, null);
    if (this.#controller !== null) {
      this.#controller.close();
      this.#controller = null;
    }
    this.finished = true;
    callback();
    queueMicrotask(() => this.emit("close"));
  }
}

export class Server extends EventEmitter {
  #listening = false;

  constructor(options, handler) {
    super();
    if (typeof options === "function") [handler, options] = [options, undefined];
    if (handler) this.on("request", handler);
    this.timeout = 0;
    this.keepAliveTimeout = 5000;
    this.headersTimeout = 60000;
    this.requestTimeout = 300000;
    this.maxHeadersCount = null;
  }

  /** The port is the server's: the app is served on its path, whatever it asks. */
  listen(...args) {
    const callback = args.find((arg) => typeof arg === "function");
    if (!this.#listening) {
      this.#listening = true;
      globalThis.Bun.serve({ fetch: (request, server) => this.#handle(request, server) });
    }
    queueMicrotask(() => {
      this.emit("listening");
      callback?.();
    });
    return this;
  }

  #handle(request, server) {
    const socket = new FetchSocket();
    socket.remoteAddress = server?.requestIP?.(request)?.address;
    const req = serverRequest(request, socket);
    return new Promise((resolve, reject) => {
      const res = new ServerResponse(req, resolve);
      res.once("error", reject);
      try {
        this.emit("request", req, res);
      } catch (err) {
        reject(err);
      }
    });
  }

  address() {
    return { address: "::", family: "IPv6", port: 0 };
  }

  close(callback) {
    if (callback) queueMicrotask(callback);
    this.emit("close");
    return this;
  }

  closeAllConnections() {}

  closeIdleConnections() {}

  setTimeout(ms, callback) {
    if (callback) this.on("timeout", callback);
    return this;
  }

  ref() {
    return this;
  }

  unref() {
    return this;
  }
}

export const createServer = (options, handler) => new Server(options, handler);
export const maxHeaderSize = 16384;
export const setMaxIdleHTTPParsers = () => {};

export default {
  METHODS, STATUS_CODES, Agent, globalAgent, ClientRequest, IncomingMessage, OutgoingMessage, Server,
  ServerResponse, createServer, request, get, validateHeaderName, validateHeaderValue, maxHeaderSize,
  setMaxIdleHTTPParsers,
};
