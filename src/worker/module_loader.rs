//! Loads an app's ES modules from its own folder and nowhere else.

use std::cell::OnceCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use deno_core::error::ModuleLoaderError;
use deno_core::{
  resolve_import, ModuleLoadOptions, ModuleLoadReferrer, ModuleLoadResponse, ModuleLoader,
  ModuleResolveResponse, ModuleSource, ModuleSourceCode, ModuleSpecifier, ModuleType,
  RequestedModuleType, ResolutionKind,
};
use deno_error::JsErrorBox;

use super::transpile;

pub struct AppModuleLoader {
  /// Canonical app folder; set when a standby isolate is given its app.
  root: Rc<OnceCell<PathBuf>>,
}

impl AppModuleLoader {
  pub fn new(root: Rc<OnceCell<PathBuf>>) -> Self {
    Self { root }
  }

  /// The app folder as a `file://…/` URL prefix (for error messages).
  fn root_url(&self) -> String {
    deno_core::url::Url::from_directory_path(self.root())
      .map(|u| u.to_string())
      .unwrap_or_default()
  }

  fn root(&self) -> &Path {
    self
      .root
      .get()
      .map(PathBuf::as_path)
      .unwrap_or(Path::new("/nonexistent"))
  }

  fn confined_path(&self, specifier: &ModuleSpecifier) -> Result<PathBuf, JsErrorBox> {
    let outside = || {
      JsErrorBox::type_error(format!(
        "Cannot import {specifier}: it is outside the app folder"
      ))
    };
    let path = specifier.to_file_path().map_err(|_| outside())?;
    let real = path.canonicalize().map_err(|_| {
      JsErrorBox::type_error(format!(
        "Cannot find module {}",
        display(self.root(), &path)
      ))
    })?;
    if real.starts_with(self.root()) {
      Ok(real)
    } else {
      Err(outside())
    }
  }
}

fn display(root: &Path, path: &Path) -> String {
  match path.strip_prefix(root) {
    Ok(rel) => format!("./{}", rel.display()),
    Err(_) => path.display().to_string(),
  }
}

impl ModuleLoader for AppModuleLoader {
  fn resolve(
    &self,
    specifier: &str,
    referrer: &str,
    _kind: ResolutionKind,
  ) -> ModuleResolveResponse {
    if let Some(builtin) = specifier.strip_prefix("node:") {
      return Err(JsErrorBox::type_error(format!(
        "Cannot import \"node:{builtin}\": Node built-in modules are not supported yet"
      )));
    }
    let is_path =
      specifier.starts_with("./") || specifier.starts_with("../") || specifier.starts_with('/');
    if !is_path && !specifier.contains(':') {
      return Err(JsErrorBox::type_error(format!(
        "Cannot import \"{specifier}\": package imports are not supported yet; import files by relative path"
      )));
    }
    let resolved = resolve_import(specifier, referrer).map_err(JsErrorBox::from_err)?;
    if resolved.scheme() != "file" {
      return Err(JsErrorBox::type_error(format!(
        "Cannot import {resolved}: apps may only import files from their own folder"
      )));
    }
    Ok(resolved)
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

impl AppModuleLoader {
  fn load_sync(
    &self,
    specifier: &ModuleSpecifier,
    options: &ModuleLoadOptions,
  ) -> Result<ModuleSource, ModuleLoaderError> {
    let path = self.confined_path(specifier)?;
    let ext = path
      .extension()
      .and_then(|e| e.to_str())
      .unwrap_or("")
      .to_ascii_lowercase();
    let module_type = match ext.as_str() {
      "json" => ModuleType::Json,
      _ => ModuleType::JavaScript,
    };
    if module_type == ModuleType::Json && options.requested_module_type != RequestedModuleType::Json
    {
      return Err(JsErrorBox::type_error(format!(
        "Importing {} needs `with {{ type: \"json\" }}`",
        display(self.root(), &path)
      )));
    }
    let code = std::fs::read(&path).map_err(|err| {
      JsErrorBox::generic(format!(
        "Cannot read {}: {err}",
        display(self.root(), &path)
      ))
    })?;
    if let Some(media_type) = transpile::media_type(&ext) {
      let source = String::from_utf8(code).map_err(|_| {
        JsErrorBox::type_error(format!("{} is not UTF-8", display(self.root(), &path)))
      })?;
      let js = transpile::transpile(specifier, source, media_type, None)
        .map_err(|err| JsErrorBox::type_error(err.replace(self.root_url().as_str(), "./")))?;
      return Ok(ModuleSource::new(
        module_type,
        ModuleSourceCode::String(js.to_string().into()),
        specifier,
        None,
      ));
    }
    Ok(ModuleSource::new(
      module_type,
      ModuleSourceCode::Bytes(code.into_boxed_slice().into()),
      specifier,
      None,
    ))
  }
}
