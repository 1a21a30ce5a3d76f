// Differential checks for Buntime's Node polyfills (runtime-js/node/*.js):
// each suite calls the polyfill and Node's real module on the same inputs.
// Run from the repo root: node tests/node-polyfills/check.mjs
import { register, createRequire } from "node:module";
import { readdirSync, readFileSync } from "node:fs";

register("./hooks.mjs", import.meta.url);
const realRequire = createRequire(import.meta.url);
const realUtil = realRequire("util");

let passed = 0;
const failures = [];

function norm(v, seen = new Set()) {
  if (v instanceof Error) return { error: v.name, code: v.code };
  if (v instanceof Uint8Array) return { u8: Array.from(v) };
  if (Array.isArray(v)) return v.map((x) => norm(x, seen));
  if (v && typeof v === "object" && !seen.has(v)) {
    const proto = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null) {
      seen.add(v);
      const o = {};
      for (const k of Object.keys(v)) o[k] = norm(v[k], seen);
      return o;
    }
  }
  return v;
}

function show(v) {
  return realUtil.inspect(v, { depth: 4, breakLength: Infinity }).slice(0, 300);
}

const t = {
  section: "",
  ok(cond, label) {
    if (cond) passed++;
    else failures.push(`${t.section}: ${label}`);
  },
  eq(actual, expected, label) {
    if (realUtil.isDeepStrictEqual(norm(actual), norm(expected))) passed++;
    else failures.push(`${t.section}: ${label}\n    got:      ${show(actual)}\n    expected: ${show(expected)}`);
  },
  // Run fn against both module objects; results (or thrown errors) must agree.
  same(label, mine, real, fn) {
    const run = (m) => {
      try {
        return { value: fn(m) };
      } catch (e) {
        return { threw: e instanceof Error ? { name: e.name, code: e.code } : e };
      }
    };
    t.eq(run(mine), run(real), label);
  },
  throws(fn, check, label) {
    try {
      fn();
    } catch (e) {
      if (typeof check === "function") return t.ok(check(e), `${label} (wrong error: ${e && e.name} ${e && e.code} ${e && e.message})`);
      return t.ok(true, label);
    }
    t.ok(false, `${label} (did not throw)`);
  },
  async rejects(p, label) {
    try {
      await p;
      t.ok(false, `${label} (did not reject)`);
    } catch {
      t.ok(true, label);
    }
  },
  real: realRequire,
};

// Every polyfill source must be 7-bit ASCII (the snapshot builder rejects others).
const dir = new URL("../../runtime-js/node/", import.meta.url);
t.section = "ascii";
const files = readdirSync(dir).filter((f) => f.endsWith(".js"));
t.ok(files.length >= 12, `expected at least 12 polyfill files, found ${files.length}`);
for (const f of files) {
  const bytes = readFileSync(new URL(f, dir));
  const bad = bytes.findIndex((b) => b > 127);
  t.ok(bad === -1, `${f} is pure ASCII (first non-ASCII byte at ${bad})`);
  const src = bytes.toString("latin1");
  t.ok(!/\brequire\(|\beval\(|\bDeno\b|__dirname/.test(src), `${f} avoids require/eval/Deno/__dirname`);
  t.ok(!/from\s+["']\.\.?\//.test(src), `${f} imports only node: specifiers`);
}

const suites = readdirSync(new URL(".", import.meta.url)).filter((f) => /^suite_.*\.mjs$/.test(f)).sort();
for (const s of suites) {
  t.section = s.slice(6, -4);
  try {
    const mod = await import(new URL(s, import.meta.url).href);
    await mod.default(t);
  } catch (e) {
    failures.push(`${t.section}: suite crashed: ${e && e.stack}`);
  }
}

// The same modules with Node's own globals removed (Buntime has none of them).
{
  t.section = "bare-globals";
  const { spawnSync } = realRequire("child_process");
  const res = spawnSync(process.execPath, [new URL("./bare_globals.mjs", import.meta.url).pathname], { encoding: "utf8", timeout: 30000 });
  t.ok(res.status === 0 && /^ok \d+/.test(res.stdout), `modules work without Node globals:\n${res.stdout}${res.stderr}`);
}

for (const f of failures) console.error(`FAIL ${f}`);
const summary = `node-polyfills: ${passed} passed, ${failures.length} failed (${suites.length} suites)`;
console.log(summary);
process.exit(failures.length ? 1 : 0);
