//! Loads an app's modules from its own folder and nowhere else: relative
//! and in-app absolute imports, npm packages from the app's `node_modules`
//! (Node's algorithm with `exports` conditions, via oxc_resolver), the
//! app's `tsconfig.json` `paths`, JSON, CommonJS files (wrapped), and the
//! Node/Bun built-ins of `runtime-js/node/`.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::OnceLock;

use deno_core::error::ModuleLoaderError;
use deno_core::{
  ModuleLoadOptions, ModuleLoadReferrer, ModuleLoadResponse, ModuleLoader, ModuleResolveResponse,
  ModuleSource, ModuleSourceCode, ModuleSpecifier, ModuleType, RequestedModuleType, ResolutionKind,
};
use deno_error::JsErrorBox;
use oxc_resolver::{ResolveOptions, Resolver, TsconfigDiscovery, TsconfigOptions};
use regex::Regex;

use super::commonjs;
use super::transpile::{self, Jsx};
use crate::ext::app_paths::{contain, real_path, shown_path, Confined, VIRTUAL_ROOT};
use crate::ext::node_ops::ModuleHost;

/// Built-ins (`node:x`, bare `x`, `bun`, `bun:sqlite`) as the specifiers of
/// the extension's modules; those that exist in Node but not here, named.
fn builtin_specifier(specifier: &str) -> Option<Result<String, String>> {
  if let Some(name) = specifier.strip_prefix("bun:") {
    return Some(match name {
      "sqlite" => Ok("node:bun_sqlite".into()),
      _ => Err(format!(
        "\"bun:{name}\" is not supported by Buntime (see README: Bun API support)"
      )),
    });
  }
  if specifier == "bun" {
    return Some(Ok("node:bun".into()));
  }
  let (name, explicit) = match specifier.strip_prefix("node:") {
    Some(name) => (name, true),
    None => (specifier, false),
  };
  if crate::ext::is_node_builtin(name) {
    return Some(Ok(format!("node:{name}")));
  }
  let known_node = explicit || NODE_ONLY.contains(&name.split('/').next().unwrap_or(name));
  known_node.then(|| {
    Err(format!(
      "Node built-in \"node:{name}\" is not supported by Buntime (see README: Node built-ins)"
    ))
  })
}

/// Node built-in names Buntime lacks, so that `require("http")` says so
/// instead of looking for an npm package called `http`.
const NODE_ONLY: &[&str] = &[
  "domain",
  "inspector",
  "punycode",
  "readline",
  "repl",
  "sys",
  "trace_events",
  "wasi",
];

/// Per-app resolution state, made on first use (the app is known only
/// once a standby isolate is assigned).
struct AppResolution {
  root: PathBuf,
  esm: Resolver,
  cjs: Resolver,
  jsx: Jsx,
  /// Folder → does the nearest `package.json` say `"type": "module"`?
  package_type: RefCell<HashMap<PathBuf, Option<bool>>>,
}

impl AppResolution {
  fn new(root: PathBuf) -> Self {
    let tsconfig_path = root.join("tsconfig.json");
    let tsconfig: Option<serde_json::Value> = std::fs::read_to_string(&tsconfig_path)
      .ok()
      .and_then(|text| parse_jsonc(&text));
    let jsx = tsconfig
      .as_ref()
      .map(Jsx::from_tsconfig)
      .unwrap_or_default();
    let strings = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let base = ResolveOptions {
      tsconfig: tsconfig.is_some().then(|| {
        TsconfigDiscovery::Manual(TsconfigOptions {
          config_file: tsconfig_path.clone(),
          references: oxc_resolver::TsconfigReferences::Auto,
        })
      }),
      // Bun resolves extensionless imports and `./x.js` meaning `./x.ts`.
      extensions: strings(&[
        ".tsx", ".ts", ".jsx", ".js", ".mjs", ".cjs", ".mts", ".cts", ".json",
      ]),
      extension_alias: vec![
        (".js".into(), strings(&[".ts", ".tsx", ".js", ".jsx"])),
        (".mjs".into(), strings(&[".mts", ".mjs"])),
        (".cjs".into(), strings(&[".cts", ".cjs"])),
      ],
      ..ResolveOptions::default()
    };
    let esm = Resolver::new(ResolveOptions {
      condition_names: strings(&["bun", "worker", "import", "module", "default"]),
      main_fields: strings(&["module", "main"]),
      ..base.clone()
    });
    let cjs = esm.clone_with_options(ResolveOptions {
      condition_names: strings(&["bun", "worker", "require", "default"]),
      main_fields: strings(&["main"]),
      ..base
    });
    Self {
      root,
      esm,
      cjs,
      jsx,
      package_type: RefCell::new(HashMap::new()),
    }
  }

  /// `./relative` form of an in-app path, for messages.
  fn display(&self, path: &Path) -> String {
    match path.strip_prefix(&self.root) {
      Ok(rel) => format!("./{}", rel.display()),
      Err(_) => path.display().to_string(),
    }
  }

  /// Resolves `specifier` imported (or required) by the file `referrer`.
  fn resolve(&self, specifier: &str, referrer: &Path, require: bool) -> Result<PathBuf, String> {
    let resolver = if require { &self.cjs } else { &self.esm };
    // An absolute specifier is written as the app sees its folder (`/app/...`).
    let real_specifier;
    let specifier = if specifier.starts_with('/') {
      real_specifier = real_path(&self.root, Path::new(specifier));
      real_specifier.to_str().unwrap_or(specifier)
    } else {
      specifier
    };
    let resolution = resolver
      .resolve_file(referrer, specifier)
      .map_err(|err| match err {
        oxc_resolver::ResolveError::NotFound(_) => format!(
          "Cannot find module \"{specifier}\" imported from {}",
          self.display(referrer)
        ),
        other => format!(
          "Cannot resolve \"{specifier}\" imported from {}: {other}",
          self.display(referrer)
        ),
      })?;
    self.confine(resolution.path(), specifier)
  }

  /// The real path of `path`, which must lie inside the app folder.
  fn confine(&self, path: &Path, specifier: &str) -> Result<PathBuf, String> {
    match contain(&self.root, path) {
      Confined::Inside(real) => Ok(real),
      Confined::Missing => Err(format!("Cannot find module {}", self.display(path))),
      Confined::Outside => Err(format!(
        "Cannot import \"{specifier}\": it is outside the app folder"
      )),
    }
  }

  /// Whether a `.js`-like file is CommonJS: ES module syntax says no, else
  /// the nearest `package.json` `"type"` decides, else the code itself
  /// (`require`/`module.exports`).
  fn is_commonjs(&self, path: &Path, ext: &str, source: &str) -> bool {
    match ext {
      "cjs" | "cts" => return true,
      "mjs" | "mts" | "json" => return false,
      _ => {}
    }
    // Like Bun, `import`/`export` make a file an ES module whatever the
    // package says (`npm init` writes `"type": "commonjs"`).
    if commonjs::has_esm_syntax(source) {
      return false;
    }
    match path.parent().and_then(|dir| self.package_is_module(dir)) {
      Some(is_module) => !is_module,
      None => commonjs::looks_commonjs(source),
    }
  }

  fn package_is_module(&self, dir: &Path) -> Option<bool> {
    if !dir.starts_with(&self.root) {
      return None;
    }
    if let Some(known) = self.package_type.borrow().get(dir) {
      return *known;
    }
    let found = match std::fs::read_to_string(dir.join("package.json")) {
      Ok(text) => serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|json| json["type"].as_str().map(|t| t == "module")),
      Err(_) => dir.parent().and_then(|up| self.package_is_module(up)),
    };
    self
      .package_type
      .borrow_mut()
      .insert(dir.to_path_buf(), found);
    found
  }

  /// JavaScript for a file: TypeScript/JSX transpiled, else as written.
  fn javascript(&self, path: &Path, ext: &str) -> Result<String, String> {
    let source =
      std::fs::read(path).map_err(|err| format!("Cannot read {}: {err}", self.display(path)))?;
    let source =
      String::from_utf8(source).map_err(|_| format!("{} is not UTF-8", self.display(path)))?;
    let Some(media_type) = transpile::media_type(ext) else {
      return Ok(source);
    };
    // Named as the app sees it: source maps and errors carry no server path.
    let specifier = ModuleSpecifier::from_file_path(shown_path(&self.root, path))
      .map_err(|_| "bad path".to_string())?;
    let root_url = format!("file://{VIRTUAL_ROOT}/");
    transpile::transpile(&specifier, source, media_type, &self.jsx)
      .map(|js| js.to_string())
      .map_err(|err| err.replace(root_url.as_str(), "./"))
  }
}

/// `tsconfig.json` allows comments and trailing commas.
fn parse_jsonc(text: &str) -> Option<serde_json::Value> {
  serde_json::from_str(text).ok().or_else(|| {
    static COMMENTS: OnceLock<Regex> = OnceLock::new();
    let comments = COMMENTS.get_or_init(|| {
      Regex::new(r#"(?s)("(?:[^"\\]|\\.)*")|//[^\n]*|/\*.*?\*/|,(\s*[}\]])"#).unwrap()
    });
    let cleaned = comments.replace_all(text, "$1$2");
    serde_json::from_str(&cleaned).ok()
  })
}

fn extension(path: &Path) -> String {
  path
    .extension()
    .and_then(|e| e.to_str())
    .unwrap_or("")
    .to_ascii_lowercase()
}

/// Bun's `import.meta` extras (`dir`, `file`, `path`; `main` is false in
/// a worker), prepended on the first line so line numbers stay put.
fn import_meta_prelude(code: &str) -> &'static str {
  if code.contains("import.meta") {
    "import.meta.dir = import.meta.dirname; import.meta.path = import.meta.filename; \
     import.meta.file = import.meta.filename.slice(import.meta.dirname.length + 1); \
     import.meta.main = false; import.meta.require = globalThis[Symbol.for(\"buntime.createRequire\")](import.meta.filename);"
  } else {
    ""
  }
}

pub struct AppModuleLoader {
  /// Canonical app folder; set when a standby isolate is given its app.
  root: Rc<OnceCell<PathBuf>>,
  app: OnceCell<AppResolution>,
}

impl AppModuleLoader {
  pub fn new(root: Rc<OnceCell<PathBuf>>) -> Self {
    Self {
      root,
      app: OnceCell::new(),
    }
  }

  fn app(&self) -> &AppResolution {
    self.app.get_or_init(|| {
      AppResolution::new(
        self
          .root
          .get()
          .cloned()
          .unwrap_or_else(|| PathBuf::from("/nonexistent")),
      )
    })
  }

  fn load_sync(
    &self,
    specifier: &ModuleSpecifier,
    options: &ModuleLoadOptions,
  ) -> Result<ModuleSource, ModuleLoaderError> {
    let app = self.app();
    let outside = || {
      JsErrorBox::type_error(format!(
        "Cannot import {specifier}: it is outside the app folder"
      ))
    };
    let path = specifier.to_file_path().map_err(|_| outside())?;
    let path = app
      .confine(&real_path(&app.root, &path), specifier.as_str())
      .map_err(JsErrorBox::type_error)?;
    let ext = extension(&path);
    let source = |code: String, module_type| {
      Ok(ModuleSource::new(
        module_type,
        ModuleSourceCode::String(code.into()),
        specifier,
        None,
      ))
    };
    if ext == "json" {
      let text = std::fs::read_to_string(&path)
        .map_err(|err| JsErrorBox::generic(format!("Cannot read {}: {err}", app.display(&path))))?;
      if options.requested_module_type == RequestedModuleType::Json {
        return source(text, ModuleType::Json);
      }
      // Bun imports JSON without `with { type: "json" }`.
      serde_json::from_str::<serde_json::Value>(&text).map_err(|err| {
        JsErrorBox::type_error(format!("{} is not valid JSON: {err}", app.display(&path)))
      })?;
      return source(format!("export default {text};"), ModuleType::JavaScript);
    }
    let code = app
      .javascript(&path, &ext)
      .map_err(JsErrorBox::type_error)?;
    if app.is_commonjs(&path, &ext, &code) {
      let shown = shown_path(&app.root, &path);
      // Its facade's request: the names were already looked for.
      if options.requested_module_type == RequestedModuleType::Other(commonjs::EVALUATED.into()) {
        let literal = serde_json::to_string(&shown.to_string_lossy()).unwrap_or_default();
        return source(literal, ModuleType::Other(commonjs::EVALUATED.into()));
      }
      let mut names = Vec::new();
      let load = |specifier: &str, from: &Path| {
        let target = app.resolve(specifier, from, true).ok()?;
        let js = app.javascript(&target, &extension(&target)).ok()?;
        Some((target, js))
      };
      commonjs::export_names(&load, &path, &code, 0, &mut names);
      if names
        .iter()
        .all(|name| name == "default" || name == "__esModule")
      {
        return source(
          commonjs::evaluated_facade(specifier.as_str()),
          ModuleType::JavaScript,
        );
      }
      return source(commonjs::facade(&shown, &names), ModuleType::JavaScript);
    }
    let prelude = import_meta_prelude(&code);
    let code = if prelude.is_empty() {
      code
    } else if code.starts_with("#!") {
      format!("//{}", code.replacen("\n", &format!("\n{prelude}"), 1))
    } else {
      format!("{prelude}{code}")
    };
    source(code, ModuleType::JavaScript)
  }
}

impl ModuleLoader for AppModuleLoader {
  fn resolve(
    &self,
    specifier: &str,
    referrer: &str,
    _kind: ResolutionKind,
  ) -> ModuleResolveResponse {
    if let Some(builtin) = builtin_specifier(specifier) {
      return builtin
        .and_then(|s| ModuleSpecifier::parse(&s).map_err(|e| e.to_string()))
        .map_err(JsErrorBox::type_error);
    }
    if let Ok(url) = ModuleSpecifier::parse(specifier) {
      if url.scheme() != "file" {
        return Err(JsErrorBox::type_error(format!(
          "Cannot import {specifier}: apps may only import files from their own folder"
        )));
      }
      // Already a full file URL (the worker's entry); `load` confines it.
      return Ok(url);
    }
    let app = self.app();
    let referrer_path = ModuleSpecifier::parse(referrer)
      .ok()
      .and_then(|url| url.to_file_path().ok())
      .map(|path| real_path(&app.root, &path))
      .unwrap_or_else(|| app.root.join("index.js"));
    let path = app
      .resolve(specifier, &referrer_path, false)
      .map_err(JsErrorBox::type_error)?;
    ModuleSpecifier::from_file_path(shown_path(&app.root, &path))
      .map_err(|_| JsErrorBox::type_error(format!("Cannot import {}", app.display(&path))))
  }

  fn load(
    &self,
    specifier: &ModuleSpecifier,
    _referrer: Option<&ModuleLoadReferrer>,
    options: ModuleLoadOptions,
  ) -> ModuleLoadResponse {
    ModuleLoadResponse::Sync(self.load_sync(specifier, &options))
  }
}

impl ModuleHost for AppModuleLoader {
  fn require_resolve(&self, specifier: &str, parent: &str) -> Result<String, String> {
    if let Some(builtin) = builtin_specifier(specifier) {
      return builtin;
    }
    let app = self.app();
    let parent = Path::new(parent);
    let parent = if parent.is_absolute() {
      real_path(&app.root, parent)
    } else {
      app.root.join("index.js")
    };
    app
      .resolve(specifier, &parent, true)
      .map(|p| shown_path(&app.root, &p).to_string_lossy().into_owned())
  }

  fn require_source(&self, path: &str) -> Result<Option<String>, String> {
    let app = self.app();
    let path = app.confine(&real_path(&app.root, Path::new(path)), path)?;
    let ext = extension(&path);
    if ext == "json" {
      return std::fs::read_to_string(&path)
        .map(Some)
        .map_err(|err| format!("Cannot read {}: {err}", app.display(&path)));
    }
    let code = app.javascript(&path, &ext)?;
    let is_module = matches!(ext.as_str(), "mjs" | "mts")
      || (!app.is_commonjs(&path, &ext, &code) && commonjs::has_esm_syntax(&code));
    // An ES module is loaded by the module loader instead (`require(esm)`).
    Ok((!is_module).then_some(code))
  }
}
