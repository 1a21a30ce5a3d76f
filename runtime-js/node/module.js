// node:module: createRequire for ES modules that load CommonJS code.
const createRequire = globalThis[Symbol.for("buntime.createRequire")];

export { createRequire };
export const builtinModules = [
  "assert", "async_hooks", "buffer", "crypto", "events", "fs", "module", "os", "path",
  "process", "querystring", "stream", "string_decoder", "timers", "url", "util",
];
export const isBuiltin = (name) => builtinModules.includes(String(name).replace(/^node:/, "").split("/")[0]);
export function Module() {
  throw new TypeError("new Module() is not supported in Buntime");
}
Module.createRequire = createRequire;
Module.builtinModules = builtinModules;
Module.isBuiltin = isBuiltin;
export default Module;
