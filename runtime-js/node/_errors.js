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
