//! `/_/deployments`: list, mkdir, delete, rename, upload (a `.zip` is
//! extracted) and download of files under `APPS_DIR`.
//!
//! Every path is resolved inside `APPS_DIR` and refused with 400 when it
//! would leave it. Uploads land in a temporary file (or folder, for a zip)
//! first and are renamed into place, so a failed upload leaves nothing
//! half-written. Answers are `{"success": true, "data": …}` or
//! `{"success": false, "error": {"code", "message"}}`.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Extension, Json, Router};
use futures::TryStreamExt;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

use super::archive::{self, UploadLimits};
use super::tokens::{Grant, Needed};
use crate::http_error::HttpError;
use crate::state::AppState;

pub fn router() -> Router<Arc<AppState>> {
  Router::new()
    .route("/list", get(list))
    .route("/mkdir", post(mkdir))
    .route("/delete", delete(remove))
    .route("/rename", post(rename))
    .route("/upload", post(upload).layer(DefaultBodyLimit::disable()))
    .route("/download", get(download))
}

fn bad_path(message: impl Into<String>) -> HttpError {
  HttpError::api(StatusCode::BAD_REQUEST, "INVALID_PATH", message.into())
}

fn not_found(path: &str) -> HttpError {
  HttpError::api(
    StatusCode::NOT_FOUND,
    "NOT_FOUND",
    format!("No such file or folder: {path}"),
  )
}

fn io_error(err: std::io::Error) -> HttpError {
  HttpError::api(
    StatusCode::INTERNAL_SERVER_ERROR,
    "IO_ERROR",
    err.to_string(),
  )
}

fn ok(data: Value) -> Response {
  Json(json!({ "success": true, "data": data })).into_response()
}

/// A path relative to `APPS_DIR`, checked: no `..`, not absolute, no NUL or
/// backslash, and (following symlinks) still inside `APPS_DIR`.
struct Resolved {
  /// `APPS_DIR` itself.
  is_root: bool,
  path: PathBuf,
}

fn resolve(apps_dir: &Path, relative: &str) -> Result<Resolved, HttpError> {
  if relative.contains(['\0', '\\']) {
    return Err(bad_path("Path contains forbidden characters"));
  }
  if relative.starts_with('/') {
    return Err(bad_path("Path must be relative to the apps folder"));
  }
  let root = apps_dir.canonicalize().map_err(io_error)?;
  let leaves = || bad_path(format!("Path {relative:?} leaves the apps folder"));
  for part in Path::new(relative).components() {
    if let Component::Normal(part) = part {
      // A name that decodes to a traversal is refused too: some client
      // on the way may decode it later.
      let decoded = percent_encoding::percent_decode(part.as_encoded_bytes()).decode_utf8_lossy();
      if decoded == ".." || decoded == "." || decoded.contains(['/', '\\']) {
        return Err(leaves());
      }
    }
  }
  let path = crate::ext::app_paths::confine_new(&root, relative).ok_or_else(leaves)?;
  let is_root = path == root;
  Ok(Resolved { is_root, path })
}

/// `resolve`, for the request's grant: a `deploy:<app>` token works inside
/// its app's folder (renaming the folder itself, `whole_app_is_admin`,
/// and `APPS_DIR` itself need `admin`). Checked before the path is looked
/// at, so a refusal says nothing about what exists.
fn resolve_scoped(
  apps_dir: &Path,
  grant: &Option<Extension<Grant>>,
  relative: &str,
  whole_app_is_admin: bool,
) -> Result<Resolved, HttpError> {
  let Some(Extension(grant)) = grant else {
    return Err(HttpError::unauthorized());
  };
  let segments: Vec<&str> = relative
    .split('/')
    .filter(|s| !s.is_empty() && *s != ".")
    .collect();
  let needed = match segments.first() {
    Some(app) if !(whole_app_is_admin && segments.len() == 1) => Needed::Deploy(
      percent_encoding::percent_decode_str(app)
        .decode_utf8_lossy()
        .into_owned(),
    ),
    _ => Needed::Admin,
  };
  if !grant.allows(&needed) {
    return Err(HttpError::api(
      StatusCode::FORBIDDEN,
      "FORBIDDEN",
      needed.refusal(),
    ));
  }
  let resolved = resolve(apps_dir, relative)?;
  // A link inside the app's folder must not lead into another app's.
  if let Needed::Deploy(app) = &needed {
    let own = apps_dir.canonicalize().map_err(io_error)?.join(app);
    if !grant.allows(&Needed::Admin) && !resolved.path.starts_with(&own) {
      return Err(bad_path(format!(
        "Path {relative:?} leaves the app's folder"
      )));
    }
  }
  Ok(resolved)
}

/// The checked absolute path for `relative`, or `None` where the API
/// answers 400 (public for the property tests).
pub fn confine(apps_dir: &Path, relative: &str) -> Option<PathBuf> {
  resolve(apps_dir, relative)
    .ok()
    .map(|resolved| resolved.path)
}

/// A single file or folder name: no separators, not `.` or `..`.
fn plain_name(name: &str) -> Result<&str, HttpError> {
  if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\', '\0']) {
    return Err(bad_path(format!("{name:?} is not a plain file name")));
  }
  Ok(name)
}

fn millis(meta: &std::fs::Metadata) -> u64 {
  meta
    .modified()
    .ok()
    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
    .map_or(0, |d| d.as_millis() as u64)
}

#[derive(Deserialize)]
struct PathQuery {
  #[serde(default)]
  path: String,
}

#[derive(Deserialize)]
struct PathBody {
  path: String,
}

#[derive(Deserialize)]
struct RenameBody {
  path: String,
  #[serde(rename = "newName")]
  new_name: String,
}

fn relative_display(apps_dir: &Path, path: &Path) -> String {
  let root = apps_dir
    .canonicalize()
    .unwrap_or_else(|_| apps_dir.to_path_buf());
  path
    .strip_prefix(&root)
    .unwrap_or(path)
    .to_string_lossy()
    .into_owned()
}

async fn list(
  State(state): State<Arc<AppState>>,
  grant: Option<Extension<Grant>>,
  Query(query): Query<PathQuery>,
) -> Result<Response, HttpError> {
  let apps_dir = state.apps_dir();
  let target = resolve_scoped(apps_dir, &grant, &query.path, false)?;
  let meta = std::fs::metadata(&target.path).map_err(|_| not_found(&query.path))?;
  if !meta.is_dir() {
    return Err(HttpError::api(
      StatusCode::BAD_REQUEST,
      "NOT_A_FOLDER",
      format!("{} is a file", query.path),
    ));
  }
  let mut entries = Vec::new();
  for entry in std::fs::read_dir(&target.path).map_err(io_error)?.flatten() {
    let Ok(meta) = entry.metadata() else { continue };
    let name = entry.file_name().to_string_lossy().into_owned();
    let mut item = json!({
      "name": name,
      "path": relative_display(apps_dir, &entry.path()),
      "isDirectory": meta.is_dir(),
      "size": if meta.is_dir() { 0 } else { meta.len() },
      "updatedAt": millis(&meta),
    });
    if meta.is_dir() {
      item["files"] = json!(std::fs::read_dir(entry.path())
        .map(|d| d.count())
        .unwrap_or(0));
    }
    entries.push(item);
  }
  entries.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
  Ok(ok(json!(entries)))
}

async fn mkdir(
  State(state): State<Arc<AppState>>,
  grant: Option<Extension<Grant>>,
  Json(body): Json<PathBody>,
) -> Result<Response, HttpError> {
  let target = resolve_scoped(state.apps_dir(), &grant, &body.path, false)?;
  if target.is_root {
    return Err(bad_path("A folder name is required"));
  }
  std::fs::create_dir_all(&target.path).map_err(io_error)?;
  state.app_changed(&target.path);
  Ok(ok(json!({ "path": body.path })))
}

/// `DELETE delete` takes `{path}` as JSON, or `?path=`.
async fn remove(
  State(state): State<Arc<AppState>>,
  grant: Option<Extension<Grant>>,
  Query(query): Query<PathQuery>,
  body: bytes::Bytes,
) -> Result<Response, HttpError> {
  let path = if body.is_empty() {
    query.path
  } else {
    serde_json::from_slice::<PathBody>(&body)
      .map_err(|err| {
        HttpError::api(
          StatusCode::BAD_REQUEST,
          "BAD_REQUEST",
          format!("Expected {{\"path\"}}: {err}"),
        )
      })?
      .path
  };
  if path.is_empty() {
    return Err(bad_path("A path is required"));
  }
  let target = resolve_scoped(state.apps_dir(), &grant, &path, false)?;
  if target.is_root {
    return Err(HttpError::api(
      StatusCode::FORBIDDEN,
      "FORBIDDEN",
      "The apps folder itself cannot be deleted",
    ));
  }
  let meta = std::fs::symlink_metadata(&target.path).map_err(|_| not_found(&path))?;
  if meta.is_dir() {
    std::fs::remove_dir_all(&target.path).map_err(io_error)?;
  } else {
    std::fs::remove_file(&target.path).map_err(io_error)?;
  }
  state.app_changed(&target.path);
  Ok(ok(json!({ "path": path })))
}

async fn rename(
  State(state): State<Arc<AppState>>,
  grant: Option<Extension<Grant>>,
  Json(body): Json<RenameBody>,
) -> Result<Response, HttpError> {
  let target = resolve_scoped(state.apps_dir(), &grant, &body.path, true)?;
  if target.is_root {
    return Err(HttpError::api(
      StatusCode::FORBIDDEN,
      "FORBIDDEN",
      "The apps folder itself cannot be renamed",
    ));
  }
  let new_name = plain_name(&body.new_name)?;
  if !target.path.exists() {
    return Err(not_found(&body.path));
  }
  let destination = target.path.with_file_name(new_name);
  if destination.exists() {
    return Err(HttpError::api(
      StatusCode::CONFLICT,
      "EXISTS",
      format!("{new_name} already exists"),
    ));
  }
  std::fs::rename(&target.path, &destination).map_err(io_error)?;
  state.app_changed(&target.path);
  state.app_changed(&destination);
  Ok(ok(
    json!({ "path": relative_display(state.apps_dir(), &destination) }),
  ))
}

async fn upload(
  State(state): State<Arc<AppState>>,
  grant: Option<Extension<Grant>>,
  mut multipart: Multipart,
) -> Result<Response, HttpError> {
  let limits = UploadLimits::of(&state.settings);
  let mut folder: Option<Resolved> = None;
  let mut written = Vec::new();
  let mut total: u64 = 0;
  let bad_form = |err: axum::extract::multipart::MultipartError| {
    HttpError::api(
      StatusCode::BAD_REQUEST,
      "BAD_UPLOAD",
      format!("Malformed multipart body: {err}"),
    )
  };
  while let Some(field) = multipart.next_field().await.map_err(bad_form)? {
    match field.name() {
      Some("path") => {
        let text = field.text().await.map_err(bad_form)?;
        folder = Some(resolve_scoped(state.apps_dir(), &grant, &text, false)?);
      }
      Some("files") | Some("file") => {
        let folder = folder.as_ref().ok_or_else(|| {
          HttpError::api(
            StatusCode::BAD_REQUEST,
            "BAD_UPLOAD",
            "Send the \"path\" field before the files",
          )
        })?;
        let name = plain_name(field.file_name().unwrap_or(""))?.to_string();
        std::fs::create_dir_all(&folder.path).map_err(io_error)?;
        // Streamed into a temporary file next to its destination.
        let temp = tempfile::Builder::new()
          .prefix(".upload-")
          .tempfile_in(&folder.path)
          .map_err(io_error)?;
        let mut file = tokio::fs::File::from_std(temp.reopen().map_err(io_error)?);
        let mut stream = field.map_err(bad_form);
        while let Some(chunk) = stream.try_next().await? {
          total += chunk.len() as u64;
          if total > limits.max_upload_bytes {
            return Err(archive::too_large(&mut stream, limits.max_upload_bytes).await);
          }
          file.write_all(&chunk).await.map_err(io_error)?;
        }
        file.flush().await.map_err(io_error)?;
        drop(file);
        if name.to_ascii_lowercase().ends_with(".zip") {
          let into = folder.path.clone();
          let extracted =
            tokio::task::spawn_blocking(move || extract_zip(temp.path(), &into, limits))
              .await
              .map_err(|err| io_error(std::io::Error::other(err)))??;
          written.extend(extracted);
        } else {
          let destination = folder.path.join(&name);
          temp
            .persist(&destination)
            .map_err(|err| io_error(err.error))?;
          written.push(relative_display(state.apps_dir(), &destination));
        }
      }
      _ => {}
    }
  }
  let Some(folder) = folder else {
    return Err(HttpError::api(
      StatusCode::BAD_REQUEST,
      "BAD_UPLOAD",
      "The \"path\" field is required",
    ));
  };
  if written.is_empty() {
    return Err(HttpError::api(
      StatusCode::BAD_REQUEST,
      "BAD_UPLOAD",
      "No files were sent",
    ));
  }
  state.app_changed(&folder.path.join("x"));
  Ok(ok(json!({ "files": written })))
}

/// Extracts into a temporary folder beside the destination (every entry
/// checked by [`archive::unpack`]), then moves the top-level entries in
/// place.
fn extract_zip(
  archive: &Path,
  into: &Path,
  limits: UploadLimits,
) -> Result<Vec<String>, HttpError> {
  let staging = tempfile::Builder::new()
    .prefix(".extract-")
    .tempdir_in(into)
    .map_err(io_error)?;
  archive::unpack(archive, archive::Format::Zip, staging.path(), limits)?;
  let mut moved = Vec::new();
  for entry in std::fs::read_dir(staging.path())
    .map_err(io_error)?
    .flatten()
  {
    let destination = into.join(entry.file_name());
    if destination.is_dir() {
      std::fs::remove_dir_all(&destination).map_err(io_error)?;
    } else if destination.exists() {
      std::fs::remove_file(&destination).map_err(io_error)?;
    }
    std::fs::rename(entry.path(), &destination).map_err(io_error)?;
    moved.push(entry.file_name().to_string_lossy().into_owned());
  }
  Ok(moved)
}

async fn download(
  State(state): State<Arc<AppState>>,
  grant: Option<Extension<Grant>>,
  Query(query): Query<PathQuery>,
) -> Result<Response, HttpError> {
  let target = resolve_scoped(state.apps_dir(), &grant, &query.path, false)?;
  let meta = std::fs::metadata(&target.path).map_err(|_| not_found(&query.path))?;
  let name = target
    .path
    .file_name()
    .map(|n| n.to_string_lossy().into_owned())
    .unwrap_or_else(|| "apps".into());
  let (file, name) = if meta.is_dir() {
    let source = target.path.clone();
    let archive = tokio::task::spawn_blocking(move || zip_folder(&source))
      .await
      .map_err(|err| io_error(std::io::Error::other(err)))??;
    (tokio::fs::File::from_std(archive), format!("{name}.zip"))
  } else {
    (
      tokio::fs::File::open(&target.path)
        .await
        .map_err(io_error)?,
      name,
    )
  };
  let stream = tokio_util_stream(file);
  let disposition = format!(
    "attachment; filename=\"{}\"",
    name.replace(['"', '\\'], "_")
  );
  let mut response = Response::new(Body::from_stream(stream));
  let headers = response.headers_mut();
  headers.insert(
    header::CONTENT_TYPE,
    HeaderValue::from_static("application/octet-stream"),
  );
  if let Ok(value) = HeaderValue::from_str(&disposition) {
    headers.insert(header::CONTENT_DISPOSITION, value);
  }
  Ok(response)
}

/// Reads a file as a stream of chunks.
fn tokio_util_stream(
  file: tokio::fs::File,
) -> impl futures::Stream<Item = std::io::Result<bytes::Bytes>> {
  futures::stream::unfold(file, |mut file| async move {
    use tokio::io::AsyncReadExt;
    let mut buffer = vec![0u8; 64 * 1024];
    match file.read(&mut buffer).await {
      Ok(0) => None,
      Ok(n) => {
        buffer.truncate(n);
        Some((Ok(bytes::Bytes::from(buffer)), file))
      }
      Err(err) => Some((Err(err), file)),
    }
  })
}

/// A folder as a zip in an anonymous temporary file.
fn zip_folder(source: &Path) -> Result<std::fs::File, HttpError> {
  let mut archive = tempfile::tempfile().map_err(io_error)?;
  {
    let mut writer = zip::ZipWriter::new(&mut archive);
    let options =
      zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut stack = vec![source.to_path_buf()];
    while let Some(dir) = stack.pop() {
      for entry in std::fs::read_dir(&dir).map_err(io_error)?.flatten() {
        let path = entry.path();
        let relative = path
          .strip_prefix(source)
          .unwrap_or(&path)
          .to_string_lossy()
          .replace('\\', "/");
        let Ok(kind) = entry.file_type() else {
          continue;
        };
        if kind.is_symlink() {
          continue;
        }
        if kind.is_dir() {
          writer
            .add_directory(format!("{relative}/"), options)
            .map_err(|e| io_error(std::io::Error::other(e)))?;
          stack.push(path);
        } else {
          writer
            .start_file(relative, options)
            .map_err(|e| io_error(std::io::Error::other(e)))?;
          let mut file = std::fs::File::open(&path).map_err(io_error)?;
          std::io::copy(&mut file, &mut writer).map_err(io_error)?;
        }
      }
    }
    writer
      .finish()
      .map_err(|e| io_error(std::io::Error::other(e)))?;
  }
  use std::io::Seek;
  archive
    .seek(std::io::SeekFrom::Start(0))
    .map_err(io_error)?;
  Ok(archive)
}
