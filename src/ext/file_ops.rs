//! Ops behind `Bun.file` (the app folder) and `20_static.js` (a static
//! site's files, with conditional GET and a small per-worker cache).

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use bytes::Bytes;
use deno_core::{op2, OpState};
use deno_error::JsErrorBox;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::HeaderMap;
use serde::Serialize;

use super::app_paths::{confine, confine_app_file, Confined};
use super::conditional::is_fresh;
use super::exchange_ops::{InFlight, WorkerContext};
use super::protocol::{Reply, ResponseBody, ResponseHead};
use super::static_privacy::is_private_static;

/// A static request's `If-None-Match` and `If-Modified-Since`, read where
/// the headers wait (JS never needs them).
fn conditional_headers(state: &mut OpState, id: u32) -> (String, String) {
  let headers = state.borrow::<InFlight>().headers_of(id);
  let read = |name: http::header::HeaderName| {
    headers
      .and_then(|headers| headers.get(name))
      .and_then(|value| value.to_str().ok())
      .unwrap_or_default()
      .to_string()
  };
  (
    read(http::header::IF_NONE_MATCH),
    read(http::header::IF_MODIFIED_SINCE),
  )
}

fn root_for(state: &OpState, base: u32) -> PathBuf {
  let ctx = state.borrow::<WorkerContext>();
  if base == 1 {
    ctx.static_root.clone()
  } else {
    ctx.app_root.clone()
  }
}

/// `base` 0: a path as the app wrote it; 1: a path under the static root.
fn confine_for(root: &Path, base: u32, path: &str) -> Confined {
  if base == 0 {
    confine_app_file(root, path)
  } else {
    confine(root, path)
  }
}

#[derive(Serialize)]
pub struct FileStat {
  /// "file", "dir", "missing" or "forbidden".
  kind: &'static str,
  size: u64,
  #[serde(rename = "type")]
  mime: String,
}

/// `base`: 0 = app folder (Bun.file), 1 = static root.
#[op2]
#[serde]
pub fn op_file_stat(state: &mut OpState, #[smi] base: u32, #[string] path: &str) -> FileStat {
  let root = root_for(state, base);
  let mime = content_type(path).to_str().unwrap_or_default().to_string();
  let confined = confine_for(&root, base, path);
  let (kind, size) = match confined {
    Confined::Outside => ("forbidden", 0),
    Confined::Missing => ("missing", 0),
    Confined::Inside(real) => match std::fs::metadata(real) {
      Ok(meta) if meta.is_dir() => ("dir", 0),
      Ok(meta) => ("file", meta.len()),
      Err(_) => ("missing", 0),
    },
  };
  FileStat { kind, size, mime }
}

#[op2]
#[buffer]
pub async fn op_file_read(
  state: Rc<RefCell<OpState>>,
  #[smi] base: u32,
  #[string] path: String,
) -> Result<Vec<u8>, JsErrorBox> {
  let root = root_for(&state.borrow(), base);
  let confined = confine_for(&root, base, &path);
  match confined {
    Confined::Outside => Err(JsErrorBox::type_error(format!(
      "{path} is outside the app folder"
    ))),
    Confined::Missing => Err(JsErrorBox::type_error(format!("No such file: {path}"))),
    Confined::Inside(real) => tokio::fs::read(real)
      .await
      .map_err(|err| JsErrorBox::generic(format!("cannot read {path}: {err}"))),
  }
}

/// Serves a static file as the whole response. Resolves "served", "missing",
/// "dir" or "forbidden"; anything but "served" leaves the request open for
/// JS to decide (SPA fallback, 403).
#[op2]
#[string]
pub async fn op_file_respond(
  state: Rc<RefCell<OpState>>,
  #[smi] id: u32,
  #[string] path: String,
) -> Result<&'static str, JsErrorBox> {
  let root = root_for(&state.borrow(), 1);
  let (if_none_match, if_modified_since) = conditional_headers(&mut state.borrow_mut(), id);
  let real = match confine(&root, &path) {
    Confined::Outside => return Ok("forbidden"),
    Confined::Missing => return Ok("missing"),
    Confined::Inside(real) => real,
  };
  // Checked on the name asked for and on where a symlink leads, so an
  // innocent name cannot point at `.env`.
  if is_private_static(&path)
    || real
      .strip_prefix(&root)
      .is_ok_and(|inside| is_private_static(&inside.to_string_lossy()))
  {
    return Ok("missing");
  }
  let Ok(meta) = std::fs::metadata(&real) else {
    return Ok("missing");
  };
  if meta.is_dir() {
    return Ok("dir");
  }
  let modified = meta.modified().unwrap_or(std::time::UNIX_EPOCH);
  let stamp = modified
    .duration_since(std::time::UNIX_EPOCH)
    .unwrap_or_default();
  let etag = format!("W/\"{:x}-{:x}\"", meta.len(), stamp.as_nanos());
  let last_modified = httpdate::fmt_http_date(modified);
  let mut headers = HeaderMap::new();
  headers.insert(CONTENT_TYPE, content_type(&path));
  headers.insert(
    http::header::ETAG,
    HeaderValue::from_str(&etag).expect("ascii"),
  );
  headers.insert(
    http::header::LAST_MODIFIED,
    HeaderValue::from_str(&last_modified).expect("ascii"),
  );
  let fresh = is_fresh(
    &if_none_match,
    &if_modified_since,
    Some(&etag),
    Some(stamp.as_secs()),
  );
  let (status, body) = if fresh {
    (304, Bytes::new())
  } else {
    match cached_file(&state, &real, meta.len(), stamp).await {
      Some(bytes) => (200, bytes),
      None => return Ok("missing"),
    }
  };
  let head = ResponseHead {
    status,
    headers,
    body: ResponseBody::Full(body),
  };
  state
    .borrow_mut()
    .borrow_mut::<InFlight>()
    .reply(id, Reply::Response(head))?;
  Ok("served")
}

/// Small static files kept in memory per worker, checked against size and
/// modification time on every request (so an edited file is re-read).
#[derive(Default)]
pub struct StaticFileCache {
  files: HashMap<PathBuf, (u64, std::time::Duration, Bytes)>,
  bytes: usize,
}

const CACHED_FILE_MAX: u64 = 256 << 10;
const STATIC_CACHE_MAX: usize = 16 << 20;

async fn cached_file(
  state: &Rc<RefCell<OpState>>,
  path: &Path,
  len: u64,
  stamp: std::time::Duration,
) -> Option<Bytes> {
  {
    let mut state = state.borrow_mut();
    let cache = match state.try_borrow_mut::<StaticFileCache>() {
      Some(cache) => cache,
      None => {
        state.put(StaticFileCache::default());
        state.borrow_mut::<StaticFileCache>()
      }
    };
    if let Some((l, s, bytes)) = cache.files.get(path) {
      if *l == len && *s == stamp {
        return Some(bytes.clone());
      }
    }
  }
  let bytes = if len <= CACHED_FILE_MAX {
    // Small: a direct read is cheaper than a trip to the blocking pool.
    Bytes::from(std::fs::read(path).ok()?)
  } else {
    return tokio::fs::read(path).await.ok().map(Bytes::from);
  };
  let mut state = state.borrow_mut();
  let cache = state.borrow_mut::<StaticFileCache>();
  if cache.bytes + bytes.len() > STATIC_CACHE_MAX {
    cache.files.clear();
    cache.bytes = 0;
  }
  cache.bytes += bytes.len();
  if let Some((_, _, old)) = cache
    .files
    .insert(path.to_path_buf(), (len, stamp, bytes.clone()))
  {
    cache.bytes -= old.len();
  }
  Some(bytes)
}

/// Content type by file extension; text gets an explicit UTF-8 charset.
pub fn content_type(path: &str) -> HeaderValue {
  let mime = mime_guess::from_path(path)
    .first_raw()
    .unwrap_or("application/octet-stream");
  if mime.starts_with("text/") || mime == "application/javascript" || mime == "image/svg+xml" {
    HeaderValue::from_str(&format!("{mime}; charset=utf-8"))
      .unwrap_or(HeaderValue::from_static("text/plain"))
  } else {
    HeaderValue::from_static(mime)
  }
}
