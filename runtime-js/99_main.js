// Entry of the snapshot: installs the globals (imports above run first) and
// leaves the worker's two entry points on `__buntime` for Rust to call once.
import "ext:buntime/00_web_globals.js";
import { setAppEnv, setAppRoot } from "ext:buntime/10_bun.js";
import "ext:buntime/12_bun_extras.js";
import "ext:buntime/40_cjs.js";
import { makeHandler, serve, warmUp } from "ext:buntime/30_serve.js";
import { core } from "ext:core/mod.js";
import { performance as performanceMod } from "ext:buntime/00_web_globals.js";

let config = null;
let appModule = null;

const hooks = {
  /** Before the app loads: its environment and what kind of app it is. */
  init(options) {
    if (config !== null) throw new Error("worker already initialised");
    config = { staticEntry: options.staticEntry ?? null, lowMemory: options.lowMemory === true };
    performanceMod.setTimeOrigin();
    setAppEnv(options.env ?? {});
    setAppRoot(options.root ?? "/");
  },
  /** The main module hands over the app's namespace once it evaluated. */
  setApp(mod) {
    appModule = mod;
  },
  /** Called by Rust after the app loaded; throws if the app is unusable. */
  start() {
    delete globalThis.__buntime;
    const handler = config.staticEntry === null ? makeHandler(appModule) : null;
    // From here on a stray rejection in app code is logged, not fatal: one
    // bad request must not stop the worker serving the others. (Installed
    // only now so that a failing app load still fails loudly.)
    core.setUnhandledPromiseRejectionHandler((_promise, reason) => {
      console.error(`Unhandled promise rejection: ${reason instanceof Error ? reason.stack : String(reason)}`);
      return true;
    });
    serve(handler, config);
  },
};

Object.defineProperty(globalThis, "__buntime", { value: hooks, configurable: true, enumerable: false });

// Compile the request path into the snapshot (see warmUp).
warmUp();
