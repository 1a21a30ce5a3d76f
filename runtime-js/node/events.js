// node:events -- EventEmitter. A plain function (not a class) so that old
// code doing `EventEmitter.call(this)` with util.inherits keeps working.
// Listener storage mirrors Node (`_events[type]` is a function or an array)
// because some libraries read `_events` directly.
import { abortError } from "node:_errors";

const kCapture = Symbol("kCapture");
const errorMonitor = Symbol("events.errorMonitor");
const captureRejectionSymbol = Symbol.for("nodejs.rejection");
let defaultMaxListeners = 10;
let defaultCaptureRejections = false;

function nodeError(Base, code, message) {
  const err = new Base(message);
  Object.defineProperty(err, "code", { value: code, writable: true, configurable: true, enumerable: false });
  return err;
}

function checkListener(listener) {
  if (typeof listener !== "function") {
    const got = listener === null ? "null" : typeof listener === "object" ? `an instance of ${listener.constructor ? listener.constructor.name : "Object"}` : `type ${typeof listener} (${String(listener)})`;
    throw nodeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "listener" argument must be of type function. Received ${got}`);
  }
}

function brief(v) {
  if (typeof v === "string") return `'${v}'`;
  if (typeof v === "object" && v !== null) {
    try {
      return JSON.stringify(v);
    } catch {
      return Object.prototype.toString.call(v);
    }
  }
  return String(v);
}

function EventEmitter(opts) {
  EventEmitter.init.call(this, opts);
}

EventEmitter.prototype._events = undefined;
EventEmitter.prototype._eventsCount = 0;
EventEmitter.prototype._maxListeners = undefined;

EventEmitter.init = function init(opts) {
  if (this._events === undefined || this._events === Object.getPrototypeOf(this)._events) {
    this._events = Object.create(null);
    this._eventsCount = 0;
  }
  this._maxListeners = this._maxListeners || undefined;
  if (opts && opts.captureRejections !== undefined) {
    if (typeof opts.captureRejections !== "boolean") {
      throw nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "options.captureRejections" property must be of type boolean.');
    }
    this[kCapture] = opts.captureRejections;
  } else {
    this[kCapture] = EventEmitter.prototype[kCapture];
  }
};

EventEmitter.prototype[kCapture] = false;

function checkMax(n, name) {
  if (typeof n !== "number" || n < 0 || Number.isNaN(n)) {
    throw nodeError(RangeError, "ERR_OUT_OF_RANGE", `The value of "${name}" is out of range. It must be a non-negative number. Received ${String(n)}`);
  }
}

EventEmitter.prototype.setMaxListeners = function setMaxListeners(n) {
  checkMax(n, "n");
  this._maxListeners = n;
  return this;
};

function maxOf(that) {
  return that._maxListeners === undefined ? defaultMaxListeners : that._maxListeners;
}

EventEmitter.prototype.getMaxListeners = function getMaxListeners() {
  return maxOf(this);
};

function handleRejection(emitter, promise, type, args) {
  promise.then(undefined, (err) => {
    // Report outside the promise chain, like Node does via nextTick.
    queueMicrotask(() => {
      if (typeof emitter[captureRejectionSymbol] === "function") {
        emitter[captureRejectionSymbol](err, type, ...args);
      } else {
        const prev = emitter[kCapture];
        try {
          emitter[kCapture] = false;
          emitter.emit("error", err);
        } finally {
          emitter[kCapture] = prev;
        }
      }
    });
  });
}

EventEmitter.prototype.emit = function emit(type, ...args) {
  const events = this._events;
  if (type === "error") {
    if (events !== undefined && events[errorMonitor] !== undefined) this.emit(errorMonitor, ...args);
    if (events === undefined || events.error === undefined) {
      const er = args[0];
      if (er instanceof Error) throw er;
      const err = nodeError(Error, "ERR_UNHANDLED_ERROR", `Unhandled error. (${brief(er)})`);
      err.context = er;
      throw err;
    }
  }
  if (events === undefined) return false;
  const handler = events[type];
  if (handler === undefined) return false;
  if (typeof handler === "function") {
    const r = handler.apply(this, args);
    if (r !== undefined && r !== null && this[kCapture] && typeof r.then === "function") handleRejection(this, r, type, args);
  } else {
    const list = handler.slice();
    for (let i = 0; i < list.length; i++) {
      const r = list[i].apply(this, args);
      if (r !== undefined && r !== null && this[kCapture] && typeof r.then === "function") handleRejection(this, r, type, args);
    }
  }
  return true;
};

function addListener(target, type, listener, prepend) {
  checkListener(listener);
  let events = target._events;
  if (events === undefined) {
    events = target._events = Object.create(null);
    target._eventsCount = 0;
  } else if (events.newListener !== undefined) {
    target.emit("newListener", type, listener.listener ? listener.listener : listener);
    events = target._events;
  }
  let existing = events[type];
  if (existing === undefined) {
    events[type] = listener;
    target._eventsCount++;
    return target;
  }
  if (typeof existing === "function") {
    existing = events[type] = prepend ? [listener, existing] : [existing, listener];
  } else if (prepend) {
    existing.unshift(listener);
  } else {
    existing.push(listener);
  }
  const m = maxOf(target);
  if (m > 0 && existing.length > m && !existing.warned) {
    existing.warned = true;
    const name = target.constructor ? target.constructor.name : "EventEmitter";
    const msg = `Possible EventEmitter memory leak detected. ${existing.length} ${String(type)} listeners added to [${name}]. Use emitter.setMaxListeners() to increase limit`;
    const proc = globalThis.process;
    if (proc && typeof proc.emitWarning === "function") {
      const w = new Error(msg);
      w.name = "MaxListenersExceededWarning";
      w.emitter = target;
      w.type = type;
      w.count = existing.length;
      proc.emitWarning(w);
    } else if (typeof console !== "undefined") {
      console.warn(`MaxListenersExceededWarning: ${msg}`);
    }
  }
  return target;
}

EventEmitter.prototype.addListener = function (type, listener) {
  return addListener(this, type, listener, false);
};
EventEmitter.prototype.on = EventEmitter.prototype.addListener;
EventEmitter.prototype.prependListener = function (type, listener) {
  return addListener(this, type, listener, true);
};

function onceWrapper(target, type, listener) {
  const state = { fired: false };
  function wrapped(...args) {
    if (state.fired) return undefined;
    state.fired = true;
    target.removeListener(type, wrapped);
    return listener.apply(target, args);
  }
  wrapped.listener = listener;
  return wrapped;
}

EventEmitter.prototype.once = function once(type, listener) {
  checkListener(listener);
  return this.on(type, onceWrapper(this, type, listener));
};
EventEmitter.prototype.prependOnceListener = function (type, listener) {
  checkListener(listener);
  return this.prependListener(type, onceWrapper(this, type, listener));
};

EventEmitter.prototype.removeListener = function removeListener(type, listener) {
  checkListener(listener);
  const events = this._events;
  if (events === undefined) return this;
  const list = events[type];
  if (list === undefined) return this;
  if (list === listener || list.listener === listener) {
    if (--this._eventsCount === 0) this._events = Object.create(null);
    else delete events[type];
    if (events.removeListener !== undefined) this.emit("removeListener", type, list.listener || listener);
  } else if (typeof list !== "function") {
    let pos = -1;
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i] === listener || list[i].listener === listener) {
        pos = i;
        break;
      }
    }
    if (pos < 0) return this;
    const removed = list[pos];
    list.splice(pos, 1);
    if (list.length === 1) events[type] = list[0];
    if (events.removeListener !== undefined) this.emit("removeListener", type, removed.listener || listener);
  }
  return this;
};
EventEmitter.prototype.off = EventEmitter.prototype.removeListener;

EventEmitter.prototype.removeAllListeners = function removeAllListeners(type) {
  const events = this._events;
  if (events === undefined) return this;
  if (events.removeListener === undefined) {
    if (arguments.length === 0) {
      this._events = Object.create(null);
      this._eventsCount = 0;
    } else if (events[type] !== undefined) {
      if (--this._eventsCount === 0) this._events = Object.create(null);
      else delete events[type];
    }
    return this;
  }
  if (arguments.length === 0) {
    for (const key of Reflect.ownKeys(events)) {
      if (key !== "removeListener") this.removeAllListeners(key);
    }
    this.removeAllListeners("removeListener");
    this._events = Object.create(null);
    this._eventsCount = 0;
    return this;
  }
  const listeners = events[type];
  if (typeof listeners === "function") {
    this.removeListener(type, listeners);
  } else if (listeners !== undefined) {
    for (let i = listeners.length - 1; i >= 0; i--) this.removeListener(type, listeners[i]);
  }
  return this;
};

function listenersOf(target, type, unwrap) {
  const events = target._events;
  if (events === undefined) return [];
  const l = events[type];
  if (l === undefined) return [];
  if (typeof l === "function") return unwrap ? [l.listener || l] : [l];
  return unwrap ? l.map((f) => f.listener || f) : l.slice();
}

EventEmitter.prototype.listeners = function listeners(type) {
  return listenersOf(this, type, true);
};
EventEmitter.prototype.rawListeners = function rawListeners(type) {
  return listenersOf(this, type, false);
};

function listenerCountOf(target, type, listener) {
  const events = target._events;
  if (events === undefined) return 0;
  const l = events[type];
  if (l === undefined) return 0;
  const list = typeof l === "function" ? [l] : l;
  if (listener === undefined || listener === null) return list.length;
  return list.filter((f) => f === listener || f.listener === listener).length;
}

EventEmitter.prototype.listenerCount = function listenerCount(type, listener) {
  return listenerCountOf(this, type, listener);
};

EventEmitter.prototype.eventNames = function eventNames() {
  return this._eventsCount > 0 ? Reflect.ownKeys(this._events) : [];
};

// ---- statics -------------------------------------------------------------


function once(emitter, name, options = {}) {
  const signal = options ? options.signal : undefined;
  if (signal && signal.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    let onAbort;
    const cleanupAbort = () => {
      if (signal && onAbort) signal.removeEventListener("abort", onAbort);
    };
    if (typeof emitter.addEventListener === "function" && typeof emitter.on !== "function") {
      const listener = (event) => {
        cleanupAbort();
        resolve([event]);
      };
      emitter.addEventListener(name, listener, { once: true });
      onAbort = () => {
        emitter.removeEventListener(name, listener);
        reject(abortError(signal));
      };
    } else {
      const errorListener = (err) => {
        emitter.removeListener(name, resolver);
        cleanupAbort();
        reject(err);
      };
      const resolver = (...args) => {
        if (name !== "error") emitter.removeListener("error", errorListener);
        cleanupAbort();
        resolve(args);
      };
      emitter.once(name, resolver);
      if (name !== "error") emitter.once("error", errorListener);
      onAbort = () => {
        emitter.removeListener(name, resolver);
        emitter.removeListener("error", errorListener);
        reject(abortError(signal));
      };
    }
    if (signal) signal.addEventListener("abort", onAbort, { once: true });
  });
}

function on(emitter, event, options = {}) {
  const signal = options ? options.signal : undefined;
  const closeEvents = (options && options.close) || [];
  if (signal && signal.aborted) throw abortError(signal);
  const queue = [];
  const waiting = [];
  let error = null;
  let finished = false;

  const isTarget = typeof emitter.addEventListener === "function" && typeof emitter.on !== "function";
  const handler = (...args) => {
    const value = isTarget ? [args[0]] : args;
    if (waiting.length) waiting.shift().resolve({ value, done: false });
    else queue.push(value);
  };
  const errorHandler = (err) => {
    if (waiting.length) waiting.shift().reject(err);
    else error = err;
    iterator.return();
  };
  const closeHandler = () => {
    finish();
  };
  const onAbort = () => errorHandler(abortError(signal));

  function finish() {
    if (finished) return;
    finished = true;
    if (isTarget) emitter.removeEventListener(event, handler);
    else {
      emitter.removeListener(event, handler);
      emitter.removeListener("error", errorHandler);
      for (const c of closeEvents) emitter.removeListener(c, closeHandler);
    }
    if (signal) signal.removeEventListener("abort", onAbort);
    while (waiting.length) waiting.shift().resolve({ value: undefined, done: true });
  }

  if (isTarget) emitter.addEventListener(event, handler);
  else {
    emitter.on(event, handler);
    if (event !== "error") emitter.on("error", errorHandler);
    for (const c of closeEvents) emitter.on(c, closeHandler);
  }
  if (signal) signal.addEventListener("abort", onAbort, { once: true });

  const iterator = {
    next() {
      if (queue.length) return Promise.resolve({ value: queue.shift(), done: false });
      if (error) {
        const p = Promise.reject(error);
        error = null;
        return p;
      }
      if (finished) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    return() {
      finish();
      return Promise.resolve({ value: undefined, done: true });
    },
    throw(err) {
      error = err;
      finish();
      return Promise.reject(err);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return iterator;
}

function getEventListeners(target, type) {
  if (typeof target.listeners === "function") return target.listeners(type);
  return [];
}

function getMaxListeners(target) {
  if (typeof target.getMaxListeners === "function") return target.getMaxListeners();
  return defaultMaxListeners;
}

function setMaxListeners(n = defaultMaxListeners, ...targets) {
  checkMax(n, "n");
  if (targets.length === 0) {
    defaultMaxListeners = n;
  } else {
    for (const t of targets) if (typeof t.setMaxListeners === "function") t.setMaxListeners(n);
  }
}

function listenerCount(emitter, type) {
  if (typeof emitter.listenerCount === "function") return emitter.listenerCount(type);
  return listenerCountOf(emitter, type);
}

function addAbortListener(signal, listener) {
  if (signal.aborted) {
    queueMicrotask(() => listener());
  } else {
    signal.addEventListener("abort", listener, { once: true });
  }
  return {
    [Symbol.dispose || Symbol.for("nodejs.dispose")]() {
      signal.removeEventListener("abort", listener);
    },
  };
}

class EventEmitterAsyncResource extends EventEmitter {}

Object.defineProperty(EventEmitter, "defaultMaxListeners", {
  get() {
    return defaultMaxListeners;
  },
  set(n) {
    checkMax(n, "defaultMaxListeners");
    defaultMaxListeners = n;
  },
  enumerable: true,
  configurable: true,
});

Object.defineProperty(EventEmitter, "captureRejections", {
  get() {
    return defaultCaptureRejections;
  },
  set(v) {
    if (typeof v !== "boolean") throw nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "EventEmitter.captureRejections" property must be of type boolean.');
    defaultCaptureRejections = v;
    EventEmitter.prototype[kCapture] = v;
  },
  enumerable: true,
  configurable: true,
});

Object.assign(EventEmitter, {
  EventEmitter,
  once,
  on,
  errorMonitor,
  captureRejectionSymbol,
  getEventListeners,
  getMaxListeners,
  setMaxListeners,
  listenerCount,
  addAbortListener,
  EventEmitterAsyncResource,
  usingDomains: false,
});

const usingDomains = false;

export {
  EventEmitter, once, on, errorMonitor, captureRejectionSymbol, getEventListeners, getMaxListeners,
  setMaxListeners, listenerCount, addAbortListener, EventEmitterAsyncResource, defaultMaxListeners, usingDomains,
};
export default EventEmitter;
