//! Internal routes under `/_/`: health, metrics, stats, a live SSE feed,
//! the dashboard.
//!
//! Access: with `ADMIN_TOKEN` set every route needs
//! `Authorization: Bearer <token>`; without it only loopback clients may
//! call them. Two exceptions carry no data and are public: `/_/health`
//! (probes of load balancers, Docker and Kubernetes come from elsewhere
//! and hold no token) and the dashboard's page, whose script then calls
//! the guarded routes.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures::{Stream, StreamExt};
use serde_json::json;
use tokio::sync::watch;
use tokio_stream::wrappers::WatchStream;

use crate::http_error::{
  HttpError, LOOPBACK_ONLY, NO_INTERNAL_ROUTE, OWN_PEER, TWO_AUTHORIZATIONS,
};
use crate::state::AppState;
use tokens::{Grant, Needed};

pub mod archive;
pub mod deployments;
pub mod logs;
pub mod packages;
pub mod self_peer;
pub mod tokens;

/// The `/_/…` routes. Starts the stats feed `/_/sse` subscribers share.
pub fn router(state: Arc<AppState>) -> Router<Arc<AppState>> {
  let (feed_tx, feed_rx) = watch::channel(String::new());
  spawn_stats_feed(&state, feed_tx);
  let guarded = Router::new()
    .route("/metrics", get(metrics))
    .route("/metrics/prometheus", get(prometheus))
    .route("/stats", get(stats))
    .route("/sse", get(sse))
    .route("/logs", get(logs::logs))
    .route("/logs/stream", get(logs::stream))
    .nest("/deployments", deployments::router())
    .nest("/apps", packages::router())
    .layer(axum::Extension(StatsFeed(feed_rx)))
    .fallback(|| async { HttpError::new(StatusCode::NOT_FOUND, NO_INTERNAL_ROUTE) })
    .layer(middleware::from_fn_with_state(state, guard));
  Router::new()
    .route("/health", get(health))
    .route("/dashboard", get(dashboard))
    .merge(guarded)
}

/// Liveness for probes: answered by the front end alone, no worker.
async fn health(State(state): State<Arc<AppState>>) -> Response {
  let (workers, pool_size) = state.pool.size();
  Json(json!({
    "status": "ok",
    "version": crate::VERSION,
    "uptimeMs": state.metrics.uptime().as_millis() as u64,
    "workers": workers,
    "poolSize": pool_size,
  }))
  .into_response()
}

/// One self-contained page; it reads `/_/stats` and `/_/sse` itself.
async fn dashboard() -> Response {
  (
    [
      (header::CONTENT_TYPE, "text/html; charset=utf-8"),
      (header::CACHE_CONTROL, "no-store"),
    ],
    include_str!("dashboard.html"),
  )
    .into_response()
}

/// Compares in time independent of where the inputs differ and of their
/// lengths: both are hashed first, so only equal-length digests meet.
fn same_token(given: &[u8], expected: &[u8]) -> bool {
  use sha2::Digest;
  let given = sha2::Sha256::digest(given);
  let expected = sha2::Sha256::digest(expected);
  given
    .iter()
    .zip(expected.iter())
    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
    == 0
}

/// The credentials of `Authorization: Bearer <token>`; the scheme is
/// case-insensitive (RFC 9110 §11.1).
fn bearer_token(authorization: &str) -> Option<&str> {
  let (scheme, token) = authorization.trim_start().split_once(' ')?;
  scheme
    .eq_ignore_ascii_case("bearer")
    .then(|| token.trim_matches(' '))
}

/// Who may call `/_/`: with a token, whoever presents it (401 otherwise);
/// without one, loopback peers only (403 otherwise). `None` = allowed.
pub fn access_denied(
  token: Option<&str>,
  authorization: Option<&str>,
  peer: Option<SocketAddr>,
) -> Option<HttpError> {
  match token {
    Some(token) => {
      let given = authorization.and_then(bearer_token).unwrap_or("");
      (!same_token(given.as_bytes(), token.as_bytes())).then(HttpError::unauthorized)
    }
    None => (!peer.is_some_and(|addr| addr.ip().is_loopback()))
      .then(|| HttpError::new(StatusCode::FORBIDDEN, LOOPBACK_ONLY)),
  }
}

async fn guard(State(state): State<Arc<AppState>>, mut request: Request, next: Next) -> Response {
  // Two credentials are ambiguous: which one would a proxy in front have
  // checked?
  if request
    .headers()
    .get_all(header::AUTHORIZATION)
    .iter()
    .count()
    > 1
  {
    return HttpError::new(StatusCode::BAD_REQUEST, TWO_AUTHORIZATIONS).into_response();
  }
  let authorization = request
    .headers()
    .get(header::AUTHORIZATION)
    .and_then(|v| v.to_str().ok());
  let peer = request
    .extensions()
    .get::<ConnectInfo<SocketAddr>>()
    .map(|info| info.0);
  // The server's own apps and proxy rules never reach the admin API, with
  // or without a token: loopback trust is for the operator.
  if peer.is_some_and(self_peer::is_own_socket) {
    return HttpError::new(StatusCode::FORBIDDEN, OWN_PEER).into_response();
  }
  let grant = match grant_of(state.admin_token(), tokens::active(), authorization, peer) {
    Ok(grant) => grant,
    Err(denied) => return denied.into_response(),
  };
  // Checked before the route looks anything up, so a token without the
  // scope cannot tell an app that exists from one that does not.
  if let Some(needed) = needed_for(request.method(), request.uri()) {
    if !grant.allows(&needed) {
      return HttpError::new(StatusCode::FORBIDDEN, needed.refusal()).into_response();
    }
  }
  request.extensions_mut().insert(grant);
  next.run(request).await
}

/// The grant of a request: with no token configured (neither
/// `ADMIN_TOKEN` nor `TOKENS_FILE`), loopback peers get everything; else
/// the bearer token's scopes, or 401.
fn grant_of(
  admin_token: Option<&str>,
  tokens: Option<&tokens::TokensFile>,
  authorization: Option<&str>,
  peer: Option<SocketAddr>,
) -> Result<Grant, HttpError> {
  if tokens.is_none() {
    return match access_denied(admin_token, authorization, peer) {
      None => Ok(Grant::admin()),
      Some(denied) => Err(denied),
    };
  }
  let given = authorization.and_then(bearer_token).unwrap_or("");
  if admin_token.is_some_and(|admin| same_token(given.as_bytes(), admin.as_bytes())) {
    return Ok(Grant::admin());
  }
  match tokens.and_then(|file| file.grant_of(given)) {
    Some(grant) if !given.is_empty() => Ok(grant),
    _ => Err(HttpError::unauthorized()),
  }
}

/// The scope a route needs, from its method, path and query; `None` where
/// the route checks for itself (`GET /_/apps` filters, `POST /_/apps`
/// without `?name=` learns the name from the package).
fn needed_for(method: &http::Method, uri: &http::Uri) -> Option<Needed> {
  let path = uri.path();
  let path = path.strip_prefix("/_").unwrap_or(path);
  let query = || {
    axum::extract::Query::<std::collections::HashMap<String, String>>::try_from_uri(uri)
      .map(|q| q.0)
      .unwrap_or_default()
  };
  let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
  match segments.as_slice() {
    ["metrics"] | ["metrics", "prometheus"] | ["stats"] | ["sse"] => Some(Needed::Read),
    ["logs"] | ["logs", "stream"] => query().remove("app").map(Needed::AppLogs),
    ["apps"] if method == http::Method::POST => query().remove("name").map(Needed::Deploy),
    ["apps"] => None,
    // Each route checks its path: `deploy:<app>` works inside that app.
    ["deployments", ..] => None,
    ["apps", name] | ["apps", name, _] => {
      let name = percent_encoding::percent_decode_str(name).decode_utf8_lossy();
      Some(Needed::Deploy(name.into_owned()))
    }
    _ => Some(Needed::Admin),
  }
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
  Json(state.metrics.pool_json(&state.pool.stats())).into_response()
}

async fn stats(State(state): State<Arc<AppState>>) -> Response {
  Json(state.metrics.stats_json(&state.pool.stats())).into_response()
}

async fn prometheus(State(state): State<Arc<AppState>>) -> Response {
  let body = state.metrics.prometheus(&state.pool.stats());
  (
    [(
      header::CONTENT_TYPE,
      "text/plain; version=0.0.4; charset=utf-8",
    )],
    body,
  )
    .into_response()
}

/// The latest stats JSON, published once a second for `/_/sse`.
#[derive(Clone)]
struct StatsFeed(watch::Receiver<String>);

async fn sse(
  axum::Extension(StatsFeed(feed)): axum::Extension<StatsFeed>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
  let events = WatchStream::from_changes(feed).map(|json| Ok(Event::default().data(json)));
  Sse::new(events).keep_alive(KeepAlive::default())
}

/// Publishes the stats JSON once a second; every SSE subscriber reads the
/// same snapshot, so many subscribers cost one snapshot per second.
fn spawn_stats_feed(state: &Arc<AppState>, sender: watch::Sender<String>) {
  let state = Arc::downgrade(state);
  tokio::spawn(async move {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
      tick.tick().await;
      let Some(state) = state.upgrade() else { return };
      if sender.receiver_count() <= 1 {
        continue;
      }
      let json = state.metrics.stats_json(&state.pool.stats()).to_string();
      // `send_replace` so each second is an event even if nothing changed;
      // the router keeps one receiver, so skip when it is the only one.
      sender.send_replace(json);
    }
  });
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn the_bearer_scheme_is_case_insensitive() {
    assert_eq!(bearer_token("Bearer abc"), Some("abc"));
    assert_eq!(bearer_token("bearer abc"), Some("abc"));
    assert_eq!(bearer_token("BEARER  abc "), Some("abc"));
    assert_eq!(bearer_token("Basic abc"), None);
    assert_eq!(bearer_token("Bearerabc"), None);
  }

  #[test]
  fn tokens_compare_equal_only_when_equal() {
    assert!(same_token(b"secret", b"secret"));
    assert!(!same_token(b"secret", b"secreT"));
    assert!(!same_token(b"secret", b"secret-longer"));
    assert!(!same_token(b"", b"secret"));
  }

  #[test]
  fn access_rules() {
    let denied = |token, authorization, peer: Option<&str>| {
      let peer = peer.map(|p| p.parse::<SocketAddr>().unwrap());
      access_denied(token, authorization, peer).map(|denied| denied.status().as_u16())
    };
    let (loopback, loopback6, remote) = ("127.0.0.1:5000", "[::1]:5000", "203.0.113.9:5000");
    assert_eq!(denied(None, None, Some(loopback)), None);
    assert_eq!(denied(None, None, Some(loopback6)), None);
    assert_eq!(denied(None, None, Some(remote)), Some(403));
    assert_eq!(denied(None, None, None), Some(403));
    // With a token, the address does not matter; the token does.
    assert_eq!(denied(Some("t"), Some("bearer t"), Some(remote)), None);
    assert_eq!(
      denied(Some("t"), Some("Bearer u"), Some(loopback)),
      Some(401)
    );
    assert_eq!(denied(Some("t"), None, Some(loopback)), Some(401));
  }
}
