// Entry of the snapshot: installs the globals (imports above run first) and
// leaves the worker's entry point on `__buntime` for Rust to call once.
import "ext:buntime/00_web_globals.js";
import { setAppEnv, setAppRoot } from "ext:buntime/10_bun.js";
import "ext:buntime/12_bun_extras.js";
import "ext:buntime/40_cjs.js";
import { failUnhandled, makeHandler, serve, warmUp } from "ext:buntime/30_serve.js";
import { core } from "ext:core/mod.js";
import { performance as performanceMod } from "ext:buntime/00_web_globals.js";

let config = null;

// What app code must never reach: deno_core's op table and bootstrap
// namespace (every op, callable with any arguments) and our own hooks.
// Everything the runtime needs from them was captured in module scope
// while the snapshot was made.
const ENGINE_GLOBALS = ["__buntime", "__bootstrap", "Deno"];

const hooks = {
  /**
   * Before the app loads: its environment and what kind of app it is.
   * Removes the engine's globals and returns the one function Rust calls
   * once the app module evaluated (with its namespace, or nothing for a
   * static site).
   */
  init(options) {
    if (config !== null) throw new Error("worker already initialised");
    for (const name of ENGINE_GLOBALS) delete globalThis[name];
    config = { staticEntry: options.staticEntry ?? null, lowMemory: options.lowMemory === true };
    performanceMod.setTimeOrigin();
    setAppEnv(options.env ?? {});
    setAppRoot(options.root ?? "/");
    return start;
  },
};

/**
 * Called by Rust, once, after the app loaded (only Rust holds it: `init`
 * returned it and removed `__buntime`); throws if the app is unusable.
 */
function start(appModule) {
  const handler = config.staticEntry === null ? makeHandler(appModule) : null;
  // From here on a stray rejection in app code is logged, not fatal: one
  // bad request must not stop the worker serving the others. (Installed
  // only now so that a failing app load still fails loudly.)
  core.setUnhandledPromiseRejectionHandler((_promise, reason) => {
    console.error(`Unhandled promise rejection: ${reason instanceof Error ? reason.stack : String(reason)}`);
    failUnhandled(reason);
    return true;
  });
  serve(handler, config);
}

Object.defineProperty(globalThis, "__buntime", { value: hooks, configurable: true, enumerable: false });

// Compile the request path into the snapshot (see warmUp).
warmUp();
