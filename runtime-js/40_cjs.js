// CommonJS inside the isolate: `module.exports`, `require()` of relative
// files, npm packages, JSON and Node built-ins, run synchronously like Node.
// ES modules reach a CommonJS file through the facade the module loader
// writes (src/worker/module_loader.rs), which calls `buntime.require`.
import { core } from "ext:core/mod.js";
import { op_import_sync, op_node_require_resolve, op_node_require_source } from "ext:core/ops";

/** path -> Module, for cycles and so each file runs once per isolate. */
const cache = { __proto__: null };

function dirname(path) {
  const slash = path.lastIndexOf("/");
  return slash <= 0 ? "/" : path.slice(0, slash);
}

function builtin(specifier) {
  const ns = core.createLazyLoader(specifier)();
  return ns.default ?? ns;
}

class Module {
  constructor(id, parent) {
    this.id = id;
    this.filename = id;
    this.path = dirname(id);
    this.exports = {};
    this.loaded = false;
    this.parent = parent ?? null;
    this.children = [];
    this.paths = [];
  }

  require(specifier) {
    return makeRequire(this)(specifier);
  }
}

function makeRequire(parent) {
  const from = parent?.filename ?? "";
  function require(specifier) {
    if (typeof specifier !== "string" || specifier === "") {
      throw new TypeError(`require() expects a non-empty string, got ${typeof specifier}`);
    }
    const resolved = op_node_require_resolve(specifier, from);
    if (resolved.startsWith("node:")) return builtin(resolved);
    return load(resolved, parent).exports;
  }
  require.resolve = (specifier) => op_node_require_resolve(specifier, from);
  require.resolve.paths = () => [];
  require.cache = cache;
  require.main = undefined;
  require.extensions = { __proto__: null };
  return require;
}

function load(path, parent) {
  const cached = cache[path];
  if (cached !== undefined) return cached;
  const module = new Module(path, parent);
  if (parent) parent.children.push(module);
  cache[path] = module;
  try {
    const source = op_node_require_source(path);
    if (source === null) {
      // require(esm), as Node 22 and Bun allow: the module graph is loaded
      // and evaluated synchronously (top-level await makes it an error).
      module.exports = op_import_sync("file://" + encodeURI(path));
    } else if (path.endsWith(".json")) {
      module.exports = JSON.parse(source);
    } else {
      // A leading hashbang is not JavaScript inside a function body.
      const body = source.startsWith("#!") ? "//" + source : source;
      const wrapper = "(function (exports, require, module, __filename, __dirname) {" + body + "\n})";
      const [fn, error] = core.evalContext(wrapper, "file://" + encodeURI(path));
      if (error) throw error.thrown;
      fn.call(module.exports, module.exports, makeRequire(module), module, path, dirname(path));
    }
  } catch (err) {
    delete cache[path];
    throw err;
  }
  module.loaded = true;
  return module;
}

/** `createRequire(filename | file URL)` of node:module. */
export function createRequire(from) {
  let filename = from instanceof URL ? from.href : String(from);
  if (filename.startsWith("file://")) filename = decodeURIComponent(new URL(filename).pathname);
  const fake = new Module(filename, null);
  return makeRequire(fake);
}

export { Module };

const hidden = (value) => ({ value, writable: false, enumerable: false, configurable: false });
Object.defineProperties(globalThis, {
  [Symbol.for("buntime.require")]: hidden((path) => load(path, null).exports),
  [Symbol.for("buntime.createRequire")]: hidden(createRequire),
});
