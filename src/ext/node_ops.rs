//! Ops behind the Node built-ins in `runtime-js/node/`: `require()` for
//! CommonJS packages and `node:fs` reads confined to the app folder
//! (`node:crypto`'s are in `crypto_ops.rs`).

use std::path::PathBuf;
use std::rc::Rc;
use std::time::UNIX_EPOCH;

use deno_core::{op2, OpState};
use deno_error::JsErrorBox;
use serde::Serialize;

use super::app_paths::{confine_app_file, Confined};
use super::exchange_ops::WorkerContext;

/// What `require()` needs from the worker's module loader: resolution with
/// Node's CommonJS rules and the (transpiled) source of a file. Lives behind
/// a trait so `src/ext` stays free of the resolver and transpiler crates.
pub trait ModuleHost {
  /// `specifier` as required from the file `parent`: `node:<name>` for a
  /// built-in, else the absolute path of a file inside the app folder.
  fn require_resolve(&self, specifier: &str, parent: &str) -> Result<String, String>;
  /// The JavaScript of a CommonJS file (TypeScript stripped), or JSON
  /// text; `None` for an ES module, which `require` imports synchronously.
  fn require_source(&self, path: &str) -> Result<Option<String>, String>;
}

/// The worker's [`ModuleHost`], put into `OpState` when the worker starts.
#[derive(Clone)]
pub struct ModuleHostRef(pub Rc<dyn ModuleHost>);

fn host(state: &OpState) -> Result<Rc<dyn ModuleHost>, JsErrorBox> {
  state
    .try_borrow::<ModuleHostRef>()
    .map(|h| h.0.clone())
    .ok_or_else(|| JsErrorBox::generic("require() is not available here"))
}

#[op2]
#[string]
pub fn op_node_require_resolve(
  state: &mut OpState,
  #[string] specifier: &str,
  #[string] parent: &str,
) -> Result<String, JsErrorBox> {
  host(state)?
    .require_resolve(specifier, parent)
    .map_err(JsErrorBox::type_error)
}

#[op2]
#[string]
pub fn op_node_require_source(
  state: &mut OpState,
  #[string] path: &str,
) -> Result<Option<String>, JsErrorBox> {
  host(state)?
    .require_source(path)
    .map_err(JsErrorBox::type_error)
}

/// `path` as given to `node:fs`: absolute inside the app folder, or
/// relative to it (the worker's working directory is the app folder).
fn fs_path(state: &OpState, path: &str) -> Result<PathBuf, JsErrorBox> {
  let root = &state.borrow::<WorkerContext>().app_root;
  let relative = match path.strip_prefix("file://") {
    Some(url_path) => url_path,
    None => path,
  };
  match confine_app_file(root, relative) {
    Confined::Inside(real) => Ok(real),
    Confined::Missing => Err(fs_error("ENOENT", "no such file or directory", path)),
    Confined::Outside => Err(fs_error("EACCES", "outside the app folder", path)),
  }
}

/// Node-style message; `runtime-js/node/fs.js` turns the leading code into
/// `err.code`.
fn fs_error(code: &str, what: &str, path: &str) -> JsErrorBox {
  JsErrorBox::generic(format!("{code}: {what}, '{path}'"))
}

fn io_error(err: std::io::Error, path: &str) -> JsErrorBox {
  let code = match err.kind() {
    std::io::ErrorKind::NotFound => "ENOENT",
    std::io::ErrorKind::PermissionDenied => "EACCES",
    _ if err.raw_os_error() == Some(21) => "EISDIR",
    _ if err.raw_os_error() == Some(20) => "ENOTDIR",
    _ => "EIO",
  };
  fs_error(code, &err.to_string(), path)
}

#[op2]
#[buffer]
pub fn op_node_fs_read(state: &mut OpState, #[string] path: &str) -> Result<Vec<u8>, JsErrorBox> {
  let real = fs_path(state, path)?;
  std::fs::read(real).map_err(|err| io_error(err, path))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FsStat {
  is_file: bool,
  is_directory: bool,
  size: u64,
  mode: u32,
  mtime_ms: f64,
}

#[op2]
#[serde]
pub fn op_node_fs_stat(state: &mut OpState, #[string] path: &str) -> Result<FsStat, JsErrorBox> {
  use std::os::unix::fs::PermissionsExt;
  let real = fs_path(state, path)?;
  let meta = std::fs::metadata(real).map_err(|err| io_error(err, path))?;
  let mtime_ms = meta
    .modified()
    .ok()
    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
    .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
  Ok(FsStat {
    is_file: meta.is_file(),
    is_directory: meta.is_dir(),
    size: meta.len(),
    mode: meta.permissions().mode(),
    mtime_ms,
  })
}

/// Entries of a folder: `[name, isDirectory]`, sorted by name.
#[op2]
#[serde]
pub fn op_node_fs_readdir(
  state: &mut OpState,
  #[string] path: &str,
) -> Result<Vec<(String, bool)>, JsErrorBox> {
  let real = fs_path(state, path)?;
  let mut entries = Vec::new();
  for entry in std::fs::read_dir(real).map_err(|err| io_error(err, path))? {
    let entry = entry.map_err(|err| io_error(err, path))?;
    let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
    entries.push((entry.file_name().to_string_lossy().into_owned(), is_dir));
  }
  entries.sort();
  Ok(entries)
}
