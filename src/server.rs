//! The HTTP front end: `/` answers the version (or the shell app),
//! `/<app>[@range]/...` goes to that app's worker.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use bytes::Bytes;
use futures::StreamExt;
use http_body_util::BodyExt;
use quick_cache::sync::Cache;
use tokio::sync::oneshot;
use tokio_stream::wrappers::ReceiverStream;

use crate::app_config::{self, AppConfig, ConfigError, EntryKind};
use crate::ext::protocol::{Reply, RequestJob, ResponseBody, ResponseHead};
use crate::html_base::inject_base;
use crate::http_error::json_error;
use crate::pool::Pool;
use crate::resolver::{ResolvedApp, Resolver, LISTING_TTL};
use crate::settings::Settings;
use crate::worker::WorkerSpec;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// An app version ready to dispatch to: its config and what its workers run.
struct LoadedApp {
  config: AppConfig,
  kind: EntryKind,
  spec: Arc<WorkerSpec>,
}

type LoadedConfig = Result<LoadedApp, ConfigError>;

pub struct AppState {
  settings: Settings,
  resolver: Resolver,
  pool: Pool,
  /// App folder → its parsed config and worker spec, re-read when older
  /// than a second (so edits and redeploys show up without a restart).
  configs: Cache<PathBuf, (Instant, Arc<LoadedConfig>)>,
}

impl AppState {
  pub fn new(settings: Settings) -> Arc<Self> {
    Arc::new(Self {
      resolver: Resolver::new(settings.apps_dir.clone()),
      pool: Pool::new(
        settings.pool_size(),
        settings.prestart_workers as usize,
        (settings.worker_heap_mb as usize) << 20,
      ),
      configs: Cache::new(1024),
      settings,
    })
  }

  fn load(&self, app: &ResolvedApp) -> Arc<LoadedConfig> {
    if let Some((at, loaded)) = self.configs.get(&app.dir) {
      if at.elapsed() < LISTING_TTL {
        return loaded;
      }
    }
    let loaded = Arc::new(app_config::load(&app.dir).and_then(|config| {
      let entry = app_config::find_entrypoint(&app.dir, &config)?;
      let spec = Arc::new(WorkerSpec {
        key: app.key(),
        app_root: entry.root.clone(),
        is_static: entry.kind == EntryKind::Static,
        entry: entry.path,
        env: config.env.clone(),
        heap_limit_bytes: heap_limit(&self.settings, &config),
      });
      Ok(LoadedApp {
        config,
        kind: entry.kind,
        spec,
      })
    }));
    self
      .configs
      .insert(app.dir.clone(), (Instant::now(), loaded.clone()));
    loaded
  }
}

pub fn router(state: Arc<AppState>) -> Router {
  Router::new().fallback(handle).with_state(state)
}

/// Serves until the process is stopped.
pub async fn serve(settings: Settings) -> std::io::Result<()> {
  let addr = SocketAddr::new(settings.host, settings.port);
  let listener = tokio::net::TcpListener::bind(addr).await?;
  let local = listener.local_addr()?;
  tracing::info!(
    "buntime v{VERSION} listening on http://{local} (apps: {}, pool size {})",
    settings.apps_dir.display(),
    settings.pool_size()
  );
  // Tests and scripts wait for this line on stdout.
  println!("listening on http://{local}");
  let state = AppState::new(settings);
  state.pool.prestart();
  let app = router(state);
  axum::serve(listener, app).await
}

/// `/<segment>/<rest>` → (segment as written, rest with its leading slash).
fn split_first_segment(path: &str) -> (&str, &str) {
  let trimmed = path.strip_prefix('/').unwrap_or(path);
  match trimmed.find('/') {
    Some(i) => (&trimmed[..i], &trimmed[i..]),
    None => (trimmed, "/"),
  }
}

async fn handle(State(state): State<Arc<AppState>>, request: Request) -> Response {
  let path = request.uri().path().to_string();
  let (segment, rest) = split_first_segment(&path);
  let decoded = percent_encoding::percent_decode_str(segment)
    .decode_utf8_lossy()
    .into_owned();
  let (name, range) = match decoded.split_once('@') {
    Some((name, range)) => (name.to_string(), Some(range.to_string())),
    None => (decoded.clone(), None),
  };

  let shell = state.settings.app_shell.as_deref();
  let is_app = !segment.is_empty() && state.resolver.exists(&name);
  if !is_app {
    if let Some(shell) = shell {
      return run_app(&state, request, shell, None, "", &path).await;
    }
    if segment.is_empty() {
      return (StatusCode::OK, format!("Buntime v{VERSION}")).into_response();
    }
    return json_error(StatusCode::NOT_FOUND, format!("App not found: {decoded}"));
  }
  let base = format!("/{segment}");
  run_app(&state, request, &name, range.as_deref(), &base, rest).await
}

async fn run_app(
  state: &AppState,
  request: Request,
  name: &str,
  range: Option<&str>,
  base: &str,
  app_path: &str,
) -> Response {
  let not_found = || {
    let shown = match range {
      Some(range) => format!("{name}@{range}"),
      None => name.to_string(),
    };
    json_error(StatusCode::NOT_FOUND, format!("App not found: {shown}"))
  };
  let Some(app) = state.resolver.resolve(name, range) else {
    return not_found();
  };
  let loaded = state.load(&app);
  let LoadedApp { config, kind, spec } = match loaded.as_ref() {
    Ok(loaded) => loaded,
    Err(err) => {
      tracing::warn!(app = %app.key(), "bad app config: {err}");
      return json_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("Invalid app config: {err}"),
      );
    }
  };
  if kind == &EntryKind::TypeScript {
    return json_error(
      StatusCode::NOT_IMPLEMENTED,
      "TypeScript support not built yet",
    );
  }

  let (parts, body) = request.into_parts();
  let host = parts
    .headers
    .get(header::HOST)
    .and_then(|h| h.to_str().ok())
    .filter(|h| {
      !h.is_empty()
        && h
          .bytes()
          .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
    })
    .unwrap_or("localhost");
  let url = match parts.uri.query() {
    Some(query) => format!("http://{host}{app_path}?{query}"),
    None => format!("http://{host}{app_path}"),
  };
  let mut headers = parts.headers;
  if let Ok(value) = HeaderValue::from_str(base) {
    headers.insert(HeaderName::from_static("x-base"), value);
  }
  let body = if http_body::Body::is_end_stream(&body) {
    None
  } else {
    Some(
      body
        .map_err(|err| Box::new(err) as crate::ext::protocol::BoxError)
        .boxed_unsync(),
    )
  };
  let (reply_tx, reply_rx) = oneshot::channel();
  let is_head = parts.method == http::Method::HEAD;
  let job = RequestJob {
    method: parts.method,
    url,
    headers,
    body,
    reply: reply_tx,
  };

  let timeout = config.timeout;
  let started = Instant::now();
  if let Err(err) = state.pool.dispatch(spec, config, job).await {
    tracing::error!(app = %app.key(), "{err}");
    return json_error(
      StatusCode::SERVICE_UNAVAILABLE,
      format!("Worker unavailable: {err}"),
    );
  }
  let remaining = timeout.saturating_sub(started.elapsed());
  match tokio::time::timeout(remaining.max(Duration::from_millis(1)), reply_rx).await {
    Err(_) => json_error(
      StatusCode::GATEWAY_TIMEOUT,
      format!("Worker timeout after {}ms", timeout.as_millis()),
    ),
    Ok(Err(_)) => json_error(
      StatusCode::INTERNAL_SERVER_ERROR,
      "Worker stopped before answering",
    ),
    Ok(Ok(Reply::Failed { status, message })) => json_error(
      StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
      message,
    ),
    Ok(Ok(Reply::Response(head))) => into_response(head, base, is_head),
  }
}

fn heap_limit(settings: &Settings, config: &AppConfig) -> usize {
  let mb = if config.low_memory {
    settings.worker_heap_mb / 2
  } else {
    settings.worker_heap_mb
  };
  (mb as usize) << 20
}

/// Connection-level headers belong to each hop, never to the app's answer.
fn strip_hop_by_hop(headers: &mut HeaderMap) {
  for name in [
    "connection",
    "keep-alive",
    "transfer-encoding",
    "upgrade",
    "proxy-connection",
    "te",
    "trailer",
  ] {
    headers.remove(name);
  }
}

fn into_response(head: ResponseHead, base: &str, is_head: bool) -> Response {
  let ResponseHead {
    status,
    mut headers,
    body,
  } = head;
  strip_hop_by_hop(&mut headers);
  let is_html = headers
    .get(header::CONTENT_TYPE)
    .and_then(|v| v.to_str().ok())
    .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/html"));
  let body = match body {
    ResponseBody::Full(bytes) => {
      let bytes = if is_html {
        match inject_base(&bytes, base) {
          Some(html) => {
            headers.remove(header::CONTENT_LENGTH);
            Bytes::from(html)
          }
          None => bytes,
        }
      } else {
        bytes
      };
      if is_head {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
        Body::empty()
      } else {
        headers.remove(header::CONTENT_LENGTH);
        Body::from(bytes)
      }
    }
    ResponseBody::Stream(rx) => Body::from_stream(ReceiverStream::new(rx).map(Ok::<_, Infallible>)),
  };
  let mut response = Response::new(body);
  *response.status_mut() =
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
  *response.headers_mut() = headers;
  response
}
