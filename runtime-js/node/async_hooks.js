// node:async_hooks: AsyncLocalStorage on V8's continuation-preserved data
// (deno_core's AsyncVariable), so a store follows promises, timers and ops
// without hooks on every async operation.
import { core } from "ext:core/mod.js";

const { AsyncVariable, getAsyncContext, setAsyncContext } = core;

export class AsyncLocalStorage {
  #variable = new AsyncVariable();
  #enabled = false;

  static bind(fn) {
    return AsyncResource.bind(fn);
  }

  static snapshot() {
    const context = getAsyncContext();
    return (fn, ...args) => {
      const previous = getAsyncContext();
      setAsyncContext(context);
      try {
        return fn(...args);
      } finally {
        setAsyncContext(previous);
      }
    };
  }

  getStore() {
    return this.#enabled ? this.#variable.get() : undefined;
  }

  run(store, fn, ...args) {
    this.#enabled = true;
    const previous = this.#variable.enter(store);
    try {
      return fn(...args);
    } finally {
      setAsyncContext(previous);
    }
  }

  exit(fn, ...args) {
    return this.run(undefined, fn, ...args);
  }

  enterWith(store) {
    this.#enabled = true;
    this.#variable.enter(store);
  }

  disable() {
    this.#enabled = false;
  }
}

export class AsyncResource {
  #context = getAsyncContext();

  constructor(type) {
    this.type = type;
  }

  static bind(fn, type, thisArg) {
    return new AsyncResource(type ?? fn.name ?? "bound-anonymous-fn").bind(fn, thisArg);
  }

  runInAsyncScope(fn, thisArg, ...args) {
    const previous = getAsyncContext();
    setAsyncContext(this.#context);
    try {
      return fn.apply(thisArg, args);
    } finally {
      setAsyncContext(previous);
    }
  }

  bind(fn, thisArg) {
    const bound = (...args) => this.runInAsyncScope(fn, thisArg, ...args);
    Object.defineProperty(bound, "length", { value: fn.length });
    return bound;
  }

  emitDestroy() {
    return this;
  }

  asyncId() {
    return 0;
  }

  triggerAsyncId() {
    return 0;
  }
}

// The low-level hooks API has no equivalent here: a hook that never fires.
export function createHook() {
  return { enable() { return this; }, disable() { return this; } };
}

export const executionAsyncId = () => 0;
export const triggerAsyncId = () => 0;
export const executionAsyncResource = () => ({});

export default {
  AsyncLocalStorage,
  AsyncResource,
  createHook,
  executionAsyncId,
  triggerAsyncId,
  executionAsyncResource,
};
