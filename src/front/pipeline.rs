//! A request's way from the front end to an answer: the body limit, the
//! catalog's routing decision, a proxy rule or the app's worker (a job
//! dispatched through the pool), and the wait for its reply.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::future::Either;
use http_body_util::BodyExt;
use tokio::sync::oneshot;

use super::app_socket;
use super::reply::{into_response, pool_error, public_message, wait_for_reply};
use crate::apps::catalog::{Destination, LoadedApp, Route, Target};
use crate::apps::config::AppConfig;
use crate::ext::protocol::{Deadline, Reply, RequestJob};
use crate::http_error::{HttpError, NOT_A_HANDSHAKE, PROXY_ABORTED, WORKER_STOPPED};
use crate::limits::{LimitedBody, Tripped};
use crate::metrics::AppFigures;
use crate::pool::{Dispatch, Dispatched};
use crate::proxy;
use crate::state::AppState;
use crate::worker::WorkerSpec;

/// App requests that came through the router: the body limit
/// (`MAX_BODY_MB`), then routing.
pub async fn handle(State(state): State<Arc<AppState>>, request: Request) -> Response {
  let remote = request
    .extensions()
    .get::<ConnectInfo<SocketAddr>>()
    .map(|info| info.0);
  let request_id = super::request_id::assign(request.headers());
  let mut response = serve_app(&state, request, remote, request_id.clone()).await;
  response
    .headers_mut()
    .insert(super::request_id::X_REQUEST_ID.clone(), request_id);
  response
}

/// App requests: the body limit (`MAX_BODY_MB`), then routing. `remote`:
/// the client's address, when the listener knows it; `request_id`: the
/// request's id (the caller puts it on the response).
///
/// This and [`route`] are plain functions returning the request's future
/// rather than `async fn`s awaiting it: each async layer would copy the
/// (kilobyte-sized) future below it into its own.
pub fn serve_app(
  state: &AppState,
  request: Request,
  remote: Option<SocketAddr>,
  request_id: http::HeaderValue,
) -> impl Future<Output = Response> + Send + '_ {
  let limit = state.settings.max_body_mb << 20;
  let too_large = move || HttpError::body_too_large(state.settings.max_body_mb).into_response();
  if declared_length(request.headers()).is_some_and(|length| length > limit) {
    return Either::Left(std::future::ready(too_large()));
  }
  if http_body::Body::is_end_stream(request.body()) {
    return Either::Right(Either::Left(route(state, request, remote, request_id)));
  }
  Either::Right(Either::Right(async move {
    // Bodies without a length (chunked) are counted as they stream.
    let oversize = Tripped::default();
    let request = request.map(|body| Body::new(LimitedBody::new(body, limit, oversize.clone())));
    let response = route(state, request, remote, request_id).await;
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
  request_id: http::HeaderValue,
) -> impl Future<Output = Response> + Send + '_ {
  // One clock reading serves the cache check, the deadline and the metrics.
  let now = Instant::now();
  let host = request
    .uri()
    .host()
    .or_else(|| request.headers().get(header::HOST)?.to_str().ok());
  match state.catalog.route(host, request.uri().path(), now) {
    Route::App { target, whole_path } => {
      let arrival = Arrival {
        remote,
        started: now,
        whole_path,
        request_id,
      };
      if super::access_log::active().is_some() {
        let served_by = super::access_log::ServedBy(target.clone());
        return Either::Right(Either::Right(futures::FutureExt::map(
          run_app(state, request, target, arrival),
          move |mut response| {
            response.extensions_mut().insert(served_by);
            response
          },
        )));
      }
      Either::Left(run_app(state, request, target, arrival))
    }
    Route::Home => Either::Right(Either::Left(std::future::ready(
      (StatusCode::OK, format!("Buntime v{}", crate::VERSION)).into_response(),
    ))),
    Route::Missing(target) => Either::Right(Either::Left(std::future::ready(not_found(&target)))),
    Route::HostConflict(message) => Either::Right(Either::Left(std::future::ready(
      HttpError::new(StatusCode::INTERNAL_SERVER_ERROR, message).into_response(),
    ))),
  }
}

fn not_found(target: &Target) -> Response {
  HttpError::app_not_found(&target.shown_name()).into_response()
}

/// Where a request came from and when, carried down the pipeline.
#[derive(Clone)]
struct Arrival {
  /// Its `x-request-id` (not on its headers: see `request_id::assign`).
  request_id: http::HeaderValue,
  /// The client's address, when the listener knows it.
  remote: Option<SocketAddr>,
  /// The request's one clock reading: deadline and metrics start here.
  started: Instant,
  /// The app sees the whole path (the shell app), not what follows its
  /// segment.
  whole_path: bool,
}

impl Arrival {
  /// The path as the app sees it.
  fn app_path<'a>(&self, path: &'a str) -> &'a str {
    crate::apps::catalog::app_path(path, self.whole_path)
  }
}

/// The common request (no proxy rule, no WebSocket, no body to read first,
/// a worker with room) builds its job here and waits on [`answer`]'s small
/// future; every other one goes through [`run_app_general`], boxed. Inline,
/// that one's states (kilobytes) would be part of every request's future and
/// be copied with it at each layer.
fn run_app(
  state: &AppState,
  request: Request,
  target: Arc<Target>,
  arrival: Arrival,
) -> impl Future<Output = Response> + Send + '_ {
  type Boxed<'a> = std::pin::Pin<Box<dyn Future<Output = Response> + Send + 'a>>;
  let general = |request, target, arrival| -> Boxed<'_> {
    Box::pin(run_app_general(state, request, target, arrival))
  };
  let started = arrival.started;
  let simple = target
    .loaded()
    .and_then(|loaded| Some((loaded, loaded.worker_only()?)));
  let Some((
    LoadedApp {
      config, figures, ..
    },
    spec,
  )) = simple
  else {
    return Either::Right(general(request, target, arrival));
  };
  if proxy::is_websocket_upgrade(request.headers())
    || !http_body::Body::is_end_stream(request.body())
  {
    return Either::Right(general(request, target, arrival));
  }
  let (parts, _) = request.into_parts();
  let app_path = arrival.app_path(parts.uri.path());
  let url = app_url(&parts.headers, app_path, parts.uri.query());
  let (job, exchange) = app_job(&target, config, parts, url, None, None, false, arrival);
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
  request_id: Option<http::HeaderValue>,
}

/// The job for the app's worker, and what waits for its reply.
#[allow(clippy::too_many_arguments)]
fn app_job(
  target: &Target,
  config: &AppConfig,
  parts: http::request::Parts,
  url: String,
  body: Option<crate::ext::protocol::RequestBody>,
  full_body: Option<Bytes>,
  upgradable: bool,
  arrival: Arrival,
) -> (RequestJob, Exchange) {
  let (reply_tx, reply_rx) = oneshot::channel();
  let deadline = Deadline::new(Some(arrival.started + config.timeout));
  let request_id = Some(arrival.request_id);
  let exchange = Exchange {
    reply: reply_rx,
    deadline: deadline.clone(),
    is_head: parts.method == http::Method::HEAD,
    request_id: request_id.clone(),
  };
  let job = RequestJob {
    method: parts.method,
    url,
    headers: parts.headers,
    base: target.base_header.clone(),
    remote: arrival.remote,
    body,
    full_body,
    reply: reply_tx,
    deadline,
    upgradable,
    request_id,
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
        Dispatched::Pooled(_) => state.pool.check_stuck(&spec.key, dispatched.control()),
      }
      let rid = exchange.request_id.as_ref().and_then(|v| v.to_str().ok());
      let note = format!("request timed out after {} ms", timeout.as_millis());
      crate::ext::app_log::record(&spec.key, crate::ext::app_log::Level::Error, &note, rid);
      HttpError::worker_timeout(timeout.as_millis()).into_response()
    }
    Ok(Err(_)) => HttpError::new(StatusCode::INTERNAL_SERVER_ERROR, WORKER_STOPPED).into_response(),
    Ok(Ok(Reply::Failed { kind, message })) => {
      HttpError::failure(kind, public_message(&message, spec.shows_stacks())).into_response()
    }
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
      None => HttpError::new(StatusCode::INTERNAL_SERVER_ERROR, NOT_A_HANDSHAKE).into_response(),
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
  arrival: Arrival,
) -> Response {
  let Arrival {
    remote, started, ..
  } = arrival;
  // A clone of the URI shares its bytes: the path outlives the request.
  let uri = request.uri().clone();
  let app_path = arrival.app_path(uri.path());
  let Some((app, loaded)) = &target.resolved else {
    return not_found(&target);
  };
  let loaded = match loaded.as_ref() {
    Ok(loaded) => loaded,
    Err(err) => {
      return HttpError::invalid_config(err)
        .logged(&app.key(), format!("bad app config: {err}"))
        .into_response();
    }
  };
  let LoadedApp {
    config, figures, ..
  } = loaded;
  let spec = match loaded.destination(app_path, request.uri().query()) {
    Destination::Worker(spec) => spec,
    Destination::NoRule => return HttpError::no_proxy_rule(app_path).into_response(),
    Destination::Proxy(rule, url) => {
      let mut request = request;
      // The upstream sees the id the client will get back.
      request.headers_mut().insert(
        super::request_id::X_REQUEST_ID.clone(),
        arrival.request_id.clone(),
      );
      let started = Instant::now();
      let tunnel = proxy::is_websocket_upgrade(request.headers());
      let response = if crate::worker::on_worker_thread() && !tunnel {
        // A connection a worker adopted: pooled upstream connections belong
        // on the front end, which outlives worker threads. (A tunnel stays
        // on the worker thread, which lives until it closes.)
        let (rule, timeout) = (rule.clone(), config.timeout);
        state
          .front_end
          .spawn(async move { proxy::forward(&rule, url, request, remote, timeout).await })
          .await
          .unwrap_or_else(|_| {
            HttpError::new(StatusCode::BAD_GATEWAY, PROXY_ABORTED).into_response()
          })
      } else {
        // Boxed: the forwarding future is kilobytes.
        Box::pin(proxy::forward(rule, url, request, remote, config.timeout)).await
      };
      state
        .metrics
        .record_for(figures, response.status().as_u16(), started.elapsed());
      return response;
    }
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
      Err(err) => return HttpError::body_failed(err).into_response(),
    }
  } else {
    let stream = body
      .map_err(|err| Box::new(err) as crate::ext::protocol::BoxError)
      .boxed_unsync();
    (Some(stream), None)
  };
  let upgradable = upgrade.is_some();
  let (job, exchange) = app_job(
    &target, config, parts, url, body, full_body, upgradable, arrival,
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

/// Bodies up to this size with a declared length are read whole before the
/// request goes to the worker (they are usually in the first packets).
const PREREAD_BODY_BYTES: u64 = 64 << 10;
