//! The HTTP front end: `/` answers the version (or the shell app),
//! `/<app>[@range]/...` goes to that app's worker.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use bytes::Bytes;
use futures::future::Either;
use http_body_util::BodyExt;
use quick_cache::sync::Cache;
use tokio::sync::{oneshot, watch};

use crate::app_config::{self, AppConfig, ConfigError, EntryKind};
use crate::app_socket;
use crate::deployments::UploadLimits;
use crate::ext::protocol::{Deadline, Reply, RequestJob};
use crate::http_error::json_error;
use crate::internal;
use crate::limits::{LimitedBody, Tripped};
use crate::metrics::{AppFigures, Metrics};
use crate::pool::{Dispatch, Dispatched, Pool, PoolOptions, STUCK_GRACE};
use crate::proxy::{self, ProxyRules};
use crate::resolver::{ResolvedApp, Resolver, LISTING_TTL};
use crate::settings::Settings;
use crate::worker::WorkerSpec;
use crate::worker_reply::{into_response, pool_error, public_message, wait_for_reply};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// An app version ready to dispatch to: its config, its proxy rules and
/// what its workers run (`None` for a proxy-only app without entrypoint).
struct LoadedApp {
  config: AppConfig,
  proxy: Option<ProxyRules>,
  entry: Option<Arc<WorkerSpec>>,
  /// Its request counters, kept here so recording takes no shared lock.
  figures: Arc<AppFigures>,
}

type LoadedConfig = Result<LoadedApp, ConfigError>;

/// Where a path's first segment (`name[@range]`) leads: made from the
/// version listing and the app's config, cached as long as they are, so a
/// request to a known app finds its worker spec with one lookup.
struct Target {
  name: String,
  range: Option<String>,
  /// `/<segment>`: the prefix the app is served under.
  base: String,
  /// `base` as the `x-base` request header.
  base_header: Option<HeaderValue>,
  /// The name has at least one version folder.
  exists: bool,
  /// `None` when no version satisfies the range.
  resolved: Option<(ResolvedApp, Arc<LoadedConfig>)>,
}

pub struct AppState {
  pub(crate) settings: Settings,
  resolver: Resolver,
  pub(crate) pool: Arc<Pool>,
  pub(crate) metrics: Metrics,
  /// The latest stats JSON, published once a second for `/_/sse`.
  pub(crate) stats_feed: watch::Receiver<String>,
  /// App folder → its parsed config and worker spec, re-read when older
  /// than a second (so edits and redeploys show up without a restart).
  configs: Cache<PathBuf, (Instant, Arc<LoadedConfig>)>,
  /// First path segment → [`Target`], for as long as `configs`. The shell
  /// (`APP_SHELL`) is kept under "/", which no segment can be.
  targets: Cache<String, (Instant, Arc<Target>)>,
  /// Kept alive for as long as the state: dropping it stops watching.
  watcher: std::sync::Mutex<Option<notify::RecommendedWatcher>>,
  /// The front end's runtime: work that must outlive a worker thread
  /// (proxying) is sent there from connections a worker adopted.
  front_end: tokio::runtime::Handle,
  /// Closed at shutdown, for connections served outside hyper-util's
  /// graceful tracking.
  pub(crate) closing: Arc<crate::shutdown_signal::ShutdownSignal>,
}

/// Reloads apps whose files change on disk (hot reload).
fn watch_apps(state: &Arc<AppState>) {
  use notify::event::{EventKind, ModifyKind};
  use notify::Watcher;
  let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<PathBuf>();
  let handler = move |event: notify::Result<notify::Event>| {
    let Ok(event) = event else { return };
    let relevant = match event.kind {
      EventKind::Create(_) | EventKind::Remove(_) => true,
      EventKind::Modify(ModifyKind::Metadata(_)) => false,
      EventKind::Modify(_) => true,
      _ => false,
    };
    if relevant {
      for path in event.paths {
        let _ = tx.send(path);
      }
    }
  };
  let watcher = notify::recommended_watcher(handler).and_then(|mut watcher| {
    watcher.watch(&state.settings.apps_dir, notify::RecursiveMode::Recursive)?;
    Ok(watcher)
  });
  match watcher {
    Ok(watcher) => *state.watcher.lock().unwrap() = Some(watcher),
    Err(err) => {
      tracing::warn!(
        "cannot watch {} for changes: {err}",
        state.settings.apps_dir.display()
      );
      return;
    }
  }
  let state = Arc::downgrade(state);
  tokio::spawn(async move {
    while let Some(path) = rx.recv().await {
      let Some(state) = state.upgrade() else { return };
      state.app_changed(&path);
    }
  });
}

impl AppState {
  /// Builds the state and starts its background tasks (standby isolates,
  /// retirement sweeper, stats feed): call inside the tokio runtime.
  pub fn new(settings: Settings) -> Arc<Self> {
    let (feed_tx, feed_rx) = watch::channel(String::new());
    let state = Arc::new(Self {
      resolver: Resolver::new(settings.apps_dir.clone()),
      metrics: Metrics::default(),
      stats_feed: feed_rx,
      pool: Pool::new(PoolOptions {
        max_size: settings.pool_size(),
        standbys: settings.prestart_workers as usize,
        primed: settings.primed_workers as usize,
        heap_limit_bytes: (settings.worker_heap_mb as usize) << 20,
        heap_budget_bytes: (settings.total_heap_mb as usize) << 20,
        socket_max_age: (settings.ws_worker_max_age > 0)
          .then(|| Duration::from_secs(settings.ws_worker_max_age)),
        fresh_max: settings.fresh_workers_max,
        fresh_per_app: settings.fresh_workers_per_app,
      }),
      configs: Cache::new(1024),
      targets: Cache::new(1024),
      watcher: std::sync::Mutex::new(None),
      front_end: tokio::runtime::Handle::current(),
      closing: Default::default(),
      settings,
    });
    state.pool.start();
    internal::spawn_stats_feed(&state, feed_tx);
    if state.settings.watch {
      watch_apps(&state);
    }
    state
  }

  fn read_app(&self, app: &ResolvedApp) -> LoadedConfig {
    let config = app_config::load(&app.dir)?;
    let env = self.app_env(&app.dir, &config);
    let proxy = match &config.proxy {
      None => None,
      // `${VAR}` comes from what the app itself may see, never from the
      // server's own environment (the admin token, cloud credentials).
      Some(rules) => Some(
        ProxyRules::compile(rules, |name| env.get(name).cloned()).map_err(|message| {
          ConfigError {
            file: config.source.to_string(),
            message,
          }
        })?,
      ),
    };
    let entry = match app_config::find_entrypoint(&app.dir, &config) {
      Ok(entry) => entry,
      // A folder with proxy rules and nothing else is a proxy-only app.
      Err(_) if proxy.is_some() && config.entrypoint.is_none() => {
        return Ok(LoadedApp {
          config,
          proxy,
          entry: None,
          figures: self.metrics.app(&app.key()),
        });
      }
      Err(err) => return Err(err),
    };
    let spec = Arc::new(WorkerSpec {
      key: app.key(),
      app_root: entry.root.clone(),
      is_static: entry.kind == EntryKind::Static,
      entry: entry.path,
      env,
      heap_limit_bytes: heap_limit(&self.settings, &config),
      low_memory: config.low_memory,
    });
    Ok(LoadedApp {
      config,
      proxy,
      figures: self.metrics.app(&spec.key),
      entry: Some(spec),
    })
  }

  /// What the app sees in `Bun.env`: allow-listed server variables, then
  /// its `.env` file, then its config's `env` (later ones win). Never the
  /// admin token.
  fn app_env(&self, dir: &std::path::Path, config: &AppConfig) -> BTreeMap<String, String> {
    let mut env: BTreeMap<String, String> = self
      .settings
      .app_env_allow
      .iter()
      .filter(|name| !name.is_empty() && name.as_str() != "ADMIN_TOKEN")
      .filter_map(|name| Some((name.clone(), std::env::var(name).ok()?)))
      .collect();
    env.extend(app_config::read_dotenv(dir));
    env.extend(config.env.clone());
    env.remove("ADMIN_TOKEN");
    env
  }

  pub(crate) fn apps_dir(&self) -> &std::path::Path {
    &self.settings.apps_dir
  }

  pub(crate) fn upload_limits(&self) -> UploadLimits {
    UploadLimits {
      max_upload_bytes: self.settings.max_upload_mb << 20,
      max_zip_entries: self.settings.max_zip_entries,
      max_unpacked_bytes: self.settings.max_unpacked_mb << 20,
    }
  }

  /// Something under `path` changed (deployments API or on disk): forget
  /// cached listings and configs, and retire the app's workers so the next
  /// request runs the new code.
  pub(crate) fn app_changed(&self, path: &std::path::Path) {
    let root = self
      .settings
      .apps_dir
      .canonicalize()
      .unwrap_or_else(|_| self.settings.apps_dir.clone());
    let relative = path
      .strip_prefix(&root)
      .or_else(|_| path.strip_prefix(&self.settings.apps_dir));
    let Some(name) = relative
      .ok()
      .and_then(|r| r.components().next())
      .and_then(|c| c.as_os_str().to_str())
    else {
      return;
    };
    if name.starts_with('.') {
      return;
    }
    self.resolver.forget(name);
    self.configs.clear();
    self.targets.clear();
    self.pool.retire_app(name);
    tracing::debug!(app = %name, "files changed: reloading");
  }

  /// Where a connection whose first bytes are `head` is served: an HTTP/1
  /// request for a path a proxy rule takes goes to a proxy thread; one for
  /// an app with a pooled (`ttl > 0`), single-instance worker, to that
  /// worker's thread; anything else stays on the front end.
  pub(crate) fn placement(&self, head: &[u8]) -> Placement {
    self.placement_of(head).unwrap_or(Placement::FrontEnd)
  }

  fn placement_of(&self, head: &[u8]) -> Option<Placement> {
    let line_end = head.windows(2).position(|w| w == b"\r\n")?;
    let line = std::str::from_utf8(&head[..line_end]).ok()?;
    let mut parts = line.split(' ');
    let (_method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !version.starts_with("HTTP/1.") || !target.starts_with('/') {
      return None;
    }
    let path = target.split('?').next()?;
    let (segment, rest) = split_first_segment(path);
    if segment.is_empty() || segment == "_" {
      return None;
    }
    let target = self.target(segment, Instant::now());
    let (_, loaded) = target.resolved.as_ref()?;
    let loaded = loaded.as_ref().as_ref().ok()?;
    let proxied = loaded
      .proxy
      .as_ref()
      .is_some_and(|rules| rules.route(rest, None).is_some());
    if proxied {
      return Some(Placement::Proxy);
    }
    let spec = loaded.entry.as_ref()?;
    // A reverse proxy pools its connections across apps: one worker
    // should not carry every app's traffic.
    let lower = head.to_ascii_lowercase();
    let proxied_client = [&b"\r\nx-forwarded-for:"[..], b"\r\nforwarded:", b"\r\nvia:"]
      .iter()
      .any(|name| lower.windows(name.len()).any(|w| w == *name));
    if proxied_client || loaded.config.ttl.is_zero() || loaded.config.instances > 1 {
      return None;
    }
    Some(Placement::Worker(
      spec.clone(),
      Box::new(loaded.config.clone()),
    ))
  }

  pub(crate) fn admin_token(&self) -> Option<&str> {
    self
      .settings
      .admin_token
      .as_deref()
      .filter(|t| !t.is_empty())
  }

  /// The app a path's first segment names.
  fn target(&self, segment: &str, now: Instant) -> Arc<Target> {
    self.cached_target(segment, now, || {
      let (name, range) = app_of_segment(segment);
      (name, range, format!("/{segment}"))
    })
  }

  /// The `APP_SHELL` app, which serves paths that name no app.
  fn shell_target(&self, shell: &str, now: Instant) -> Arc<Target> {
    self.cached_target("/", now, || (shell.to_string(), None, String::new()))
  }

  fn cached_target(
    &self,
    key: &str,
    now: Instant,
    naming: impl FnOnce() -> (String, Option<String>, String),
  ) -> Arc<Target> {
    if let Some((at, target)) = self.targets.get(key) {
      if now.saturating_duration_since(at) < LISTING_TTL {
        return target;
      }
    }
    let (name, range, base) = naming();
    let exists = self.resolver.exists(&name);
    let resolved = exists
      .then(|| self.resolver.resolve(&name, range.as_deref()))
      .flatten()
      .map(|app| {
        let loaded = self.load(&app);
        (app, loaded)
      });
    let target = Arc::new(Target {
      base_header: HeaderValue::from_str(&base).ok(),
      name,
      range,
      base,
      exists,
      resolved,
    });
    self
      .targets
      .insert(key.to_string(), (Instant::now(), target.clone()));
    target
  }

  fn load(&self, app: &ResolvedApp) -> Arc<LoadedConfig> {
    if let Some((at, loaded)) = self.configs.get(&app.dir) {
      if at.elapsed() < LISTING_TTL {
        return loaded;
      }
    }
    let loaded = Arc::new(self.read_app(app));
    self
      .configs
      .insert(app.dir.clone(), (Instant::now(), loaded.clone()));
    loaded
  }
}

pub fn router(state: Arc<AppState>) -> Router {
  Router::new()
    .nest("/_", internal::router(state.clone()))
    .fallback(handle)
    .with_state(state)
}

/// Where a new connection is served, from its first request.
pub(crate) enum Placement {
  /// On the shared front end.
  FrontEnd,
  /// On the thread of this app's worker.
  Worker(Arc<WorkerSpec>, Box<AppConfig>),
  /// On a proxy thread: the first request goes to a proxy rule.
  Proxy,
}

/// App requests skip the router (it only holds `/_/…` routes) and its
/// extensions: the client's address is passed along instead.
pub(crate) fn serve_request(
  app: Router,
  state: &AppState,
  mut request: Request,
  remote: SocketAddr,
) -> impl Future<Output = Response> + Send + '_ {
  let path = request.uri().path();
  if path == "/_" || path.starts_with("/_/") {
    request.extensions_mut().insert(ConnectInfo(remote));
    return Either::Left(Box::pin(async move {
      let Ok(response) = tower::ServiceExt::oneshot(app, request).await;
      response
    }));
  }
  Either::Right(serve_app(state, request, Some(remote)))
}

/// Marks an answer as the connection's last (its request body was left
/// unread, so the connection cannot carry another request).
pub(crate) fn closing(mut response: Response) -> Response {
  response
    .headers_mut()
    .insert(header::CONNECTION, HeaderValue::from_static("close"));
  response
}

/// `/<segment>/<rest>` → (segment as written, rest with its leading slash).
fn split_first_segment(path: &str) -> (&str, &str) {
  let trimmed = path.strip_prefix('/').unwrap_or(path);
  match trimmed.find('/') {
    Some(i) => (&trimmed[..i], &trimmed[i..]),
    None => (trimmed, "/"),
  }
}

/// The app a path's first segment names: `name[@range]`, percent-decoded.
fn app_of_segment(segment: &str) -> (String, Option<String>) {
  let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
  match decoded.split_once('@') {
    Some((name, range)) => (name.to_string(), Some(range.to_string())),
    None => (decoded.into_owned(), None),
  }
}

/// App requests: the body limit (`MAX_BODY_MB`), then routing.
async fn handle(State(state): State<Arc<AppState>>, request: Request) -> Response {
  let remote = request
    .extensions()
    .get::<ConnectInfo<SocketAddr>>()
    .map(|info| info.0);
  serve_app(&state, request, remote).await
}

/// App requests: the body limit (`MAX_BODY_MB`), then routing. `remote`:
/// the client's address, when the listener knows it.
///
/// This and [`route`] are plain functions returning the request's future
/// rather than `async fn`s awaiting it: each async layer would copy the
/// (kilobyte-sized) future below it into its own.
fn serve_app(
  state: &AppState,
  request: Request,
  remote: Option<SocketAddr>,
) -> impl Future<Output = Response> + Send + '_ {
  let limit = state.settings.max_body_mb << 20;
  let too_large = move || {
    closing(json_error(
      StatusCode::PAYLOAD_TOO_LARGE,
      format!(
        "Request body too large: the limit is {} MB",
        state.settings.max_body_mb
      ),
    ))
  };
  if declared_length(request.headers()).is_some_and(|length| length > limit) {
    return Either::Left(std::future::ready(too_large()));
  }
  if http_body::Body::is_end_stream(request.body()) {
    return Either::Right(Either::Left(route(state, request, remote)));
  }
  Either::Right(Either::Right(async move {
    // Bodies without a length (chunked) are counted as they stream.
    let oversize = Tripped::default();
    let request = request.map(|body| Body::new(LimitedBody::new(body, limit, oversize.clone())));
    let response = route(state, request, remote).await;
    if oversize.is_set() {
      return too_large();
    }
    response
  }))
}

fn route(
  state: &AppState,
  request: Request,
  remote: Option<SocketAddr>,
) -> impl Future<Output = Response> + Send + '_ {
  let path = request.uri().path();
  let (segment, _) = split_first_segment(path);
  // One clock reading serves the cache check, the deadline and the metrics.
  let now = Instant::now();
  let target = (!segment.is_empty()).then(|| state.target(segment, now));
  match target {
    Some(target) if target.exists => {
      Either::Left(run_app(state, request, target, false, remote, now))
    }
    _ => {
      if let Some(shell) = state.settings.app_shell.as_deref() {
        let shell = state.shell_target(shell, now);
        return Either::Left(run_app(state, request, shell, true, remote, now));
      }
      Either::Right(std::future::ready(match target {
        None => (StatusCode::OK, format!("Buntime v{VERSION}")).into_response(),
        Some(target) => not_found(&target),
      }))
    }
  }
}

fn not_found(target: &Target) -> Response {
  let shown = match &target.range {
    Some(range) => format!("{}@{range}", target.name),
    None => target.name.clone(),
  };
  json_error(StatusCode::NOT_FOUND, format!("App not found: {shown}"))
}

/// `whole_path`: the app sees the whole path (the shell app), not what
/// follows its segment.
///
/// The common request (no proxy rule, no WebSocket, no body to read first,
/// a worker with room) builds its job here and waits on [`answer`]'s small
/// future; every other one goes through [`run_app_general`], boxed. Inline,
/// that one's states (kilobytes) would be part of every request's future and
/// be copied with it at each layer.
fn run_app(
  state: &AppState,
  request: Request,
  target: Arc<Target>,
  whole_path: bool,
  remote: Option<SocketAddr>,
  started: Instant,
) -> impl Future<Output = Response> + Send + '_ {
  type Boxed<'a> = std::pin::Pin<Box<dyn Future<Output = Response> + Send + 'a>>;
  let general = |request, target| -> Boxed<'_> {
    Box::pin(run_app_general(
      state, request, target, whole_path, remote, started,
    ))
  };
  let loaded = match &target.resolved {
    Some((_, loaded)) => loaded.as_ref().as_ref().ok(),
    None => None,
  };
  let simple = loaded.filter(|loaded| loaded.proxy.is_none() && loaded.entry.is_some());
  let Some(LoadedApp {
    config,
    entry: Some(spec),
    figures,
    ..
  }) = simple
  else {
    return Either::Right(general(request, target));
  };
  if proxy::is_websocket_upgrade(request.headers())
    || !http_body::Body::is_end_stream(request.body())
  {
    return Either::Right(general(request, target));
  }
  let (parts, _) = request.into_parts();
  let app_path = match whole_path {
    true => parts.uri.path(),
    false => split_first_segment(parts.uri.path()).1,
  };
  let url = app_url(&parts.headers, app_path, parts.uri.query());
  let (job, exchange) = app_job(
    &target, config, parts, url, remote, None, None, false, started,
  );
  let waiting = match state.pool.dispatch(spec, config, job) {
    Ok(Dispatch::Sent(dispatched)) => Waiting {
      exchange,
      dispatched,
      upgrade: None,
      spec: spec.clone(),
      figures: figures.clone(),
      timeout: config.timeout,
      started,
    },
    Ok(Dispatch::Full(message)) => {
      let (spec, config, figures) = (spec.clone(), config.clone(), figures.clone());
      return Either::Right(Box::pin(async move {
        let queued = state
          .pool
          .dispatch_queued(&spec, &config, message, config.timeout)
          .await;
        match queued {
          Ok(dispatched) => {
            let waiting = Waiting {
              exchange,
              dispatched,
              upgrade: None,
              spec,
              figures,
              timeout: config.timeout,
              started,
            };
            answer(state, target, waiting).await
          }
          Err(err) => pool_error(&spec.key, err),
        }
      }));
    }
    Err(err) => {
      return Either::Left(Either::Right(std::future::ready(pool_error(
        &spec.key, err,
      ))))
    }
  };
  Either::Left(Either::Left(answer(state, target, waiting)))
}

/// `http://<host><path>[?query]`: the URL the app sees. Built by hand:
/// `format!` costs more than the copies on this path.
fn app_url(headers: &http::HeaderMap, app_path: &str, query: Option<&str>) -> String {
  let host = headers
    .get(header::HOST)
    .and_then(|h| h.to_str().ok())
    .filter(|h| !h.is_empty() && h.bytes().all(|b| HOST_BYTES[b as usize]))
    .unwrap_or("localhost");
  let mut url = String::with_capacity(8 + host.len() + app_path.len() + query.map_or(0, str::len));
  url.push_str("http://");
  url.push_str(host);
  url.push_str(app_path);
  if let Some(query) = query {
    url.push('?');
    url.push_str(query);
  }
  url
}

/// The bytes a `Host` header may hold to be used in the app's URL (a name
/// or address and a port); anything else makes it `localhost`.
const HOST_BYTES: [bool; 256] = {
  let mut table = [false; 256];
  let mut b = 0;
  while b < 256 {
    let c = b as u8;
    table[b] = c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b':' | b'[' | b']');
    b += 1;
  }
  table
};

/// The request's `Content-Length`, if it has a valid one.
fn declared_length(headers: &http::HeaderMap) -> Option<u64> {
  headers
    .get(header::CONTENT_LENGTH)
    .and_then(|v| v.to_str().ok())
    .and_then(|v| v.parse::<u64>().ok())
}

/// What the front end keeps of a request it handed to a worker.
struct Exchange {
  reply: oneshot::Receiver<Reply>,
  deadline: Arc<Deadline>,
  is_head: bool,
}

/// The job for the app's worker, and what waits for its reply.
#[allow(clippy::too_many_arguments)]
fn app_job(
  target: &Target,
  config: &AppConfig,
  parts: http::request::Parts,
  url: String,
  remote: Option<SocketAddr>,
  body: Option<crate::ext::protocol::RequestBody>,
  full_body: Option<Bytes>,
  upgradable: bool,
  started: Instant,
) -> (RequestJob, Exchange) {
  let (reply_tx, reply_rx) = oneshot::channel();
  let deadline = Deadline::new(Some(started + config.timeout));
  let exchange = Exchange {
    reply: reply_rx,
    deadline: deadline.clone(),
    is_head: parts.method == http::Method::HEAD,
  };
  let job = RequestJob {
    method: parts.method,
    url,
    headers: parts.headers,
    base: target.base_header.clone(),
    remote,
    body,
    full_body,
    reply: reply_tx,
    deadline,
    upgradable,
  };
  (job, exchange)
}

/// A request a worker has: what [`answer`] needs to wait for its reply.
struct Waiting {
  exchange: Exchange,
  dispatched: Dispatched,
  /// A WebSocket handshake the app may accept with `server.upgrade(req)`.
  upgrade: Option<Box<WebSocketUpgrade>>,
  spec: Arc<WorkerSpec>,
  figures: Arc<AppFigures>,
  timeout: Duration,
  started: Instant,
}

/// Waits for the worker's reply and makes the client's response of it.
/// `target` is the request's app (its base path).
async fn answer(state: &AppState, target: Arc<Target>, waiting: Waiting) -> Response {
  let Waiting {
    exchange,
    dispatched,
    upgrade,
    spec,
    figures,
    timeout,
    started,
  } = waiting;
  let fresh = matches!(dispatched, Dispatched::Fresh(..));
  let mut received = wait_for_reply(exchange.reply, &exchange.deadline).await;
  // An answer from a worker stopped meanwhile (the app's reply to a query
  // the stop interrupted, on an adopted connection) comes after the
  // deadline: the client gets the timeout it would have had anywhere else.
  if matches!(received, Ok(Ok(Reply::Response(_) | Reply::Upgrade(_))))
    && dispatched.control().is_stopped()
  {
    received = Err(());
  }
  let response = match received {
    Err(_) => {
      match &dispatched {
        // Its own isolate, serving nothing else: stopped at once, so a
        // handler that never finishes does not keep it (and its thread).
        Dispatched::Fresh(control, _) => control.terminate(),
        Dispatched::Pooled(_) => check_stuck(state, &spec.key, &dispatched),
      }
      json_error(
        StatusCode::GATEWAY_TIMEOUT,
        format!("Worker timeout after {}ms", timeout.as_millis()),
      )
    }
    Ok(Err(_)) => json_error(
      StatusCode::INTERNAL_SERVER_ERROR,
      "Worker stopped before answering",
    ),
    Ok(Ok(Reply::Failed { status, message })) => json_error(
      StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
      public_message(&message),
    ),
    Ok(Ok(Reply::Response(head))) => {
      into_response(head, &target.base, exchange.is_head, dispatched)
    }
    Ok(Ok(Reply::Upgrade(link))) => match upgrade {
      Some(upgrade) => {
        let limits = app_socket::Limits {
          max_payload: (state.settings.ws_max_payload_mb as usize) << 20,
          idle: Duration::from_secs(state.settings.ws_idle_timeout),
        };
        let headers = link.headers.clone();
        let mut response = upgrade
          .on_upgrade(move |socket| app_socket::relay(socket, link, limits))
          .into_response();
        response.headers_mut().extend(headers);
        response
      }
      None => json_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server.upgrade() on a request that is not a WebSocket handshake",
      ),
    },
  };
  if fresh {
    state.pool.fresh_answered(&spec);
  }
  state
    .metrics
    .record_for(&figures, response.status().as_u16(), started.elapsed());
  response
}

/// [`run_app`] for every request: proxy rules, WebSocket handshakes, bodies
/// read before dispatch, a pool without room.
async fn run_app_general(
  state: &AppState,
  request: Request,
  target: Arc<Target>,
  whole_path: bool,
  remote: Option<SocketAddr>,
  started: Instant,
) -> Response {
  // A clone of the URI shares its bytes: the path outlives the request.
  let uri = request.uri().clone();
  let app_path = match whole_path {
    true => uri.path(),
    false => split_first_segment(uri.path()).1,
  };
  let Some((app, loaded)) = &target.resolved else {
    return not_found(&target);
  };
  let LoadedApp {
    config,
    proxy,
    entry,
    figures,
  } = match loaded.as_ref() {
    Ok(loaded) => loaded,
    Err(err) => {
      tracing::warn!(app = %app.key(), "bad app config: {err}");
      return json_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("Invalid app config: {err}"),
      );
    }
  };
  if let Some((rule, url)) = proxy
    .as_ref()
    .and_then(|rules| rules.route(app_path, request.uri().query()))
  {
    let started = Instant::now();
    let tunnel = proxy::is_websocket_upgrade(request.headers());
    let response = if crate::worker::on_worker_thread() && !tunnel {
      // A connection a worker adopted: pooled upstream connections belong
      // on the front end, which outlives worker threads. (A tunnel stays on
      // the worker thread, which lives until it closes.)
      let (rule, timeout) = (rule.clone(), config.timeout);
      state
        .front_end
        .spawn(async move { proxy::forward(&rule, url, request, remote, timeout).await })
        .await
        .unwrap_or_else(|_| json_error(StatusCode::BAD_GATEWAY, "Proxy error: request aborted"))
    } else {
      // Boxed: the forwarding future is kilobytes.
      Box::pin(proxy::forward(rule, url, request, remote, config.timeout)).await
    };
    state
      .metrics
      .record_for(figures, response.status().as_u16(), started.elapsed());
    return response;
  }
  let Some(spec) = entry else {
    return json_error(
      StatusCode::NOT_FOUND,
      format!("No proxy rule matches {app_path}"),
    );
  };

  let (mut parts, body) = request.into_parts();
  // A WebSocket handshake the app may accept with `server.upgrade(req)`.
  let upgrade = if proxy::is_websocket_upgrade(&parts.headers) {
    let limit = (state.settings.ws_max_payload_mb as usize) << 20;
    Box::pin(WebSocketUpgrade::from_request_parts(&mut parts, &()))
      .await
      .ok()
      .map(|upgrade| {
        // Boxed: held in `Waiting` across the wait for the reply, it would
        // otherwise enlarge `answer`'s future, which every request awaits.
        Box::new(
          upgrade
            .read_buffer_size(crate::proxy::WS_READ_BUFFER)
            .max_message_size(limit * 2)
            .max_frame_size(limit * 2),
        )
      })
  } else {
    None
  };
  let url = app_url(&parts.headers, app_path, parts.uri.query());
  let declared = declared_length(&parts.headers);
  let (body, full_body) = if http_body::Body::is_end_stream(&body) {
    (None, None)
  } else if upgrade.is_none() && declared.is_some_and(|length| length <= PREREAD_BODY_BYTES) {
    match body.collect().await {
      Ok(collected) => (None, Some(collected.to_bytes())),
      // A stalled or oversize body: the connection service answers
      // 408/413 from the flags the body wrappers set.
      Err(err) => {
        return json_error(
          StatusCode::BAD_REQUEST,
          format!("Request body failed: {err}"),
        )
      }
    }
  } else {
    let stream = body
      .map_err(|err| Box::new(err) as crate::ext::protocol::BoxError)
      .boxed_unsync();
    (Some(stream), None)
  };
  let upgradable = upgrade.is_some();
  let (job, exchange) = app_job(
    &target, config, parts, url, remote, body, full_body, upgradable, started,
  );
  let timeout = config.timeout;
  let dispatched = match state.pool.dispatch(spec, config, job) {
    Ok(Dispatch::Sent(dispatched)) => Ok(dispatched),
    Ok(Dispatch::Full(message)) => {
      Box::pin(state.pool.dispatch_queued(spec, config, message, timeout)).await
    }
    Err(err) => Err(err),
  };
  let dispatched = match dispatched {
    Ok(dispatched) => dispatched,
    Err(err) => return pool_error(&spec.key, err),
  };
  let waiting = Waiting {
    exchange,
    dispatched,
    upgrade,
    spec: spec.clone(),
    figures: figures.clone(),
    timeout,
    started,
  };
  answer(state, target, waiting).await
}

/// After a timeout: if the worker's thread is stuck in synchronous JS (it
/// does not poll its event loop when woken), stop it and forget it, so the
/// next request for the app gets a fresh worker.
fn check_stuck(state: &AppState, key: &str, dispatched: &Dispatched) {
  let control = dispatched.control().clone();
  let pool = state.pool.clone();
  let key = key.to_string();
  tokio::spawn(async move {
    if control.is_stuck(STUCK_GRACE).await {
      tracing::warn!(app = %key, "worker stuck in synchronous code: terminating it");
      pool.kill(&control);
    }
  });
}

/// Bodies up to this size with a declared length are read whole before the
/// request goes to the worker (they are usually in the first packets).
const PREREAD_BODY_BYTES: u64 = 64 << 10;

fn heap_limit(settings: &Settings, config: &AppConfig) -> usize {
  let mb = if config.low_memory {
    settings.worker_heap_mb / 2
  } else {
    settings.worker_heap_mb
  };
  (mb as usize) << 20
}
