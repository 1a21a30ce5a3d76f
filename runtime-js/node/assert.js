// node:assert -- the assert function, its comparison helpers and
// AssertionError. Messages are shorter than Node's (no diffs).
import util, { inspect, isDeepStrictEqual } from "node:util";

const looseDeepEqual = (a, b) => util[Symbol.for("buntime.util.deepEqual")](a, b, false);

function show(v) {
  return inspect(v, { depth: 3, breakLength: Infinity, compact: 3 });
}

const kReadableOperator = {
  deepStrictEqual: "Expected values to be strictly deep-equal:",
  strictEqual: "Expected values to be strictly equal:",
  strictEqualObject: 'Expected "actual" to be reference-equal to "expected":',
  deepEqual: "Expected values to be loosely deep-equal:",
  notDeepStrictEqual: 'Expected "actual" not to be strictly deep-equal to:',
  notStrictEqual: 'Expected "actual" to be strictly unequal to:',
  notStrictEqualObject: 'Expected "actual" not to be reference-equal to "expected":',
  notDeepEqual: 'Expected "actual" not to be loosely deep-equal to:',
  notIdentical: "Values identical but not reference-equal:",
  notDeepEqualUnequal: "Expected values not to be loosely deep-equal:",
};

class AssertionError extends Error {
  constructor(options) {
    if (options === null || typeof options !== "object") {
      const err = new TypeError('The "options" argument must be of type object.');
      err.code = "ERR_INVALID_ARG_TYPE";
      throw err;
    }
    const { message, operator, stackStartFn } = options;
    let { actual, expected } = options;
    let msg;
    if (message != null) {
      msg = String(message);
    } else if (operator === "deepStrictEqual" || operator === "strictEqual" || operator === "deepEqual") {
      msg = `${kReadableOperator[operator]}\n\n${show(actual)} !== ${show(expected)}\n`;
      if (operator !== "strictEqual" || typeof actual === "object") {
        msg = `${kReadableOperator[operator]}\n+ actual - expected\n\n+ ${show(actual)}\n- ${show(expected)}`;
      }
    } else if (operator === "notDeepStrictEqual" || operator === "notStrictEqual" || operator === "notDeepEqual") {
      msg = `${kReadableOperator[operator]}\n\n${show(actual)}\n`;
    } else if (operator === "==" || operator === "!=") {
      msg = `${show(actual)} ${operator} ${show(expected)}`;
    } else {
      msg = `${show(actual)} ${operator} ${show(expected)}`;
    }
    super(msg);
    this.generatedMessage = message == null;
    Object.defineProperty(this, "name", { value: "AssertionError [ERR_ASSERTION]", enumerable: false, writable: true, configurable: true });
    this.code = "ERR_ASSERTION";
    this.actual = actual;
    this.expected = expected;
    this.operator = operator;
    if (typeof Error.captureStackTrace === "function") Error.captureStackTrace(this, stackStartFn);
    // Read the stack once so it carries the bracketed name, then settle it.
    void this.stack;
    this.name = "AssertionError";
  }

  toString() {
    return `${this.name} [${this.code}]: ${this.message}`;
  }

  [inspect.custom](depth, options) {
    return inspect(this, { ...options, customInspect: false, depth: 0 });
  }
}

function innerFail(obj) {
  if (obj.message instanceof Error) throw obj.message;
  throw new AssertionError(obj);
}

function innerOk(fn, argLen, value, message) {
  if (!value) {
    let generatedMessage = false;
    if (argLen === 0) {
      generatedMessage = true;
      message = "No value argument passed to `assert.ok()`";
    } else if (message == null) {
      generatedMessage = true;
      message = "The expression evaluated to a falsy value:\n\n  assert.ok(" + show(value) + ")\n";
    } else if (message instanceof Error) {
      throw message;
    }
    const err = new AssertionError({ actual: value, expected: true, message, operator: "==", stackStartFn: fn });
    err.generatedMessage = generatedMessage;
    throw err;
  }
}

function ok(...args) {
  innerOk(ok, args.length, ...args);
}

function fail(actual, expected, message, operator, stackStartFn) {
  const argsLen = arguments.length;
  let internalMessage = false;
  if (actual == null && argsLen <= 1) {
    internalMessage = true;
    message = "Failed";
  } else if (argsLen === 1) {
    message = actual;
    actual = undefined;
  } else {
    if (argsLen === 2) operator = "!=";
  }
  if (message instanceof Error) throw message;
  const err = new AssertionError({ actual, expected, operator: operator === undefined ? "fail" : operator, stackStartFn: stackStartFn || fail, message });
  if (internalMessage) err.generatedMessage = true;
  throw err;
}

function equal(actual, expected, message) {
  // eslint-disable-next-line eqeqeq
  if (!(actual == expected || (Number.isNaN(actual) && Number.isNaN(expected)))) {
    innerFail({ actual, expected, message, operator: "==", stackStartFn: equal });
  }
}

function notEqual(actual, expected, message) {
  // eslint-disable-next-line eqeqeq
  if (actual == expected || (Number.isNaN(actual) && Number.isNaN(expected))) {
    innerFail({ actual, expected, message, operator: "!=", stackStartFn: notEqual });
  }
}

function strictEqual(actual, expected, message) {
  if (!Object.is(actual, expected)) innerFail({ actual, expected, message, operator: "strictEqual", stackStartFn: strictEqual });
}

function notStrictEqual(actual, expected, message) {
  if (Object.is(actual, expected)) innerFail({ actual, expected, message, operator: "notStrictEqual", stackStartFn: notStrictEqual });
}

function deepEqual(actual, expected, message) {
  if (!looseDeepEqual(actual, expected)) innerFail({ actual, expected, message, operator: "deepEqual", stackStartFn: deepEqual });
}

function notDeepEqual(actual, expected, message) {
  if (looseDeepEqual(actual, expected)) innerFail({ actual, expected, message, operator: "notDeepEqual", stackStartFn: notDeepEqual });
}

function deepStrictEqual(actual, expected, message) {
  if (!isDeepStrictEqual(actual, expected)) innerFail({ actual, expected, message, operator: "deepStrictEqual", stackStartFn: deepStrictEqual });
}

function notDeepStrictEqual(actual, expected, message) {
  if (isDeepStrictEqual(actual, expected)) innerFail({ actual, expected, message, operator: "notDeepStrictEqual", stackStartFn: notDeepStrictEqual });
}

function invalidArg(name, expected, value) {
  const err = new TypeError(`The "${name}" argument must be ${expected}. Received ${show(value)}`);
  err.code = "ERR_INVALID_ARG_TYPE";
  return err;
}

const NO_EXCEPTION = Symbol("no exception");

function getActual(fn) {
  if (typeof fn !== "function") throw invalidArg("fn", "of type function", fn);
  try {
    fn();
  } catch (e) {
    return e;
  }
  return NO_EXCEPTION;
}

async function waitActual(promiseFn) {
  let resultPromise;
  if (typeof promiseFn === "function") {
    resultPromise = promiseFn();
    if (!resultPromise || typeof resultPromise.then !== "function") {
      const err = new TypeError(`Expected instance of Promise to be returned from the "promiseFn" function but got ${show(resultPromise)}.`);
      err.code = "ERR_INVALID_RETURN_VALUE";
      throw err;
    }
  } else if (promiseFn && typeof promiseFn.then === "function") {
    resultPromise = promiseFn;
  } else {
    throw invalidArg("promiseFn", "of type function or an instance of Promise", promiseFn);
  }
  try {
    await resultPromise;
  } catch (e) {
    return e;
  }
  return NO_EXCEPTION;
}

// Throws an AssertionError whose text is ours unless the caller gave one.
function failWith(opts, userMessage) {
  const err = new AssertionError({ ...opts, message: userMessage || opts.message });
  err.generatedMessage = !userMessage;
  throw err;
}

function compareExceptionKey(actual, expected, key, message, fn) {
  const a = actual == null ? undefined : actual[key];
  const e = expected[key];
  if (e instanceof RegExp && typeof a === "string" && e.test(a)) return;
  if (!(key in Object(actual)) || !isDeepStrictEqual(a, e)) {
    failWith({
      actual,
      expected,
      operator: fn.name,
      message: `Expected values to be strictly deep-equal:\n+ actual - expected\n\n  Comparison {\n+   ${key}: ${show(a)}\n-   ${key}: ${show(e)}\n  }`,
      stackStartFn: fn,
    }, message);
  }
}

function expectedException(actual, expected, message, fn) {
  if (typeof expected !== "function") {
    if (expected instanceof RegExp) {
      const str = String(actual);
      if (expected.test(str)) return;
      failWith({
        actual,
        expected,
        message: `The input did not match the regular expression ${show(expected)}. Input:\n\n${show(str)}\n`,
        operator: fn.name,
        stackStartFn: fn,
      }, message);
    }
    if (typeof actual !== "object" || actual === null) {
      failWith({ actual, expected, message: `Expected "actual" to be an object. Received ${show(actual)}`, operator: fn.name, stackStartFn: fn }, message);
    }
    const keys = Object.keys(expected);
    if (expected instanceof Error) keys.push("name", "message");
    else if (keys.length === 0) throw invalidArg("error", "may not be an empty object", expected);
    for (const key of keys) compareExceptionKey(actual, expected, key, message, fn);
    return;
  }
  if (expected.prototype !== undefined && actual instanceof expected) return;
  if (Error.isPrototypeOf(expected) || expected === Error) {
    if (actual instanceof Error) {
      failWith({
        actual,
        expected,
        message: `The error is expected to be an instance of "${expected.name}". Received "${actual.constructor && actual.constructor.name}"\n\nError message:\n\n${actual.message}`,
        operator: fn.name,
        stackStartFn: fn,
      }, message);
    }
    throw actual;
  }
  const res = expected.call({}, actual);
  if (res !== true) {
    failWith({
      actual,
      expected,
      message: `The ${expected.name ? `"${expected.name}" validation function` : "validation function"} is expected to return "true". Received ${show(res)}`,
      operator: fn.name,
      stackStartFn: fn,
    }, message);
  }
}

function expectsError(fn, actual, error, message) {
  if (typeof error === "string") {
    if (arguments.length === 4) throw invalidArg("error", "of type function or an instance of Error, RegExp, or Object", error);
    message = error;
    error = undefined;
  } else if (error != null && typeof error !== "object" && typeof error !== "function") {
    throw invalidArg("error", "of type function or an instance of Error, RegExp, or Object", error);
  }
  if (actual === NO_EXCEPTION) {
    let details = "";
    if (error && error.name) details += ` (${error.name})`;
    details += message ? `: ${message}` : ".";
    const fnType = fn === rejects ? "rejection" : "exception";
    innerFail({ actual: undefined, expected: error, operator: fn.name, message: `Missing expected ${fnType}${details}`, stackStartFn: fn });
  }
  if (error !== undefined) expectedException(actual, error, message, fn);
}

function expectsNoError(fn, actual, error, message) {
  if (actual === NO_EXCEPTION) return;
  if (typeof error === "string") {
    message = error;
    error = undefined;
  }
  if (!error || (typeof error === "function" && error.prototype !== undefined && actual instanceof error) || (error instanceof RegExp && error.test(String(actual)))) {
    const details = message ? `: ${message}` : ".";
    const fnType = fn === doesNotReject ? "rejection" : "exception";
    innerFail({
      actual,
      expected: error,
      operator: fn.name,
      message: `Got unwanted ${fnType}${details}\nActual message: "${actual && actual.message}"`,
      stackStartFn: fn,
    });
  }
  throw actual;
}

function throws(promiseFn, ...args) {
  expectsError(throws, getActual(promiseFn), ...args);
}

async function rejects(promiseFn, ...args) {
  expectsError(rejects, await waitActual(promiseFn), ...args);
}

function doesNotThrow(fn, ...args) {
  expectsNoError(doesNotThrow, getActual(fn), ...args);
}

async function doesNotReject(fn, ...args) {
  expectsNoError(doesNotReject, await waitActual(fn), ...args);
}

function ifError(err) {
  if (err !== null && err !== undefined) {
    let message = "ifError got unwanted exception: ";
    message += typeof err === "object" && typeof err.message === "string" ? (err.message.length === 0 && err.constructor ? err.constructor.name : err.message) : show(err);
    const newErr = new AssertionError({ actual: err, expected: null, operator: "ifError", message, stackStartFn: ifError });
    newErr.generatedMessage = false;
    throw newErr;
  }
}

function internalMatch(string, regexp, message, fn) {
  if (!(regexp instanceof RegExp)) throw invalidArg("regexp", "an instance of RegExp", regexp);
  const match = fn === assertMatch;
  if (typeof string !== "string" || (regexp.test(string) !== match)) {
    if (message instanceof Error) throw message;
    const generatedMessage = !message;
    message = message || (typeof string !== "string"
      ? `The "string" argument must be of type string. Received type ${typeof string} (${show(string)})`
      : (match ? "The input did not match the regular expression " : "The input was expected to not match the regular expression ") + `${show(regexp)}. Input:\n\n${show(string)}\n`);
    const err = new AssertionError({ actual: string, expected: regexp, message, operator: fn.name, stackStartFn: fn });
    err.generatedMessage = generatedMessage;
    throw err;
  }
}

function assertMatch(string, regexp, message) {
  internalMatch(string, regexp, message, assertMatch);
}
Object.defineProperty(assertMatch, "name", { value: "match" });

function doesNotMatch(string, regexp, message) {
  internalMatch(string, regexp, message, doesNotMatch);
}

class CallTracker {
  #calls = [];
  calls(fn = () => {}, exact = 1) {
    const entry = { fn, exact, actual: 0, name: fn.name || "calls" };
    this.#calls.push(entry);
    return function (...args) {
      entry.actual++;
      return fn.apply(this, args);
    };
  }
  report() {
    return this.#calls
      .filter((c) => c.actual !== c.exact)
      .map((c) => ({ message: `Expected the ${c.name} function to be executed ${c.exact} time(s) but was executed ${c.actual} time(s).`, actual: c.actual, expected: c.exact, operator: c.name, stack: new Error().stack }));
  }
  verify() {
    const r = this.report();
    if (r.length) throw new AssertionError({ message: r.length === 1 ? r[0].message : "Functions were not called the expected number of times", operator: "verify", actual: undefined, expected: undefined });
  }
}

function assert(...args) {
  innerOk(assert, args.length, ...args);
}

function strict(...args) {
  innerOk(strict, args.length, ...args);
}

const members = {
  ok, fail, equal, notEqual, strictEqual, notStrictEqual, deepEqual, notDeepEqual, deepStrictEqual,
  notDeepStrictEqual, throws, doesNotThrow, rejects, doesNotReject, ifError, match: assertMatch, doesNotMatch,
  AssertionError, CallTracker,
};
Object.assign(assert, members);
Object.assign(strict, members, { equal: strictEqual, notEqual: notStrictEqual, deepEqual: deepStrictEqual, notDeepEqual: notDeepStrictEqual });
assert.strict = strict;
strict.strict = strict;

const match = assertMatch;

export {
  ok, fail, equal, notEqual, strictEqual, notStrictEqual, deepEqual, notDeepEqual, deepStrictEqual,
  notDeepStrictEqual, throws, doesNotThrow, rejects, doesNotReject, ifError, match, doesNotMatch,
  AssertionError, CallTracker, strict,
};
export default assert;
