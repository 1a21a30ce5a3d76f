// The `Bun` global and `process`: the parts of Bun's API that small web apps
// use, backed by Buntime ops. `Bun.env`/`process.env` are one object, filled
// per worker from the app's own environment (never the server's).
import { op_buntime_file_read, op_buntime_file_stat } from "ext:core/ops";

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
    return op_buntime_file_stat(0, this.#path);
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
    return op_buntime_file_read(0, this.#path);
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
        controller.enqueue(await op_buntime_file_read(0, path));
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

const process = {
  env,
  argv: [],
  platform: "linux",
  version: "v22.0.0",
  versions: { bun: BUN_VERSION, node: "22.0.0" },
  cwd: () => "/",
  nextTick: (fn, ...args) => queueMicrotask(() => fn(...args)),
  exit() {
    throw new Error("process.exit() is not available inside a Buntime worker");
  },
};

Object.defineProperties(globalThis, {
  Bun: { value: Bun, writable: true, enumerable: false, configurable: true },
  process: { value: process, writable: true, enumerable: false, configurable: true },
});

/** Fills the app's environment; called once per worker before the app loads. */
export function setAppEnv(vars) {
  for (const key of Object.keys(vars)) env[key] = String(vars[key]);
}
