//! CommonJS files as ES modules: telling the two apart from their syntax,
//! the names a CommonJS module exports (found statically), and the facade
//! module that runs it through `runtime-js/40_cjs.js`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

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
    Regex::new(r#"\brequire\s*\(|\bmodule\.exports\b|\bexports\.[\w$]+\s*=[^=]"#).unwrap()
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
  let mut code = format!(
    "const __cjs = globalThis[Symbol.for(\"buntime.require\")]({path_literal});\n\
     export default (__cjs !== null && typeof __cjs === \"object\" && __cjs.__esModule && \"default\" in __cjs) ? __cjs.default : __cjs;\n"
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
    assert!(has_esm_syntax("export const x = 1"));
    assert!(has_esm_syntax("  import{ a } from 'b'"));
    assert!(!has_esm_syntax("exports.a = 1; const x = import('y')"));
  }
}
