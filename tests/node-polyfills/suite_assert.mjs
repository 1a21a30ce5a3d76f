import assert, * as named from "node:assert";
import strictDefault from "node:assert/strict";

function outcome(fn) {
  try {
    fn();
    return "pass";
  } catch (e) {
    return { name: e.name, code: e.code, operator: e.operator, generated: e.generatedMessage, isAssertion: e.constructor && e.constructor.name === "AssertionError" };
  }
}

export default async function (t) {
  const real = t.real("assert");
  t.ok(typeof assert === "function" && assert.strict && assert.strict.strict === assert.strict, "assert callable with strict");
  t.ok(strictDefault === assert.strict && named.strictEqual === assert.strictEqual, "assert/strict and named exports");
  const c1 = { a: 1 }; c1.self = c1;
  const c2 = { a: 1 }; c2.self = c2;
  const cases = [
    ["ok", [true]], ["ok", [0]], ["ok", ["", "custom msg"]], ["ok", []], ["ok", [1]],
    ["equal", [1, "1"]], ["equal", [1, 2]], ["equal", [NaN, NaN]], ["equal", [null, undefined]], ["equal", [{}, {}]],
    ["notEqual", [1, "1"]], ["notEqual", [1, 2]],
    ["strictEqual", [1, 1]], ["strictEqual", [1, "1"]], ["strictEqual", [NaN, NaN]], ["strictEqual", [0, -0]], ["strictEqual", [{}, {}]], ["strictEqual", ["a", "b", "message"]],
    ["notStrictEqual", [1, 1]], ["notStrictEqual", [1, 2]],
    ["deepEqual", [{ a: 1 }, { a: "1" }]], ["deepEqual", [{ a: [1, 2] }, { a: [1, 2] }]], ["deepEqual", [{ a: 1 }, { a: 2 }]], ["deepEqual", [new Date(0), new Date(0)]], ["deepEqual", [[1], ["1"]]],
    ["deepStrictEqual", [{ a: 1 }, { a: "1" }]], ["deepStrictEqual", [{ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }]], ["deepStrictEqual", [c1, c2]], ["deepStrictEqual", [new Map([[1, 2]]), new Map([[1, 2]])]],
    ["deepStrictEqual", [new Set([1]), new Set([2])]], ["deepStrictEqual", [[1, 2], [1, 2, 3]]], ["deepStrictEqual", [Buffer.from("a"), Buffer.from("a")]], ["deepStrictEqual", [/a/g, /a/g]],
    ["deepStrictEqual", [new Error("x"), new Error("y")]], ["deepStrictEqual", [Object.create(null), {}]], ["deepStrictEqual", [-0, 0]], ["deepStrictEqual", [NaN, NaN]],
    ["notDeepStrictEqual", [{ a: 1 }, { a: 1 }]], ["notDeepStrictEqual", [{ a: 1 }, { a: 2 }]], ["notDeepEqual", [{ a: 1 }, { a: "1" }]], ["notDeepEqual", [1, 2]],
    ["match", ["abc", /b/]], ["match", ["abc", /x/]], ["match", [123, /1/]], ["doesNotMatch", ["abc", /x/]], ["doesNotMatch", ["abc", /b/]],
    ["ifError", [null]], ["ifError", [undefined]], ["ifError", [new Error("e")]], ["ifError", ["str"]],
    ["fail", []], ["fail", ["boom"]], ["fail", [1, 2, undefined, ">"]],
  ];
  // Node warns about fail() with several arguments; keep the output quiet.
  const prevNoDep = process.noDeprecation;
  process.noDeprecation = true;
  for (const [name, args] of cases) {
    t.eq(outcome(() => assert[name](...args)), outcome(() => real[name](...args)), `assert.${name}(${t.real("util").inspect(args, { breakLength: Infinity })})`);
  }
  process.noDeprecation = prevNoDep;
  for (const [name, args] of [["equal", [1, "1"]], ["deepEqual", [{ a: 1 }, { a: "1" }]], ["notEqual", [1, "1"]]]) {
    t.eq(outcome(() => assert.strict[name](...args)), outcome(() => real.strict[name](...args)), `assert.strict.${name}`);
  }
  t.eq(outcome(() => assert(false)), outcome(() => real(false)), "assert(false)");
  t.eq(outcome(() => assert(true)), "pass", "assert(true)");
  {
    const custom = new TypeError("mine");
    try { assert.strictEqual(1, 2, custom); t.ok(false, "error message thrown"); } catch (e) { t.ok(e === custom, "Error as message is thrown"); }
  }
  const thrower = () => { const e = new TypeError("bad thing"); e.code = "E_BAD"; throw e; };
  const throwCases = [
    [thrower], [thrower, TypeError], [thrower, RangeError], [thrower, /bad/], [thrower, /good/], [thrower, { code: "E_BAD" }], [thrower, { code: "E_GOOD" }],
    [thrower, { message: /bad/, name: "TypeError" }], [thrower, (e) => e instanceof TypeError], [thrower, () => false], [() => {}], [() => {}, TypeError], [() => {}, "msg"], [thrower, Error],
    [thrower, new TypeError("bad thing")],
  ];
  for (const args of throwCases) {
    t.eq(outcome(() => assert.throws(...args)), outcome(() => real.throws(...args)), `throws(${args.map((a) => (typeof a === "function" ? a.name || "fn" : String(a))).join(", ")})`);
  }
  t.eq(outcome(() => assert.doesNotThrow(() => {})), "pass", "doesNotThrow pass");
  t.eq(outcome(() => assert.doesNotThrow(thrower)), outcome(() => real.doesNotThrow(thrower)), "doesNotThrow fail");
  t.eq(outcome(() => assert.doesNotThrow(thrower, RangeError)), outcome(() => real.doesNotThrow(thrower, RangeError)), "doesNotThrow other type rethrows");
  const aout = async (p) => { try { await p; return "pass"; } catch (e) { return { name: e.name, code: e.code, operator: e.operator }; } };
  t.eq(await aout(assert.rejects(Promise.reject(new Error("x")))), await aout(real.rejects(Promise.reject(new Error("x")))), "rejects pass");
  t.eq(await aout(assert.rejects(Promise.resolve(1))), await aout(real.rejects(Promise.resolve(1))), "rejects missing");
  t.eq(await aout(assert.rejects(async () => { throw new TypeError("t"); }, TypeError)), "pass", "rejects fn with class");
  t.eq(await aout(assert.rejects(async () => { throw new TypeError("t"); }, { message: "u" })), await aout(real.rejects(async () => { throw new TypeError("t"); }, { message: "u" })), "rejects object mismatch");
  t.eq(await aout(assert.doesNotReject(Promise.reject(new Error("x")))), await aout(real.doesNotReject(Promise.reject(new Error("x")))), "doesNotReject fail");
  t.eq(await aout(assert.rejects(5)), await aout(real.rejects(5)), "rejects bad arg");
  {
    const e = new assert.AssertionError({ actual: 1, expected: 2, operator: "strictEqual" });
    const r = new real.AssertionError({ actual: 1, expected: 2, operator: "strictEqual" });
    t.eq([e.name, e.code, e.actual, e.expected, e.operator, e.generatedMessage, e instanceof Error], [r.name, r.code, r.actual, r.expected, r.operator, r.generatedMessage, r instanceof Error], "AssertionError fields");
    t.ok(e.message.includes("1") && e.message.includes("2"), "AssertionError message mentions values");
    const m = new assert.AssertionError({ message: "custom" });
    t.eq([m.message, m.generatedMessage], ["custom", false], "AssertionError custom message");
  }
}
