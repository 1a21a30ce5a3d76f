// The `Bun` global and `process`: the parts of Bun's API that small web apps
// use, backed by Buntime ops. `Bun.env`/`process.env` are one object, filled
// per worker from the app's own environment (never the server's).
import { op_file_read, op_file_stat, op_app_log_write } from "ext:core/ops";
import { core } from "ext:core/mod.js";
import { currentExchange } from "ext:buntime/00_web_globals.js";

const env = {};
const decoder = new TextDecoder();
const BUN_VERSION = "1.2.0";

/** A read-only file inside the app folder (`Bun.file(path)`). */
class BunFile {
  #path;

  constructor(path) {
    if (path instanceof URL) path = path.pathname;
    if (typeof path !== "string") {
      throw new TypeError("Bun.file() expects a path inside the app folder");
    }
    this.#path = path;
  }

  get name() {
    return this.#path;
  }

  #stat() {
    return op_file_stat(0, this.#path);
  }

  get size() {
    return this.#stat().size;
  }

  get type() {
    return this.#stat().type;
  }

  exists() {
    return Promise.resolve(this.#stat().kind === "file");
  }

  bytes() {
    return op_file_read(0, this.#path);
  }

  async arrayBuffer() {
    const bytes = await this.bytes();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  }

  async text() {
    return decoder.decode(await this.bytes());
  }

  async json() {
    return JSON.parse(await this.text());
  }

  stream() {
    const path = this.#path;
    return new ReadableStream({
      async start(controller) {
        controller.enqueue(await op_file_read(0, path));
        controller.close();
      },
    });
  }

  slice() {
    throw new TypeError("BunFile.slice() is not supported");
  }

  write() {
    throw new TypeError("Bun.file() is read-only in Buntime");
  }
}

const Bun = {
  version: BUN_VERSION,
  revision: "buntime-embedded",
  env,
  file: (path) => new BunFile(path),
  sleep: (ms) =>
    new Promise((resolve) => setTimeout(resolve, ms instanceof Date ? ms.getTime() - Date.now() : ms)),
  nanoseconds: () => Math.round(performance.now() * 1e6),
  serve() {
    throw new TypeError(
      "Bun.serve() is not available: export default { fetch } (or { routes }) and Buntime serves it",
    );
  },
};

let appRoot = "/";
const startedAt = performance.now();
const nodeBuiltin = (name) => {
  const ns = core.createLazyLoader(`node:${name}`)();
  return ns.default ?? ns;
};

// An EventEmitter-shaped `process` without the event machinery: libraries
// register `process.on("exit")` handlers and expect no error.
const process = {
  env,
  argv: ["/usr/local/bin/bun", "/app/index.js"],
  execArgv: [],
  argv0: "bun",
  execPath: "/usr/local/bin/bun",
  title: "bun",
  pid: 1,
  ppid: 0,
  arch: "x64",
  platform: "linux",
  version: "v22.0.0",
  versions: { bun: BUN_VERSION, node: "22.0.0", v8: "13.0", uv: "1.48.0", modules: "127" },
  release: { name: "node" },
  features: {},
  exitCode: undefined,
  browser: false,
  cwd: () => appRoot,
  chdir() {
    throw new Error("process.chdir() is not available inside a Buntime worker");
  },
  umask: () => 0o22,
  uptime: () => (performance.now() - startedAt) / 1000,
  hrtime: Object.assign(
    (previous) => {
      const ns = BigInt(Math.round(performance.now() * 1e6));
      const now = [Number(ns / 1000000000n), Number(ns % 1000000000n)];
      if (!previous) return now;
      let s = now[0] - previous[0];
      let n = now[1] - previous[1];
      if (n < 0) {
        s -= 1;
        n += 1e9;
      }
      return [s, n];
    },
    { bigint: () => BigInt(Math.round(performance.now() * 1e6)) },
  ),
  memoryUsage: Object.assign(
    () => ({ rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 }),
    { rss: () => 0 },
  ),
  cpuUsage: () => ({ user: 0, system: 0 }),
  resourceUsage: () => ({}),
  nextTick: (fn, ...args) => queueMicrotask(() => fn(...args)),
  emitWarning: (warning) => console.warn(typeof warning === "string" ? `Warning: ${warning}` : warning),
  getBuiltinModule: (name) => nodeBuiltin(String(name).replace(/^node:/, "")),
  on() {
    return process;
  },
  once() {
    return process;
  },
  off() {
    return process;
  },
  addListener() {
    return process;
  },
  removeListener() {
    return process;
  },
  removeAllListeners() {
    return process;
  },
  emit: () => false,
  listeners: () => [],
  listenerCount: () => 0,
  binding(name) {
    throw new Error(`process.binding("${name}") is not supported in Buntime`);
  },
  exit() {
    throw new Error("process.exit() is not available inside a Buntime worker");
  },
  abort() {
    throw new Error("process.abort() is not available inside a Buntime worker");
  },
  kill() {
    throw new Error("process.kill() is not available inside a Buntime worker");
  },
  // Through the app's log (tagged, escaped, rate-limited), never raw stderr.
  stdout: { write: (chunk) => (op_app_log_write(String(chunk), 1, currentExchange()), true), isTTY: false, fd: 1 },
  stderr: { write: (chunk) => (op_app_log_write(String(chunk), 3, currentExchange()), true), isTTY: false, fd: 2 },
  stdin: { isTTY: false, fd: 0 },
  // `Object.prototype.toString.call(process)` is "[object process]" in
  // Node and Bun; libraries (axios picking its http adapter) test it.
  [Symbol.toStringTag]: "process",
};

// `Buffer`, `global` and `setImmediate` as Bun has them; Buffer's module is
// compiled on first use, so apps that never touch it don't pay for it.
const lazyGlobal = (name, load) => ({
  get() {
    const value = load();
    Object.defineProperty(globalThis, name, { value, writable: true, enumerable: false, configurable: true });
    return value;
  },
  set(value) {
    Object.defineProperty(globalThis, name, { value, writable: true, enumerable: false, configurable: true });
  },
  enumerable: false,
  configurable: true,
});

Object.defineProperties(globalThis, {
  Bun: { value: Bun, writable: true, enumerable: false, configurable: true },
  process: { value: process, writable: true, enumerable: false, configurable: true },
  global: { value: globalThis, writable: true, enumerable: false, configurable: true },
  Buffer: lazyGlobal("Buffer", () => nodeBuiltin("buffer").Buffer),
  setImmediate: lazyGlobal("setImmediate", () => nodeBuiltin("timers").setImmediate),
  clearImmediate: lazyGlobal("clearImmediate", () => nodeBuiltin("timers").clearImmediate),
});

/** The app folder: `process.cwd()` (relative paths in node:fs start there). */
export function setAppRoot(root) {
  appRoot = root;
}

/** Fills the app's environment; called once per worker before the app loads. */
export function setAppEnv(vars) {
  for (const key of Object.keys(vars)) env[key] = String(vars[key]);
}
export { BunFile };
