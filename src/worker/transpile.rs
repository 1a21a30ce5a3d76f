//! TypeScript and JSX modules, turned into JavaScript on load (types
//! stripped, JSX compiled) with an inline source map, so stack traces point
//! at the original lines. Results are cached by file and content, so a new
//! isolate for the same app does not transpile again.

use std::hash::{Hash, Hasher};
use std::sync::{Arc, OnceLock};

use deno_ast::{
  EmitOptions, JsxAutomaticOptions, JsxClassicOptions, JsxRuntime, MediaType, ParseParams,
  SourceMapOption, TranspileModuleOptions, TranspileOptions,
};
use deno_core::ModuleSpecifier;
use quick_cache::sync::Cache;

/// The media type for a file extension, if it needs transpiling.
pub fn media_type(extension: &str) -> Option<MediaType> {
  match extension {
    "ts" => Some(MediaType::TypeScript),
    "mts" => Some(MediaType::Mts),
    "cts" => Some(MediaType::Cts),
    "tsx" => Some(MediaType::Tsx),
    "jsx" => Some(MediaType::Jsx),
    _ => None,
  }
}

/// How JSX compiles, from the app's `tsconfig.json` (`jsx`,
/// `jsxImportSource`, `jsxFactory`, `jsxFragmentFactory`).
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub enum Jsx {
  /// `react-jsx`: `import { jsx } from "<source>/jsx-runtime"` (the default,
  /// with `react`, like Bun).
  Automatic { import_source: String },
  /// `react`: calls to a factory such as `React.createElement` or `h`.
  Classic { factory: String, fragment: String },
}

impl Default for Jsx {
  fn default() -> Self {
    Jsx::Automatic {
      import_source: "react".into(),
    }
  }
}

impl Jsx {
  /// Reads `compilerOptions` of a parsed `tsconfig.json`.
  pub fn from_tsconfig(tsconfig: &serde_json::Value) -> Self {
    let options = &tsconfig["compilerOptions"];
    let text = |key: &str| options[key].as_str().map(str::to_string);
    match text("jsx").as_deref() {
      Some("react") => Jsx::Classic {
        factory: text("jsxFactory").unwrap_or_else(|| "React.createElement".into()),
        fragment: text("jsxFragmentFactory").unwrap_or_else(|| "React.Fragment".into()),
      },
      _ => Jsx::Automatic {
        import_source: text("jsxImportSource").unwrap_or_else(|| "react".into()),
      },
    }
  }

  fn runtime(&self) -> JsxRuntime {
    match self {
      Jsx::Automatic { import_source } => JsxRuntime::Automatic(JsxAutomaticOptions {
        development: false,
        import_source: Some(import_source.clone()),
      }),
      Jsx::Classic { factory, fragment } => JsxRuntime::Classic(JsxClassicOptions {
        factory: factory.clone(),
        fragment_factory: fragment.clone(),
      }),
    }
  }
}

fn cache() -> &'static Cache<u64, Arc<str>> {
  static CACHE: OnceLock<Cache<u64, Arc<str>>> = OnceLock::new();
  CACHE.get_or_init(|| Cache::new(4096))
}

/// JavaScript for `source`; `Err` carries the file, line and column.
pub fn transpile(
  specifier: &ModuleSpecifier,
  source: String,
  media_type: MediaType,
  jsx: &Jsx,
) -> Result<Arc<str>, String> {
  let mut hasher = std::collections::hash_map::DefaultHasher::new();
  (specifier.as_str(), &source, jsx).hash(&mut hasher);
  let key = hasher.finish();
  if let Some(code) = cache().get(&key) {
    return Ok(code);
  }
  let parsed = deno_ast::parse_module(ParseParams {
    specifier: specifier.clone(),
    text: source.into(),
    media_type,
    capture_tokens: false,
    scope_analysis: false,
    maybe_syntax: None,
  })
  .map_err(|err| err.to_string())?;
  let options = TranspileOptions {
    jsx: Some(jsx.runtime()),
    ..Default::default()
  };
  let emit = EmitOptions {
    source_map: SourceMapOption::Inline,
    inline_sources: true,
    ..Default::default()
  };
  let code: Arc<str> = parsed
    .transpile(&options, &TranspileModuleOptions::default(), &emit)
    .map_err(|err| err.to_string())?
    .into_source()
    .text
    .into();
  cache().insert(key, code.clone());
  Ok(code)
}
