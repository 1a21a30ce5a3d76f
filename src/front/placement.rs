//! Which thread serves a new connection, decided from its first request's
//! bytes with the catalog's routing decision.

use std::sync::Arc;
use std::time::Instant;

use crate::apps::catalog::{app_path, Destination, Route};
use crate::apps::config::AppConfig;
use crate::state::AppState;
use crate::worker::WorkerSpec;

/// Where a new connection is served, from its first request.
pub enum Placement {
  /// On the shared front end.
  FrontEnd,
  /// On the thread of this app's worker.
  Worker(Arc<WorkerSpec>, Box<AppConfig>),
  /// On a proxy thread: the first request goes to a proxy rule.
  Proxy,
}

/// Where a connection whose first bytes are `head` is served: an HTTP/1
/// request for a path a proxy rule takes goes to a proxy thread; one for
/// an app with a pooled (`ttl > 0`), single-instance worker, to that
/// worker's thread; anything else stays on the front end.
pub fn placement(state: &AppState, head: &[u8]) -> Placement {
  placement_of(state, head).unwrap_or(Placement::FrontEnd)
}

fn placement_of(state: &AppState, head: &[u8]) -> Option<Placement> {
  let line_end = head.windows(2).position(|w| w == b"\r\n")?;
  let line = std::str::from_utf8(&head[..line_end]).ok()?;
  let mut parts = line.split(' ');
  let (_method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
  if parts.next().is_some() || !version.starts_with("HTTP/1.") || !target.starts_with('/') {
    return None;
  }
  let path = target.split('?').next()?;
  if path == "/_" || path.starts_with("/_/") {
    return None;
  }
  // The shell app (`whole_path`) stays on the front end.
  let Route::App {
    target,
    whole_path: false,
  } = state.catalog.route(None, path, Instant::now())
  else {
    return None;
  };
  let loaded = target.loaded()?;
  let spec = match loaded.destination(app_path(path, false), None) {
    Destination::Proxy(..) => return Some(Placement::Proxy),
    Destination::Worker(spec) => spec,
    Destination::NoRule => return None,
  };
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
