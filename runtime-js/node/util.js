// node:util -- inspect/format close to Node's output for common values,
// promisify, deprecate, inherits, types and deep equality.

const customInspectSymbol = Symbol.for("nodejs.util.inspect.custom");
const customPromisify = Symbol.for("nodejs.util.promisify.custom");
const toStr = (v) => Object.prototype.toString.call(v);
const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

function nodeError(Base, code, message) {
  const err = new Base(message);
  Object.defineProperty(err, "code", { value: code, writable: true, configurable: true, enumerable: false });
  return err;
}

// ---- types (brand checks, so they survive spoofed prototypes) -------------

const typedArrayTag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag).get;
function brand(fn) {
  return (v) => {
    if (v === null || typeof v !== "object") return false;
    try {
      fn(v);
      return true;
    } catch {
      return false;
    }
  };
}
const getter = (C, name) => Object.getOwnPropertyDescriptor(C.prototype, name).get;
const abByteLength = getter(ArrayBuffer, "byteLength");
const sabByteLength = typeof SharedArrayBuffer === "function" ? getter(SharedArrayBuffer, "byteLength") : null;

const types = {
  isDate: brand((v) => Date.prototype.getTime.call(v)),
  isRegExp: brand((v) => {
    if (v === RegExp.prototype) throw 0;
    getter(RegExp, "source").call(v);
  }),
  isMap: brand((v) => Map.prototype.has.call(v)),
  isSet: brand((v) => Set.prototype.has.call(v)),
  isWeakMap: brand((v) => WeakMap.prototype.has.call(v, {})),
  isWeakSet: brand((v) => WeakSet.prototype.has.call(v, {})),
  isArrayBuffer: brand((v) => abByteLength.call(v)),
  isSharedArrayBuffer: (v) => sabByteLength !== null && brand((x) => sabByteLength.call(x))(v),
  isAnyArrayBuffer: (v) => types.isArrayBuffer(v) || types.isSharedArrayBuffer(v),
  isArrayBufferView: (v) => ArrayBuffer.isView(v),
  isDataView: brand((v) => getter(DataView, "byteLength").call(v)),
  isTypedArray: (v) => typedArrayTag.call(v) !== undefined,
  isPromise: (v) => v instanceof Promise || (v !== null && typeof v === "object" && toStr(v) === "[object Promise]"),
  isAsyncFunction: (v) => typeof v === "function" && (toStr(v) === "[object AsyncFunction]" || toStr(v) === "[object AsyncGeneratorFunction]"),
  isGeneratorFunction: (v) => typeof v === "function" && (toStr(v) === "[object GeneratorFunction]" || toStr(v) === "[object AsyncGeneratorFunction]"),
  isGeneratorObject: (v) => v !== null && typeof v === "object" && (toStr(v) === "[object Generator]" || toStr(v) === "[object AsyncGenerator]"),
  isNativeError: (v) => v instanceof Error || (v !== null && typeof v === "object" && toStr(v) === "[object Error]"),
  isNumberObject: brand((v) => Number.prototype.valueOf.call(v)),
  isStringObject: brand((v) => String.prototype.valueOf.call(v)),
  isBooleanObject: brand((v) => Boolean.prototype.valueOf.call(v)),
  isBigIntObject: brand((v) => BigInt.prototype.valueOf.call(v)),
  isSymbolObject: brand((v) => Symbol.prototype.valueOf.call(v)),
  isBoxedPrimitive: (v) => types.isNumberObject(v) || types.isStringObject(v) || types.isBooleanObject(v) || types.isBigIntObject(v) || types.isSymbolObject(v),
  isMapIterator: (v) => v !== null && typeof v === "object" && toStr(v) === "[object Map Iterator]",
  isSetIterator: (v) => v !== null && typeof v === "object" && toStr(v) === "[object Set Iterator]",
  isArgumentsObject: (v) => v !== null && typeof v === "object" && toStr(v) === "[object Arguments]",
  isModuleNamespaceObject: (v) => v !== null && typeof v === "object" && Object.getPrototypeOf(v) === null && v[Symbol.toStringTag] === "Module",
  isProxy: () => false,
  isExternal: () => false,
  isKeyObject: () => false,
  isCryptoKey: (v) => typeof CryptoKey === "function" && v instanceof CryptoKey,
  isWeakRef: (v) => typeof WeakRef === "function" && v instanceof WeakRef,
};
for (const name of ["Uint8Array", "Uint8ClampedArray", "Uint16Array", "Uint32Array", "Int8Array", "Int16Array", "Int32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array"]) {
  types[`is${name}`] = (v) => typedArrayTag.call(v) === name;
}

// ---- inspect ---------------------------------------------------------------

const inspectDefaultOptions = {
  showHidden: false,
  depth: 2,
  colors: false,
  customInspect: true,
  showProxy: false,
  maxArrayLength: 100,
  maxStringLength: 10000,
  breakLength: 80,
  compact: 3,
  sorted: false,
  getters: false,
  numericSeparator: false,
};

const colors = {
  reset: [0, 0], bold: [1, 22], dim: [2, 22], italic: [3, 23], underline: [4, 24], blink: [5, 25],
  inverse: [7, 27], hidden: [8, 28], strikethrough: [9, 29], doubleunderline: [21, 24],
  black: [30, 39], red: [31, 39], green: [32, 39], yellow: [33, 39], blue: [34, 39], magenta: [35, 39],
  cyan: [36, 39], white: [37, 39], bgBlack: [40, 49], bgRed: [41, 49], bgGreen: [42, 49], bgYellow: [43, 49],
  bgBlue: [44, 49], bgMagenta: [45, 49], bgCyan: [46, 49], bgWhite: [47, 49], gray: [90, 39], grey: [90, 39],
  framed: [51, 54], overlined: [53, 55],
};
const styles = {
  special: "cyan", number: "yellow", bigint: "yellow", boolean: "yellow", undefined: "grey", null: "bold",
  string: "green", symbol: "green", date: "magenta", regexp: "red", module: "underline",
};

function stylizeWithColor(str, styleType) {
  const style = styles[styleType];
  if (style !== undefined) {
    const c = colors[style];
    if (c) return `\u001b[${c[0]}m${str}\u001b[${c[1]}m`;
  }
  return str;
}
function stylizeNoColor(str) {
  return str;
}

const ESC = [];
for (let i = 0; i < 0x20; i++) ESC[i] = "\\x" + i.toString(16).toUpperCase().padStart(2, "0");
ESC[8] = "\\b"; ESC[9] = "\\t"; ESC[10] = "\\n"; ESC[12] = "\\f"; ESC[13] = "\\r";

// Quote with ' unless that needs escaping and " or ` would not.
function strEscape(str) {
  let quote = "'";
  if (str.includes("'")) {
    if (!str.includes('"')) quote = '"';
    else if (!str.includes("`") && !str.includes("${")) quote = "`";
  }
  let out = "";
  let last = 0;
  for (let i = 0; i < str.length; i++) {
    const c = str.charCodeAt(i);
    let rep;
    if (c < 0x20) rep = ESC[c];
    else if (c === 0x7f) rep = "\\x7F";
    else if (c === 92) rep = "\\\\";
    else if (c === quote.charCodeAt(0)) rep = "\\" + quote;
    else if (c >= 0xd800 && c <= 0xdfff) {
      if (c <= 0xdbff && i + 1 < str.length) {
        const d = str.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          i++;
          continue;
        }
      }
      rep = "\\u" + c.toString(16);
    }
    if (rep !== undefined) {
      out += str.slice(last, i) + rep;
      last = i + 1;
    }
  }
  return quote + out + str.slice(last) + quote;
}

function formatNumber(fn, n, sep) {
  if (Object.is(n, -0)) return fn("-0", "number");
  if (!sep) return fn(`${n}`, "number");
  const s = String(n);
  if (!Number.isFinite(n) || s.includes("e")) return fn(s, "number");
  const [int, frac] = s.split(".");
  const sign = int.startsWith("-") ? "-" : "";
  const digits = sign ? int.slice(1) : int;
  let grouped = digits.replace(/\B(?=(\d{3})+$)/g, "_");
  let f = "";
  if (frac !== undefined) f = "." + frac.replace(/(\d{3})(?=\d)/g, "$1_");
  return fn(sign + grouped + f, "number");
}

function formatPrimitive(fn, value, ctx) {
  switch (typeof value) {
    case "string": {
      let trailer = "";
      if (value.length > ctx.maxStringLength) {
        const remaining = value.length - ctx.maxStringLength;
        value = value.slice(0, ctx.maxStringLength);
        trailer = `... ${remaining} more character${remaining > 1 ? "s" : ""}`;
      }
      if (ctx.compact !== true && value.length > 16 && value.length > ctx.breakLength - ctx.indentationLvl - 4) {
        return value.split(/(?<=\n)/).map((line) => fn(strEscape(line), "string")).join(` +\n${" ".repeat(ctx.indentationLvl + 2)}`) + trailer;
      }
      return fn(strEscape(value), "string") + trailer;
    }
    case "number": return formatNumber(fn, value, ctx.numericSeparator);
    case "bigint": return fn(`${value}n`, "bigint");
    case "boolean": return fn(`${value}`, "boolean");
    case "undefined": return fn("undefined", "undefined");
    case "symbol": return fn(symbolToString(value), "symbol");
  }
  return String(value);
}

function symbolToString(sym) {
  const d = sym.description;
  if (d === undefined) return "Symbol()";
  return `Symbol(${d})`;
}

function getConstructorName(obj) {
  let o = obj;
  while (o !== null && o !== undefined) {
    const desc = Object.getOwnPropertyDescriptor(o, "constructor");
    if (desc !== undefined && typeof desc.value === "function" && desc.value.name !== "" && isInstanceof(obj, desc.value)) {
      return desc.value.name;
    }
    o = Object.getPrototypeOf(o);
  }
  return null;
}

function isInstanceof(obj, C) {
  try {
    return obj instanceof C;
  } catch {
    return false;
  }
}

function getPrefix(constructor, tag, fallback, size = "") {
  if (constructor === null) {
    if (tag !== "" && fallback !== tag) return `[${fallback}${size}: null prototype] [${tag}] `;
    return `[${fallback}${size}: null prototype] `;
  }
  if (tag !== "" && constructor !== tag) return `${constructor}${size} [${tag}] `;
  return `${constructor}${size} `;
}

function getKeys(value, showHidden) {
  let keys;
  const symbols = Object.getOwnPropertySymbols(value);
  if (showHidden) {
    keys = Object.getOwnPropertyNames(value);
    if (symbols.length) keys.push(...symbols);
  } else {
    keys = Object.keys(value);
    for (const s of symbols) {
      if (Object.prototype.propertyIsEnumerable.call(value, s)) keys.push(s);
    }
  }
  return keys;
}

function isIndexKey(k) {
  return typeof k === "string" && /^(0|[1-9][0-9]*)$/.test(k) && Number(k) < 4294967295;
}

function fnBase(value, constructor, tag) {
  const s = Function.prototype.toString.call(value);
  if (s.startsWith("class") && /^class(\s|\{|$)/.test(s.slice(0, 6) + " ")) {
    let base = `[class ${value.name || "(anonymous)"}`;
    const sup = Object.getPrototypeOf(value);
    if (sup && sup !== Function.prototype && sup.name) base += ` extends ${sup.name}`;
    else if (s.match(/^class\s*[\w$]*\s+extends\s/)) base += sup === null ? " extends [null prototype]" : "";
    return base + "]";
  }
  let type = "Function";
  const t = toStr(value);
  if (t === "[object GeneratorFunction]") type = "GeneratorFunction";
  else if (t === "[object AsyncFunction]") type = "AsyncFunction";
  else if (t === "[object AsyncGeneratorFunction]") type = "AsyncGeneratorFunction";
  let base = `[${type}`;
  if (constructor === null) base += " (null prototype)";
  base += value.name === "" ? " (anonymous)" : `: ${value.name}`;
  base += "]";
  if (constructor !== type && constructor !== null) base += ` ${constructor}`;
  if (tag !== "" && constructor !== tag) base += ` [${tag}]`;
  return base;
}

function formatValue(ctx, value, recurseTimes, typedArray) {
  if (typeof value !== "object" && typeof value !== "function") return formatPrimitive(ctx.stylize, value, ctx);
  if (value === null) return ctx.stylize("null", "null");

  if (ctx.customInspect) {
    let maybeCustom;
    try {
      maybeCustom = value[customInspectSymbol];
    } catch {
      maybeCustom = undefined;
    }
    if (typeof maybeCustom === "function" && maybeCustom !== inspect && !(value.constructor && value.constructor.prototype === value)) {
      const depth = ctx.depth === null ? null : ctx.depth - recurseTimes;
      const opts = { ...ctx.userOptions, depth, stylize: ctx.stylize, indentationLvl: ctx.indentationLvl, seen: ctx.seen.slice() };
      const ret = maybeCustom.call(value, depth, opts, inspect);
      if (ret !== value) {
        if (typeof ret !== "string") return formatValue(ctx, ret, recurseTimes);
        return ret.replaceAll("\n", `\n${" ".repeat(ctx.indentationLvl)}`);
      }
    }
  }

  if (ctx.seen.includes(value)) {
    let index = 1;
    if (ctx.circular === undefined) {
      ctx.circular = new Map([[value, index]]);
    } else {
      index = ctx.circular.get(value);
      if (index === undefined) {
        index = ctx.circular.size + 1;
        ctx.circular.set(value, index);
      }
    }
    return ctx.stylize(`[Circular *${index}]`, "special");
  }
  return formatRaw(ctx, value, recurseTimes, typedArray);
}

const kObjectType = 0, kArrayType = 1, kArrayExtrasType = 2;

function formatRaw(ctx, value, recurseTimes, typedArray) {
  let keys;
  const constructor = getConstructorName(value);
  let tag = value[Symbol.toStringTag];
  const ownTag = ctx.showHidden ? hasOwn(value, Symbol.toStringTag) : Object.prototype.propertyIsEnumerable.call(value, Symbol.toStringTag);
  if (typeof tag !== "string" || (tag !== "" && ownTag)) {
    tag = "";
  }
  let base = "";
  let formatter = () => [];
  let braces;
  let noIterator = true;
  let extrasType = kObjectType;
  let i = 0;

  // Iterable built-ins first.
  if (Symbol.iterator in value || constructor === null) {
    noIterator = false;
    if (Array.isArray(value)) {
      const prefix = constructor !== "Array" || tag !== "" ? getPrefix(constructor, tag, "Array", `(${value.length})`) : "";
      keys = getKeys(value, ctx.showHidden).filter((k) => !isIndexKey(k));
      braces = [`${prefix}[`, "]"];
      if (value.length === 0 && keys.length === 0) return `${braces[0]}]`;
      extrasType = kArrayExtrasType;
      formatter = formatArray;
    } else if (types.isSet(value)) {
      const size = value.size;
      const prefix = getPrefix(constructor, tag, "Set", `(${size})`);
      keys = getKeys(value, ctx.showHidden);
      formatter = formatSet;
      if (size === 0 && keys.length === 0) return `${prefix}{}`;
      braces = [`${prefix}{`, "}"];
    } else if (types.isMap(value)) {
      const size = value.size;
      const prefix = getPrefix(constructor, tag, "Map", `(${size})`);
      keys = getKeys(value, ctx.showHidden);
      formatter = formatMap;
      if (size === 0 && keys.length === 0) return `${prefix}{}`;
      braces = [`${prefix}{`, "}"];
    } else if (types.isTypedArray(value)) {
      keys = getKeys(value, ctx.showHidden).filter((k) => !isIndexKey(k));
      const fallback = typedArrayTag.call(value);
      const size = value.length;
      const prefix = getPrefix(constructor, tag, fallback, `(${size})`);
      braces = [`${prefix}[`, "]"];
      if (size === 0 && keys.length === 0 && !ctx.showHidden) return `${braces[0]}]`;
      formatter = formatTypedArray;
      extrasType = kArrayExtrasType;
    } else if (types.isMapIterator(value) || types.isSetIterator(value)) {
      keys = getKeys(value, ctx.showHidden);
      braces = [`[${tag}] {`, "}"];
      formatter = () => [ctx.stylize("<items unknown>", "special")];
    } else {
      noIterator = true;
    }
  }
  if (noIterator) {
    keys = getKeys(value, ctx.showHidden);
    braces = ["{", "}"];
    if (constructor === "Object") {
      if (types.isArgumentsObject(value)) {
        braces[0] = "[Arguments] {";
      } else if (tag !== "") {
        braces[0] = `${getPrefix(constructor, tag, "Object")}{`;
      }
      if (keys.length === 0) return `${braces[0]}}`;
    } else if (typeof value === "function") {
      base = fnBase(value, constructor, tag);
      keys = keys.filter((k) => k !== "prototype" || ctx.showHidden);
      if (keys.length === 0) return ctx.stylize(base, "special");
    } else if (types.isRegExp(value)) {
      base = RegExp.prototype.toString.call(value);
      const prefix = getPrefix(constructor, tag, "RegExp");
      if (prefix !== "RegExp ") base = `${prefix}${base}`;
      keys = keys.filter((k) => k !== "lastIndex" || ctx.showHidden);
      if (keys.length === 0) return ctx.stylize(base, "regexp");
    } else if (types.isDate(value)) {
      const t = Date.prototype.getTime.call(value);
      base = Number.isNaN(t) ? "Invalid Date" : Date.prototype.toISOString.call(value);
      const prefix = getPrefix(constructor, tag, "Date");
      if (prefix !== "Date ") base = `${prefix}${base}`;
      if (keys.length === 0) return ctx.stylize(base, "date");
    } else if (types.isNativeError(value)) {
      base = formatError(value, constructor, tag, ctx, keys);
      if (keys.length === 0) return base;
    } else if (types.isAnyArrayBuffer(value)) {
      const arrayType = types.isArrayBuffer(value) ? "ArrayBuffer" : "SharedArrayBuffer";
      const prefix = getPrefix(constructor, tag, arrayType);
      if (typedArray === undefined) {
        formatter = formatArrayBuffer;
      } else if (keys.length === 0) {
        return prefix + `{ byteLength: ${formatNumber(ctx.stylize, value.byteLength, false)} }`;
      }
      braces[0] = `${prefix}{`;
      keys.unshift("byteLength");
    } else if (types.isDataView(value)) {
      braces[0] = `${getPrefix(constructor, tag, "DataView")}{`;
      keys.unshift("byteLength", "byteOffset", "buffer");
    } else if (types.isPromise(value)) {
      braces[0] = `${getPrefix(constructor, tag, "Promise")}{`;
      formatter = () => [ctx.stylize("<unknown>", "special")];
    } else if (types.isWeakSet(value)) {
      braces[0] = `${getPrefix(constructor, tag, "WeakSet")}{`;
      formatter = () => [ctx.stylize("<items unknown>", "special")];
    } else if (types.isWeakMap(value)) {
      braces[0] = `${getPrefix(constructor, tag, "WeakMap")}{`;
      formatter = () => [ctx.stylize("<items unknown>", "special")];
    } else if (types.isModuleNamespaceObject(value)) {
      braces[0] = `${getPrefix(constructor, tag, "Module")}{`;
    } else if (types.isBoxedPrimitive(value)) {
      let type, fnv;
      if (types.isNumberObject(value)) { type = "Number"; fnv = formatNumber(ctx.stylize, Number.prototype.valueOf.call(value), false); }
      else if (types.isStringObject(value)) {
        type = "String";
        const s = String.prototype.valueOf.call(value);
        fnv = formatPrimitive(ctx.stylize, s, ctx);
        keys = keys.filter((k) => !isIndexKey(k) && k !== "length");
      } else if (types.isBooleanObject(value)) { type = "Boolean"; fnv = ctx.stylize(String(Boolean.prototype.valueOf.call(value)), "boolean"); }
      else if (types.isBigIntObject(value)) { type = "BigInt"; fnv = ctx.stylize(`${BigInt.prototype.valueOf.call(value)}n`, "bigint"); }
      else { type = "Symbol"; fnv = ctx.stylize(symbolToString(Symbol.prototype.valueOf.call(value)), "symbol"); }
      base = `[${type}`;
      if (type !== constructor) base += constructor === null ? " (null prototype)" : ` (${constructor})`;
      base += `: ${fnv}]`;
      if (tag !== "" && tag !== constructor) base += ` [${tag}]`;
      if (keys.length === 0) return base;
    } else {
      if (keys.length === 0) {
        return `${getCtxName(constructor, tag, "Object")}{}`;
      }
      braces[0] = `${getCtxName(constructor, tag, "Object")}{`;
    }
  }

  if (ctx.depth !== null && recurseTimes > ctx.depth) {
    let name = getCtxName(constructor, tag, "Object").slice(0, -1);
    if (constructor !== null) name = `[${name}]`;
    return ctx.stylize(name, "special");
  }
  recurseTimes += 1;
  ctx.seen.push(value);
  ctx.currentDepth = recurseTimes;
  let output;
  try {
    output = formatter(ctx, value, recurseTimes);
    for (i = 0; i < keys.length; i++) {
      output.push(formatProperty(ctx, value, recurseTimes, keys[i], extrasType));
    }
  } finally {
    ctx.seen.pop();
  }
  if (ctx.circular !== undefined) {
    const index = ctx.circular.get(value);
    if (index !== undefined) {
      const reference = ctx.stylize(`<ref *${index}>`, "special");
      if (ctx.compact !== true) base = base === "" ? reference : `${reference} ${base}`;
      else braces[0] = `${reference} ${braces[0]}`;
    }
  }
  if (ctx.sorted) {
    const cmp = ctx.sorted === true ? undefined : ctx.sorted;
    if (extrasType === kObjectType) output.sort(cmp);
  }
  const res = reduceToSingleString(ctx, output, base, braces, extrasType, recurseTimes, value);
  const newLength = ctx.budget[ctx.indentationLvl] = (ctx.budget[ctx.indentationLvl] || 0) + res.length;
  if (newLength > 2 ** 27) ctx.depth = -1;
  return res;
}

function getCtxName(constructor, tag, fallback) {
  if (constructor === null) {
    if (tag !== "" && fallback !== tag) return `[${fallback}: null prototype] [${tag}] `;
    return `[${fallback}: null prototype] `;
  }
  if (tag !== "" && constructor !== tag) return `${constructor} [${tag}] `;
  return `${constructor} `;
}

function formatError(err, constructor, tag, ctx, keys) {
  const name = err.name != null ? String(err.name) : "Error";
  let stack;
  try {
    stack = err.stack ? String(err.stack) : Error.prototype.toString.call(err);
  } catch {
    stack = Error.prototype.toString.call(err);
  }
  // Drop name/message keys that are already visible in the stack.
  for (const k of ["name", "message", "stack"]) {
    const idx = keys.indexOf(k);
    if (idx !== -1 && typeof err[k] === "string" && stack.includes(err[k])) keys.splice(idx, 1);
  }
  if ("cause" in err && !keys.includes("cause")) keys.push("cause");
  if (Array.isArray(err.errors) && !keys.includes("errors")) keys.push("errors");
  // Show the class name when the stack hides it (e.g. a subclass).
  const len = name.length;
  if (constructor === null || (name.endsWith("Error") && stack.startsWith(name) && (stack.length === len || stack[len] === ":" || stack[len] === "\n"))) {
    if (constructor === null) {
      const m = /^([A-Z][a-z_ A-Z0-9[\]()-]+)(?::|\n\s+at)/.exec(stack) || /^([a-z_A-Z0-9-]*Error)$/.exec(stack);
      const fallback = (m && m[1]) || "";
      stack = `[${fallback}: null prototype]${stack.slice(fallback.length)}`;
    } else if (constructor !== name) {
      if (constructor.includes(name)) stack = len === 0 ? `${constructor}: ${stack}` : `${constructor}${stack.slice(len)}`;
      else stack = `${constructor} [${name}]${stack.slice(len)}`;
    }
  }
  let pos = (err.message && stack.indexOf(err.message)) || -1;
  if (pos !== -1) pos += err.message.length;
  const stackStart = stack.indexOf("\n    at", pos);
  if (stackStart === -1) stack = `[${stack}]`;
  if (ctx.indentationLvl !== 0) {
    const indentation = " ".repeat(ctx.indentationLvl);
    stack = stack.split("\n").join(`\n${indentation}`);
  }
  return stack;
}

function formatArrayBuffer(ctx, value) {
  const bytes = new Uint8Array(value);
  const max = Math.min(ctx.maxArrayLength, bytes.length);
  let str = "";
  for (let i = 0; i < max; i++) str += (i ? " " : "") + bytes[i].toString(16).padStart(2, "0");
  const rest = bytes.length - max;
  if (rest > 0) str += ` ... ${rest} more byte${rest > 1 ? "s" : ""}`;
  return [`${ctx.stylize("[Uint8Contents]", "special")}: <${str}>`];
}

function formatArrayLike(ctx, value, recurseTimes, length) {
  const output = [];
  const max = Math.min(ctx.maxArrayLength, length);
  let i = 0;
  let shown = 0;
  for (; i < length && shown < max; i++) {
    if (!hasOwn(value, i)) {
      let j = i;
      while (j < length && !hasOwn(value, j)) j++;
      const n = j - i;
      output.push(ctx.stylize(`<${n} empty item${n > 1 ? "s" : ""}>`, "undefined"));
      i = j - 1;
    } else {
      output.push(formatProperty(ctx, value, recurseTimes, i, kArrayExtrasType));
    }
    shown++;
  }
  const remaining = length - i;
  if (remaining > 0) output.push(`... ${remaining} more item${remaining > 1 ? "s" : ""}`);
  return output;
}

function formatArray(ctx, value, recurseTimes) {
  return formatArrayLike(ctx, value, recurseTimes, value.length);
}

function formatTypedArray(ctx, value, recurseTimes) {
  const length = value.length;
  const max = Math.min(ctx.maxArrayLength, length);
  const output = [];
  for (let i = 0; i < max; i++) {
    const v = value[i];
    output.push(typeof v === "bigint" ? ctx.stylize(`${v}n`, "bigint") : formatNumber(ctx.stylize, v, ctx.numericSeparator));
  }
  if (length > max) {
    const r = length - max;
    output.push(`... ${r} more item${r > 1 ? "s" : ""}`);
  }
  if (ctx.showHidden) {
    ctx.indentationLvl += 2;
    for (const key of ["BYTES_PER_ELEMENT", "length", "byteLength", "byteOffset", "buffer"]) {
      output.push(`[${key}]: ${formatValue(ctx, value[key], recurseTimes, true)}`);
    }
    ctx.indentationLvl -= 2;
  }
  return output;
}

function formatSet(ctx, value, recurseTimes) {
  const output = [];
  const max = Math.min(ctx.maxArrayLength, value.size);
  let n = 0;
  ctx.indentationLvl += 2;
  for (const v of value) {
    if (n >= max) break;
    output.push(formatValue(ctx, v, recurseTimes));
    n++;
  }
  ctx.indentationLvl -= 2;
  const rest = value.size - max;
  if (rest > 0) output.push(`... ${rest} more item${rest > 1 ? "s" : ""}`);
  return output;
}

function formatMap(ctx, value, recurseTimes) {
  const output = [];
  const max = Math.min(ctx.maxArrayLength, value.size);
  let n = 0;
  ctx.indentationLvl += 2;
  for (const [k, v] of value) {
    if (n >= max) break;
    output.push(`${formatValue(ctx, k, recurseTimes)} => ${formatValue(ctx, v, recurseTimes)}`);
    n++;
  }
  ctx.indentationLvl -= 2;
  const rest = value.size - max;
  if (rest > 0) output.push(`... ${rest} more item${rest > 1 ? "s" : ""}`);
  return output;
}

const keyIdent = /^[a-zA-Z_][a-zA-Z_0-9]*$/;

function formatProperty(ctx, value, recurseTimes, key, type) {
  let name, str;
  const desc = Object.getOwnPropertyDescriptor(value, key) || { value: value[key], enumerable: true };
  if (desc.value !== undefined) {
    ctx.indentationLvl += 2;
    str = formatValue(ctx, desc.value, recurseTimes);
    ctx.indentationLvl -= 2;
  } else if (desc.get !== undefined) {
    const label = desc.set !== undefined ? "Getter/Setter" : "Getter";
    const g = ctx.getters;
    if (g && (g === true || (g === "get" && desc.set === undefined) || (g === "set" && desc.set !== undefined))) {
      try {
        const tmp = desc.get.call(value);
        ctx.indentationLvl += 2;
        if (tmp === null || typeof tmp !== "object") str = `${ctx.stylize(`[${label}:`, "special")} ${formatValue(ctx, tmp, recurseTimes)}${ctx.stylize("]", "special")}`;
        else str = `${ctx.stylize(`[${label}]`, "special")} ${formatValue(ctx, tmp, recurseTimes)}`;
        ctx.indentationLvl -= 2;
      } catch (err) {
        str = `${ctx.stylize(`[${label}:`, "special")} <Inspection threw (${err && err.message})>${ctx.stylize("]", "special")}`;
      }
    } else {
      str = ctx.stylize(`[${label}]`, "special");
    }
  } else if (desc.set !== undefined) {
    str = ctx.stylize("[Setter]", "special");
  } else {
    str = ctx.stylize("undefined", "undefined");
  }
  if (type === kArrayExtrasType && typeof key === "number") return str;
  if (typeof key === "symbol") {
    name = `[${ctx.stylize(strEscapeSymbol(key), "symbol")}]`;
  } else if (desc.enumerable === false) {
    name = `[${keyIdent.test(key) ? key : strEscape(key)}]`;
  } else if (keyIdent.test(key)) {
    name = ctx.stylize(key, "name");
  } else {
    name = ctx.stylize(strEscape(key), "string");
  }
  return `${name}: ${str}`;
}

function strEscapeSymbol(sym) {
  const d = sym.description;
  if (d === undefined) return "Symbol()";
  return `Symbol(${d})`;
}

function isBelowBreakLength(ctx, output, start, base) {
  let total = output.length + start;
  if (total + output.length > ctx.breakLength) return false;
  for (let i = 0; i < output.length; i++) {
    total += ctx.colors ? stripVTControlCharacters(output[i]).length : output[i].length;
    if (total > ctx.breakLength) return false;
  }
  return base === "" || !base.includes("\n");
}

// Lay out many short array entries in aligned columns, as Node does.
function groupArrayElements(ctx, output, value) {
  let outputLength = output.length;
  if (ctx.maxArrayLength < output.length) outputLength--;
  const sep = 2;
  const lens = [];
  let total = 0;
  let maxLen = 0;
  for (let i = 0; i < outputLength; i++) {
    const len = ctx.colors ? stripVTControlCharacters(output[i]).length : output[i].length;
    lens.push(len);
    total += len + sep;
    if (len > maxLen) maxLen = len;
  }
  const actualMax = maxLen + sep;
  if (actualMax * 3 + ctx.indentationLvl >= ctx.breakLength || (total / actualMax <= 5 && maxLen > 6)) return output;
  const bias = Math.sqrt(actualMax - total / output.length);
  const biasedMax = Math.max(actualMax - 3 - bias, 1);
  const columns = Math.min(
    Math.round(Math.sqrt(2.5 * biasedMax * outputLength) / biasedMax),
    Math.floor((ctx.breakLength - ctx.indentationLvl) / actualMax),
    ctx.compact * 4,
    15,
  );
  if (columns <= 1) return output;
  const colWidth = [];
  for (let c = 0; c < columns; c++) {
    let w = 0;
    for (let j = c; j < output.length; j += columns) if (lens[j] > w) w = lens[j];
    colWidth.push(w + sep);
  }
  let padStart = value !== undefined;
  if (value !== undefined) {
    for (let i = 0; i < output.length; i++) {
      if (typeof value[i] !== "number" && typeof value[i] !== "bigint") {
        padStart = false;
        break;
      }
    }
  }
  const rows = [];
  for (let i = 0; i < outputLength; i += columns) {
    const end = Math.min(i + columns, outputLength);
    let line = "";
    let j = i;
    for (; j < end - 1; j++) {
      const cell = `${output[j]}, `;
      const width = colWidth[j - i] + output[j].length - lens[j];
      line += padStart ? cell.padStart(width) : cell.padEnd(width);
    }
    if (padStart) line += output[j].padStart(colWidth[j - i] + output[j].length - lens[j] - sep);
    else line += output[j];
    rows.push(line);
  }
  if (ctx.maxArrayLength < output.length) rows.push(output[outputLength]);
  return rows;
}

function reduceToSingleString(ctx, output, base, braces, extrasType, recurseTimes, value) {
  if (ctx.compact !== true) {
    if (typeof ctx.compact === "number" && ctx.compact >= 1) {
      const entries = output.length;
      if (extrasType === kArrayExtrasType && entries > 6) output = groupArrayElements(ctx, output, value);
      if (ctx.currentDepth - recurseTimes < ctx.compact && entries === output.length) {
        const start = output.length + ctx.indentationLvl + braces[0].length + base.length + 10;
        if (isBelowBreakLength(ctx, output, start, base)) {
          const joined = output.join(", ");
          if (!joined.includes("\n")) return `${base ? `${base} ` : ""}${braces[0]} ${joined} ${braces[1]}`;
        }
      }
    }
    const ind = `\n${" ".repeat(ctx.indentationLvl)}`;
    return `${base ? `${base} ` : ""}${braces[0]}${ind}  ${output.join(`,${ind}  `)}${ind}${braces[1]}`;
  }
  if (isBelowBreakLength(ctx, output, 0, base)) {
    return `${braces[0]}${base ? ` ${base}` : ""} ${output.join(", ")} ${braces[1]}`;
  }
  const ind = " ".repeat(ctx.indentationLvl);
  const ln = base === "" && braces[0].length === 1 ? " " : `${base ? ` ${base}` : ""}\n${ind}  `;
  return `${braces[0]}${ln}${output.join(`,\n${ind}  `)} ${braces[1]}`;
}

function inspect(value, opts) {
  const ctx = {
    budget: {},
    indentationLvl: 0,
    seen: [],
    currentDepth: 0,
    stylize: stylizeNoColor,
    showHidden: inspectDefaultOptions.showHidden,
    depth: inspectDefaultOptions.depth,
    colors: inspectDefaultOptions.colors,
    customInspect: inspectDefaultOptions.customInspect,
    showProxy: inspectDefaultOptions.showProxy,
    maxArrayLength: inspectDefaultOptions.maxArrayLength,
    maxStringLength: inspectDefaultOptions.maxStringLength,
    breakLength: inspectDefaultOptions.breakLength,
    compact: inspectDefaultOptions.compact,
    sorted: inspectDefaultOptions.sorted,
    getters: inspectDefaultOptions.getters,
    numericSeparator: inspectDefaultOptions.numericSeparator,
    userOptions: undefined,
  };
  if (arguments.length > 1) {
    if (arguments.length > 2) {
      if (arguments[2] !== undefined) ctx.depth = arguments[2];
      if (arguments.length > 3 && arguments[3] !== undefined) ctx.colors = arguments[3];
    }
    if (typeof opts === "boolean") {
      ctx.showHidden = opts;
    } else if (opts) {
      for (const key of Object.keys(opts)) {
        if (hasOwn(inspectDefaultOptions, key) || key === "stylize") ctx[key] = opts[key];
        else if (ctx.userOptions === undefined) ctx.userOptions = opts;
      }
      ctx.userOptions = opts;
    }
  }
  if (ctx.colors) ctx.stylize = stylizeWithColor;
  if (ctx.maxArrayLength === null) ctx.maxArrayLength = Infinity;
  if (ctx.maxStringLength === null) ctx.maxStringLength = Infinity;
  if (ctx.depth === Infinity) ctx.depth = null;
  if (ctx.userOptions === undefined) ctx.userOptions = {};
  return formatValue(ctx, value, 0);
}

inspect.custom = customInspectSymbol;
Object.defineProperty(inspect, "defaultOptions", {
  get() {
    return inspectDefaultOptions;
  },
  set(options) {
    if (options === null || typeof options !== "object") {
      throw nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "options" argument must be of type object.');
    }
    Object.assign(inspectDefaultOptions, options);
  },
});
inspect.colors = colors;
inspect.styles = styles;

// ---- format --------------------------------------------------------------

const builtInCtors = new Set(["Object", "Error", "Array", "Date", "RegExp", "Function", "Map", "Set", "Promise", "Boolean", "Number", "String", "Symbol", "BigInt", "WeakMap", "WeakSet", "ArrayBuffer", "DataView", "TypeError", "RangeError", "SyntaxError", "ReferenceError", "EvalError", "URIError", "AggregateError", "Uint8Array", "Int8Array", "Uint16Array", "Int16Array", "Uint32Array", "Int32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array", "Uint8ClampedArray"]);

function hasBuiltInToString(value) {
  if (typeof value.toString !== "function") return true;
  if (hasOwn(value, "toString")) return false;
  let p = value;
  do {
    p = Object.getPrototypeOf(p);
  } while (p !== null && !hasOwn(p, "toString"));
  if (p === null) return true;
  const desc = Object.getOwnPropertyDescriptor(p, "constructor");
  return desc !== undefined && typeof desc.value === "function" && builtInCtors.has(desc.value.name);
}

function formatWithOptionsInternal(inspectOptions, args) {
  const first = args[0];
  let a = 0;
  let str = "";
  let join = "";
  if (typeof first === "string") {
    if (args.length === 1) return first;
    let tempStr;
    let lastPos = 0;
    for (let i = 0; i < first.length - 1; i++) {
      if (first.charCodeAt(i) !== 37) continue;
      const next = first.charCodeAt(++i);
      if (a + 1 !== args.length) {
        switch (next) {
          case 115: { // s
            const arg = args[++a];
            if (typeof arg === "number") tempStr = formatNumber(stylizeNoColor, arg, false);
            else if (typeof arg === "bigint") tempStr = `${arg}n`;
            else if (typeof arg !== "object" || arg === null || !hasBuiltInToString(arg)) tempStr = String(arg);
            else tempStr = inspect(arg, { ...inspectOptions, depth: 0, colors: false, compact: 3 });
            break;
          }
          case 106: // j
            tempStr = tryStringify(args[++a]);
            break;
          case 100: { // d
            const n = args[++a];
            if (typeof n === "bigint") tempStr = `${n}n`;
            else if (typeof n === "symbol") tempStr = "NaN";
            else tempStr = formatNumber(stylizeNoColor, Number(n), false);
            break;
          }
          case 79: // O
            tempStr = inspect(args[++a], inspectOptions);
            break;
          case 111: // o
            tempStr = inspect(args[++a], { ...inspectOptions, showHidden: true, showProxy: true, depth: 4 });
            break;
          case 105: { // i
            const n = args[++a];
            if (typeof n === "bigint") tempStr = `${n}n`;
            else if (typeof n === "symbol") tempStr = "NaN";
            else tempStr = formatNumber(stylizeNoColor, Number.parseInt(n), false);
            break;
          }
          case 102: { // f
            const n = args[++a];
            if (typeof n === "symbol") tempStr = "NaN";
            else tempStr = formatNumber(stylizeNoColor, Number.parseFloat(n), false);
            break;
          }
          case 99: // c
            a += 1;
            tempStr = "";
            break;
          case 37: // %
            str += first.slice(lastPos, i);
            lastPos = i + 1;
            continue;
          default:
            continue;
        }
        if (lastPos !== i - 1) str += first.slice(lastPos, i - 1);
        str += tempStr;
        lastPos = i + 1;
      } else if (next === 37) {
        str += first.slice(lastPos, i);
        lastPos = i + 1;
      }
    }
    if (lastPos !== 0) {
      a++;
      join = " ";
      if (lastPos < first.length) str += first.slice(lastPos);
    }
  }
  while (a < args.length) {
    const v = args[a];
    str += join;
    str += typeof v !== "string" ? inspect(v, inspectOptions) : v;
    join = " ";
    a++;
  }
  return str;
}

function tryStringify(arg) {
  try {
    return JSON.stringify(arg);
  } catch (err) {
    if (err instanceof TypeError && /circular/i.test(err.message)) return "[Circular]";
    throw err;
  }
}

function format(...args) {
  return formatWithOptionsInternal(undefined, args);
}

function formatWithOptions(inspectOptions, ...args) {
  if (inspectOptions === null || typeof inspectOptions !== "object") {
    throw nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "inspectOptions" argument must be of type object.');
  }
  return formatWithOptionsInternal(inspectOptions, args);
}

// ---- deep equality (shared with node:assert) --------------------------------

function isPrim(v) {
  return v === null || (typeof v !== "object" && typeof v !== "function");
}

function deepEqual(a, b, strict, memo) {
  if (a === b) return a !== 0 || !strict || Object.is(a, b);
  if (strict) {
    if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) {
      return typeof a === "number" && typeof b === "number" && Number.isNaN(a) && Number.isNaN(b);
    }
    if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  } else {
    if (isPrim(a) || isPrim(b)) {
      if (isPrim(a) && isPrim(b)) return a == b || (Number.isNaN(a) && Number.isNaN(b)); // eslint-disable-line eqeqeq
      return false;
    }
  }
  const tag = toStr(a);
  if (tag !== toStr(b)) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (types.isDate(a)) {
    if (!types.isDate(b) || Date.prototype.getTime.call(a) !== Date.prototype.getTime.call(b)) return false;
  } else if (types.isRegExp(a)) {
    if (!types.isRegExp(b) || a.source !== b.source || a.flags !== b.flags || a.lastIndex !== b.lastIndex) return false;
  } else if (types.isNativeError(a) || a instanceof Error) {
    if (!(b instanceof Error) || a.message !== b.message || a.name !== b.name) return false;
  } else if (types.isBoxedPrimitive(a)) {
    if (!types.isBoxedPrimitive(b) || !Object.is(a.valueOf(), b.valueOf())) return false;
  } else if (ArrayBuffer.isView(a)) {
    if (!ArrayBuffer.isView(b)) return false;
    if (strict && typedArrayTag.call(a) !== typedArrayTag.call(b)) return false;
    if (a.byteLength !== b.byteLength && !(a instanceof Float32Array || a instanceof Float64Array)) return false;
    if (!strict && (a instanceof Float32Array || a instanceof Float64Array)) {
      if (a.length !== b.length) return false;
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    } else {
      const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
      const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      if (x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    }
    const ka = Object.keys(a).filter((k) => !isIndexKey(k));
    const kb = Object.keys(b).filter((k) => !isIndexKey(k));
    if (ka.length !== kb.length) return false;
    return keysEqual(a, b, ka, strict, memo);
  } else if (types.isAnyArrayBuffer(a)) {
    if (!types.isAnyArrayBuffer(b) || a.byteLength !== b.byteLength) return false;
    const x = new Uint8Array(a), y = new Uint8Array(b);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  } else if (types.isWeakMap(a) || types.isWeakSet(a) || types.isPromise(a)) {
    return false;
  } else if (typeof a === "function" || typeof b === "function") {
    return false;
  }
  if (Array.isArray(a) && a.length !== b.length) return false;

  const keysA = ownKeys(a, strict);
  const keysB = ownKeys(b, strict);
  if (keysA.length !== keysB.length) return false;
  const setB = new Set(keysB);
  for (const k of keysA) if (!setB.has(k)) return false;

  if (memo === undefined) memo = { a: new Map(), b: new Map(), pos: 0 };
  const ma = memo.a.get(a);
  if (ma !== undefined) {
    const mb = memo.b.get(b);
    if (mb !== undefined) return ma === mb;
  }
  memo.pos++;
  memo.a.set(a, memo.pos);
  memo.b.set(b, memo.pos);
  try {
    if (types.isSet(a)) {
      if (!types.isSet(b) || a.size !== b.size || !setEquiv(a, b, strict, memo)) return false;
    } else if (types.isMap(a)) {
      if (!types.isMap(b) || a.size !== b.size || !mapEquiv(a, b, strict, memo)) return false;
    }
    return keysEqual(a, b, keysA, strict, memo);
  } finally {
    memo.a.delete(a);
    memo.b.delete(b);
  }
}

function ownKeys(o, strict) {
  const keys = Object.keys(o);
  if (strict) {
    for (const s of Object.getOwnPropertySymbols(o)) {
      if (Object.prototype.propertyIsEnumerable.call(o, s)) keys.push(s);
    }
  }
  return keys;
}

function keysEqual(a, b, keys, strict, memo) {
  for (const k of keys) {
    if (!deepEqual(a[k], b[k], strict, memo)) return false;
  }
  return true;
}

function setEquiv(a, b, strict, memo) {
  const pending = [];
  for (const v of a) {
    if (!isPrim(v)) pending.push(v);
    else if (!b.has(v)) {
      if (strict) return false;
      // Loose mode: a primitive may match a loosely-equal primitive.
      let found = false;
      for (const w of b) if (isPrim(w) && deepEqual(v, w, false, memo)) { found = true; break; }
      if (!found) return false;
    }
  }
  if (pending.length === 0) return true;
  const candidates = [];
  for (const w of b) if (!isPrim(w) && !a.has(w)) candidates.push(w);
  for (const v of pending) {
    if (b.has(v)) continue;
    const idx = candidates.findIndex((w) => deepEqual(v, w, strict, memo));
    if (idx === -1) return false;
    candidates.splice(idx, 1);
  }
  return true;
}

function mapEquiv(a, b, strict, memo) {
  const pending = [];
  for (const [k, v] of a) {
    if (isPrim(k) && b.has(k)) {
      if (!deepEqual(v, b.get(k), strict, memo)) return false;
    } else if (!isPrim(k) && b.has(k) && deepEqual(v, b.get(k), strict, memo)) {
      continue;
    } else {
      pending.push([k, v]);
    }
  }
  if (pending.length === 0) return true;
  const candidates = [];
  for (const [k, v] of b) if (!a.has(k) || !isPrim(k)) candidates.push([k, v]);
  for (const [k, v] of pending) {
    const idx = candidates.findIndex(([k2, v2]) => deepEqual(k, k2, strict, memo) && deepEqual(v, v2, strict, memo));
    if (idx === -1) return false;
    candidates.splice(idx, 1);
  }
  return true;
}

function isDeepStrictEqual(a, b) {
  return deepEqual(a, b, true);
}

// ---- function helpers ---------------------------------------------------

function promisify(original) {
  if (typeof original !== "function") {
    throw nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "original" argument must be of type function.');
  }
  if (original[customPromisify]) {
    const fn = original[customPromisify];
    if (typeof fn !== "function") {
      throw nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "util.promisify.custom" argument must be of type function.');
    }
    return Object.defineProperty(fn, customPromisify, { value: fn, enumerable: false, writable: false, configurable: true });
  }
  function fn(...args) {
    return new Promise((resolve, reject) => {
      original.call(this, ...args, (err, ...values) => {
        if (err) return reject(err);
        resolve(values.length > 1 && original.__promisifyMultiple ? values : values[0]);
      });
    });
  }
  Object.setPrototypeOf(fn, Object.getPrototypeOf(original));
  Object.defineProperty(fn, customPromisify, { value: fn, enumerable: false, writable: false, configurable: true });
  return Object.defineProperties(fn, Object.getOwnPropertyDescriptors(original));
}
promisify.custom = customPromisify;

function callbackify(original) {
  if (typeof original !== "function") {
    throw nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "original" argument must be of type function.');
  }
  function callbackified(...args) {
    const cb = args.pop();
    if (typeof cb !== "function") {
      throw nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The last argument must be of type function.');
    }
    const next = (fn) => {
      const proc = globalThis.process;
      if (proc && typeof proc.nextTick === "function") proc.nextTick(fn);
      else queueMicrotask(fn);
    };
    Promise.resolve(original.apply(this, args)).then(
      (ret) => next(() => cb(null, ret)),
      (rej) => {
        if (!rej) {
          const err = nodeError(Error, "ERR_FALSY_VALUE_REJECTION", "Promise was rejected with falsy value");
          err.reason = rej;
          rej = err;
        }
        next(() => cb(rej));
      },
    );
  }
  Object.defineProperty(callbackified, "name", { value: `${original.name}Callbackified` });
  Object.defineProperty(callbackified, "length", { value: original.length + 1 });
  return callbackified;
}

const warnedCodes = new Set();
function deprecate(fn, msg, code) {
  if (typeof fn !== "function") {
    throw nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "fn" argument must be of type function.');
  }
  const proc = globalThis.process;
  if (proc && proc.noDeprecation === true) return fn;
  let warned = false;
  function deprecated(...args) {
    if (!warned && !(code !== undefined && warnedCodes.has(code))) {
      warned = true;
      if (code !== undefined) warnedCodes.add(code);
      const p = globalThis.process;
      if (p && typeof p.emitWarning === "function") p.emitWarning(msg, "DeprecationWarning", code);
      else console.warn(`${code ? `[${code}] ` : ""}DeprecationWarning: ${msg}`);
    }
    if (new.target) return Reflect.construct(fn, args, new.target);
    return fn.apply(this, args);
  }
  Object.setPrototypeOf(deprecated, fn);
  if (fn.prototype) deprecated.prototype = fn.prototype;
  return deprecated;
}

function inherits(ctor, superCtor) {
  if (ctor === undefined || ctor === null) throw nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "ctor" argument must be of type function.');
  if (superCtor === undefined || superCtor === null) throw nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "superCtor" argument must be of type function.');
  if (superCtor.prototype === undefined) throw nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "superCtor.prototype" property must be of type object.');
  Object.defineProperty(ctor, "super_", { value: superCtor, writable: true, configurable: true });
  Object.setPrototypeOf(ctor.prototype, superCtor.prototype);
}

function debuglog(section, cb) {
  const env = (globalThis.process && globalThis.process.env && globalThis.process.env.NODE_DEBUG) || "";
  const enabled = env.split(/[\s,]+/).some((s) => s !== "" && new RegExp(`^${s.replace(/[|\\{}()[\]^$+?.]/g, "\\$&").replace(/\*/g, ".*")}$`, "i").test(section));
  const logger = enabled
    ? (...args) => console.error(`${String(section).toUpperCase()} ${globalThis.process ? globalThis.process.pid || 0 : 0}: ${format(...args)}`)
    : () => {};
  logger.enabled = enabled;
  if (typeof cb === "function") cb(logger);
  return logger;
}

function stripVTControlCharacters(str) {
  if (typeof str !== "string") throw nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "str" argument must be of type string.');
  // eslint-disable-next-line no-control-regex
  return str.replace(/[\u001B\u009B][[\]()#;?]*(?:(?:(?:(?:;[-a-zA-Z\d/#&.:=?%@~_]+)*|[a-zA-Z\d]+(?:;[-a-zA-Z\d/#&.:=?%@~_]*)*)?\u0007)|(?:(?:\d{1,4}(?:;\d{0,4})*)?[\dA-PR-TZcf-ntqry=><~]))/g, "");
}

function toUSVString(str) {
  return String(str).replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
}

function styleText(format, text) {
  const fmts = Array.isArray(format) ? format : [format];
  let out = String(text);
  for (const f of fmts) {
    const c = colors[f];
    if (!c) throw nodeError(TypeError, "ERR_INVALID_ARG_VALUE", `The argument 'format' must be one of: ${Object.keys(colors).join(", ")}. Received '${f}'`);
    out = `\u001b[${c[0]}m${out}\u001b[${c[1]}m`;
  }
  return out;
}

function getSystemErrorName(code) {
  return `Unknown system error ${code}`;
}

function aborted(signal, resource) {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

// Small subset of parseArgs: long/short options, booleans and strings, positionals.
function parseArgs(config = {}) {
  const args = config.args ?? (globalThis.process && Array.isArray(globalThis.process.argv) ? globalThis.process.argv.slice(2) : []);
  const options = config.options ?? {};
  const strict = config.strict ?? true;
  const allowPositionals = config.allowPositionals ?? !strict;
  const values = Object.create(null);
  const positionals = [];
  const shortMap = {};
  for (const [name, o] of Object.entries(options)) if (o.short) shortMap[o.short] = name;
  const store = (name, value) => {
    const o = options[name];
    if (!o) {
      if (strict) throw nodeError(TypeError, "ERR_PARSE_ARGS_UNKNOWN_OPTION", `Unknown option '${name.length === 1 ? "-" : "--"}${name}'`);
      values[name] = value === undefined ? true : value;
      return;
    }
    if (o.type === "string" && value === undefined) throw nodeError(TypeError, "ERR_PARSE_ARGS_INVALID_OPTION_VALUE", `Option '--${name}' argument missing`);
    if (o.type === "boolean" && value !== undefined && strict) throw nodeError(TypeError, "ERR_PARSE_ARGS_INVALID_OPTION_VALUE", `Option '--${name}' does not take an argument`);
    const v = o.type === "boolean" ? true : value;
    if (o.multiple) (values[name] ||= []).push(v);
    else values[name] = v;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      let value = eq === -1 ? undefined : arg.slice(eq + 1);
      if (value === undefined && options[name] && options[name].type === "string" && i + 1 < args.length) value = args[++i];
      store(name, value);
    } else if (arg.startsWith("-") && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const name = shortMap[arg[j]] ?? arg[j];
        if (options[name] && options[name].type === "string") {
          const rest = arg.slice(j + 1);
          store(name, rest !== "" ? rest : args[++i]);
          break;
        }
        store(name, undefined);
      }
    } else {
      if (!allowPositionals) throw nodeError(TypeError, "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL", `Unexpected argument '${arg}'. This command does not take positional arguments`);
      positionals.push(arg);
    }
  }
  for (const [name, o] of Object.entries(options)) {
    if (o.default !== undefined && values[name] === undefined) values[name] = o.default;
  }
  return { values, positionals };
}

// Legacy helpers.
const isArray = Array.isArray;
const isBoolean = (v) => typeof v === "boolean";
const isNull = (v) => v === null;
const isNullOrUndefined = (v) => v === null || v === undefined;
const isNumber = (v) => typeof v === "number";
const isString = (v) => typeof v === "string";
const isSymbol = (v) => typeof v === "symbol";
const isUndefined = (v) => v === undefined;
const isRegExp = types.isRegExp;
const isObject = (v) => v !== null && typeof v === "object";
const isDate = types.isDate;
const isError = (v) => types.isNativeError(v) || v instanceof Error;
const isFunction = (v) => typeof v === "function";
const isPrimitive = (v) => v === null || (typeof v !== "object" && typeof v !== "function");
const isBuffer = (v) => v instanceof Uint8Array && typeof v.readUInt8 === "function";

function _extend(target, source) {
  if (source === null || typeof source !== "object") return target;
  for (const k of Object.keys(source)) target[k] = source[k];
  return target;
}

function log(...args) {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  console.log(`${d.getDate()} ${months[d.getMonth()]} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} - ${format(...args)}`);
}

const TextEncoder = globalThis.TextEncoder;
const TextDecoder = globalThis.TextDecoder;
const debug = debuglog;

const util = {
  inspect, format, formatWithOptions, promisify, callbackify, deprecate, inherits, isDeepStrictEqual,
  types, TextEncoder, TextDecoder, debuglog, debug, stripVTControlCharacters, toUSVString, styleText,
  getSystemErrorName, aborted, parseArgs, isArray, isBoolean, isNull, isNullOrUndefined, isNumber,
  isString, isSymbol, isUndefined, isRegExp, isObject, isDate, isError, isFunction, isPrimitive, isBuffer,
  _extend, log,
};
// Loose deep equality for node:assert, kept off the public names.
Object.defineProperty(util, Symbol.for("buntime.util.deepEqual"), { value: deepEqual, enumerable: false });

export {
  inspect, format, formatWithOptions, promisify, callbackify, deprecate, inherits, isDeepStrictEqual,
  types, TextEncoder, TextDecoder, debuglog, debug, stripVTControlCharacters, toUSVString, styleText,
  getSystemErrorName, aborted, parseArgs, isArray, isBoolean, isNull, isNullOrUndefined, isNumber,
  isString, isSymbol, isUndefined, isRegExp, isObject, isDate, isError, isFunction, isPrimitive, isBuffer,
  _extend, log,
};
export default util;
