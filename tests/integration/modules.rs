//! Module resolution inside an app: tsconfig `paths`, extensionless and
//! `.js`-means-`.ts` imports, JSON, packages from `node_modules` with
//! `exports` conditions, `import.meta`, and precise errors.

use crate::harness::{assert_neighbour_serves, with_neighbour, Apps, Server};

#[tokio::test]
async fn tsconfig_paths_extensionless_imports_json_and_import_meta() {
  let apps = Apps::new();
  apps
    .file(
      "paths/1.0.0/tsconfig.json",
      r#"{ "compilerOptions": { "baseUrl": ".", "paths": { "@/*": ["./src/*"] } } }"#,
    )
    .file(
      "paths/1.0.0/index.ts",
      r#"import { double } from "@/math";
import { triple } from "./src/more.js";
import data from "./data.json";
import pkg from "./package.json" with { type: "json" };
export default {
  fetch() {
    return Response.json({
      double: double(2), triple: triple(2), data, pkg: pkg.name,
      dir: import.meta.dir, file: import.meta.file, main: import.meta.main,
      path: import.meta.path,
    });
  },
};
"#,
    )
    .file(
      "paths/1.0.0/src/math.ts",
      "export const double = (n: number): number => n * 2;\n",
    )
    .file(
      "paths/1.0.0/src/more.ts",
      "export const triple = (n: number): number => n * 3;\n",
    )
    .file("paths/1.0.0/data.json", r#"{"answer": 42}"#)
    .file("paths/1.0.0/package.json", r#"{"name": "paths-app"}"#);
  let server = Server::start(&apps);
  let reply = server.get("/paths").await;
  assert_eq!(reply.status, 200, "{}", reply.body);
  let json = reply.json();
  assert_eq!(json["double"], 4);
  assert_eq!(json["triple"], 6);
  assert_eq!(json["data"], serde_json::json!({"answer": 42}));
  assert_eq!(json["pkg"], "paths-app");
  // The app's folder as it sees it: no server path.
  assert_eq!(json["dir"], "/app");
  assert_eq!(json["file"], "index.ts");
  assert_eq!(json["path"], "/app/index.ts");
  assert_eq!(json["main"], false);
}

#[tokio::test]
async fn packages_resolve_with_exports_conditions_and_main() {
  let apps = Apps::new();
  let nm = "pkgs/1.0.0/node_modules";
  apps
    .js(
      "pkgs/1.0.0",
      r#"import which from "conditional";
import sub from "conditional/feature";
import legacy from "legacy";
import scoped from "@scope/thing";
export default { fetch() { return Response.json({ which, sub, legacy, scoped }) } };
"#,
    )
    // `exports` with conditions: `bun` wins over `import` and `require`.
    .file(
      &format!("{nm}/conditional/package.json"),
      r#"{"name":"conditional","exports":{".":{"require":"./cjs.js","bun":"./bun.js","import":"./esm.js"},"./feature":{"import":"./feature.mjs"}}}"#,
    )
    .file(&format!("{nm}/conditional/bun.js"), "export default 'bun';")
    .file(&format!("{nm}/conditional/esm.js"), "export default 'import';")
    .file(&format!("{nm}/conditional/cjs.js"), "module.exports = 'require';")
    .file(&format!("{nm}/conditional/feature.mjs"), "export default 'feature';")
    // No `exports`: `module` before `main`.
    .file(
      &format!("{nm}/legacy/package.json"),
      r#"{"name":"legacy","main":"main.js","module":"module.js"}"#,
    )
    .file(&format!("{nm}/legacy/module.js"), "export default 'module field';")
    .file(&format!("{nm}/legacy/main.js"), "module.exports = 'main field';")
    .file(
      &format!("{nm}/@scope/thing/package.json"),
      r#"{"name":"@scope/thing","main":"lib/index.js"}"#,
    )
    .file(
      &format!("{nm}/@scope/thing/lib/index.js"),
      "exports.kind = 'scoped cjs'; exports.answer = 42;",
    );
  let server = Server::start(&apps);
  let reply = server.get("/pkgs").await;
  assert_eq!(reply.status, 200, "{}", reply.body);
  assert_eq!(
    reply.json(),
    serde_json::json!({
      "which": "bun", "sub": "feature", "legacy": "module field",
      "scoped": {"kind": "scoped cjs", "answer": 42}
    })
  );
}

#[tokio::test]
async fn missing_and_unsupported_modules_are_named_in_the_error() {
  let apps = Apps::new();
  apps
    .js("nopkg/1.0.0", "import x from 'left-pad';\nexport default { fetch() { return new Response(x) } };")
    .js(
      "nofile/1.0.0",
      "import { y } from './lib/helper.js';\nexport default { fetch() { return new Response(y) } };",
    )
    .js(
      "http/1.0.0",
      "import readline from 'node:readline';\nexport default { fetch() { return new Response('x') } };",
    )
    .js(
      "requirehttp/1.0.0",
      "import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\n\
       export default { fetch() { try { require('readline'); return new Response('loaded') } catch (e) { return new Response(e.message, { status: 500 }) } } };",
    )
    .js("good/1.0.0", "export default { fetch() { return new Response('good') } }");
  let server = Server::start(&apps);

  let reply = server.get("/nopkg").await;
  assert_eq!(reply.status, 500);
  assert!(reply.error().contains("\"left-pad\""), "{}", reply.body);
  assert!(reply.error().contains("./index.js"), "{}", reply.body);

  let reply = server.get("/nofile").await;
  assert_eq!(reply.status, 500);
  assert!(reply.error().contains("./lib/helper.js"), "{}", reply.body);

  let reply = server.get("/http").await;
  assert_eq!(reply.status, 500);
  assert!(reply.error().contains("node:readline"), "{}", reply.body);
  assert!(reply.error().contains("not supported"), "{}", reply.body);

  let reply = server.get("/requirehttp").await;
  assert_eq!(reply.status, 500);
  assert!(reply.body.contains("node:readline"), "{}", reply.body);

  assert_eq!(server.get("/good").await.body, "good");
}

#[tokio::test]
async fn packages_cannot_escape_the_app_folder() {
  let apps = Apps::new();
  let outside = tempfile::tempdir().unwrap();
  std::fs::write(outside.path().join("index.js"), "export default 'secret';").unwrap();
  std::fs::write(outside.path().join("package.json"), r#"{"name":"evil"}"#).unwrap();
  apps.js(
    "escape/1.0.0",
    "import s from 'evil';\nexport default { fetch() { return new Response(s) } };",
  );
  std::fs::create_dir_all(apps.path().join("escape/1.0.0/node_modules")).unwrap();
  std::os::unix::fs::symlink(
    outside.path(),
    apps.path().join("escape/1.0.0/node_modules/evil"),
  )
  .unwrap();
  let server = Server::start(&apps);
  let reply = server.get("/escape").await;
  assert_eq!(reply.status, 500);
  assert!(
    reply.error().contains("outside the app folder"),
    "{}",
    reply.body
  );
  assert!(!reply.body.contains("secret"));
}

/// `require()` of an ES module (Node 22, Bun): an ESM-only package required
/// from CommonJS gets the module's namespace; one with top-level await is
/// refused with an error, and the worker serves on.
#[tokio::test]
async fn commonjs_can_require_an_es_module() {
  let apps = Apps::new();
  apps
    .file(
      "mixed/1.0.0/node_modules/esm-only/package.json",
      r#"{ "name": "esm-only", "type": "module", "exports": "./index.js" }"#,
    )
    .file(
      "mixed/1.0.0/node_modules/esm-only/index.js",
      "export const parse = (s) => s.split(','); export default 'esm default';",
    )
    .file(
      "mixed/1.0.0/tla.mjs",
      "await Promise.resolve(); export const late = 1;",
    )
    .file(
      "mixed/1.0.0/lib.cjs",
      r#"const esm = require("esm-only");
let tla;
try { require("./tla.mjs"); tla = "loaded"; } catch (e) { tla = "refused: " + e.message; }
module.exports = { parsed: esm.parse("a,b"), dflt: esm.default, tla, again: require("esm-only") === esm };"#,
    )
    .js(
      "mixed/1.0.0",
      r#"import lib from "./lib.cjs";
export default { fetch() { return Response.json(lib); } };"#,
    );
  let server = Server::start(&apps);
  let reply = server.get("/mixed").await;
  assert_eq!(reply.status, 200, "{}", reply.body);
  let seen = reply.json();
  assert_eq!(seen["parsed"], serde_json::json!(["a", "b"]));
  assert_eq!(seen["dflt"], "esm default");
  assert_eq!(seen["again"], true);
  let tla = seen["tla"].as_str().unwrap_or_default();
  assert!(tla.starts_with("refused: "), "{tla}");
  assert_eq!(server.get("/mixed").await.status, 200);
}

#[tokio::test]
async fn commonjs_names_no_reading_finds_come_from_running_the_module() {
  let apps = Apps::new();
  with_neighbour(&apps);
  let nm = "umd/1.0.0/node_modules";
  // lodash's shape: the exports object is only known once the file runs.
  apps
    .file(
      &format!("{nm}/bundle/package.json"),
      r#"{"name":"bundle","main":"bundle.js"}"#,
    )
    .file(
      &format!("{nm}/bundle/bundle.js"),
      r#";(function () {
  var root = this;
  function _(v) { return v; }
  _.chunk = function (list, size) { var out = []; for (var i = 0; i < list.length; i += size) out.push(list.slice(i, i + size)); return out; };
  _.VERSION = "1.2.3";
  _["kebab-name"] = "quoted";
  var freeModule = typeof module == "object" && module;
  if (freeModule) { (freeModule.exports = _)._ = _; } else { root._ = _; }
}.call(this));"#,
    )
    .file(
      "umd-broken/1.0.0/node_modules/broken/package.json",
      r#"{"name":"broken","main":"index.js"}"#,
    )
    .file(
      "umd-broken/1.0.0/node_modules/broken/index.js",
      r#"var freeModule = typeof module == "object" && module;
throw new Error("broken bundle refuses to load");
freeModule.exports = {};"#,
    )
    .js(
      "umd/1.0.0",
      r#"import _, { chunk, VERSION, "kebab-name" as kebab } from "bundle";
export default { fetch() { return Response.json({ chunks: chunk([1, 2, 3], 2), VERSION, kebab, same: _.chunk === chunk }); } };"#,
    )
    // One that never finishes loading: the request's deadline stops it.
    .file(
      "umd-spin/1.0.0/node_modules/spin/index.js",
      "if (typeof module == 'object') { for (;;) {} }",
    )
    .file("umd-spin/1.0.0/worker.config.json", r#"{ "timeout": 1 }"#)
    .js(
      "umd-spin/1.0.0",
      "import spin from 'spin';\nexport default { fetch() { return new Response(String(spin)); } };",
    )
    .js(
      "umd-broken/1.0.0",
      r#"import { x } from "broken";
export default { fetch() { return new Response(String(x)); } };"#,
    );
  let mut server = Server::start(&apps);
  let reply = server.get("/umd").await;
  assert_eq!(reply.status, 200, "{}", reply.body);
  assert_eq!(
    reply.json(),
    serde_json::json!({ "chunks": [[1, 2], [3]], "VERSION": "1.2.3", "kebab": "quoted", "same": true })
  );
  // A bundle that throws while loading: its own error, as a 500, at once.
  let reply = server.get("/umd-broken").await;
  assert_eq!(reply.status, 500, "{}", reply.body);
  assert!(
    reply.body.contains("broken bundle refuses to load"),
    "{}",
    reply.body
  );
  assert!(
    !reply.body.contains("/tmp"),
    "no server path: {}",
    reply.body
  );
  let reply = server.get("/umd-spin").await;
  assert_eq!(reply.status, 504, "{}", reply.body);
  assert_eq!(server.get("/umd").await.status, 200);
  assert_neighbour_serves(&mut server).await;
}
