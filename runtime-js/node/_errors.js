// Error helpers shared by the Node built-ins: Node's error shapes (`code`,
// ERR_INVALID_ARG_TYPE messages, AbortError).

export function nodeError(Base, code, message) {
  const err = new Base(message);
  err.code = code;
  return err;
}

export function argType(name, expected, value) {
  const got = value === null ? "null" : value === undefined ? "undefined" : typeof value === "object" ? `an instance of ${value.constructor ? value.constructor.name : "Object"}` : `type ${typeof value} (${String(value)})`;
  return nodeError(TypeError, "ERR_INVALID_ARG_TYPE", `The "${name}" argument must be ${expected}. Received ${got}`);
}

export function abortError(signal) {
  const err = new Error("The operation was aborted");
  err.name = "AbortError";
  err.code = "ABORT_ERR";
  if (signal && signal.reason !== undefined) err.cause = signal.reason;
  return err;
}

/**
 * A function of a Node built-in an isolate cannot offer (sockets,
 * processes, threads): importing the module works, calling it says why.
 */
export function unsupported(module, name, why) {
  const fn = function () {
    throw nodeError(Error, "ERR_NOT_SUPPORTED", `node:${module} ${name}() is not supported by Buntime: ${why}`);
  };
  Object.defineProperty(fn, "name", { value: name });
  return fn;
}

/** A class of such a module: constructing it throws the same way. */
export function unsupportedClass(module, name, why) {
  const Class = class {
    constructor() {
      unsupported(module, `new ${name}`, why)();
    }
  };
  Object.defineProperty(Class, "name", { value: name });
  return Class;
}
