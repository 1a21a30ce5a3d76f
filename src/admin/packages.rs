//! `/_/apps`: whole app versions as packages. `POST` takes a `.zip` or
//! `.tar.gz` of an app folder and installs it as `name/version`; `GET`
//! lists apps and their versions; `DELETE /_/apps/{name}[/{version}]`
//! removes one.
//!
//! An install is atomic: the body is streamed and unpacked under
//! `APPS_DIR/.buntime-staging/` (never served: names starting with `.` are
//! not apps), and only the finished folder is renamed into place, so a
//! request sees the old version or the whole new one, and an upload cut off
//! half way (even by a crash: the staging folder is emptied at start)
//! leaves nothing behind.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Extension, Json, Router};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

use super::archive::{self, io_error, Format, UploadLimits};
use super::tokens::{Grant, Needed};
use crate::apps::resolver::is_valid_app_name;
use crate::http_error::HttpError;
use crate::state::AppState;

/// Under `APPS_DIR`; its name starts with `.` so it is never an app.
pub const STAGING: &str = ".buntime-staging";

/// Installs run one at a time: two deploys of one version must not both
/// find it missing.
static INSTALLING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub fn router() -> Router<Arc<AppState>> {
  Router::new()
    .route(
      "/",
      get(list).post(install).layer(DefaultBodyLimit::disable()),
    )
    .route("/{name}", delete(remove_app))
    .route("/{name}/{version}", delete(remove_version))
}

/// Empties the staging folder: what is there is left from uploads a
/// crash or kill cut off.
pub fn clear_staging(apps_dir: &Path) {
  let staging = apps_dir.join(STAGING);
  if staging.exists() {
    if let Err(err) = std::fs::remove_dir_all(&staging) {
      tracing::warn!("could not empty {}: {err}", staging.display());
    }
  }
}

fn bad_field(code: &'static str, message: String) -> HttpError {
  HttpError::api(StatusCode::BAD_REQUEST, code, message)
}

fn ok(status: StatusCode, data: Value) -> Response {
  (status, Json(json!({ "success": true, "data": data }))).into_response()
}

#[derive(Deserialize)]
struct InstallQuery {
  name: Option<String>,
  version: Option<String>,
  /// Replace an installed version of the same number (else 409).
  #[serde(default)]
  replace: bool,
}

async fn install(
  State(state): State<Arc<AppState>>,
  grant: Option<Extension<Grant>>,
  Query(query): Query<InstallQuery>,
  body: Body,
) -> Result<Response, HttpError> {
  // Fields given in the URL are checked before any byte is stored.
  if let Some(name) = &query.name {
    check_name(name)?;
  }
  if let Some(version) = &query.version {
    check_version(version)?;
  }
  let limits = UploadLimits::of(&state.settings);
  let staging_root = state.apps_dir().join(STAGING);
  std::fs::create_dir_all(&staging_root).map_err(io_error)?;
  let work = tempfile::Builder::new()
    .prefix("deploy-")
    .tempdir_in(&staging_root)
    .map_err(io_error)?;
  let upload = work.path().join("upload");
  let head = receive(body, &upload, limits.max_upload_bytes).await?;
  let Some(format) = Format::sniff(&head) else {
    return Err(archive::refuse(
      "The body is not a .zip or .tar.gz archive".into(),
    ));
  };
  let unpacked = work.path().join("app");
  let staged = tokio::task::spawn_blocking(move || -> Result<(PathBuf, usize), HttpError> {
    std::fs::create_dir(&unpacked).map_err(io_error)?;
    let files = archive::unpack(&upload, format, &unpacked, limits)?;
    let _ = std::fs::remove_file(&upload);
    Ok((package_root(&unpacked), files))
  })
  .await
  .map_err(|err| io_error(std::io::Error::other(err)))??;
  let (root, files) = staged;
  let manifest = read_manifest(&root);
  let name = match query.name {
    Some(name) => name,
    None => manifest_field(&manifest, "name")?,
  };
  check_name(&name)?;
  // The guard checked `?name=`; a name from package.json is checked here,
  // before anything is looked up under it.
  let needed = Needed::Deploy(name.clone());
  if !grant.is_some_and(|Extension(grant)| grant.allows(&needed)) {
    return Err(HttpError::new(StatusCode::FORBIDDEN, needed.refusal()));
  }
  let version = match query.version {
    Some(version) => version,
    None => manifest_field(&manifest, "version")?,
  };
  let version = check_version(&version)?.to_string();
  let _one_at_a_time = INSTALLING.lock().await;
  let app_dir = state.apps_dir().join(&name);
  let destination = app_dir.join(&version);
  let existed = destination.exists();
  if existed && !query.replace {
    return Err(HttpError::api(
      StatusCode::CONFLICT,
      "VERSION_EXISTS",
      format!("{name}@{version} is already installed; pass replace=true to replace it"),
    ));
  }
  std::fs::create_dir_all(&app_dir).map_err(io_error)?;
  // A symlinked app folder could point anywhere: refuse to write through.
  if std::fs::symlink_metadata(&app_dir).is_ok_and(|m| m.file_type().is_symlink()) {
    return Err(bad_field(
      "INVALID_NAME",
      format!("The folder of app {name} is a link; it cannot be deployed to"),
    ));
  }
  if existed {
    // Moved aside first, dropped with the staging folder after.
    std::fs::rename(&destination, work.path().join("replaced")).map_err(io_error)?;
  }
  std::fs::rename(&root, &destination).map_err(io_error)?;
  drop(work);
  state.app_changed(&destination);
  app_log_installed(&name, &version, files);
  Ok(ok(
    StatusCode::CREATED,
    json!({ "name": name, "version": version, "files": files, "replaced": existed }),
  ))
}

fn app_log_installed(name: &str, version: &str, files: usize) {
  let key = format!("{name}@{version}");
  crate::ext::app_log::record(
    &key,
    crate::ext::app_log::Level::Info,
    &format!("deployed {key} ({files} files)"),
    None,
  );
}

/// Streams the body into `path`, refusing past `max` with 413. Answers
/// the first bytes, for the format check.
async fn receive(body: Body, path: &Path, max: u64) -> Result<Vec<u8>, HttpError> {
  let mut file = tokio::fs::File::create(path).await.map_err(io_error)?;
  let mut stream = body.into_data_stream();
  let (mut total, mut head) = (0u64, Vec::new());
  let broken = |err: axum::Error| {
    HttpError::api(
      StatusCode::BAD_REQUEST,
      "BAD_UPLOAD",
      format!("The upload broke off: {err}"),
    )
  };
  while let Some(chunk) = stream.next().await {
    let chunk = chunk.map_err(broken)?;
    total += chunk.len() as u64;
    if total > max {
      return Err(archive::too_large(&mut stream, max).await);
    }
    if head.len() < 8 {
      head.extend_from_slice(&chunk[..chunk.len().min(8 - head.len())]);
    }
    file.write_all(&chunk).await.map_err(io_error)?;
  }
  file.flush().await.map_err(io_error)?;
  if total == 0 {
    return Err(archive::refuse("The body is empty".into()));
  }
  Ok(head)
}

/// The app folder inside the unpacked archive: the archive's root, or its
/// one top-level folder when that is all it holds (`npm pack`'s
/// `package/`, a folder zipped whole).
fn package_root(unpacked: &Path) -> PathBuf {
  if unpacked.join("package.json").exists() {
    return unpacked.to_path_buf();
  }
  let entries: Vec<_> = std::fs::read_dir(unpacked)
    .map(|dir| dir.flatten().collect())
    .unwrap_or_default();
  match entries.as_slice() {
    [only] if only.file_type().is_ok_and(|t| t.is_dir()) => only.path(),
    _ => unpacked.to_path_buf(),
  }
}

fn read_manifest(root: &Path) -> Option<Value> {
  let text = std::fs::read(root.join("package.json")).ok()?;
  serde_json::from_slice(&text).ok()
}

/// `name` or `version` from package.json, or the 400 naming the field.
fn manifest_field(manifest: &Option<Value>, field: &str) -> Result<String, HttpError> {
  let code = if field == "name" {
    "INVALID_NAME"
  } else {
    "INVALID_VERSION"
  };
  match manifest.as_ref().map(|m| &m[field]) {
    Some(Value::String(value)) => Ok(value.clone()),
    Some(Value::Null) | None => Err(bad_field(
      code,
      format!("No \"{field}\": pass ?{field}= or set it in the app's package.json"),
    )),
    Some(_) => Err(bad_field(
      code,
      format!("\"{field}\" in package.json must be a string"),
    )),
  }
}

fn check_name(name: &str) -> Result<(), HttpError> {
  if is_valid_app_name(name) && name != "_" {
    return Ok(());
  }
  let shown: String = name.chars().take(64).collect();
  Err(bad_field(
    "INVALID_NAME",
    format!(
      "\"name\" {shown:?} is not a valid app folder name (letters, digits, '-', '_', '.'; not starting with '.')"
    ),
  ))
}

fn check_version(version: &str) -> Result<semver::Version, HttpError> {
  semver::Version::parse(version.trim_start_matches('v')).map_err(|_| {
    let shown: String = version.chars().take(64).collect();
    bad_field(
      "INVALID_VERSION",
      format!("\"version\" {shown:?} is not a semver version (like 1.2.3)"),
    )
  })
}

/// Every app for `read`; a `deploy:` token sees only its own apps.
async fn list(
  State(state): State<Arc<AppState>>,
  grant: Option<Extension<Grant>>,
) -> Result<Response, HttpError> {
  let Some(Extension(grant)) = grant else {
    return Err(HttpError::unauthorized());
  };
  let dir = std::fs::read_dir(state.apps_dir()).map_err(io_error)?;
  let mut apps = Vec::new();
  for entry in dir.flatten() {
    let name = entry.file_name().to_string_lossy().into_owned();
    if !is_valid_app_name(&name)
      || !grant.sees_app(&name)
      || !entry.file_type().is_ok_and(|t| t.is_dir())
    {
      continue;
    }
    let mut versions: Vec<semver::Version> = std::fs::read_dir(entry.path())
      .map(|dir| {
        dir
          .flatten()
          .filter(|v| v.file_type().is_ok_and(|t| t.is_dir()))
          .filter_map(|v| semver::Version::parse(&v.file_name().to_string_lossy()).ok())
          .collect()
      })
      .unwrap_or_default();
    if versions.is_empty() {
      continue;
    }
    versions.sort();
    let versions: Vec<String> = versions.iter().map(ToString::to_string).collect();
    apps.push(json!({ "name": name, "versions": versions }));
  }
  apps.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
  Ok(ok(StatusCode::OK, json!({ "apps": apps })))
}

async fn remove_app(
  State(state): State<Arc<AppState>>,
  UrlPath(name): UrlPath<String>,
) -> Result<Response, HttpError> {
  check_name(&name)?;
  remove(&state, &name, None).await
}

async fn remove_version(
  State(state): State<Arc<AppState>>,
  UrlPath((name, version)): UrlPath<(String, String)>,
) -> Result<Response, HttpError> {
  check_name(&name)?;
  let version = check_version(&version)?.to_string();
  remove(&state, &name, Some(&version)).await
}

async fn remove(
  state: &AppState,
  name: &str,
  version: Option<&str>,
) -> Result<Response, HttpError> {
  let _one_at_a_time = INSTALLING.lock().await;
  let app_dir = state.apps_dir().join(name);
  let target = match version {
    Some(version) => app_dir.join(version),
    None => app_dir.clone(),
  };
  let shown = match version {
    Some(version) => format!("{name}@{version}"),
    None => name.to_string(),
  };
  if !std::fs::symlink_metadata(&target).is_ok_and(|m| m.is_dir()) {
    return Err(HttpError::api(
      StatusCode::NOT_FOUND,
      "NOT_FOUND",
      format!("No app {shown}"),
    ));
  }
  // Moved out of sight first, so no request finds it half deleted.
  let staging_root = state.apps_dir().join(STAGING);
  std::fs::create_dir_all(&staging_root).map_err(io_error)?;
  let trash = tempfile::Builder::new()
    .prefix("removed-")
    .tempdir_in(&staging_root)
    .map_err(io_error)?;
  std::fs::rename(&target, trash.path().join("gone")).map_err(io_error)?;
  state.app_changed(&target);
  tokio::task::spawn_blocking(move || drop(trash));
  Ok(ok(StatusCode::OK, json!({ "removed": shown })))
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn names_and_versions() {
    assert!(check_name("shop-api").is_ok());
    for bad in ["", "..", ".hidden", "_", "a/b", "@team/app", "a b"] {
      assert!(check_name(bad).is_err(), "{bad}");
    }
    assert_eq!(check_version("1.2.3").unwrap().to_string(), "1.2.3");
    assert_eq!(
      check_version("v2.0.0-beta.1").unwrap().to_string(),
      "2.0.0-beta.1"
    );
    for bad in ["", "1", "1.2", "latest", "../1.0.0"] {
      assert!(check_version(bad).is_err(), "{bad}");
    }
  }
}
