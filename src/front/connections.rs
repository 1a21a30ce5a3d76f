//! Client connections: the accept loop and the drain at shutdown, where a
//! connection is served (placement: the front end, its app's worker
//! thread, or a proxy thread), and the hyper service each one runs, with
//! its limits (head and body timeouts, CONNECT refused, bare LF refused).
//! What a request then becomes is [`super::pipeline`]'s job.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::placement::{placement, Placement};
use super::{router, serve_request};
use crate::front::strict_framing::StrictFraming;
use crate::http_error::{HttpError, CONNECT_REFUSED, MALFORMED_BODY};
use crate::limits::{ReadTimeoutBody, Tripped};
use crate::proxy::threads::ProxyThreads;
use crate::settings::Settings;
use crate::state::AppState;
use crate::VERSION;

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
  if settings
    .admin_token
    .as_deref()
    .is_some_and(|t| !t.is_empty())
  {
    tracing::info!("internal routes /_/: bearer token required (ADMIN_TOKEN)");
  } else {
    tracing::info!("internal routes /_/: loopback clients only (set ADMIN_TOKEN to allow others)");
  }
  let grace = Duration::from_secs(settings.shutdown_grace);
  let builder = connection_builder(&settings);
  let body_idle = Duration::from_secs(settings.body_read_timeout);
  let access_log = super::access_log::Destination::parse(&settings.access_log);
  let access_log = super::access_log::AccessLog::open(&access_log, settings.access_log_query)
    .map_err(|err| {
      std::io::Error::new(
        err.kind(),
        format!("ACCESS_LOG {}: {err}", settings.access_log),
      )
    })?;
  let _ = super::access_log::ACCESS_LOG.set(access_log.map(Arc::new));
  let state = AppState::new(settings);
  let app = router(state.clone());
  // Our own accept loop rather than `axum::serve`, which exposes none of
  // hyper's limits (header read timeout, head size).
  let graceful = hyper_util::server::graceful::GracefulShutdown::new();
  let mut signal = std::pin::pin!(shutdown_signal());
  loop {
    tokio::select! {
      accepted = listener.accept() => {
        let (tcp, remote) = match accepted {
          Ok(accepted) => accepted,
          Err(err) => {
            accept_failed(err).await;
            continue;
          }
        };
        let _ = tcp.set_nodelay(true);
        let (state, app, builder) = (state.clone(), app.clone(), builder.clone());
        let watcher = graceful.watcher();
        tokio::spawn(async move {
          let tcp = if state.settings.connection_affinity {
            match place_connection(&state, &app, tcp, remote).await {
              Some(tcp) => tcp,
              None => return,
            }
          } else {
            tcp
          };
          let service = connection_service(app, state, remote, body_idle);
          let conn = builder
            .serve_connection_with_upgrades(client_io(tcp), service)
            .into_owned();
          if let Err(err) = watcher.watch(conn).await {
            tracing::debug!(%remote, "connection ended: {err}");
          }
        });
      }
      () = &mut signal => break,
    }
  }
  drop(listener);
  tracing::info!(
    "shutting down: finishing in-flight requests (up to {}s)",
    grace.as_secs()
  );
  tokio::select! {
    () = graceful.shutdown() => {}
    // Streams that never end (SSE) would hold the drain open forever.
    () = tokio::time::sleep(grace) => {
      tracing::warn!("grace period over: closing the remaining connections");
    }
  }
  // Retiring closes every inbox: apps run onTerminate() (bounded to 1 s),
  // then connections their threads adopted finish and close.
  state.closing.close();
  state.pool.retire_all();
  let deadline = Instant::now() + grace.max(Duration::from_secs(3));
  while crate::worker::live_threads() > 0 && Instant::now() < deadline {
    tokio::time::sleep(Duration::from_millis(20)).await;
  }
  if let Some(log) = super::access_log::active() {
    log.flush();
  }
  match crate::worker::live_threads() {
    0 => tracing::info!("stopped"),
    n => tracing::warn!("stopped with {n} worker threads still running past the deadline"),
  }
  Ok(())
}

/// A client socket as hyper reads it: its line endings checked first.
fn client_io(tcp: TcpStream) -> TokioIo<StrictFraming<TcpStream>> {
  TokioIo::new(StrictFraming::new(tcp))
}

type ConnBuilder = hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>;

/// Hands the connection to the worker of the app its first request is for,
/// or to a proxy thread (see `AppState::placement`), so its requests are
/// served on that thread; gives it back when it stays on the front end.
async fn place_connection(
  state: &Arc<AppState>,
  app: &Router,
  tcp: tokio::net::TcpStream,
  remote: SocketAddr,
) -> Option<tokio::net::TcpStream> {
  let mut head = [0u8; 1024];
  let wait = Duration::from_secs(state.settings.header_read_timeout);
  // Nothing within the head timeout: hyper would close it too.
  let Ok(Ok(n)) = tokio::time::timeout(wait, tcp.peek(&mut head)).await else {
    return None;
  };
  let placed = match placement(state, &head[..n]) {
    Placement::FrontEnd => return Some(tcp),
    Placement::Worker(spec, config) => {
      let tcp = tcp.into_std().ok()?;
      let task = adopted_connection(app.clone(), state.clone(), tcp, remote, Writes::Joined);
      state.pool.adopt(&spec, &config, task)
    }
    Placement::Proxy => {
      let tcp = tcp.into_std().ok()?;
      let task = adopted_connection(app.clone(), state.clone(), tcp, remote, Writes::Vectored);
      ProxyThreads::get().serve(task)
    }
  };
  if let Err(task) = placed {
    // No room for its worker now (or no proxy thread): serve it here.
    tokio::spawn(task());
  }
  None
}

/// How an adopted connection hands a response's head and body to the socket.
#[derive(Clone, Copy)]
enum Writes {
  /// Body copied behind the head, one `send` per response: for app
  /// connections, whose answers are mostly small. Measured at 32
  /// connections: hello +5% req/s, 1 MB streams -12% (still 1.3 GB/s);
  /// Deno.serve makes the same choice.
  Joined,
  /// Head and body chunks passed to `writev` uncopied: for proxied
  /// connections, whose bodies are whatever the upstream sends.
  Vectored,
}

/// Serves a connection on whichever runtime calls it (a worker thread's):
/// HTTP/1 with the same limits as the front end; at shutdown the request in
/// flight finishes, then the connection closes.
fn adopted_connection(
  app: Router,
  state: Arc<AppState>,
  tcp: std::net::TcpStream,
  remote: SocketAddr,
  writes: Writes,
) -> crate::ext::protocol::ConnectionTask {
  Box::new(move || {
    Box::pin(async move {
      let mut closed = state.closing.listen();
      let Ok(tcp) = tokio::net::TcpStream::from_std(tcp) else {
        return;
      };
      let _known = crate::worker::AdoptedSocket::register(std::os::fd::AsRawFd::as_raw_fd(&tcp));
      let body_idle = Duration::from_secs(state.settings.body_read_timeout);
      let mut builder = hyper::server::conn::http1::Builder::new();
      // Served on a worker or proxy thread, or on the front end when no
      // such thread could take it.
      if crate::coarse_timer::enabled_on_this_thread() {
        builder.timer(crate::coarse_timer::CoarseTimer);
      } else {
        builder.timer(hyper_util::rt::TokioTimer::new());
      }
      builder
        .header_read_timeout(Duration::from_secs(state.settings.header_read_timeout))
        .max_buf_size((state.settings.max_header_kb as usize) << 10)
        .writev(matches!(writes, Writes::Vectored));
      let service = connection_service(app, state, remote, body_idle);
      let conn = builder
        .serve_connection(client_io(tcp), service)
        .with_upgrades();
      let mut conn = std::pin::pin!(conn);
      let result = tokio::select! {
        biased;
        result = conn.as_mut() => result,
        () = &mut closed => {
          conn.as_mut().graceful_shutdown();
          conn.as_mut().await
        }
      };
      if let Err(err) = result {
        tracing::debug!(%remote, "connection ended: {err}");
      }
    })
  })
}

/// HTTP/1.1 and HTTP/2 (prior knowledge) with the head limits from the
/// settings: a slow head is cut off, a big one answers 431.
fn connection_builder(settings: &Settings) -> ConnBuilder {
  use hyper_util::rt::{TokioExecutor, TokioTimer};
  let max_head = (settings.max_header_kb as usize) << 10;
  let mut builder = ConnBuilder::new(TokioExecutor::new());
  builder
    .http1()
    .timer(TokioTimer::new())
    .header_read_timeout(Duration::from_secs(settings.header_read_timeout))
    .max_buf_size(max_head);
  builder
    .http2()
    .timer(TokioTimer::new())
    .max_header_list_size(max_head as u32);
  builder
}

/// Serves one connection's requests through the router: adds the peer's
/// address (`ConnectInfo`) and guards each request body against stalling.
fn connection_service(
  app: Router,
  state: Arc<AppState>,
  remote: SocketAddr,
  body_idle: Duration,
) -> impl hyper::service::Service<
  http::Request<hyper::body::Incoming>,
  Response = Response,
  Error = Infallible,
  Future = impl std::future::Future<Output = Result<Response, Infallible>> + Send,
> + Clone {
  hyper::service::service_fn(move |request: http::Request<hyper::body::Incoming>| {
    respond(app.clone(), state.clone(), request, remote, body_idle)
  })
}

/// One request's answer: `CONNECT` refused, the body guarded against
/// stalling and bad framing, then [`serve_request`]; with its
/// `x-request-id`, and noted in the access log when that is on. All in
/// one function: each layer of future would copy the one inside it.
async fn respond(
  app: Router,
  state: Arc<AppState>,
  request: http::Request<hyper::body::Incoming>,
  remote: SocketAddr,
  body_idle: Duration,
) -> Result<Response, Infallible> {
  let log = super::access_log::active();
  let pending = log.map(|log| log.begin(request.method(), request.uri(), remote));
  let request_id = super::request_id::assign(request.headers());
  let mut response = 'answer: {
    // Not a forward proxy: `CONNECT host:22` must not reach any route.
    if request.method() == http::Method::CONNECT {
      let mut response = HttpError::new(StatusCode::METHOD_NOT_ALLOWED, CONNECT_REFUSED)
        .closing()
        .into_response();
      response.headers_mut().insert(
        header::ALLOW,
        HeaderValue::from_static("GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"),
      );
      break 'answer response;
    }
    // A request without a body (most) needs no stall guard.
    if http_body::Body::is_end_stream(request.body()) {
      let request = request.map(|_| Body::empty());
      break 'answer serve_request(app, &state, request, remote, request_id.clone()).await;
    }
    let stalled = Tripped::default();
    let malformed = Tripped::default();
    let request = request.map(|body| {
      Body::new(ReadTimeoutBody::new(
        body,
        body_idle,
        stalled.clone(),
        malformed.clone(),
      ))
    });
    let response = serve_request(app, &state, request, remote, request_id.clone()).await;
    // The client's framing failed (hyper's body error: a bad or huge
    // chunk size, a body cut short): its fault, whatever the app said.
    if malformed.is_set() && !stalled.is_set() {
      break 'answer HttpError::new(StatusCode::BAD_REQUEST, MALFORMED_BODY)
        .closing()
        .into_response();
    }
    if stalled.is_set() {
      break 'answer HttpError::body_timeout(body_idle.as_secs()).into_response();
    }
    response
  };
  response
    .headers_mut()
    .insert(super::request_id::X_REQUEST_ID.clone(), request_id);
  Ok(match (log, pending) {
    (Some(log), Some(pending)) => log.finish(pending, response),
    _ => response,
  })
}

/// Out of descriptors (or memory) for new connections: wait a little rather
/// than spin; a connection that died before it was accepted is no error.
async fn accept_failed(err: std::io::Error) {
  use std::io::ErrorKind;
  if matches!(
    err.kind(),
    ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::ConnectionRefused
  ) {
    return;
  }
  tracing::warn!("accepting a connection failed: {err}");
  tokio::time::sleep(Duration::from_millis(100)).await;
}

async fn shutdown_signal() {
  use tokio::signal::unix::{signal, SignalKind};
  let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
  tokio::select! {
    _ = tokio::signal::ctrl_c() => {}
    _ = term.recv() => {}
  }
}
