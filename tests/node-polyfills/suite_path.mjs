import path, * as named from "node:path";
import posixSub from "node:path/posix";

const inputs = [
  "", ".", "..", "/", "//", "///", "a", "a/", "a//", "/a", "/a/", "//a", "///a", "a/b", "a/b/", "/a/b/c", "/a/b/c/", "a/./b", "a/../b",
  "../a", "../../a/b", "/../a", "/a/../..", "a/b/../../..", "./a", "././", "/a//b//c", "file.txt", ".hidden", ".hidden.txt", "a.b.c",
  "a.", "..a", "...", "/a/b.tar.gz", "dir/.", "dir/..", "a\\b", " spaced /x y", "/foo/bar/baz/asdf/quux.html", "\u00e9t\u00e9/\u{1F600}.md",
];

export default async function (t) {
  const real = t.real("path");
  t.ok(path.posix === path && path.win32 && path.win32.sep === "\\", "posix/win32 properties");
  t.ok(posixSub === path, "path/posix default");
  t.ok(named.join === path.join && named.sep === "/" && named.delimiter === ":", "named exports");
  const fn1 = ["normalize", "isAbsolute", "dirname", "basename", "extname", "parse", "toNamespacedPath"];
  for (const f of fn1) {
    for (const p of inputs) t.same(`${f}(${JSON.stringify(p)})`, path, real, (m) => m[f](p));
  }
  for (const p of inputs) {
    for (const ext of [".txt", ".c", "c", "", ".gz", "a", "b.c", ".hidden"]) t.same(`basename(${JSON.stringify(p)}, ${ext})`, path, real, (m) => m.basename(p, ext));
  }
  for (const a of inputs.slice(0, 30)) {
    for (const b of ["", "x", "/y", "../z", "./w/", "a/.."]) {
      t.same(`join(${JSON.stringify(a)}, ${JSON.stringify(b)})`, path, real, (m) => m.join(a, b));
      t.same(`resolve(${JSON.stringify(a)}, ${JSON.stringify(b)})`, path, real, (m) => m.resolve(a, b));
      t.same(`relative(${JSON.stringify(a)}, ${JSON.stringify(b)})`, path, real, (m) => m.relative(a, b));
    }
  }
  t.same("join()", path, real, (m) => m.join());
  t.same("resolve()", path, real, (m) => m.resolve());
  t.same("join many", path, real, (m) => m.join("/a", "b", "", "../c", "./d/", "e"));
  t.same("resolve abs middle", path, real, (m) => m.resolve("a", "/b", "c", "../d"));
  t.same("join non-string", path, real, (m) => m.join("a", 5));
  t.same("basename non-string", path, real, (m) => m.basename(null));
  t.same("relative same", path, real, (m) => [m.relative("/a/b", "/a/b"), m.relative("/", "/"), m.relative("/a/b/c", "/a"), m.relative("/a", "/a/b/c"), m.relative("/a/bc", "/a/b")]);
  const objs = [
    { root: "/", dir: "/home/user", base: "f.txt" }, { root: "/", base: "f.txt", ext: "ignored" }, { name: "file", ext: ".txt" }, { name: "file", ext: "txt" },
    { dir: "d", name: "n" }, { root: "/", name: "x" }, {}, { dir: "/", base: "a" }, { root: "/root/", dir: "/root/", base: "b" },
  ];
  for (const o of objs) t.same(`format(${JSON.stringify(o)})`, path, real, (m) => m.format(o));
  t.same("format(null)", path, real, (m) => m.format(null));
  for (const p of inputs) t.same(`format(parse(${JSON.stringify(p)}))`, path, real, (m) => m.format(m.parse(p)));
  // a few win32 basics
  const w = ["C:\\a\\b", "C:/a/b/", "\\\\server\\share\\x\\y.txt", "a\\b\\..\\c", "C:", "\\a", "rel\\file.js"];
  for (const p of w) {
    for (const f of ["normalize", "isAbsolute", "basename", "extname", "dirname"]) t.same(`win32.${f}(${JSON.stringify(p)})`, path.win32, real.win32, (m) => m[f](p));
  }
  t.same("win32.join", path.win32, real.win32, (m) => m.join("C:\\a", "b", "..\\c", "d.txt"));
  t.same("win32.resolve abs", path.win32, real.win32, (m) => m.resolve("C:\\a", "b", "..\\c"));
  t.same("win32.relative", path.win32, real.win32, (m) => m.relative("C:\\a\\b\\c", "C:\\a\\d"));
  t.same("win32.parse", path.win32, real.win32, (m) => m.parse("C:\\dir\\file.txt"));
}
