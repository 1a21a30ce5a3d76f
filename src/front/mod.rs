//! The HTTP front end, in the order a request meets it: the accept loop
//! and where each connection is served ([`connections`], [`placement`]),
//! framing checks on its bytes ([`strict_framing`]), the pipeline that
//! routes a request to a proxy rule or a worker ([`pipeline`]), and the
//! client's response made of the worker's reply ([`reply`], [`html_base`],
//! WebSocket relays in [`app_socket`]).
//!
//! May call: `state`, `apps`, `pool`, `proxy`, `admin` (its router only),
//! `metrics`, `http_error`, `limits`, `coarse_timer`, `ext::protocol`.

pub mod access_log;
pub mod app_socket;
pub mod connections;
pub mod html_base;
pub mod pipeline;
pub mod placement;
pub mod reply;
pub mod request_id;
pub mod strict_framing;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request};
use axum::response::Response;
use axum::Router;
use futures::future::Either;

use crate::state::AppState;

/// `/_/…` goes to the admin API; everything else to [`pipeline::handle`].
pub fn router(state: Arc<AppState>) -> Router {
  Router::new()
    .nest("/_", crate::admin::router(state.clone()))
    .fallback(pipeline::handle)
    .with_state(state)
}

/// App requests skip the router (it only holds `/_/…` routes) and its
/// extensions: the client's address is passed along instead. The caller
/// puts `request_id` on the response.
pub fn serve_request(
  app: Router,
  state: &AppState,
  mut request: Request,
  remote: SocketAddr,
  request_id: http::HeaderValue,
) -> impl Future<Output = Response> + Send + '_ {
  let path = request.uri().path();
  if path == "/_" || path.starts_with("/_/") {
    request.extensions_mut().insert(ConnectInfo(remote));
    return Either::Left(Box::pin(async move {
      let Ok(response) = tower::ServiceExt::oneshot(app, request).await;
      response
    }));
  }
  Either::Right(pipeline::serve_app(
    state,
    request,
    Some(remote),
    request_id,
  ))
}
