//! CommonJS files as ES modules: telling the two apart from their syntax,
//! the names a CommonJS module exports (found statically), and the facade
//! module that runs it through `runtime-js/40_cjs.js`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use deno_core::v8;
use regex::Regex;

/// Finds a required file: its path and its JavaScript.
pub(super) type LoadRequired<'a> = dyn Fn(&str, &Path) -> Option<(PathBuf, String)> + 'a;

/// `import`/`export` statements at the start of a line.
pub(super) fn has_esm_syntax(source: &str) -> bool {
  static ESM: OnceLock<Regex> = OnceLock::new();
  ESM
    .get_or_init(|| {
      Regex::new(
        r#"(?m)^[ \t]*(?:import(?:[ \t]*[{*"']|[ \t]+[\w$])|export(?:[ \t]*[{*]|[ \t]+[\w$]))|\bimport\.meta\b"#,
      )
      .unwrap()
    })
    .is_match(source)
}

pub(super) fn looks_commonjs(source: &str) -> bool {
  static CJS: OnceLock<Regex> = OnceLock::new();
  let cjs = CJS.get_or_init(|| {
    // `typeof module`: how UMD bundles look for CommonJS.
    Regex::new(
      r#"\brequire\s*\(|\bmodule\.exports\b|\bexports\.[\w$]+\s*=[^=]|\btypeof\s+(?:module|exports)\b"#,
    )
    .unwrap()
  });
  !has_esm_syntax(source) && cjs.is_match(source)
}

/// Names a CommonJS module exports, found statically so that
/// `import { parse } from "cookie"` links: `exports.x =`,
/// `Object.defineProperty(exports, "x"`, `module.exports = { x, y: … }`,
/// esbuild's `__export(target, { x: … })`, and re-exports of other files.
///
/// `load(specifier, from)`: the path and JavaScript of a required file.
pub(super) fn export_names(
  load: &LoadRequired<'_>,
  path: &Path,
  source: &str,
  depth: u32,
  names: &mut Vec<String>,
) {
  static ASSIGN: OnceLock<Regex> = OnceLock::new();
  static OBJECT: OnceLock<Regex> = OnceLock::new();
  static REEXPORT: OnceLock<Regex> = OnceLock::new();
  let assign = ASSIGN.get_or_init(|| {
    Regex::new(
      r#"(?:\bmodule\.exports|\bexports)(?:\.([A-Za-z_$][\w$]*)|\[\s*["']([^"']+)["']\s*\])\s*=[^=]|Object\.defineProperty\(\s*(?:module\.)?exports\s*,\s*["']([^"']+)["']"#,
    )
    .unwrap()
  });
  let object = OBJECT.get_or_init(|| {
    Regex::new(r#"(?:\bmodule\.exports\s*=|\b__export\(\s*[\w$]+\s*,)\s*\{"#).unwrap()
  });
  let reexport = REEXPORT.get_or_init(|| {
    Regex::new(
      r#"(?:\bmodule\.exports\s*=\s*|__exportStar\(\s*|__reExport\(\s*[\w$]+\s*,\s*)require\(\s*["']([^"']+)["']\s*\)"#,
    )
    .unwrap()
  });
  for caps in assign.captures_iter(source) {
    if let Some(name) = caps.get(1).or(caps.get(2)).or(caps.get(3)) {
      names.push(name.as_str().to_string());
    }
  }
  for found in object.find_iter(source) {
    object_literal_keys(&source[found.end()..], names);
  }
  if depth < 4 {
    for caps in reexport.captures_iter(source) {
      if let Some((target, js)) = load(&caps[1], path) {
        export_names(load, &target, &js, depth + 1, names);
      }
    }
  }
}

/// The top-level keys of an object literal whose `{` was just consumed.
fn object_literal_keys(rest: &str, names: &mut Vec<String>) {
  let bytes = rest.as_bytes();
  let mut depth = 0usize;
  let mut key_start = Some(0usize);
  let mut i = 0;
  while i < bytes.len() {
    match bytes[i] {
      b'{' | b'(' | b'[' => depth += 1,
      b'}' | b')' | b']' if depth > 0 => depth -= 1,
      b'}' => {
        push_key(rest, key_start, i, names);
        return;
      }
      b'"' | b'\'' | b'`' => {
        let quote = bytes[i];
        i += 1;
        while i < bytes.len() && bytes[i] != quote {
          if bytes[i] == b'\\' {
            i += 1;
          }
          i += 1;
        }
      }
      b':' if depth == 0 => {
        push_key(rest, key_start.take(), i, names);
      }
      b',' if depth == 0 => {
        push_key(rest, key_start, i, names);
        key_start = Some(i + 1);
      }
      _ => {}
    }
    i += 1;
  }
}

fn push_key(rest: &str, start: Option<usize>, end: usize, names: &mut Vec<String>) {
  let Some(start) = start else { return };
  let key = rest[start..end].trim();
  // Accessors and methods (`get d() { … }`, `async f() {}`) are named
  // before their parameter list.
  let key = ["get ", "set ", "async "]
    .iter()
    .fold(key, |key, prefix| key.strip_prefix(prefix).unwrap_or(key));
  let key = key.split('(').next().unwrap_or("").trim();
  let key = key.trim_matches(|c| c == '"' || c == '\'');
  let is_name = !key.is_empty()
    && !key.starts_with("...")
    && key
      .chars()
      .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
  if is_name && !key.as_bytes()[0].is_ascii_digit() {
    names.push(key.to_string());
  }
}

fn is_identifier(name: &str) -> bool {
  let mut chars = name.chars();
  chars
    .next()
    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
    && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// An ES module standing in for a CommonJS file: runs it through
/// `runtime-js/40_cjs.js` and re-exports `module.exports` and its names.
pub(super) fn facade(path: &Path, names: &[String]) -> String {
  let path_literal = serde_json::to_string(&path.to_string_lossy()).unwrap_or_default();
  re_export(
    format!("const __cjs = globalThis[Symbol.for(\"buntime.require\")]({path_literal});\n"),
    names,
  )
}

/// `head` (which binds `__cjs` to `module.exports`), then the default
/// export and one named export per name.
fn re_export(head: String, names: &[String]) -> String {
  let mut code = head;
  code.push_str(
    "export default (__cjs !== null && typeof __cjs === \"object\" && __cjs.__esModule && \"default\" in __cjs) ? __cjs.default : __cjs;\n",
  );
  let mut seen = std::collections::HashSet::new();
  for (i, name) in names.iter().enumerate() {
    if name == "default" || name == "__esModule" || !seen.insert(name.as_str()) {
      continue;
    }
    let exported = if is_identifier(name) {
      name.clone()
    } else {
      serde_json::to_string(name).unwrap_or_default()
    };
    code.push_str(&format!(
      "const __e{i} = __cjs == null ? undefined : __cjs[{}];\nexport {{ __e{i} as {exported} }};\n",
      serde_json::to_string(name).unwrap_or_default()
    ));
  }
  code
}

/// The module type of a CommonJS file in which reading found no export
/// name (a UMD bundle: `freeModule.exports = _`); its code is the path's
/// JSON string. [`evaluate_for_exports`] runs it when it is registered,
/// as Bun does, so `import { chunk } from "lodash"` finds the real keys.
/// Importers ask for the file as JavaScript, which [`evaluated_facade`]
/// answers by re-exporting this type's module (a custom type is only
/// found through its own `type` attribute).
pub(super) const EVALUATED: &str = "buntime-cjs";

/// The JavaScript module at `url` for a CommonJS file whose names are only
/// known once it runs: `export *` takes whatever the evaluated module has.
pub(super) fn evaluated_facade(url: &str) -> String {
  let url = serde_json::to_string(url).unwrap_or_default();
  format!(
    "export * from {url} with {{ type: \"{EVALUATED}\" }};\n\
     export {{ default }} from {url} with {{ type: \"{EVALUATED}\" }};\n"
  )
}
/// The synthetic module holding an [`EVALUATED`] file's `module.exports`.
const EXPORTS_VALUE: &str = "buntime-cjs-exports";
/// Most names exported from one evaluated module.
const MOST_NAMES: usize = 4096;

/// deno_core's hook for [`EVALUATED`] modules: `require`s the file now and
/// stands an ES module over its own enumerable keys. What the file throws
/// is the app's load error.
pub fn evaluate_for_exports(
  scope: &mut v8::PinScope,
  module_type: std::borrow::Cow<'_, str>,
  name: &deno_core::FastString,
  code: deno_core::ModuleSourceCode,
) -> Result<deno_core::CustomModuleEvaluationKind, deno_error::JsErrorBox> {
  use deno_core::{CustomModuleEvaluationKind, ModuleSourceCode, ModuleType};
  if module_type != EVALUATED {
    return Err(deno_error::JsErrorBox::type_error(format!(
      "Unsupported module type \"{module_type}\""
    )));
  }
  let literal = match &code {
    ModuleSourceCode::String(text) => text.as_str().to_owned(),
    ModuleSourceCode::Bytes(bytes) => String::from_utf8_lossy(bytes.as_bytes()).into_owned(),
  };
  let path: String = serde_json::from_str(&literal).unwrap_or_default();
  let (value, names) = require_now(scope, &path)
    .map_err(|thrown| deno_error::JsErrorBox::generic(format!("{path}: {thrown}")))?;
  let url = serde_json::to_string(name.as_str()).unwrap_or_default();
  let head = format!("import __cjs from {url} with {{ type: \"{EXPORTS_VALUE}\" }};\n");
  Ok(CustomModuleEvaluationKind::ComputedAndSynthetic(
    re_export(head, &names).into(),
    v8::Global::new(scope, value),
    ModuleType::Other(EXPORTS_VALUE.into()),
  ))
}

/// `module.exports` of `path` through the app's `require`, with its own
/// enumerable string keys; what it threw when it throws.
fn require_now<'s>(
  scope: &mut v8::PinScope<'s, '_>,
  path: &str,
) -> Result<(v8::Local<'s, v8::Value>, Vec<String>), String> {
  let unreachable = || "the CommonJS loader is not available".to_string();
  let global = scope.get_current_context().global(scope);
  let key = v8::String::new(scope, "buntime.require").ok_or_else(unreachable)?;
  let symbol = v8::Symbol::for_key(scope, key);
  let require = global.get(scope, symbol.into()).ok_or_else(unreachable)?;
  let require = v8::Local::<v8::Function>::try_from(require).map_err(|_| unreachable())?;
  let argument = v8::String::new(scope, path).ok_or_else(unreachable)?;
  v8::tc_scope!(let scope, scope);
  let undefined = v8::undefined(scope).into();
  let Some(exports) = require.call(scope, undefined, &[argument.into()]) else {
    return Err(match scope.exception() {
      Some(thrown) => thrown.to_rust_string_lossy(scope),
      None => "terminated".to_string(),
    });
  };
  let mut names = Vec::new();
  if let Ok(object) = v8::Local::<v8::Object>::try_from(exports) {
    if let Some(keys) = object.get_own_property_names(scope, Default::default()) {
      for i in 0..keys.length().min(MOST_NAMES as u32) {
        if let Some(key) = keys.get_index(scope, i).filter(|key| key.is_string()) {
          names.push(key.to_rust_string_lossy(scope));
        }
      }
    }
  }
  // A getter that throws while the keys are read.
  if scope.has_caught() {
    return Err("its exports could not be listed".to_string());
  }
  Ok((exports, names))
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn object_keys() {
    let mut names = Vec::new();
    object_literal_keys(
      r#" a, b: 1, "c": f(x, y), ...rest, get d() { return 1 }, e }"#,
      &mut names,
    );
    assert_eq!(names, ["a", "b", "c", "d", "e"]);
  }

  #[test]
  fn sniffing() {
    assert!(looks_commonjs("module.exports = 1"));
    assert!(!looks_commonjs("export default 1; require('x')"));
    assert!(!looks_commonjs("const x = 1"));
    assert!(looks_commonjs("exports.parse = parse;\nimports.x = 1"));
    assert!(looks_commonjs(
      "if (typeof module == \"object\") module[\"exports\"] = _;"
    ));
    assert!(has_esm_syntax("export const x = 1"));
    assert!(has_esm_syntax("  import{ a } from 'b'"));
    assert!(!has_esm_syntax("exports.a = 1; const x = import('y')"));
  }
}
