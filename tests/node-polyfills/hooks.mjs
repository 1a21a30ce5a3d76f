// Module hooks for check.mjs: `node:X` resolves to runtime-js/node/X.js when
// that polyfill exists, `node:_host` to the local shim. Everything else
// (including the harness's createRequire() of real builtins) is untouched.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = new URL("../../runtime-js/node/", import.meta.url);
const SUBPATHS = {
  "stream/promises": "stream_promises",
  "timers/promises": "timers_promises",
  "util/types": "util_types",
  "dns/promises": "dns_promises",
  "path/posix": "path_posix",
  "assert/strict": "assert_strict",
};

// Built on the isolate's ops (src/ext/node_ops.rs, deno_core's async
// context): covered by the Rust integration tests, not runnable on Node.
const HOST_BACKED = new Set(["async_hooks", "bun", "fs", "fs/promises", "module", "process", "zlib"]);

export async function resolve(specifier, context, next) {
  if (specifier.startsWith("node:")) {
    const name = specifier.slice(5);
    if (name === "_host") {
      return { url: new URL("./host_shim.mjs", import.meta.url).href, format: "module", shortCircuit: true };
    }
    const file = SUBPATHS[name] ?? name;
    const url = new URL(`${file}.js`, root);
    if (/^[a-z_\/]+$/.test(name) && !HOST_BACKED.has(name) && existsSync(fileURLToPath(url))) {
      return { url: url.href, format: "module", shortCircuit: true };
    }
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (url.startsWith(root.href)) {
    return { format: "module", source: readFileSync(fileURLToPath(url), "utf8"), shortCircuit: true };
  }
  return next(url, context);
}
