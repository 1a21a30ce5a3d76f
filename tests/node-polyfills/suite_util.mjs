import util, * as named from "node:util";

class Foo { constructor() { this.a = 1; this["b-c"] = "x"; } }
class Empty {}
class Bar extends Foo { get g() { return 1; } }
class ValidationError extends Error {}
class Weird extends Error { constructor(m) { super(m); this.name = "Custom"; } }

function values() {
  const circ = { name: "c" };
  circ.self = circ;
  const circ2 = { a: { b: {} } };
  circ2.a.b.c = circ2.a;
  const arrC = [1];
  arrC.push(arrC);
  const nullProto = Object.create(null);
  nullProto.x = 1;
  const withGetter = { get a() { return 1; }, set b(v) {}, get c() { return 2; }, set c(v) {} };
  const sparse = [1, , , 4];
  sparse[10] = 5;
  const arrExtra = [1, 2];
  arrExtra.foo = "bar";
  const sym = Symbol("s");
  const tagged = { [Symbol.toStringTag]: "Tagged", a: 1 };
  class Tagged2 { get [Symbol.toStringTag]() { return "T2"; } }
  const errProps = new Error("with props");
  errProps.code = "E_CODE";
  const errNoStack = new Error("nostack");
  errNoStack.stack = "";
  const errCause = new Error("outer", { cause: new Error("inner") });
  const fnProps = function named() {};
  fnProps.extra = 1;
  const custom = { [Symbol.for("nodejs.util.inspect.custom")](depth, opts) { return `CUSTOM(${depth})`; } };
  const customObj = { inner: { [Symbol.for("nodejs.util.inspect.custom")]() { return { replaced: true }; } } };
  const longArr = Array.from({ length: 120 }, (_, i) => i);
  const strArr = ["apple", "banana", "cherry", "date", "elderberry", "fig", "grape", "honeydew"];
  const mixed = [1, "two", { three: 3 }, [4], null, undefined, true, 8n];
  return [
    1, -0, 0, 1.5, NaN, Infinity, -Infinity, 123456789, 10n, -5n, true, false, null, undefined,
    "str", "it's", "say \"hi\" it's", "all ' \" ` three", "new\nline", "tab\t", "\u0000\u0007\u001b\u007f", "back\\slash", "\ud800 lone", "emoji \u{1F600}",
    Symbol("desc"), Symbol(), Symbol.iterator,
    [], [1, 2, 3], [1, 2, 3, 4, 5, 6, 7], longArr, strArr, mixed, sparse, arrExtra, [[1, [2, [3, [4, [5]]]]]],
    {}, { a: 1 }, { a: { b: { c: { d: { e: 1 } } } } }, { "a-b": 1, "0": 2, valid_id: 3, $dollar: 4, [sym]: 5 },
    { s: "nested 'string'", n: null, u: undefined, f() {}, arrow: () => {}, af: async () => {}, gen: function* () {} },
    new Foo(), new Empty(), new Bar(), nullProto, withGetter, tagged, new Tagged2(),
    circ, circ2, arrC,
    new Map(), new Map([["a", 1], [{ k: 1 }, [1, 2]]]), new Set(), new Set([1, "a", { b: 2 }]), new WeakMap(), new WeakSet(),
    new Date(0), new Date(NaN), /ab+c/gi, new RegExp("a/b"),
    function foo() {}, function () {}, () => {}, class A {}, class B extends Foo {}, async function af() {}, function* gf() {}, async function* agf() {}, fnProps, Math.max,
    new Uint8Array([1, 2, 3]), new Float64Array([1.5, -0]), new BigInt64Array([1n]), new Uint8Array(0), new Int16Array(200), new ArrayBuffer(4), new DataView(new ArrayBuffer(2)),
    new Number(3), new String("boxed"), new Boolean(false), Object(Symbol("bx")), Object(7n),
    custom, customObj,
    Object.assign(Object.create({ inherited: 1 }), { own: 2 }),
    { longString: "x".repeat(200) }, "y".repeat(20000),
    { a: "a".repeat(60), b: "b".repeat(60), c: 1 },
    { arr: [{ a: 1, b: 2 }, { a: 3, b: 4 }], map: new Map([[1, { deep: { deeper: { deepest: 1 } } }]]) },
    new Error("plain"), new TypeError("typed"), new ValidationError("valid"), new Weird("weird"), errProps, errNoStack, errCause,
    { err: new RangeError("nested") },
    [new Error("in array")],
    (function () { return arguments; })(1, 2),
    Object.create(Array.prototype),
    [undefined, null, -0, 0n],
    { "": 1, " ": 2, "\n": 3 },
    Array.from({ length: 30 }, (_, i) => "item" + i),
    Array.from({ length: 26 }, (_, i) => i * 1000),
    [1.25, 100, -3, 4000000, 5, 6, 7, 8, 9, 10],
  ];
}

export default async function (t) {
  const real = t.real("util");
  t.ok(util.inspect === named.inspect, "default export is util object");
  const mine = values();
  const theirs = mine;
  for (let i = 0; i < mine.length; i++) {
    const label = `inspect #${i} ${real.inspect(theirs[i]).slice(0, 40).replace(/\n/g, " ")}`;
    if (i === mine.indexOf(mine.find((v) => v instanceof Promise))) continue;
    t.eq(util.inspect(mine[i]), real.inspect(theirs[i]), label);
  }
  const opts = [
    { depth: 0 }, { depth: 1 }, { depth: Infinity }, { depth: null }, { compact: false }, { compact: 1 }, { compact: true },
    { breakLength: 40 }, { breakLength: Infinity }, { sorted: true }, { maxArrayLength: 2 }, { maxStringLength: 4 },
    { getters: true }, { showHidden: true }, { colors: true }, { numericSeparator: true },
  ];
  const sample = () => ({
    num: 1234567.891, arr: [1, 2, 3, [4, [5, [6]]]], str: "abcdefghijkl", nested: { a: { b: { c: { d: 1 } } } },
    map: new Map([["k", new Set([1, 2])]]), get g() { return 42; }, zed: true, alpha: null,
  });
  for (const o of opts) {
    if (o.showHidden) {
      t.eq(util.inspect([1, 2], o), real.inspect([1, 2], o), `inspect opts ${JSON.stringify(o)}`);
      t.eq(util.inspect({ a: 1 }, o), real.inspect({ a: 1 }, o), `inspect opts ${JSON.stringify(o)} obj`);
      continue;
    }
    t.eq(util.inspect(sample(), o), real.inspect(sample(), o), `inspect opts ${JSON.stringify(o)}`);
  }
  t.eq(util.inspect({ a: { b: { c: {} } } }, false, 0), real.inspect({ a: { b: { c: {} } } }, false, 0), "legacy args depth");
  t.eq(util.inspect("str", { colors: true }), real.inspect("str", { colors: true }), "colored string");
  t.ok(util.inspect.custom === Symbol.for("nodejs.util.inspect.custom"), "inspect.custom symbol");
  t.ok(typeof util.inspect.defaultOptions === "object" && util.inspect.defaultOptions.depth === 2, "defaultOptions");
  {
    let seenOpts;
    const o = { [util.inspect.custom](depth, options, insp) { seenOpts = [depth, typeof options.stylize, insp === util.inspect]; return "x"; } };
    util.inspect({ o });
    t.eq(seenOpts, [1, "function", true], "custom inspect receives depth/options/inspect");
  }

  // format
  const fmtCases = [
    ["%s", "a"], ["%s", 1], ["%s", -0], ["%s", 5n], ["%s", null], ["%s", undefined], ["%s", Symbol("q")], ["%s", { a: { b: { c: 1 } } }], ["%s", [1, [2, [3]]]],
    ["%s", new Error("fmt")], ["%s", { toString() { return "custom"; } }], ["%s", new Foo()], ["%s", new Date(0)],
    ["%d", "42"], ["%d", 4.5], ["%d", "x"], ["%d", 7n], ["%d", {}], ["%d", -0], ["%i", "42.9"], ["%i", 3n], ["%f", "1.5e3"], ["%f", "abc"],
    ["%j", { a: [1, "2"] }], ["%j", undefined], ["%o", { a: 1 }], ["%O", { a: { b: { c: { d: 1 } } } }], ["%c", "color: red"], ["100%%"], ["%%s", 1], ["%s%s", "a"], ["%x", 1], ["%", 1],
    ["a", "b", 3, { c: 1 }], [1, 2, "three"], [{ a: 1 }, "str"], ["%s:%d", "x", 5, "extra", { e: 1 }], [], ["%s"], ["no args"], ["trailing %"], ["%s %s", "only one"],
    [Symbol("lead"), "x"], [null], [undefined, undefined], ["%d%%", 50], ["%O", "str"], ["%s", "%s"],
  ];
  for (const args of fmtCases) {
    t.eq(util.format(...args), real.format(...args), `format ${real.inspect(args)}`);
  }
  {
    const c = {};
    c.c = c;
    t.eq(util.format("%j", c), real.format("%j", c), "format %j circular");
  }
  t.eq(util.formatWithOptions({ colors: true }, "%O", { a: 1 }), real.formatWithOptions({ colors: true }, "%O", { a: 1 }), "formatWithOptions");

  // promisify / callbackify
  {
    const cbFn = (a, b, cb) => setTimeout(() => (a < 0 ? cb(new Error("neg")) : cb(null, a + b)), 1);
    const p = util.promisify(cbFn);
    t.eq(await p(1, 2), 3, "promisify resolves");
    await t.rejects(p(-1, 2), "promisify rejects");
    const special = () => {};
    special[util.promisify.custom] = () => Promise.resolve("custom");
    t.eq(await util.promisify(special)(), "custom", "promisify.custom honoured");
    t.ok(util.promisify.custom === real.promisify.custom, "promisify.custom is the shared symbol");
    const obj = { v: 5, m(cb) { cb(null, this.v); } };
    obj.pm = util.promisify(obj.m);
    t.eq(await obj.pm(), 5, "promisify keeps this");
    t.throws(() => util.promisify(5), (e) => e.code === "ERR_INVALID_ARG_TYPE", "promisify non-function");
    const cbified = util.callbackify(async (x) => x * 2);
    const r = await new Promise((res) => cbified(21, (err, v) => res([err, v])));
    t.eq(r, [null, 42], "callbackify success");
    const cbFail = util.callbackify(async () => { throw new Error("nope"); });
    const r2 = await new Promise((res) => cbFail((err) => res(err.message)));
    t.eq(r2, "nope", "callbackify failure");
    const cbNull = util.callbackify(() => Promise.reject(null));
    const r3 = await new Promise((res) => cbNull((err) => res(err.code)));
    t.eq(r3, "ERR_FALSY_VALUE_REJECTION", "callbackify falsy rejection");
  }
  // deprecate
  {
    const warns = [];
    const orig = process.emitWarning;
    process.emitWarning = (...a) => warns.push(a[0]);
    const d = util.deprecate((x) => x + 1, "old api", "DEP_TEST");
    t.eq([d(1), d(2)], [2, 3], "deprecate passes through");
    process.emitWarning = orig;
    t.eq(warns, ["old api"], "deprecate warns once");
  }
  // inherits
  {
    function A() {}
    A.prototype.hi = () => "hi";
    function B() { A.call(this); }
    util.inherits(B, A);
    t.ok(new B().hi() === "hi" && B.super_ === A && new B() instanceof A, "inherits");
  }
  // isDeepStrictEqual
  const deepCases = () => {
    const c1 = { a: 1 }; c1.self = c1;
    const c2 = { a: 1 }; c2.self = c2;
    return [
      [1, 1], [1, "1"], [0, -0], [NaN, NaN], [{ a: 1 }, { a: 1 }], [{ a: 1 }, { a: 2 }], [{ a: 1 }, { a: 1, b: undefined }],
      [[1, 2], [1, 2]], [[1, 2], [2, 1]], [[1, , 3], [1, undefined, 3]], [new Date(1), new Date(1)], [new Date(1), new Date(2)],
      [/a/g, /a/g], [/a/g, /a/i], [new Map([[1, { a: 1 }]]), new Map([[1, { a: 1 }]])], [new Map([[{ k: 1 }, 1]]), new Map([[{ k: 1 }, 1]])],
      [new Set([1, { a: 1 }]), new Set([{ a: 1 }, 1])], [new Set([1]), new Set(["1"])], [new Uint8Array([1]), new Uint8Array([1])],
      [new Uint8Array([1]), new Int8Array([1])], [Buffer.from("a"), new Uint8Array([97])], [c1, c2], [new Error("x"), new Error("x")], [new Error("x"), new TypeError("x")],
      [{ [Symbol.for("s")]: 1 }, { [Symbol.for("s")]: 2 }], [Object.create(null), {}], [new Number(1), new Number(1)], [new Number(1), new Number(2)],
      [[], {}], [new Foo(), { a: 1, "b-c": "x" }], [null, undefined], [new Float64Array([0]), new Float64Array([-0])],
    ];
  };
  const dm = deepCases(), dr = deepCases();
  for (let i = 0; i < dm.length; i++) {
    t.eq(util.isDeepStrictEqual(dm[i][0], dm[i][1]), real.isDeepStrictEqual(dr[i][0], dr[i][1]), `isDeepStrictEqual #${i} ${real.inspect(dr[i], { breakLength: Infinity }).slice(0, 60)}`);
  }
  // types
  const typeVals = () => [
    Promise.resolve(), new Date(), /x/, new Map(), new Set(), new WeakMap(), new WeakSet(), new Uint8Array(1), new Float32Array(1), new ArrayBuffer(1),
    new DataView(new ArrayBuffer(1)), async () => {}, function* () {}, async function* () {}, new Error(), new TypeError(), new Number(1), new String(""),
    Object(Symbol()), Object(1n), new Boolean(true), new Map().keys(), new Set().values(), (function () { return arguments; })(), {}, [], null, 1, "s",
    { __proto__: Date.prototype }, Buffer.alloc(1), new SharedArrayBuffer(1), (function* () {})(),
  ];
  const tm = typeVals(), tr = typeVals();
  for (const name of Object.keys(real.types)) {
    if (!(name in util.types)) { t.ok(false, `types.${name} missing`); continue; }
    if (name === "isProxy" || name === "isExternal" || name === "isKeyObject" || name === "isCryptoKey") continue;
    t.eq(tm.map((v) => util.types[name](v)), tr.map((v) => real.types[name](v)), `types.${name}`);
  }
  // misc helpers
  const dbg = util.debuglog("buntime_test_section");
  t.ok(typeof dbg === "function" && dbg.enabled === false, "debuglog disabled no-op");
  t.eq(util.stripVTControlCharacters("\u001b[31mred\u001b[39m"), "red", "stripVTControlCharacters");
  t.eq(util.toUSVString("a\ud800b"), "a\ufffdb", "toUSVString");
  t.ok(util.TextEncoder === TextEncoder && util.TextDecoder === TextDecoder, "TextEncoder/TextDecoder");
  t.eq([util.isArray([]), util.isString("s"), util.isNullOrUndefined(null), util.isPrimitive({}), util.isFunction(() => {})], [true, true, true, false, true], "legacy helpers");
  t.eq(util.parseArgs({ args: ["-f", "--bar", "b", "pos"], options: { foo: { type: "boolean", short: "f" }, bar: { type: "string" } }, allowPositionals: true }),
    real.parseArgs({ args: ["-f", "--bar", "b", "pos"], options: { foo: { type: "boolean", short: "f" }, bar: { type: "string" } }, allowPositionals: true }), "parseArgs");
}
