//! Proxy rules from an app's config: paths matching a rule's regular
//! expression are forwarded to an upstream (HTTP, or a WebSocket tunnel)
//! before any worker is involved.
//!
//! ```json
//! { "proxy": { "^/api/(.*)$": { "target": "http://${API_HOST}", "rewrite": "/v1/$1" } } }
//! ```

//! [`rules`] compiles and matches them, [`forward`] sends HTTP upstream,
//! [`websocket`] tunnels WebSockets, [`threads`] runs the threads proxied
//! connections are placed on. The header helpers here are shared with the
//! front end.
//!
//! May call: `http_error`, `ext::net_policy`, `coarse_timer`, `worker`
//! (whether the current thread is a worker's).

pub mod forward;
pub mod rules;
pub mod threads;
pub mod websocket;

pub use forward::forward;
pub use rules::{ProxyRule, ProxyRules};
pub use websocket::WS_READ_BUFFER;

use axum::http::{header, HeaderMap, HeaderName};

/// Headers that belong to one connection (RFC 9110 §7.6.1), plus any the
/// `Connection` header names.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
  const HOP_BY_HOP: [HeaderName; 9] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
  ];
  // Most responses carry none: one pass over the names, no removals.
  if !headers.keys().any(|name| HOP_BY_HOP.contains(name)) {
    return;
  }
  let named: Vec<HeaderName> = headers
    .get_all(header::CONNECTION)
    .iter()
    .filter_map(|v| v.to_str().ok())
    .flat_map(|v| v.split(','))
    .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
    .collect();
  for name in named {
    headers.remove(name);
  }
  for name in HOP_BY_HOP {
    headers.remove(name);
  }
}

pub fn is_websocket_upgrade(headers: &HeaderMap) -> bool {
  let has_token = |name: header::HeaderName, token: &str| {
    headers
      .get_all(name)
      .iter()
      .filter_map(|v| v.to_str().ok())
      .any(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
  };
  has_token(header::CONNECTION, "upgrade") && has_token(header::UPGRADE, "websocket")
}
