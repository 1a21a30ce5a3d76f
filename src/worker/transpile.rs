//! TypeScript and JSX modules, turned into JavaScript on load (types
//! stripped, JSX compiled) with an inline source map, so stack traces point
//! at the original lines. Results are cached by file and content, so a new
//! isolate for the same app does not transpile again.

use std::hash::{Hash, Hasher};
use std::sync::{Arc, OnceLock};

use deno_ast::{
  EmitOptions, JsxAutomaticOptions, JsxRuntime, MediaType, ParseParams, SourceMapOption,
  TranspileModuleOptions, TranspileOptions,
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

fn cache() -> &'static Cache<u64, Arc<str>> {
  static CACHE: OnceLock<Cache<u64, Arc<str>>> = OnceLock::new();
  CACHE.get_or_init(|| Cache::new(4096))
}

/// JavaScript for `source`; `Err` carries the file, line and column.
pub fn transpile(
  specifier: &ModuleSpecifier,
  source: String,
  media_type: MediaType,
  jsx_import_source: Option<&str>,
) -> Result<Arc<str>, String> {
  let mut hasher = std::collections::hash_map::DefaultHasher::new();
  (specifier.as_str(), &source, jsx_import_source).hash(&mut hasher);
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
    jsx: Some(JsxRuntime::Automatic(JsxAutomaticOptions {
      development: false,
      import_source: Some(jsx_import_source.unwrap_or("react").to_string()),
    })),
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
