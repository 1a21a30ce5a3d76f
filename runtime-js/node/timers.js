// node:timers -- the global timers plus setImmediate, and the promise API.
import { abortError } from "node:_errors";

const gSetTimeout = globalThis.setTimeout;
const gClearTimeout = globalThis.clearTimeout;
const gSetInterval = globalThis.setInterval;
const gClearInterval = globalThis.clearInterval;

// setImmediate runs queued callbacks in one macrotask after the current one,
// in insertion order; callbacks queued while draining wait for the next turn.
let immediateQueue = [];
let immediateScheduled = false;

class Immediate {
  constructor(callback, args) {
    this._onImmediate = callback;
    this._args = args;
    this._cleared = false;
    this._refed = true;
  }
  ref() {
    this._refed = true;
    return this;
  }
  unref() {
    this._refed = false;
    return this;
  }
  hasRef() {
    return this._refed;
  }
  [Symbol.dispose || Symbol.for("nodejs.dispose")]() {
    clearImmediate(this);
  }
}

function runImmediates() {
  immediateScheduled = false;
  const queue = immediateQueue;
  immediateQueue = [];
  for (const imm of queue) {
    if (imm._cleared) continue;
    imm._cleared = true;
    try {
      imm._onImmediate(...imm._args);
    } catch (err) {
      // Keep draining; surface the error asynchronously like an uncaught one.
      gSetTimeout(() => {
        throw err;
      }, 0);
    }
  }
}

function setImmediate(callback, ...args) {
  if (typeof callback !== "function") {
    const err = new TypeError(`The "callback" argument must be of type function. Received ${callback === null ? "null" : typeof callback}`);
    err.code = "ERR_INVALID_ARG_TYPE";
    throw err;
  }
  const imm = new Immediate(callback, args);
  immediateQueue.push(imm);
  if (!immediateScheduled) {
    immediateScheduled = true;
    gSetTimeout(runImmediates, 0);
  }
  return imm;
}

function clearImmediate(imm) {
  if (imm && typeof imm === "object") imm._cleared = true;
}

function setTimeout(callback, delay, ...args) {
  return gSetTimeout(callback, delay, ...args);
}
function clearTimeout(id) {
  return gClearTimeout(id);
}
function setInterval(callback, delay, ...args) {
  return gSetInterval(callback, delay, ...args);
}
function clearInterval(id) {
  return gClearInterval(id);
}


function checkSignal(options) {
  const signal = options && options.signal;
  if (signal !== undefined && (signal === null || typeof signal !== "object" || !("aborted" in signal))) {
    const err = new TypeError('The "options.signal" property must be an instance of AbortSignal.');
    err.code = "ERR_INVALID_ARG_TYPE";
    throw err;
  }
  return signal;
}

function delayPromise(schedule, cancel, value, options) {
  let signal;
  try {
    signal = checkSignal(options);
  } catch (err) {
    return Promise.reject(err);
  }
  if (signal && signal.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    let onAbort;
    const handle = schedule(() => {
      if (signal) signal.removeEventListener("abort", onAbort);
      resolve(value);
    });
    if (signal) {
      onAbort = () => {
        cancel(handle);
        reject(abortError(signal));
      };
      signal.addEventListener("abort", onAbort, { once: true });
    }
  });
}

const promises = {
  setTimeout(delay, value, options) {
    return delayPromise((fn) => gSetTimeout(fn, delay), gClearTimeout, value, options);
  },
  setImmediate(value, options) {
    return delayPromise((fn) => setImmediate(fn), clearImmediate, value, options);
  },
  setInterval(delay, value, options) {
    const signal = checkSignal(options);
    let pending = 0;
    let wake = null;
    let done = false;
    let id = null;
    const onAbort = () => {
      done = true;
      if (wake) {
        const w = wake;
        wake = null;
        w.reject(abortError(signal));
      }
    };
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      async next() {
        if (signal && signal.aborted) {
          if (id !== null) gClearInterval(id);
          throw abortError(signal);
        }
        if (done) return { value: undefined, done: true };
        if (id === null) {
          id = gSetInterval(() => {
            pending++;
            if (wake) {
              const w = wake;
              wake = null;
              w.resolve();
            }
          }, delay);
          if (signal) signal.addEventListener("abort", onAbort, { once: true });
        }
        if (pending === 0) {
          await new Promise((resolve, reject) => {
            wake = { resolve, reject };
          });
        }
        pending--;
        return { value, done: false };
      },
      async return() {
        done = true;
        if (id !== null) gClearInterval(id);
        if (signal) signal.removeEventListener("abort", onAbort);
        return { value: undefined, done: true };
      },
    };
  },
  scheduler: {
    wait(delay, options) {
      return promises.setTimeout(delay, undefined, options);
    },
    yield() {
      return promises.setImmediate();
    },
  },
};

function active() {}
function unenroll() {}
function enroll() {}

export { setTimeout, clearTimeout, setInterval, clearInterval, setImmediate, clearImmediate, promises, active, unenroll, enroll };
export default { setTimeout, clearTimeout, setInterval, clearInterval, setImmediate, clearImmediate, promises, active, unenroll, enroll };
